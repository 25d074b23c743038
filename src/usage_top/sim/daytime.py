"""When, within a workspace day, the simulated calls happen.

A day's calls are spread by one smooth intraday curve (busiest mid-afternoon,
quiet at night). ``share`` is its cumulative form: the share of a day's calls
made by a given instant. Because it is monotonic, counts derived from it never
decrease as the clock advances, and ``moment`` can invert it to date a call.
Days are the workspace timezone's local days, measured in real elapsed time so
that DST days (23 or 25 hours) stay monotonic too.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc

_NIGHT = 0.3
"""Activity at the quietest hour relative to the daily swing (0 = none)."""

_PEAK = 14 / 24
"""Busiest moment of the day, as a fraction of the day (14:00 local)."""

_TAU = 2 * math.pi


def curve(x: float) -> float:
    """Share of a day's calls made by fraction ``x`` (0..1) of the day.

    The integral of the density ``night + 1 + cos(2π(x - peak))``, normalised so
    that ``curve(0) == 0`` and ``curve(1) == 1``.
    """
    x = min(max(x, 0.0), 1.0)
    swing = (math.sin(_TAU * (x - _PEAK)) - math.sin(-_TAU * _PEAK)) / _TAU
    return ((_NIGHT + 1) * x + swing) / (_NIGHT + 1)


def inverse_curve(share: float) -> float:
    """The fraction of the day at which ``curve`` reaches ``share``.

    Bisection keeps the lower bound, so the instant returned is never later
    than the true one: a call dated this way never lies in the future.
    """
    lo, hi = 0.0, 1.0
    for _ in range(48):
        mid = (lo + hi) / 2
        if curve(mid) < share:
            lo = mid
        else:
            hi = mid
    return lo


class WorkspaceDays:
    """Local days of the workspace timezone and where an instant falls in them."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def today(self, at: dt.datetime) -> dt.date:
        """The workspace-local date at instant ``at``."""
        return at.astimezone(self.tz).date()

    def bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The UTC instants at which local ``day`` starts and ends."""
        start = dt.datetime.combine(day, dt.time(), self.tz).astimezone(UTC)
        following = day + dt.timedelta(days=1)
        end = dt.datetime.combine(following, dt.time(), self.tz).astimezone(UTC)
        return start, end

    def share(self, day: dt.date, at: dt.datetime) -> float:
        """Share of local ``day``'s calls made by instant ``at`` (0 before, 1 after)."""
        start, end = self.bounds(day)
        if at <= start:
            return 0.0
        if at >= end:
            return 1.0
        return curve((at - start) / (end - start))

    def moment(self, day: dt.date, share: float) -> dt.datetime:
        """The local time at which ``share`` of ``day``'s calls had been made."""
        start, end = self.bounds(day)
        return (start + (end - start) * inverse_curve(share)).astimezone(self.tz)

    def hour_start(self, at: dt.datetime) -> dt.datetime:
        """The instant the local hour containing ``at`` began."""
        local = at.astimezone(self.tz)
        return local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)

    def month_start(self, at: dt.datetime) -> dt.date:
        """The first local day of the month containing ``at``."""
        return self.today(at).replace(day=1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def timestamp(local: dt.datetime) -> str:
    """The vendor's timestamp format: ``2026-05-14 12:04:32.243`` (no zone)."""
    return f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d}"


def iso_utc(at: dt.datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the millisecond."""
    at = at.astimezone(UTC)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z"
