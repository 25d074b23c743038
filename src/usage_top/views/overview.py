"""The overview's view model: one row per account, and which limit runs out first.

Each account is read inside one snapshot of its own file (its scopes, their
recent readings for the burn rate, today's and this month's totals, the last
polls): a handful of queries per account, none per table row, so refreshing
twenty accounts stays cheap. The screen only renders the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from usage_top.domain.capabilities import Capabilities
from usage_top.domain.format import age_text, minutes_age_turn
from usage_top.domain.measures import Measure
from usage_top.domain.periods import Range, local_today
from usage_top.oncall.projection import Projection, projections
from usage_top.views.scopes import Level, ScopeView, Thresholds, scope_views

if TYPE_CHECKING:
    from usage_top.store import Store
    from usage_top.views.redact import Redactor

SORTS = ("worst", "runs out", "name", "provider", "age")
"""The orders ``s`` cycles through: the fullest scope first (the default), the
soonest to run out, by name, by provider, the oldest data first."""


@dataclass(frozen=True)
class AccountSource:
    """What the overview reads of one account."""

    name: str
    provider: str
    store: Store
    capabilities: Capabilities
    tz: ZoneInfo
    thresholds: Thresholds
    error: str | None = None
    """The last poll's error as this process saw it; None: the file's last poll says."""
    redactor: Redactor | None = None
    """The account's names as pseudonyms while redaction is on (``store`` then reads
    through it): the row's name and error are redacted here, so the screen and
    everything made from the rows (the summary, a copied line) never see a real one."""


@dataclass(frozen=True)
class AccountRow:
    """One account as the overview shows it."""

    name: str
    """The account's name as shown: its pseudonym while redaction is on."""
    provider: str
    worst: ScopeView | None
    """The scope nearest its limit (the highest percentage), None without limits."""
    primary: Measure
    today: float | None
    month: float | None
    burn: str
    """The burn rate per hour, in its unit, of the outlook's scope (the worst scope's when
    the outlook names none); '' without a rate yet."""
    outlook: str
    """'over' (a scope past its limit), 'limit in 3h 10m', 'ok until reset' or ''."""
    outlook_scope: str
    limit_at: dt.datetime | None
    updated: dt.datetime | None
    error: str | None
    first: bool = False
    """This account holds the limit that runs out first across all accounts."""
    turns_at: dt.datetime | None = None
    """When reading the file again would give another row though nothing was written
    (``row_turns``: the outlook's countdown, a period's reset, the day's end); None:
    never. The age is apart (``ages_turn``): it needs no reading."""

    @property
    def percent(self) -> float | None:
        return self.worst.usage.percent if self.worst else None

    @property
    def level(self) -> Level:
        return self.worst.level if self.worst else Level.NORMAL

    @property
    def over(self) -> bool:
        return self.outlook == "over"


NOTHING_DUE = "No limit is projected to run out before its reset"


@dataclass(frozen=True)
class OverviewView:
    rows: list[AccountRow]
    summary: tuple[str, ...]
    """'Runs out first: prod · API daily (limit in 3h)', then the over-limit scopes named
    apart ('Over the limit: …'); empty when neither."""

    @property
    def summary_text(self) -> str:
        """A line a statement (the overview gives it a fixed two lines, each cut to the
        width): the table below never moves when an account crosses its limit."""
        return "\n".join(self.summary) or NOTHING_DUE


def account_row(source: AccountSource, now: dt.datetime) -> AccountRow:
    """One account's row, read inside one snapshot of its file."""
    store, caps = source.store, source.capabilities
    with store.snapshot():
        views = scope_views(store, source.thresholds)
        outlook = projections(store, now)
        today = local_today(now, caps.day_zone(source.tz))
        primary = caps.measure(caps.primary)
        day = store.totals(today, today).get(primary.id)
        month = store.totals(*Range.MONTH.dates(today)).get(primary.id)
        last_ok, last = store.last_success(), store.last_poll()
    limited = [view for view in views if view.usage.percent is not None]
    worst = max(limited, key=lambda view: view.usage.percent, default=None)
    text, outlook_view, limit_at = _outlook(views, outlook)
    burn = _burn(outlook_view or worst, outlook)
    error = source.error if source.error is not None else (
        last.error if last is not None and last.outcome == "error" else None)
    turns_at = row_turns(now, caps.day_zone(source.tz), outlook.values(),
                         limit_at if text.startswith("limit in") else None)
    scope = outlook_view.usage.title if outlook_view else ""
    return AccountRow(_shown(source), source.provider, worst, primary, day, month, burn, text,
                      scope, limit_at, last_ok.finished_at if last_ok else None,
                      _redacted(source, error), turns_at=turns_at)


