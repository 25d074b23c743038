"""Daily figures built from stored scope readings, for vendors that report no days.

Lusha says how many credits the cycle has used so far and nothing per day; the
store keeps every reading, so a day's use is the rise of ``used`` between the
polls that day. A rise is counted on the day of the later poll (a dashboard
closed overnight puts the night's use on the morning). A reading below the one
before is a reset (a new cycle): the use since then is the new reading itself,
never a negative rise. The first reading in the window has nothing before it,
so its day counts only what came after it; days without readings are absent
("—"), not 0: nobody was watching.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from usage_top.domain.measures import Figures, add
from usage_top.domain.model import DayFigures
from usage_top.views.context import Context

SOURCE = "from readings"
"""What a chart built here says it is: not the vendor's own daily figures."""


def daily_points(ctx: Context, start: dt.date, end: dt.date, key: str | None = None
                 ) -> tuple[DayFigures, ...]:
    """One point per day of [start, end]: the stored days, or, where the vendor has
    none, the rise of its cumulative scope between readings."""
    caps = ctx.capabilities
    if not caps.days_from_readings:
        return tuple(ctx.store.daily_series(start, end, key))
    since = dt.datetime.combine(start, dt.time(), ctx.day_tz).astimezone(dt.UTC)
    rises = daily_rises(ctx.store.scope_history(caps.cumulative, since), ctx.day_tz)
    measure = caps.primary
    days = (end - start).days + 1
    return tuple(DayFigures(day, _figures(measure, rises.get(day)))
                 for day in (start + dt.timedelta(days=n) for n in range(days)))


def totals_from_points(points: tuple[DayFigures, ...]) -> dict[str, float]:
    """The points' figures added up (absent stays absent)."""
    totals: dict[str, float] = {}
    for point in points:
        add(totals, point.figures)
    return totals


def latest_used(ctx: Context) -> float | None:
    """The cumulative scope's last reading: what the vendor says the period has used."""
    for usage, _ in ctx.store.latest_scopes():
        if usage.name == ctx.capabilities.cumulative:
            return usage.used
    return None


def daily_rises(readings: list[tuple[dt.datetime, float]], tz: dt.tzinfo) -> dict[dt.date, float]:
    """Per day (in ``tz``) the use between consecutive readings, oldest first; a day
    that has readings but no rise gives 0 (watched, nothing used)."""
    rises: dict[dt.date, float] = defaultdict(float)
    previous: float | None = None
    for at, used in readings:
        day = at.astimezone(tz).date()
        if previous is None:
            rises[day] += 0.0
        else:
            rises[day] += used - previous if used >= previous else used
        previous = used
    return dict(rises)


def _figures(measure: str, value: float | None) -> Figures:
    return {} if value is None else {measure: value}
