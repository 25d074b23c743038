"""View models of the drilldowns: one API key, and one dimension item.

Answer "which key is burning our budget, on what, since when": a key's items
and daily series, an item's keys and daily series. Their data is fetched on
demand by the App and cached in the store; these only read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from usage_top.domain.format import last_used_text, short_key
from usage_top.domain.measures import MISSING, Figures, Measure, UnitKind
from usage_top.domain.model import DayFigures, Usage
from usage_top.oncall.anomaly import anomalous_keys, baseline_range
from usage_top.views.context import Context
from usage_top.views.ranges import ratio_of, share_of, sort_order, unlisted, with_other


def per_day(measure: Measure, value: float) -> str:
    """'4,450 credits/day', '$12.40/day'."""
    figure = measure.unit.rounded(value)
    text = f"{figure}/day" if measure.unit.kind is UnitKind.MONEY else f"{figure} {measure.label.lower()}/day"
    return measure.labelled(text, value)


def figures_text(ctx: Context, figures: Figures, labels: dict[str, str] | None = None,
                 per_key: bool = False) -> str:
    """'1,234 requests, 567 credits': every shown measure (``per_key``: every one keys
    have) with its (table) label."""
    labels = labels or {}
    parts = []
    caps = ctx.capabilities.per_key() if per_key else ctx.capabilities
    for measure in caps.shown_measures:
        label = labels.get(measure.id)
        named = measure if label is None else Measure(measure.id, label, measure.unit, estimate=measure.estimate)
        parts.append(named.with_label(figures))
    return ", ".join(parts)


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


@dataclass(frozen=True)
class KeyView:
    key: str
    figures: str
    """The key's figures over the range: '1,234 requests, 567 credits'."""
    account_share: str
    """'12.3% of the account's credits'."""
    last_used: str
    burn: str
    """'Burn: 4,450 credits/day (average of Nov 11–17, …), 1,204 so far today'."""
    flag: str
    """'⚑ today 3.1× the median of those days' when today is an anomaly, else ''."""
    points: tuple[DayFigures, ...]
    items: list[Usage]
    totals: Figures
    """The key's own totals: what its items' shares are of."""
    caption: str


def key_view(ctx: Context, key: str, loading: bool) -> KeyView:
    store, caps = ctx.store, ctx.capabilities
    start, end = ctx.dates
    row = next((r for r in store.key_breakdown(start, end, order_by=sort_order(caps)) if r.id == key), None)
    mine = row.figures if row else {}
    account = store.totals(start, end)
    primary = caps.measure(caps.per_key().primary)
    points = tuple(store.daily_series(ctx.chart_start, ctx.today, key))
    kind = caps.dimension.kind if caps.dimension else None
    items = store.item_breakdown(kind, start, end, key, order_by=sort_order(caps)) if kind else []
    return KeyView(
        key=key,
        figures=f"{ctx.range_label}: {figures_text(ctx, mine, per_key=True)}",
        account_share=f"{percent_text(share_of(mine, account, primary.id))} of the account's "
                      f"{primary.label.lower()}",
        last_used=_last_used(ctx, row),
        burn=_burn(primary, ctx.today, points),
        flag=_flag(ctx, key),
        points=points,
        items=items,
        totals=store.totals(start, end, key),
        caption=f"{ctx.range_label} · {'fetching…' if loading and not items else 'this key'}",
    )


def _last_used(ctx: Context, row: Usage | None) -> str:
    """When the key was last used; '—' where the vendor does not say."""
    if not ctx.capabilities.key_last_used:
        return MISSING
    return last_used_text(row.last_used, ctx.now, ctx.tz) if row else "never"


def _burn(primary: Measure, today: dt.date, points: tuple[DayFigures, ...]) -> str:
    """The key's 7-day average of its primary measure (the same days the anomaly
    baseline uses) and what it has used so far today."""
    first, last = baseline_range(today)
    week = [p.figures.get(primary.id) or 0.0 for p in points if first <= p.day <= last]
    today_value = next((p.figures.get(primary.id) or 0.0 for p in points if p.day == today), 0.0)
    average = per_day(primary, sum(week) / len(week)) if week else per_day(primary, 0)
    return (f"Burn: {average} (average of {_days_text(first, last)}, the 7 days before "
            f"today), {primary.cell(today_value)} so far today")


def _days_text(first: dt.date, last: dt.date) -> str:
    """'Nov 11–17', 'Nov 28–Dec 04': the window said once, by its dates."""
    end = last.strftime("%d") if last.month == first.month else last.strftime("%b %d")
    return f"{first:%b %d}–{end}"


def _flag(ctx: Context, key: str) -> str:
    flagged = anomalous_keys(ctx.store, ctx.capabilities.per_key().primary, ctx.today,
                             ctx.anomaly_multiple).get(key)
    if not flagged:
        return ""
    spent, median = flagged
    return f"⚑ today {spent / median:.1f}× the median of those days"


@dataclass(frozen=True)
class ItemView:
    kind: str
    item: str
    name: str
    figures: str
    ratio: str
    """'0.45 credits per call' ('' when the provider declares no ratio)."""
    share: str
    """'12.3% of the account's credits' (or of the filtered key's)."""
    points: tuple[DayFigures, ...]
    keys: list[Usage]
    key_totals: Figures
    """What the keys' shares are of: the item's own figures."""
    caption: str


def item_view(ctx: Context, kind: str, item: str, key: str | None, loading: bool) -> ItemView:
    """One item of a dimension (an endpoint, a model) for the range, of one key if given."""
    store, caps = ctx.store, ctx.capabilities
    start, end = ctx.dates
    rows = store.item_breakdown(kind, start, end, key, order_by=sort_order(caps))
    row = next((r for r in rows if r.id == item), None)
    mine = row.figures if row else {}
    whole = mine if key is None else next(  # the keys' shares are of all the item's use
        (r.figures for r in store.item_breakdown(kind, start, end) if r.id == item), {})
    whose = f"key {short_key(key)}'s" if key else "the account's"
    primary = caps.measure(caps.per_key().primary) if key else ctx.primary  # a key's: its own
    cached = store.item_keys(kind, item, start, end)
    fetching = loading and cached is None
    listed = cached[0] if cached else []
    # beyond the vendor's top; a vendor listing every key: a gap is two readings apart
    keys = with_other(listed, unlisted(listed, whole), "Other keys") if caps.top_rows else listed
    note = f" · vendor lists top {caps.top_rows}" if len(keys) > len(listed) and caps.top_rows else ""
    return ItemView(
        kind=kind,
        item=item,
        name=row.name if row else item,
        figures=f"{ctx.range_label}: {figures_text(ctx, mine, caps.labels, per_key=key is not None)}",
        ratio=_ratio_text(ctx, mine),
        share=f"{percent_text(share_of(mine, store.totals(start, end, key), primary.id))} of "
              f"{whose} {primary.label.lower()}",
        points=tuple(store.item_series(kind, item, ctx.chart_start, ctx.today, key)),
        keys=keys,
        key_totals=whole,
        caption=f"{ctx.range_label} · {'fetching…' if fetching else 'keys calling it'}{note}",
    )


def _ratio_text(ctx: Context, figures: Figures) -> str:
    ratio = ctx.capabilities.ratio
    if ratio is None:
        return ""
    value = ratio_of(ratio, figures)
    if value is None:  # nothing to divide (an unpriced model has no estimate): not 0
        return f"{MISSING} {ratio.phrase or ratio.label}"
    text = f"{value:.{ratio.digits}f} {ratio.phrase or ratio.label}"
    return ctx.capabilities.measure(ratio.numerator).labelled(text, value)