def row_turns(now: dt.datetime, zone: ZoneInfo, outlook: Iterable[Projection],
              countdown: dt.datetime | None) -> dt.datetime:
    """The first moment after ``now`` at which a row read from an unchanged file reads
    differently: the next midnight in ``zone`` (today's and the month's totals), a
    scope's reset (its projection ends with its period) or, while the outlook counts
    down to ``countdown``, the moment its text does (``Projection.text``: minutes,
    hours beyond a day, '<1m' under one)."""
    tomorrow = local_today(now, zone) + dt.timedelta(days=1)
    turns = [dt.datetime.combine(tomorrow, dt.time(), zone).astimezone(dt.UTC)]
    turns += [p.resets_at for p in outlook if p.resets_at is not None and p.resets_at > now]
    if countdown is not None:
        seconds = int((countdown - now).total_seconds())
        if seconds >= 60:
            step = 60 if seconds < 86400 else 3600
            # just after: at ``countdown - n steps`` the text still reads n steps
            turns.append(countdown - dt.timedelta(seconds=seconds // step * step, microseconds=-1))
    return min(turns)


def _shown(source: AccountSource) -> str:
    return source.redactor.alias("account", source.name) if source.redactor else source.name


def _redacted(source: AccountSource, text: str | None) -> str | None:
    return source.redactor.text(text) if source.redactor and text else text


def _outlook(views: list[ScopeView], outlook: dict[str, Projection]
             ) -> tuple[str, ScopeView | None, dt.datetime | None]:
    """('over', its scope) when a scope is past its limit; else the scope hit first."""
    named = {view.usage.name: view for view in views}
    over = [name for name, p in outlook.items() if p.reached and name in named]
    if over:
        return "over", named[over[0]], None
    due = sorted((p.limit_at, name) for name, p in outlook.items()
                 if p.limit_at is not None and name in named)
    if due:
        at, name = due[0]
        return outlook[name].text, named[name], at
    if any(p.text for p in outlook.values()):
        return "ok until reset", None, None
    return "", None, None


def _burn(view: ScopeView | None, outlook: dict[str, Projection]) -> str:
    """The hourly rate of the scope the outlook is about (else the worst scope's), so that
    the Burn and Outlook cells of a row speak of one scope ('' without a rate yet)."""
    rate = outlook.get(view.usage.name) if view is not None else None
    if rate is None or rate.rate_per_hour is None:
        return ""
    return f"{view.usage.unit.rounded(rate.rate_per_hour)}/h"


def overview_view(sources: Sequence[AccountSource], now: dt.datetime, sort: str = SORTS[0],
                  read: Callable[[AccountSource, dt.datetime], AccountRow] = account_row
                  ) -> OverviewView:
    """Every account's row in the chosen order; a file that cannot be read costs its
    row only (the row says so)."""
    rows = [_read_or_error(read, source, now) for source in sources]
    due = [row for row in rows if row.limit_at is not None]
    first = min(due, key=lambda row: row.limit_at, default=None)
    rows = [_marked(row, row is first) for row in rows]
    return OverviewView(_sorted(rows, sort, now), _summary(rows, first))


class AccountRows:
    """Each account's row as last read, read again only when it may read differently.

    Twenty accounts polled on their own timers refreshed the overview every 1.5 s,
    and each refresh read all twenty files (~12 ms) to change one row. A row is kept
    until its account is polled (``forget``: this process's own writes), another
    process commits to its file (its data version), its error or the redaction
    changes, or the clock turns it (``AccountRow.turns_at``). "Runs out first" and
    the order still come from every row at each refresh (``overview_view``)."""

    def __init__(self, read: Callable[[AccountSource, dt.datetime], AccountRow] = account_row
                 ) -> None:
        self._read = read
        self._rows: dict[str, tuple[tuple[object, ...], AccountRow]] = {}

    def forget(self, name: str | None = None) -> None:
        """Read ``name``'s row (None: every row) again at the next ``view``: this
        process wrote to its file, which its data version does not tell."""
        if name is None:
            self._rows.clear()
        else:
            self._rows.pop(name, None)

    def view(self, sources: Sequence[AccountSource], now: dt.datetime, sort: str = SORTS[0]
             ) -> OverviewView:
        return overview_view(sources, now, sort, self.read)

    def read(self, source: AccountSource, now: dt.datetime) -> AccountRow:
        """The kept row of ``source``, or a new one when it may have changed."""
        state = (source.store.data_version(), source.error,
                 source.redactor is not None and source.redactor.enabled)
        kept = self._rows.get(source.name)
        if kept is not None and kept[0] == state and (
                kept[1].turns_at is None or now < kept[1].turns_at):
            return kept[1]
        row = self._read(source, now)
        self._rows[source.name] = (state, row)
        return row


def view_turns(view: OverviewView) -> dt.datetime | None:
    """When the first of the view's rows turns (``AccountRow.turns_at``)."""
    return min((row.turns_at for row in view.rows if row.turns_at is not None), default=None)


def _read_or_error(read, source: AccountSource, now: dt.datetime) -> AccountRow:
    from usage_top.store import StoreError

    try:
        return read(source, now)
    except StoreError as exc:
        caps = source.capabilities
        return AccountRow(_shown(source), source.provider, None, caps.measure(caps.primary), None,
                          None, "", "", "", None, None, _redacted(source, f"database: {exc}"))


def _marked(row: AccountRow, first: bool) -> AccountRow:
    if not first:
        return row
    from dataclasses import replace

    return replace(row, first=True)


def _summary(rows: list[AccountRow], first: AccountRow | None) -> tuple[str, ...]:
    over = [f"{row.name} · {row.outlook_scope}" for row in rows if row.over]
    parts = []
    if first is not None:
        parts.append(f"Runs out first: {first.name} · {first.outlook_scope} ({first.outlook})")
    if over:
        parts.append(f"Over the limit: {', '.join(over)}")
    return tuple(parts)


def _sorted(rows: list[AccountRow], sort: str, now: dt.datetime) -> list[AccountRow]:
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    keys = {
        "worst": lambda row: (-(row.percent if row.percent is not None else -1), row.name),
        "runs out": lambda row: (not row.over, row.limit_at or far, row.name),
        "name": lambda row: row.name,
        "provider": lambda row: (row.provider, row.name),
        "age": lambda row: (row.updated or dt.datetime.min.replace(tzinfo=dt.UTC), row.name),
    }
    return sorted(rows, key=keys[sort])


def age(row: AccountRow, now: dt.datetime) -> str:
    """How old the account's data is: '<1m', '3m', '2h 5m', '1d 4h', 'no data'.

    Not to the second: a row polled every 30 s would read differently at every look
    (twenty accounts' ages, ~45 bytes a cell over SSH, cost more than their figures),
    and under a minute is what "fresh" means here; from a minute on, as ``age_text``."""
    if row.updated is None:
        return "no data"
    seconds = _seconds(row, now)
    return "<1m" if seconds < 60 else age_text(seconds)


def ages_turn(rows: Sequence[AccountRow], now: dt.datetime) -> dt.datetime | None:
    """When the first of the rows' ``age`` next reads differently (None: none will):
    redrawn then, and not before, the ages stay exact without a tick of their own."""
    return min((minutes_age_turn(row.updated, now) for row in rows if row.updated is not None),
               default=None)


def _seconds(row: AccountRow, now: dt.datetime) -> int:
    return int(max(0.0, (now - row.updated).total_seconds()))
