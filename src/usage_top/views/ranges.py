"""Read models shared by the CLI report and the dashboard: what one range looks like.

The store answers per-grain queries; this module assembles them into the figures
a view shows for a range and an optional key, and classifies scope levels, so
the CLI and the TUI can never disagree about a number or a colour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from usage_top.domain.model import EndpointUsage, KeyUsage, Period, ScopeUsage, Totals
from usage_top.store import Store


class Level(StrEnum):
    """How close a scope is to its limit."""

    NORMAL = "normal"
    AMBER = "amber"
    RED = "red"


def level(percent: float | None, amber: float = 75.0, red: float = 90.0) -> Level:
    """Normal below ``amber``, amber from ``amber``, red from ``red`` percent."""
    if percent is None or percent < amber:
        return Level.NORMAL
    return Level.RED if percent >= red else Level.AMBER


@dataclass(frozen=True)
class RangeView:
    """Totals, keys and endpoints of one date range, optionally for one key."""

    start: dt.date
    end: dt.date
    key: str | None
    totals: Totals
    by_key: list[KeyUsage]
    by_endpoint: list[EndpointUsage]

    @property
    def empty(self) -> bool:
        return self.totals.requests == 0 and self.totals.credits == 0


def range_view(store: Store, start: dt.date, end: dt.date, key: str | None = None) -> RangeView:
    """Everything a range shows, read from the store in a few indexed queries."""
    keys = store.key_breakdown(start, end)
    if key is not None:
        keys = [_share_of_one(row) for row in keys if row.key == key]
    return RangeView(
        start=start,
        end=end,
        key=key,
        totals=store.totals(start, end, key),
        by_key=keys,
        by_endpoint=store.endpoint_breakdown(start, end, key),
    )


def _share_of_one(row: KeyUsage) -> KeyUsage:
    """A key shown alone holds all of the filtered requests and credits."""
    return row.model_copy(
        update={
            "percent_of_requests": 100.0 if row.requests else 0.0,
            "percent_of_credits": 100.0 if row.credits else 0.0,
        }
    )


@dataclass(frozen=True)
class ScopeView:
    """One scope card: the latest reading and when it was fetched."""

    usage: ScopeUsage
    fetched_at: dt.datetime
    level: Level


_PERIOD_ORDER = {Period.MONTHLY: 0, Period.DAILY: 1, Period.HOURLY: 2, Period.MINUTE: 3}


def scope_views(
    store: Store, thresholds: Callable[[str], tuple[float, float]] = lambda name: (75.0, 90.0)
) -> list[ScopeView]:
    """Latest reading per scope, API scopes first, longest period first, each coloured by
    its own (amber, red) thresholds (``Settings.thresholds_for``), as its alerts are."""
    readings = sorted(
        store.latest_scopes(),
        key=lambda item: (item[0].scope != "api", item[0].scope, _PERIOD_ORDER[item[0].period]),
    )
    return [
        ScopeView(usage=usage, fetched_at=fetched_at, level=level(usage.percent, *thresholds(usage.name)))
        for usage, fetched_at in readings
    ]
