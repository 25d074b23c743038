"""The billing view's model: balance, cycle dates, this cycle against the last.

The cycle comes from the provider's billing dates, or the calendar month when it
has not said; what each cycle used comes from the stored days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from usage_top.domain.format import age_text
from usage_top.domain.model import Billing, DayFigures
from usage_top.views import readings
from usage_top.views.context import Context
from usage_top.views.readings import daily_points


CHART_MIN_DAYS = 14
"""Days the chart shows at least: early in a cycle, its days beside the ones before it
(one day alone would be one bar the chart's whole width)."""


def cycle_bounds(billing: Billing | None, today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """(previous cycle start, current cycle start, next refill)."""
    start = billing.cycle_start if billing and billing.cycle_start else today.replace(day=1)
    refill = billing.cycle_end if billing and billing.cycle_end else _add_month(start)
    return _add_month(start, -1), start, refill


def _add_month(day: dt.date, months: int = 1) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


def previous_cycle(ctx: Context) -> tuple[dt.date, dt.date]:
    """The days of the previous cycle: what the App fetches when they are missing."""
    cached = ctx.store.latest_billing()
    previous, start, _ = cycle_bounds(cached[0] if cached else None, ctx.today)
    return previous, start - dt.timedelta(days=1)


@dataclass(frozen=True)
class CycleRow:
    """One billing cycle's usage as far as the store has it, as the table shows it."""

    label: str
    dates: str
    figures: list[str]
    """Each shown measure's figure, then the primary measure per day."""
    note: str


@dataclass(frozen=True)
class BillingView:
    summary: list[tuple[str, str, bool]]
    """(label, value, emphasised) parts: ('Plan ', 'Growth', True)…; empty before the
    first billing reading."""
    as_of: str
    headers: list[str]
    cycles: list[CycleRow]
    points: tuple[DayFigures, ...]
    highlight_from: dt.date
    """The cycle's first day: the days before it (shown early in a cycle) are muted."""
    metric: str
    chart_title: str
    prices: list[tuple[str, str]]
    """(action, what it costs) from the vendor's pricing table; empty when it gives none."""
    source: str = ""
    """'from readings' where the days are built from stored readings."""


def billing_view(ctx: Context) -> BillingView:
    store, primary, today = ctx.store, ctx.primary, ctx.today
    cached = store.latest_billing()
    billing, fetched_at = cached if cached else (None, None)
    previous, start, refill = cycle_bounds(billing, today)
    current = _cycle(ctx, "This cycle", start, today, today, refill)
    last = _cycle(ctx, "Previous cycle", previous, start - dt.timedelta(days=1), today, refill)
    shown = ctx.capabilities.shown_measures
    chart_start = min(start, today - dt.timedelta(days=CHART_MIN_DAYS - 1))
    return BillingView(
        summary=_summary(ctx, billing, today, refill),
        as_of=f"as of {age_text((ctx.now - fetched_at).total_seconds())} ago" if fetched_at else "",
        headers=["Cycle", "Dates", *(m.label for m in shown), f"{primary.label}/day", "Note"],
        cycles=[current, last],
        points=daily_points(ctx, chart_start, today),
        highlight_from=start,
        metric=primary.id,
        chart_title=f"Daily {primary.label.lower()} · this cycle since {start:%b %d}"
                    + (" (bright)" if chart_start < start else "")
                    + (f" · {readings.SOURCE}" if ctx.capabilities.days_from_readings else ""),
        prices=[(action, primary.unit.with_name(price))
                for action, price in sorted(billing.prices.items())] if billing else [],
        source=readings.SOURCE if ctx.capabilities.days_from_readings else "",
    )


def _summary(ctx: Context, billing: Billing | None, today: dt.date,
             refill: dt.date) -> list[tuple[str, str, bool]]:
    if billing is None:
        return []
    unit = ctx.primary.unit
    parts = [("Plan ", billing.plan or "unknown", True)]
    if billing.balance is not None:
        parts.append(("  ·  balance ", unit.with_name(billing.balance), True))
    if billing.topup is not None:
        parts.append(("  ·  top-up ", unit.text(billing.topup), False))
    if billing.cycle_allowance is not None:
        parts.append(("  ·  allowance ", f"{unit.text(billing.cycle_allowance)}/cycle", False))
    if billing.cycle_start is not None:
        parts.append(("  ·  cycle from ", f"{billing.cycle_start:%b %d}", False))
    parts.append(("  ·  next refill ", f"{refill:%b %d} (in {(refill - today).days} d)", False))
    return parts


def _cycle(ctx: Context, label: str, start: dt.date, end: dt.date, today: dt.date,
           refill: dt.date) -> CycleRow:
    days = (end - start).days + 1
    if ctx.capabilities.days_from_readings:  # the vendor's own count of the cycle, else nothing
        used = readings.latest_used(ctx) if label == "This cycle" else None
        totals = {} if used is None else {ctx.primary.id: used}
        stored = days if totals else 0
    else:
        totals = ctx.store.totals(start, end)
        stored = len(ctx.store.fetched_days("breakdown", "", start, end))
    primary = ctx.primary
    used = totals.get(primary.id)
    rate = _rate(ctx, label, start, end, today, used)
    figures = [m.unit.text(totals.get(m.id)) for m in ctx.capabilities.shown_measures]
    figures.append(primary.unit.rounded(rate))
    return CycleRow(label, f"{start:%b %d} → {end:%b %d}", figures,
                    _note(ctx, label, used, rate, stored, days, (refill - start).days, refill))


def _rate(ctx: Context, label: str, start: dt.date, end: dt.date, today: dt.date,
          used: float | None) -> float | None:
    """The cycle's use per day over its complete days: today, not over yet, would make a
    partial day count as a whole one. None before a complete day."""
    if used is None:
        return None
    if label == "Previous cycle":
        return used / ((end - start).days + 1)
    complete = (today - start).days
    if complete < 1:
        return None
    if ctx.capabilities.days_from_readings:  # only the cycle's count so far is known
        return used / (complete + 1)
    before = ctx.store.totals(start, today - dt.timedelta(days=1)).get(ctx.primary.id)
    return None if before is None else before / complete


def _note(ctx: Context, label: str, used: float | None, rate: float | None, stored: int,
          days: int, cycle_days: int, refill: dt.date) -> str:
    if label == "Previous cycle":
        return f"partial: {stored}/{days} days stored" if stored < days else ""
    if used is None:
        return ""
    if rate is None:
        return "too early to project: no complete day in this cycle yet"
    projected = max(used, rate * cycle_days)
    return f"≈ {ctx.primary.unit.rounded(projected)} by {refill:%b %d} at this rate"
