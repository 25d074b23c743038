"""The dashboard's view model: cards, the 30-day chart, the item and key tables.

Built from one store snapshot (the App holds it open), so the screen only
renders: it neither queries the store nor computes a figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from usage_top.domain.measures import Figures
from usage_top.domain.model import DayFigures, Period, Usage
from usage_top.domain.parts import DAYS
from usage_top.domain.periods import period_start
from usage_top.oncall.anomaly import anomalous_keys
from usage_top.oncall.projection import first_to_run_out, projections
from usage_top.views import readings
from usage_top.views.context import Context
from usage_top.views.ranges import range_view, with_other
from usage_top.views.readings import daily_points
from usage_top.views.scopes import ScopeView, scope_views


@dataclass(frozen=True)
class CardView:
    """One scope card: the reading, the filtered key's part, the outlook."""

    scope: ScopeView
    key_share: str = ""
    """With a key filter: that key's part of this scope, e.g. 'key: 1,204 (9.8%)'."""
    projection: str = ""
    first_out: bool = False
    state: str = ""
    """What went wrong with this scope at the last poll (credits exhausted); '' when fine."""


@dataclass(frozen=True)
class ChartView:
    """A daily chart: the days, the measure counted, where the selected range starts."""

    points: tuple[DayFigures, ...]
    metric: str
    highlight_from: dt.date | None = None
    source: str = ""
    """'from readings' where the days are built from stored readings, not the vendor's."""


@dataclass(frozen=True)
class DashboardView:
    cards: list[CardView]
    chart: ChartView
    caption: str
    """The range, as the tables' titles say it: 'last 7 days'."""
    totals: Figures
    items: list[Usage] | None
    """Rows of the provider's first dimension; None when it reports no breakdown. Where
    the rows fall short of the totals, an "other" row (``ranges.OTHER_ROW``) comes last."""
    keys: list[Usage] | None
    """Per-key rows; None when the provider has no per-key figures. With an "other" row
    as ``items``."""
    items_note: str = ""
    keys_note: str = ""
    """Said in the table's title after the caption when it has an "other" row: why."""
    flagged: set[str] = field(default_factory=set)
    empty: str = ""
    """What stands in place of the tables when there is nothing to list."""


def dashboard_view(ctx: Context, loading_key: str | None = None) -> DashboardView:
    """Everything the dashboard shows for the context's range, key and measure."""
    caps, store = ctx.capabilities, ctx.store
    start, end = ctx.dates
    view = range_view(store, caps, start, end, ctx.key)
    metric = caps.per_key().own_metric(ctx.measure.id) if ctx.key else ctx.measure.id
    chart = ChartView(daily_points(ctx, ctx.chart_start, ctx.today, ctx.key), metric, start,
                      readings.SOURCE if caps.days_from_readings else "")
    flagged = (set(anomalous_keys(store, caps.per_key().primary, ctx.today, ctx.anomaly_multiple))
               if caps.key_breakdown else set())
    plural = caps.dimension.plural if caps.dimension else ""
    items = with_other(view.by_item, view.other_items, f"Other {plural.lower()}")
    keys = with_other(view.by_key, view.other_keys, "Other keys")
    top = f"vendor lists top {caps.top_rows}" if caps.top_rows else "the rest not listed"
    return DashboardView(
        cards=cards(ctx),
        chart=chart,
        caption=ctx.range_label + (" · stale: last stored" if DAYS in ctx.stale else ""),
        totals=view.totals,
        items=items if caps.dimension else None,
        keys=keys if caps.key_breakdown else None,
        items_note=top if len(items) > len(view.by_item) else "",
        keys_note=top if len(keys) > len(view.by_key) else "",
        flagged=flagged,
        empty=_empty(ctx, view.empty, bool(view.by_item), loading_key),
    )


def cards(ctx: Context) -> list[CardView]:
    """The scope cards in the provider's order, with projections and the key's part."""
    outlook = projections(ctx.store, ctx.now)
    scopes = scope_views(ctx.store, ctx.thresholds)
    over = {scope.usage.name for scope in scopes if scope.over}  # their cards say "over"
    first = first_to_run_out({name: p for name, p in outlook.items() if name not in over})
    shown = []
    for scope in scopes:
        name = scope.usage.name
        projection = outlook.get(name)
        shown.append(CardView(scope, _key_share(ctx, scope), projection.text if projection else "",
                              name == first, ctx.scope_states.get(name, "")))
    return shown


def _key_share(ctx: Context, scope: ScopeView) -> str:
    """The filtered key's part of a daily or monthly scope that keys use."""
    usage = scope.usage
    if ctx.key is None or usage.measure is None:
        return ""  # a scope keys do not count towards (a portal's, a budget's)
    if usage.period not in (Period.DAILY, Period.MONTHLY):
        return "key: not split by key"
    first = period_start(usage.period, ctx.now, ctx.day_tz).astimezone(ctx.day_tz).date()
    used = ctx.store.totals(first, ctx.today, ctx.key).get(usage.measure)
    if used is None:
        return "key: —"
    part = f" ({100 * used / usage.used:.1f}%)" if usage.used else ""
    return f"key: {usage.unit.text(used)}{part}"


def _empty(ctx: Context, empty: bool, has_items: bool, loading_key: str | None) -> str:
    caps = ctx.capabilities
    if not caps.has_days:
        chart = "\nThe chart is built from the cards' readings." if caps.days_from_readings else ""
        return f"This vendor reports no breakdown by key or by item:\nonly the totals above.{chart}"
    if ctx.key and loading_key == ctx.key and not has_items:
        return f"Fetching usage of key {ctx.key}…"
    return "No API activity in this range" if empty else ""
