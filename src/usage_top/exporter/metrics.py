"""Prometheus metrics of what the store holds, read afresh at every scrape.

``StoreMetrics`` is a custom ``prometheus_client`` collector: each scrape reads one
snapshot of the database (the same views the dashboard draws: scope levels,
projections, ranges), so what Prometheus records is exactly what the file says,
whoever wrote it. ``PollMetrics`` counts what this process's polls did (their
duration, their failures by kind); those are events, not stored state.

Rules the figures follow, as the dashboard's do:

- a figure not refreshed for ``STALE_INTERVALS`` poll intervals is left out of
  the scrape, never written as 0 (Prometheus then shows a gap, and alert rules
  on it stop firing rather than clearing on a made-up value);
- a measure the vendor does not report is left out too;
- keys appear masked as the store holds them, never a key's display name, and
  per-key and per-item series are the top ``top`` by the primary measure plus
  one ``other`` series, so cardinality is bounded whatever the account holds.

Every series has an ``account`` label. Each account has a database of its own,
so one scrape reads every configured account's file (each in its own snapshot)
and the families hold one series per account: the same metric names whatever
the number of accounts. A file that cannot be read costs its account's series
only (``usage_top_account_readable`` says 0 for it), never the scrape.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from usage_top.domain.capabilities import Capabilities
from usage_top.domain.clock import Clock
from usage_top.domain.measures import Figures
from usage_top.domain.model import Usage
from usage_top.domain.periods import Range, local_today
from usage_top.oncall.projection import projections
from usage_top.store import Store, StoreError
from usage_top.views.ranges import unlisted
from usage_top.views.scopes import Level, Thresholds, scope_views

PREFIX = "usage_top"
STALE_INTERVALS = 3
"""A figure older than this many poll intervals is left out (the cards draw it dashed)."""
DEFAULT_TOP = 20
OTHER = "other"
"""The key or item label of the series that sums everything outside the top N."""
RANGES = {"today": Range.TODAY, "month": Range.MONTH}
"""The ``range`` label: today, and this calendar month so far (the provider's calendar)."""
LEVEL_VALUES = {Level.NORMAL: 0, Level.AMBER: 1, Level.RED: 2}
POLL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

_SCOPE = ("account", "provider", "scope")
_ACCOUNT = ("account", "provider")


@dataclass(frozen=True)
class Target:
    """The account a database holds and how it is polled: what labels and staleness need."""

    account: str
    provider: str
    capabilities: Capabilities
    zone: ZoneInfo
    """The calendar of the provider's days (``Capabilities.day_zone``)."""
    interval: float
    """Seconds between polls: figures older than ``STALE_INTERVALS`` of them are left out."""
    thresholds: Thresholds
    simulated: bool = False

    @property
    def labels(self) -> list[str]:
        return [self.account, self.provider]


class StoreMetrics(Collector):
    """Every account's figures, one store each, as gauges computed at each scrape."""

    def __init__(self, sources: Sequence[tuple[Store, Target]], clock: Clock,
                 top: int = DEFAULT_TOP) -> None:
        if top < 1:
            raise ValueError("top must be at least 1")
        self.accounts = [_AccountFigures(store, target, top) for store, target in sources]
        self.clock = clock

    def describe(self) -> Iterable[Metric]:
        return ()  # registering must not read the database

    def collect(self) -> Iterator[Metric]:
        """Each family once, with every account's series (a family named twice would
        not parse); an account whose file fails is left out and said unreadable."""
        now = self.clock()
        families: dict[str, Metric] = {}
        readable = _gauge("account_readable", "1 if the account's database could be read at "
                          "this scrape, 0 if not (its figures are then left out).", _ACCOUNT)
        for account in self.accounts:
            try:
                read = list(account.families(now))
            except StoreError:
                readable.add_metric(account.target.labels, 0)
                continue
            readable.add_metric(account.target.labels, 1)
            for family in read:
                merged = families.setdefault(family.name, family)
                if merged is not family:
                    merged.samples.extend(family.samples)
        yield from families.values()
        yield readable


class _AccountFigures:
    """One account's families, read in one snapshot of its store."""

    def __init__(self, store: Store, target: Target, top: int) -> None:
        self.store = store
        self.target = target
        self.top = top

    def families(self, now: dt.datetime) -> Iterator[Metric]:
        horizon = now - dt.timedelta(seconds=STALE_INTERVALS * self.target.interval)
        with self.store.snapshot():
            yield from self._account(now)
            yield from self._scopes(now, horizon)
            yield from self._usage(now, horizon)

    def _account(self, now: dt.datetime) -> Iterator[Metric]:
        target, caps = self.target, self.target.capabilities
        info = InfoMetricFamily(f"{PREFIX}_account", "The account a database holds, and what its "
                                "provider measures (primary: the cost view's measure).",
                                labels=_ACCOUNT)
        info.add_metric(target.labels, {"primary_measure": caps.primary,
                                        "activity_measure": caps.activity,
                                        "simulated": str(target.simulated).lower()})
        yield info
        interval = _gauge("poll_interval_seconds", "Seconds between polls.", _ACCOUNT)
        interval.add_metric(target.labels, target.interval)
        yield interval
        last = self.store.last_success()
        success = _gauge("last_success_timestamp_seconds",
                         "When the last successful poll finished (unix seconds).", _ACCOUNT)
        if last is not None:
            success.add_metric(target.labels, last.finished_at.timestamp())
        yield success

    def _scopes(self, now: dt.datetime, horizon: dt.datetime) -> Iterator[Metric]:
        unit_labels = (*_SCOPE, "unit")
        used = _gauge("scope_used", "Latest reading of a scope's use.", unit_labels)
        limit = _gauge("scope_limit", "A scope's limit.", unit_labels)
        ratio = _gauge("scope_used_ratio", "A scope's use as a share of its limit (0 to 1).", _SCOPE)
        resets = _gauge("scope_reset_timestamp_seconds", "When a scope's period resets "
                        "(unix seconds).", _SCOPE)
        projected = _gauge("scope_projected_at_reset", "A scope's use expected at its reset "
                           "at the current rate (an estimate).", unit_labels)
        level = _gauge("scope_level", "A scope's level: 0 normal, 1 amber, 2 red.", _SCOPE)
        threshold = _gauge("scope_threshold_ratio", "A scope's amber and red thresholds as "
                           "shares of its limit.", (*_SCOPE, "level"))
        fresh = [view for view in scope_views(self.store, self.target.thresholds)
                 if view.fetched_at >= horizon]
        projs = projections(self.store, now) if fresh else {}
        for view in fresh:
            usage = view.usage
            labels = [*self.target.labels, usage.name]
            with_unit = [*labels, usage.unit.name]
            used.add_metric(with_unit, usage.used)
            level.add_metric(labels, LEVEL_VALUES[view.level])
            if usage.limit:
                limit.add_metric(with_unit, usage.limit)
                ratio.add_metric(labels, usage.used / usage.limit)
                amber, red = self.target.thresholds(usage.name)
                threshold.add_metric([*labels, Level.AMBER.value], amber / 100)
                threshold.add_metric([*labels, Level.RED.value], red / 100)
            if usage.resets_at is not None:
                resets.add_metric(labels, usage.resets_at.timestamp())
            at_reset = projs.get(usage.name)
            if at_reset is not None and at_reset.projected_at_reset is not None:
                projected.add_metric(with_unit, at_reset.projected_at_reset)
        yield from (used, limit, ratio, resets, projected, level, threshold)

    def _usage(self, now: dt.datetime, horizon: dt.datetime) -> Iterator[Metric]:
        """The account's, the top keys' and the top items' figures today and this month;
        all left out when today's figures were not refreshed in time."""
        caps, store = self.target.capabilities, self.store
        labels = (*_ACCOUNT, "range", "measure", "unit")
        account = _gauge("account_usage", "The account's use by measure over a range.", labels)
        keys = _gauge("key_usage", f"Use of each of the top keys (masked) by the primary measure "
                      f"keys have (an estimate where the vendor's cost has no per-key split), "
                      f"and of all the others as key={OTHER!r}.", (*labels, "key"))
        items = _gauge("item_usage", f"Use of each of the top items of a dimension (endpoint, "
                       f"model…) by the primary measure, and of all the others as "
                       f"item={OTHER!r}.", (*labels, "dimension", "item", "item_name"))
        balance = _gauge("balance", "The balance the vendor reports, in the primary measure's "
                         "unit.", (*_ACCOUNT, "unit"))
        today = local_today(now, self.target.zone)
        fetched = store.fetched_days("breakdown", "", today, today).get(today)
        if fetched is not None and fetched >= horizon:
            for name, range_ in RANGES.items():
                start, end = range_.dates(today)
                head = [*self.target.labels, name]
                totals = store.totals(start, end)
                self._figures(account, head, (), totals)
                if caps.key_breakdown:
                    rows = store.key_breakdown(start, end, order_by=(caps.per_key().primary,))
                    for key, figures in _top(rows, totals, self.top):
                        self._figures(keys, head, (key,), figures)
                for dimension in caps.dimensions:
                    rows = store.item_breakdown(dimension.kind, start, end,
                                                order_by=(caps.primary,))
                    named = {row.id: row.name for row in rows}
                    for item, figures in _top(rows, totals, self.top, unmapped=dimension.unmapped):
                        name_ = OTHER if item == OTHER else named.get(item, item)
                        self._figures(items, head, (dimension.kind, item, name_), figures)
        billing = store.latest_billing()
        if billing is not None and billing[1] >= horizon and billing[0].balance is not None:
            balance.add_metric([*self.target.labels, caps.measure(caps.primary).unit.name],
                               billing[0].balance)
        yield from (account, keys, items, balance)

    def _figures(self, family: GaugeMetricFamily, head: list[str], tail: Sequence[str],
                 figures: Figures) -> None:
        """One series per declared measure the figures hold (absent ones left out)."""
        for measure in self.target.capabilities.measures:
            value = figures.get(measure.id)
            if value is not None:
                family.add_metric([*head, measure.id, measure.unit.name, *tail], value)


def _top(rows: list[Usage], totals: Figures, top: int,
         unmapped: str = "(unmapped)") -> Iterator[tuple[str, Figures]]:
    """The first ``top`` rows (already biggest first) by id, then as OTHER what they
    leave of the vendor's totals (``views.ranges.unlisted``, as the tables' "other"
    row): the rows past the top and the usage the vendor listed under no row."""
    for row in rows[:top]:
        yield row.id or unmapped, row.figures
    rest = unlisted(rows[:top], totals)
    if rest:
        yield OTHER, rest


def _gauge(name: str, documentation: str, labels: Sequence[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=list(labels))


_ERROR_KINDS = (  # the collector's error texts (providers/errors.py), most specific first
    ("auth", re.compile(r"HTTP 401")),
    ("forbidden", re.compile(r"HTTP 403|no API access")),
    ("rate_limited", re.compile(r"HTTP 429")),
    ("server", re.compile(r"HTTP 5\d\d")),
    ("timeout", re.compile(r"did not answer within|timed out")),
    ("connection", re.compile(r"could not talk to")),
    ("bad_response", re.compile(r"invalid JSON|unexpected|did not match")),
    ("bad_request", re.compile(r"HTTP 4\d\d")),
    ("database", re.compile(r"^database: ")),
    ("alerts", re.compile(r"^alert")),
    ("internal", re.compile(r"internal error")),
)


def error_kind(error: str) -> str:
    """The kind of a failed poll, from its one-line error: the ``kind`` label."""
    return next((kind for kind, pattern in _ERROR_KINDS if pattern.search(error)), "other")


class PollMetrics:
    """This process's polls of every account: a duration histogram and a failure
    counter by kind, labelled by account."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.duration = Histogram(f"{PREFIX}_poll_duration_seconds", "How long a poll took, "
                                  "retries included.", _ACCOUNT, registry=registry,
                                  buckets=POLL_BUCKETS)
        self.errors = Counter(f"{PREFIX}_poll_errors", "Polls that failed, by kind.",
                              (*_ACCOUNT, "kind"), registry=registry)

    def observe(self, target: Target, started_at: dt.datetime, finished_at: dt.datetime,
                error: str | None) -> None:
        seconds = max(0.0, (finished_at - started_at).total_seconds())
        self.duration.labels(*target.labels).observe(seconds)
        if error is not None:
            self.errors.labels(*target.labels, error_kind(error)).inc()


def registry_for(sources: Sequence[tuple[Store, Target]], clock: Clock,
                 top: int = DEFAULT_TOP) -> tuple[CollectorRegistry, PollMetrics]:
    """A registry of these accounts' metrics only (no process or platform collectors)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreMetrics(sources, clock, top))
    return registry, PollMetrics(registry)
