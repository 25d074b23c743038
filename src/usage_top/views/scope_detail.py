"""The scope screen's view model: one scope's period so far, against its limit.

From one store snapshot: the stored readings of the current period and of the one
before it (drawn muted, shifted onto this period's time axis), the limit and the
amber and red levels in the scope's unit, the projection from the burn rate to the
reset (``oncall.projection``), and one exact label per reading for the cursor.
Positions on the time axis are seconds since the period began.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from usage_top.domain.format import utc_text
from usage_top.domain.measures import Unit
from usage_top.domain.model import Period, ScopeUsage
from usage_top.domain.periods import period_end, period_start
from usage_top.oncall.projection import Projection, project
from usage_top.views.context import Context
from usage_top.views.scopes import Level, ScopeView, scope_views

MIN_READINGS = 2
"""A curve needs at least two readings of the period."""
CYCLE_LOOKBACK = dt.timedelta(days=31)
"""A billing cycle's start is not known: its readings are looked for this far back."""
RECENT = {Period.MINUTE: (dt.timedelta(hours=1), "hour")}
"""Windows too short for a curve of their own (a poll or two each, polls being 5 s
apart at the least, 30 s by default): the readings of this long instead, each of its
own window, so that how near the rate limit each poll found usage shows at a glance."""
TICKS = 5


@dataclass(frozen=True)
class Series:
    """A line: positions (seconds since the period began) and values."""

    xs: tuple[float, ...] = ()
    ys: tuple[float, ...] = ()

    def __len__(self) -> int:
        return len(self.xs)


@dataclass(frozen=True)
class ScopeDetail:
    """Everything the scope screen draws; the screen and the widget compute nothing."""

    name: str
    title: str
    found: bool = True
    unit: Unit | None = None
    level: Level = Level.NORMAL
    limit: float | None = None
    amber_at: float | None = None
    red_at: float | None = None
    span: float = 1.0
    """Length of the time axis (the period), in seconds."""
    ticks: tuple[tuple[float, str], ...] = ()
    current: Series = Series()
    current_label: str = "this period"
    """What ``current`` is, for the legend."""
    previous: Series = Series()
    projection: Series = Series()
    labels: tuple[str, ...] = ()
    """One per reading of ``current``: its time (with the zone) and exact figures."""
    summary: str = ""
    note: str = ""
    """Why there is no curve, or what is missing from it."""
    scope: ScopeView | None = None
    outlook: Projection | None = None

    @property
    def enough(self) -> bool:
        return len(self.current) >= MIN_READINGS


def scope_detail(ctx: Context, name: str) -> ScopeDetail:
    """The scope ``name`` ('api.hourly') as of ``ctx.now``."""
    shown = next((view for view in scope_views(ctx.store, ctx.thresholds) if view.usage.name == name),
                 None)
    if shown is None:
        return ScopeDetail(name, name, found=False, note=f"No readings of {name} are stored.")
    usage, tz = shown.usage, ctx.day_tz
    if usage.period in RECENT:
        return _recent(ctx, shown)
    start, end = _bounds(usage, shown.fetched_at, ctx, tz)
    readings = ctx.store.scope_history(name, start)
    if usage.period is Period.CYCLE:
        readings = _since_reset(readings)
        start = readings[0][0] if readings else start
    span = max(1.0, (end - start).total_seconds())
    current = _series(readings, start)
    previous = _previous(ctx, usage, start, tz)
    outlook = project(usage, readings, ctx.now)
    return ScopeDetail(
        **_limits(ctx, shown),
        span=span,
        ticks=_ticks(usage.period, start, span, ctx.tz),
        current=current,
        previous=previous,
        projection=_projection_line(readings, outlook, start, end),
        labels=tuple(_label(usage, at, used, ctx.tz) for at, used in readings),
        summary=_summary(shown, outlook, end, ctx.tz),
        note=_note(len(current), ctx),
        scope=shown,
        outlook=outlook,
    )


def _limits(ctx: Context, shown: ScopeView) -> dict[str, Any]:
    """What every curve of the scope says of it: its name, unit, level, limit and the
    amber and red lines."""
    usage = shown.usage
    amber, red = ctx.thresholds(usage.name)
    limit = usage.limit
    return {"name": usage.name, "title": usage.title, "unit": usage.unit, "level": shown.level,
            "limit": limit, "amber_at": limit * amber / 100 if limit else None,
            "red_at": limit * red / 100 if limit else None}


def _recent(ctx: Context, shown: ScopeView) -> ScopeDetail:
    """A short window: the readings of the last ``RECENT`` against the limit, no
    previous period and no projection (a window resets before either would say much)."""
    usage = shown.usage
    end = shown.fetched_at
    length, words = RECENT[usage.period]
    start = end - length
    readings = ctx.store.scope_history(usage.name, start)
    span = length.total_seconds()
    return ScopeDetail(
        **_limits(ctx, shown),
        span=span,
        ticks=_ticks(Period.HOURLY, start, span, ctx.tz),
        current=_series(readings, start),
        current_label=f"each reading of the last {words}, in its own {usage.period.value}",
        labels=tuple(_label(usage, at, used, ctx.tz) for at, used in readings),
        summary=_summary(shown, project(usage, readings, ctx.now), usage.resets_at or end, ctx.tz),
        note=_note(len(readings), ctx, f"in the last {words}"),
        scope=shown,
    )


