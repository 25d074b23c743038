"""Reconciliation: the vendor's cost beside the estimate from tokens x list prices.

No I/O: it reads figures already fetched (the adapter's day breakdowns) or stored
(the store's totals and workspace and model rows), so a view can show it for any
period. The two never agree exactly, and the gap is the point: batch-tier usage
is billed at half price, priority-tier usage is billed outside the cost report,
long-context requests cost more, and the price table may be out of date. A model
the table does not know has no estimate and is listed, never priced as 0; where
some are listed, the estimate is a lower bound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from usage_top.domain.measures import Figures, add
from usage_top.domain.model import Breakdown, Usage
from usage_top.providers.anthropic_capabilities import TOKEN_MEASURES
from usage_top.providers.prices import AS_OF


@dataclass(frozen=True)
class Line:
    """One row of the reconciliation: a workspace, or the whole organisation."""

    id: str
    name: str
    cost: float | None
    """The vendor's cost report (None: it reported nothing for the period)."""
    estimate: float | None
    """Tokens x list prices (None: no priced usage)."""

    @property
    def difference(self) -> float | None:
        """Vendor minus estimate: negative where the vendor billed less (batch, priority)."""
        if self.cost is None or self.estimate is None:
            return None
        return self.cost - self.estimate


@dataclass(frozen=True)
class Reconciliation:
    """A period's vendor cost and estimate, in total and per workspace."""

    start: dt.date
    end: dt.date
    total: Line
    workspaces: tuple[Line, ...]
    unpriced: tuple[str, ...]
    """Models with tokens but no price: their usage is in neither estimate."""

    group_label = "Workspace"
    """What a line of ``groups`` is (the reconciliation view's column header)."""
    note = (f"est. = tokens × list prices (table of {AS_OF:%Y-%m-%d}, overridable in the "
            "config); batch, priority and long-context pricing are not modelled")
    """Where the estimate comes from and why it differs, said under the table."""

    @property
    def groups(self) -> tuple[Line, ...]:
        """The lines below the total, as the vendor-neutral view reads them."""
        return self.workspaces

    @property
    def complete(self) -> bool:
        """Every model with usage was priced (the estimate is not a lower bound)."""
        return not self.unpriced


def reconcile(breakdowns: Sequence[Breakdown]) -> Reconciliation:
    """Reconcile the days of ``breakdowns`` (each one day, all keys) as one period."""
    if not breakdowns:
        raise ValueError("nothing to reconcile: no days given")
    totals: dict[str, float] = {}
    for breakdown in breakdowns:
        add(totals, breakdown.totals)
    return reconcile_rows(
        min(b.start for b in breakdowns),
        max(b.end for b in breakdowns),
        totals,
        _summed(b.by_dimension.get("workspace", ()) for b in breakdowns),
        _summed(b.by_dimension.get("model", ()) for b in breakdowns),
    )


def reconcile_rows(
    start: dt.date,
    end: dt.date,
    totals: Figures,
    workspaces: Sequence[Usage],
    models: Sequence[Usage],
) -> Reconciliation:
    """Reconcile a period from its totals and its workspace and model rows."""
    return Reconciliation(
        start=start,
        end=end,
        total=Line("", "Organisation", totals.get("cost"), totals.get("cost_est")),
        workspaces=tuple(Line(row.id, row.name, row.figures.get("cost"),
                              row.figures.get("cost_est")) for row in workspaces),
        unpriced=tuple(sorted(row.id or row.name for row in models if _unpriced(row.figures))),
    )


def reconcile_stored(
    start: dt.date, end: dt.date, totals: Figures, rows: Mapping[str, Sequence[Usage]]
) -> Reconciliation:
    """``Capabilities.reconcile``: a period from the store's totals and its workspace and
    model rows (``rows`` by dimension kind)."""
    return reconcile_rows(start, end, totals, rows.get("workspace", ()), rows.get("model", ()))


def _unpriced(figures: Figures) -> bool:
    return "cost_est" not in figures and any(figures.get(m, 0) > 0 for m in TOKEN_MEASURES)


def _summed(days: Iterable[Sequence[Usage]]) -> list[Usage]:
    """Rows of the same item over several days added into one, in id order."""
    rows: dict[str, tuple[str, dict[str, float]]] = {}
    for day in days:
        for row in day:
            _, figures = rows.setdefault(row.id, (row.name, {}))
            add(figures, row.figures)
    return [Usage(item, name, figures) for item, (name, figures) in sorted(rows.items())]
