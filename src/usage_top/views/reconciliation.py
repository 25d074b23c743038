"""The reconciliation view's model: the vendor's cost beside usage-top's estimate.

Vendor-neutral: the provider's ``Capabilities.reconcile`` does the arithmetic on
stored figures (its own measures and dimensions); this module only picks the
period and writes the lines, for the screen (``R``) and ``report`` alike. A line
whose vendor cost or estimate is unknown says "—", and the difference with it;
items without a price are listed, never priced as 0 (the estimate is then a
lower bound, and the view says so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from usage_top.domain.measures import MISSING, Unit
from usage_top.views.context import Context


@dataclass(frozen=True)
class ReconLine:
    name: str
    cost: str
    estimate: str
    difference: str
    percent: str
    """The difference as a percentage of the estimate."""


@dataclass(frozen=True)
class ReconciliationView:
    title: str
    headers: tuple[str, ...]
    total: ReconLine
    groups: tuple[ReconLine, ...]
    unpriced: tuple[str, ...]
    notes: tuple[str, ...]
    result: Any
    """The provider's reconciliation, for JSON."""
    unit: Unit


def reconciliation_view(ctx: Context, start: dt.date | None = None,
                        end: dt.date | None = None) -> ReconciliationView | None:
    """The period's reconciliation (the selected range by default); None where the
    provider has none."""
    caps, store = ctx.capabilities, ctx.store
    if caps.reconcile is None:
        return None
    if start is None or end is None:
        start, end = ctx.dates
    rows = {dimension.kind: store.item_breakdown(dimension.kind, start, end)
            for dimension in caps.dimensions}
    result = caps.reconcile(start, end, store.totals(start, end), rows)
    unit = ctx.primary.unit
    notes = [result.note] if getattr(result, "note", "") else []
    if result.unpriced:
        notes.append("not priced, so in no estimate (a lower bound): " + ", ".join(result.unpriced))
    zone = ctx.day_tz.key if hasattr(ctx.day_tz, "key") else str(ctx.day_tz)
    return ReconciliationView(
        title=f"Reconciliation · {ctx.range_label} · {start:%b %d} → {end:%b %d} ({zone} days)",
        headers=(result.group_label, f"{ctx.primary.label} (vendor)", "Estimate (est.)",
                 "Difference", "% of est."),
        total=_line(result.total, unit),
        groups=tuple(_line(line, unit) for line in result.groups),
        unpriced=tuple(result.unpriced),
        notes=tuple(notes),
        result=result,
        unit=unit,
    )


def _line(line: Any, unit: Unit) -> ReconLine:
    difference = line.difference
    percent = (MISSING if difference is None or not line.estimate
               else f"{100 * difference / line.estimate:+.1f}%")
    signed = MISSING if difference is None else ("+" if difference > 0 else "") + unit.text(difference)
    estimate = MISSING if line.estimate is None else f"{unit.text(line.estimate)} est."
    return ReconLine(line.name, unit.text(line.cost), estimate, signed, percent)


def reconciliation_json(view: ReconciliationView) -> dict[str, Any]:
    """The reconciliation as ``report --json`` writes it: figures as numbers, null
    where unknown, the estimate under its own name."""
    result = view.result

    def line(item: Any) -> dict[str, Any]:
        return {"id": item.id, "name": item.name, "cost": item.cost, "cost_est": item.estimate,
                "difference": item.difference}

    return {"start": result.start.isoformat(), "end": result.end.isoformat(),
            "currency": view.unit.name, "total": line(result.total),
            "groups": [line(item) for item in result.groups],
            "unpriced": list(result.unpriced), "complete": not result.unpriced,
            "estimate_note": getattr(result, "note", "")}


def reconciliation_text(view: ReconciliationView) -> list[str]:
    """The reconciliation as ``report`` prints it: a title, a table, the notes."""
    rows = [view.headers, *((g.name, g.cost, g.estimate, g.difference, g.percent) for g in view.groups),
            ("Total", view.total.cost, view.total.estimate, view.total.difference, view.total.percent)]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(view.headers))]
    lines = [view.title]
    for row in rows:
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(cell).rjust(width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  " + "  ".join(cells))
    lines += [f"  {note}" for note in view.notes]
    return lines