def _bounds(usage: ScopeUsage, fetched_at: dt.datetime, ctx: Context,
            tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The current period: from its start (the calendar's) to the reset."""
    if usage.period is Period.CYCLE:
        return fetched_at - CYCLE_LOOKBACK, usage.resets_at or fetched_at
    start = period_start(usage.period, fetched_at, tz)
    return start, usage.resets_at or period_end(usage.period, fetched_at, tz)


def _since_reset(readings: list[tuple[dt.datetime, float]]) -> list[tuple[dt.datetime, float]]:
    """The readings after the last fall in ``used`` (a cycle's reset)."""
    for index in range(len(readings) - 1, 0, -1):
        if readings[index][1] < readings[index - 1][1]:
            return readings[index:]
    return readings


def _series(readings: list[tuple[dt.datetime, float]], start: dt.datetime,
            shift: dt.timedelta = dt.timedelta(0)) -> Series:
    return Series(tuple((at + shift - start).total_seconds() for at, _ in readings),
                  tuple(used for _, used in readings))


def _previous(ctx: Context, usage: ScopeUsage, start: dt.datetime, tz: ZoneInfo) -> Series:
    """The period before, on this period's axis (a cycle's is not known: none)."""
    if usage.period is Period.CYCLE:
        return Series()
    before = period_start(usage.period, start - dt.timedelta(seconds=1), tz)
    readings = [(at, used) for at, used in ctx.store.scope_history(usage.name, before) if at < start]
    return _series(readings, start, start - before) if len(readings) >= MIN_READINGS else Series()


def _projection_line(readings, outlook: Projection, start: dt.datetime, end: dt.datetime) -> Series:
    """From the latest reading to the usage expected at the reset."""
    if not readings or outlook.projected_at_reset is None or outlook.reached:
        return Series()
    last_at, last = readings[-1]
    return Series(((last_at - start).total_seconds(), (end - start).total_seconds()),
                  (last, outlook.projected_at_reset))


def _ticks(period: Period, start: dt.datetime, span: float, tz: ZoneInfo) -> tuple[tuple[float, str], ...]:
    form = {Period.MINUTE: "%H:%M:%S", Period.HOURLY: "%H:%M", Period.DAILY: "%H:%M"}.get(period, "%b %d")
    steps = [span * index / (TICKS - 1) for index in range(TICKS)]
    return tuple((at, (start + dt.timedelta(seconds=at)).astimezone(tz).strftime(form)) for at in steps)


def _label(usage: ScopeUsage, at: dt.datetime, used: float, tz: ZoneInfo) -> str:
    """'14:37:05 UTC  66 / 72 (91.7%)': one reading, exactly."""
    local = at.astimezone(tz)
    stamp = local.strftime("%Y-%m-%d %H:%M:%S" if usage.period in (Period.MONTHLY, Period.CYCLE)
                           else "%H:%M:%S")
    unit = usage.unit
    figures = unit.with_name(used)
    if usage.limit:
        figures = f"{unit.text(used)} / {unit.with_name(usage.limit)} ({100 * used / usage.limit:.1f}%)"
    return f"{stamp} {local.tzname()}  {figures}"


def _summary(shown: ScopeView, outlook: Projection, end: dt.datetime, tz: ZoneInfo) -> str:
    """'66 / 72 requests · 91.7% · red · limit in 12m · resets 15:00 UTC · at 24.1/h'."""
    usage = shown.usage
    parts = [usage.unit.with_name(usage.used) if not usage.limit else
             f"{usage.unit.text(usage.used)} / {usage.unit.with_name(usage.limit)}"]
    if usage.percent is not None:
        parts += [f"{usage.percent:.1f}%", shown.level.value]
    if outlook.text:
        parts.append(outlook.text)
    if outlook.projected_at_reset is not None and usage.limit:
        parts.append(f"est. {usage.unit.compact(outlook.projected_at_reset)} at reset")
    if outlook.rate_per_hour is not None:
        parts.append(f"{usage.unit.compact(outlook.rate_per_hour)}/h")
    local = end.astimezone(tz)
    parts.append(f"resets {local:%Y-%m-%d %H:%M} {local.tzname()}")
    parts.append(f"as of {utc_text(shown.fetched_at)}")
    return " · ".join(parts)


def _note(readings: int, ctx: Context, when: str = "of this period") -> str:
    if readings >= MIN_READINGS:
        return ""
    have = "No reading" if not readings else "Only one reading"
    return (f"{have} {when} is stored: a curve needs {MIN_READINGS}. "
            "They come with each poll (or `usage-top collect`).")
