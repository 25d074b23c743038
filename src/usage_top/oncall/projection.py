"""Burn rate and projection of each scope, from the readings the store keeps.

The rate is the plain average over the stored readings of the current period,
at most the last 24 hours of them: ``(used_last - used_first) / (t_last -
t_first)``. For an hourly or daily scope that is the whole period so far; for a
monthly scope the last day, which spans one day-night cycle. Readings before a
reset (``used`` falling to less than half) belong to an earlier period and are
ignored. From the latest
reading, that rate gives the usage expected when the period resets and the
moment the limit is hit (if before the reset).

No Textual here: the cards, the key screen and ``usage-top check`` share it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from usage_top.domain.format import age_text
from usage_top.domain.model import Period, ScopeUsage

if TYPE_CHECKING:
    from usage_top.store import Store

RATE_WINDOW = dt.timedelta(hours=24)
"""The rate is averaged over at most this much of the current period's readings."""
MIN_SPAN = dt.timedelta(minutes=2)
"""Readings closer together than this give no rate (too noisy to project)."""
RESET_DROP = 0.5
"""Usage falling below this share of the previous reading is a period reset (a small
decrease is a correction by the vendor, and stays in the same period)."""

_SPAN = {  # a billing cycle's length is the vendor's: only its reset date is known
    Period.MINUTE: dt.timedelta(minutes=1),
    Period.HOURLY: dt.timedelta(hours=1),
    Period.DAILY: dt.timedelta(days=1),
    Period.MONTHLY: dt.timedelta(days=31),
}
_HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True)
class Projection:
    """Where a scope is heading at its current rate.

    ``computed_at`` is the ``now`` the projection was made at (``text`` counts
    from it); ``used`` and ``limit`` are the latest reading's.
    """

    scope: str
    rate_per_hour: float | None
    projected_at_reset: float | None
    limit_at: dt.datetime | None
    resets_at: dt.datetime | None
    used: float | None = None
    limit: float | None = None
    computed_at: dt.datetime | None = None

    @property
    def reached(self) -> bool:
        return self.limit is not None and self.used is not None and self.used >= self.limit

    @property
    def projected_percent(self) -> float | None:
        """Usage expected at the reset, in percent of the limit."""
        if self.projected_at_reset is None or not self.limit:
            return None
        return 100.0 * self.projected_at_reset / self.limit

    @property
    def eta(self) -> dt.timedelta | None:
        """Time left until the limit is hit at this rate (zero once reached)."""
        if self.limit_at is None or self.computed_at is None:
            return None
        return max(dt.timedelta(0), self.limit_at - self.computed_at)

    @property
    def text(self) -> str:
        """At most 18 characters: "limit in 3d 4h", "ok until reset", "limit reached",
        or "" when unknown (no limit, no rate yet)."""
        if not self.limit:
            return ""
        if self.reached:
            return "limit reached"
        if self.rate_per_hour is None:
            return ""
        eta = self.eta
        if eta is not None:
            return "limit in <1m" if eta < dt.timedelta(minutes=1) else f"limit in {age_text(eta.total_seconds())}"
        return "ok until reset"


def project(
    usage: ScopeUsage, readings: list[tuple[dt.datetime, float]], now: dt.datetime
) -> Projection:
    """Project ``usage`` from its stored ``readings`` (oldest first, ``scope_history``'s
    shape; the latest one is ``usage`` itself)."""
    unknown = Projection(usage.name, None, None, None, usage.resets_at, usage.used, usage.limit, now)
    if usage.resets_at is not None and usage.resets_at <= now:
        return unknown  # the reading is from a period that has ended
    segment = _current_segment(usage, readings)
    if usage.limit and usage.used >= usage.limit:
        reached = next((t for t, used in segment if used >= usage.limit), now)
        rate = _rate(segment)
        return Projection(usage.name, rate, _at_reset(usage, segment, rate), reached,
                          usage.resets_at, usage.used, usage.limit, now)
    rate = _rate(segment)
    if rate is None:
        return unknown
    return Projection(usage.name, rate, _at_reset(usage, segment, rate),
                      _limit_at(usage, segment, rate), usage.resets_at, usage.used, usage.limit, now)


def _current_segment(
    usage: ScopeUsage, readings: list[tuple[dt.datetime, float]]
) -> list[tuple[dt.datetime, float]]:
    """The readings of the current period within the rate window, after the last reset."""
    if not readings:
        return []
    start = _window_start(usage, readings[-1][0])
    kept = [(t, used) for t, used in readings if t >= start]
    for index in range(len(kept) - 1, 0, -1):
        if kept[index][1] < kept[index - 1][1] * RESET_DROP:
            return kept[index:]
    return kept


def _window_start(usage: ScopeUsage, last_at: dt.datetime) -> dt.datetime:
    """The first moment whose readings can count: within the rate window, and not
    before the current period began (when its length is known)."""
    start = last_at - RATE_WINDOW
    span = _SPAN.get(usage.period)
    if usage.resets_at is not None and span is not None:
        start = max(start, usage.resets_at - span)
    return start


def _rate(segment: list[tuple[dt.datetime, float]]) -> float | None:
    """Units (the scope's) per hour between the first and the last reading."""
    if len(segment) < 2:
        return None
    (first_at, first), (last_at, last) = segment[0], segment[-1]
    span = last_at - first_at
    if span < MIN_SPAN:
        return None
    return (last - first) / (span / _HOUR)


def _at_reset(usage: ScopeUsage, segment, rate: float | None) -> float | None:
    if rate is None or usage.resets_at is None or not segment:
        return None
    last_at, last = segment[-1]
    hours = max(dt.timedelta(0), usage.resets_at - last_at) / _HOUR
    return last + rate * hours


def _limit_at(usage: ScopeUsage, segment, rate: float) -> dt.datetime | None:
    if not usage.limit or rate <= 0:
        return None
    last_at, last = segment[-1]
    at = last_at + (usage.limit - last) / rate * _HOUR
    if usage.resets_at is not None and at >= usage.resets_at:
        return None
    return at


def projections(store: Store, now: dt.datetime) -> dict[str, Projection]:
    """The projection of every scope's latest reading, by scope name."""
    found: dict[str, Projection] = {}
    for usage, fetched_at in store.latest_scopes():
        readings = store.scope_history(usage.name, _window_start(usage, fetched_at))
        found[usage.name] = project(usage, readings, now)
    return found


def first_to_run_out(projs: dict[str, Projection]) -> str | None:
    """The scope whose limit is hit (or was reached) first at the current rates, if any.

    Only scopes with a reading are projected: a rate limit is a scope of its own
    (period ``minute``) only where the provider reports its usage."""
    due = [(p.limit_at, name) for name, p in projs.items() if p.limit_at is not None]
    return min(due)[1] if due else None
