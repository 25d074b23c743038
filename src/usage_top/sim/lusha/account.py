"""One simulated Lusha account: its background calls, credit use and billing cycle.

The account calls Lusha's other endpoints on its own (the simulator never
sees those calls, only their effect on the windows and credits). A day's calls
and credits depend only on the seed, the account and the date; within the
UTC day they follow the shared intraday curve, so counts grow smoothly and
never decrease until their window resets. Windows are fixed and aligned to
UTC (minute, hour, day): Lusha reports a ``resetsAt`` per window, which
implies fixed windows rather than sliding ones.

Credits count from the start of the monthly billing cycle (``cycle_day`` of
each month, 00:00 UTC); at the next cycle start ``used`` drops back to zero.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from usage_top.sim.daytime import UTC, WorkspaceDays, next_month
from usage_top.sim.lusha.plans import Plan

WEEKEND_FACTOR = 0.3
DAYS = WorkspaceDays(ZoneInfo("UTC"))


@dataclass(frozen=True)
class Window:
    """One rate-limit window at an instant."""

    limit: int
    used: int
    resets_at: dt.datetime

    @property
    def remaining(self) -> int:
        """Requests still allowed before the window resets."""
        return max(0, self.limit - self.used)


def window_start(name: str, at: dt.datetime) -> dt.datetime:
    """Where the fixed ``daily``, ``hourly`` or ``minute`` window containing ``at`` began."""
    if name == "daily":
        return at.replace(hour=0, minute=0, second=0, microsecond=0)
    if name == "hourly":
        return at.replace(minute=0, second=0, microsecond=0)
    return at.replace(second=0, microsecond=0)


WINDOW_LENGTHS = {
    "daily": dt.timedelta(days=1),
    "hourly": dt.timedelta(hours=1),
    "minute": dt.timedelta(minutes=1),
}


class Account:
    """An account on ``plan`` whose billing cycle starts on ``cycle_day`` of each month."""

    def __init__(self, seed: int, name: str, plan: Plan, cycle_day: int) -> None:
        self.seed = seed
        self.name = name
        self.plan = plan
        self.cycle_day = cycle_day

    def limits(self) -> dict[str, int]:
        """The plan's windows that exist, by name (no ``hourly`` on Free and Starter)."""
        windows = {"daily": self.plan.daily, "hourly": self.plan.hourly, "minute": self.plan.minute}
        return {name: limit for name, limit in windows.items() if limit is not None}

    def background_calls(self, start: dt.datetime, end: dt.datetime) -> int:
        """Calls the account made itself from ``start`` to ``end`` (one UTC day)."""
        day = start.date()
        total = self._day(day)[0]
        return math.floor(total * DAYS.share(day, end)) - math.floor(total * DAYS.share(day, start))

    def cycle(self, at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """The billing cycle containing ``at``: its start and the next one's."""
        today = at.date()
        start = today.replace(day=self.cycle_day)
        if today.day < self.cycle_day:
            start = (start.replace(day=1) - dt.timedelta(days=1)).replace(day=self.cycle_day)
        end = next_month(start).replace(day=self.cycle_day)
        return _midnight(start), _midnight(end)

    def credits_used(self, at: dt.datetime) -> int:
        """Credits used in the current cycle by ``at`` (never above the plan's total)."""
        start, _ = self.cycle(at)
        day, used = start.date(), 0
        while day < at.date():
            used += self._day(day)[1]
            day += dt.timedelta(days=1)
        today = self._day(at.date())[1]
        used += math.floor(today * DAYS.share(at.date(), at))
        return min(used, self.plan.credits)

    def _day(self, day: dt.date) -> tuple[int, int]:
        """The day's full background calls and credits (cached per account)."""
        return _day_figures(self.seed, self.name, self.plan, day)


@lru_cache(maxsize=4096)
def _day_figures(seed: int, name: str, plan: Plan, day: dt.date) -> tuple[int, int]:
    rng = random.Random(f"{seed}:{name}:{day.isoformat()}")
    weekday = WEEKEND_FACTOR if day.weekday() >= 5 else 1.0
    calls = round(plan.weekday_calls * weekday * rng.uniform(0.75, 1.25))
    credits = round(calls * plan.credits_per_call * rng.uniform(0.6, 1.5))
    return calls, credits


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), UTC)
