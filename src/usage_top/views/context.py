"""What every screen's view model is built from: the store, the provider's
capabilities and the user's choices of the moment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from usage_top.domain.capabilities import Capabilities
from usage_top.domain.measures import Measure
from usage_top.domain.periods import Range, local_today

if TYPE_CHECKING:
    from usage_top.store import Store

CHART_DAYS = 30
RANGE_LABELS = {"today": "today", "7d": "last 7 days", "30d": "last 30 days", "month": "this month"}


@dataclass(frozen=True)
class Context:
    """The inputs of one refresh; built by the App, read inside one store snapshot."""

    store: Store
    capabilities: Capabilities
    tz: ZoneInfo
    now: dt.datetime
    range_: Range = Range.WEEK
    key: str | None = None
    """The key the dashboard is narrowed to."""
    metric: str = ""
    """The measure of the current view (cost or activity); the primary one when empty."""
    thresholds: Callable[[str], tuple[float, float]] = lambda name: (75.0, 90.0)
    anomaly_multiple: float = 3.0
    scope_states: Mapping[str, str] = field(default_factory=dict)
    """Scopes the last failed poll was about, with what their card says instead of the
    outlook ('credits exhausted (HTTP 402) · next try 14:47 UTC')."""
    stale: frozenset[str] = frozenset()
    """What the last poll's failed parts fill (``parts.SCOPES``, ``parts.DAYS``): shown stale
    at once, while the other parts' figures are live."""

    @property
    def day_tz(self) -> ZoneInfo:
        """The calendar the provider's days are counted in (UTC buckets, or the workspace's)."""
        return self.capabilities.day_zone(self.tz)

    @property
    def today(self) -> dt.date:
        return local_today(self.now, self.day_tz)

    @property
    def dates(self) -> tuple[dt.date, dt.date]:
        """The selected range's first and last day."""
        return self.range_.dates(self.today)

    @property
    def range_label(self) -> str:
        return RANGE_LABELS[self.range_.value]

    @property
    def chart_start(self) -> dt.date:
        return self.today - dt.timedelta(days=CHART_DAYS - 1)

    @property
    def measure(self) -> Measure:
        """The measure charts count and shares are of."""
        return self.capabilities.measure(self.metric or self.capabilities.primary)

    @property
    def primary(self) -> Measure:
        return self.capabilities.measure(self.capabilities.primary)
