"""What a provider can tell: its measures, dimensions, filters and time basis.

Every layer above the adapters asks these instead of assuming one vendor's
shape: the collector fetches only what the provider offers, the views pick the
primary measure for sorting and charts, and the dashboard says "this vendor
reports no breakdown" where a provider has none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from usage_top.domain.measures import Figures, Measure
from usage_top.domain.model import Usage

_UTC = ZoneInfo("UTC")

Reconciler = Callable[[dt.date, dt.date, Figures, Mapping[str, Sequence[Usage]]], Any]
"""See ``Capabilities.reconcile``."""


class TimeBasis(StrEnum):
    """Which calendar the vendor's days are counted in."""

    WORKSPACE = "workspace"
    """The workspace's own timezone (the configured ``timezone``)."""
    UTC = "utc"
    """UTC buckets, whatever the workspace's timezone."""


@dataclass(frozen=True)
class Dimension:
    """A kind of thing usage is grouped by: endpoint, model, project, line item…"""

    kind: str
    """Stable id, stored with every item: "endpoint", "model", "project"."""
    label: str
    """Singular, capitalised: "Endpoint"."""
    plural: str
    """Table title: "Endpoints"."""
    unmapped: str = "(unmapped)"
    """Name of usage the vendor did not assign to any item (its id is '')."""
    private: bool = False
    """Its items name the customer's own things (projects, workspaces): ``--redact``
    replaces them with pseudonyms."""


@dataclass(frozen=True)
class Ratio:
    """A derived per-unit figure shown in the dimension table, e.g. cost per call."""

    label: str
    """Column header: "Cost/call", "$/1M tok"."""
    key: str
    """Its field name in JSON and exports: "cost_per_call"."""
    numerator: str
    denominator: tuple[str, ...]
    """Measure ids added up below the line."""
    scale: float = 1.0
    """Multiplies the ratio: 1e6 for "per million tokens"."""
    digits: int = 2
    phrase: str = ""
    """What a value is, said after it in a sentence: "credits per call"."""


@dataclass(frozen=True)
class Capabilities:
    """A provider's declaration of what it reports."""

    measures: tuple[Measure, ...]
    primary: str
    """Measure of the cost view: the default sort, chart and share (credits, money)."""
    activity: str
    """Measure of the activity view (requests, or tokens where there is no request count)."""
    dimensions: tuple[Dimension, ...] = ()
    """What usage is grouped by, the first being the one the dashboard shows."""
    key_breakdown: bool = False
    """Per-key figures exist (the key table, key filter and key drilldown)."""
    key_filter: bool = False
    """The vendor can filter a dimension breakdown by key (the key drilldown's table)."""
    dimension_filter: bool = False
    """The vendor can list the keys of one dimension item (the item drilldown)."""
    billing: bool = False
    """A balance or billing cycle is reported (the billing view)."""
    top_rows: int | None = None
    """The vendor lists at most this many keys (or items) per answer, the biggest:
    the rest of its totals is an "other keys" row (None: it lists them all)."""
    range_keys: bool = False
    """One request gives the keys' figures over any range (``Provider.range_keys``):
    with ``top_rows``, a key outside a day's top is counted over the range all the same."""
    time_basis: TimeBasis = TimeBasis.WORKSPACE
    settle_after: dt.timedelta = dt.timedelta(minutes=15)
    """How long after a day ends its figures can still change (late rows): until then
    the collector fetches the day again at every poll and replaces it."""
    min_interval: float = 0.0
    """Seconds between polls the vendor asks for at the least, whatever ``interval`` says."""
    ratio: Ratio | None = None
    table_measures: tuple[str, ...] = ()
    """Measures given a column in the usage tables (all of them when empty)."""
    key_measures: tuple[str, ...] = ()
    """Of those, the ones that have figures per key (``table_measures`` when empty): a
    vendor whose cost has no per-key split lists its estimate here, not its cost, so a
    table of keys (or of one key's items) shows no column that could only say "—"."""
    key_last_used: bool = True
    """The vendor says when a key was last used; where it does not, "Last used" is "—"
    (not reported), and "never" only means the vendor said a key was never used."""
    labels: dict[str, str] = field(default_factory=dict)
    """Column headers of the dimension table that differ from the measure's label."""
    cumulative: str = ""
    """A scope (its name, 'credits.cycle') whose ``used`` counts the primary measure and
    only grows until its period resets. Where the vendor reports no days (no key
    breakdown, no dimension), the daily figures are built from its stored readings:
    the rise between polls (``views/readings.py``)."""
    reconcile: Reconciler | None = None
    """Sets the vendor's cost against usage-top's estimate for a period, from stored
    figures: ``reconcile(start, end, totals, rows by dimension kind)`` returns an object
    with ``total`` and ``groups`` (lines with ``name``, ``cost``, ``estimate``,
    ``difference``) and ``unpriced`` (items without a price, listed, not priced as 0).
    None where there is no estimate to set against the vendor's figures; else the
    reconciliation view (``R``) and ``report`` show it."""

    def measure(self, measure_id: str) -> Measure:
        """The declared measure with this id (KeyError for one the provider lacks)."""
        for measure in self.measures:
            if measure.id == measure_id:
                return measure
        raise KeyError(measure_id)

    def reports(self, measure_id: str) -> bool:
        return any(measure.id == measure_id for measure in self.measures)

    def day_zone(self, workspace: ZoneInfo) -> ZoneInfo:
        """The calendar the provider's days are counted in: UTC, or the workspace's."""
        return _UTC if self.time_basis is TimeBasis.UTC else workspace

    @property
    def has_days(self) -> bool:
        """The vendor breaks days down (by key or by an item) for the store to sum."""
        return self.key_breakdown or bool(self.dimensions)

    @property
    def days_from_readings(self) -> bool:
        """Daily figures come from stored readings of the ``cumulative`` scope."""
        return bool(self.cumulative) and not self.has_days

    @property
    def dimension(self) -> Dimension | None:
        """The dimension the dashboard's table shows, if the vendor has any."""
        return self.dimensions[0] if self.dimensions else None

    @property
    def shown_measures(self) -> tuple[Measure, ...]:
        ids = self.table_measures or tuple(measure.id for measure in self.measures)
        return tuple(self.measure(measure_id) for measure_id in ids)

    def per_key(self) -> Capabilities:
        """What a table of keys, or of one key's items, shows: the ``key_measures``, and
        as its primary the primary measure if keys have it, else the first key measure
        in its unit (the estimate of the vendor's cost), else the activity measure."""
        if not self.key_measures:
            return self
        unit = self.measure(self.primary).unit
        ids = self.key_measures
        primary = next((m for m in (self.primary, *(i for i in ids if self.measure(i).unit == unit))
                        if m in ids), self.activity)
        return replace(self, table_measures=ids, primary=primary)

    def own_metric(self, metric: str) -> str:
        """The view's measure (the activity or the cost one, of the whole capabilities)
        as this table's: the activity measure stays, any other is this primary."""
        return metric if metric == self.activity else self.primary
