"""What one date range looks like: totals, keys and the first dimension's items.

The store answers per-grain queries; this module assembles them into the figures
a range shows (for the whole account or one key) and computes the derived ones,
shares of the totals and the provider's ratio, so the report, the exports and the
dashboard can never disagree about a number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from usage_top.domain.capabilities import Capabilities, Ratio
from usage_top.domain.measures import Figures, share
from usage_top.domain.model import Usage

if TYPE_CHECKING:  # views are data: a widget importing them does not load the store
    from usage_top.store import Store


@dataclass(frozen=True)
class RangeView:
    """Totals, keys and dimension items of one date range, optionally for one key.

    ``kind`` is the dimension ``by_item`` lists (None when the provider has none);
    ``by_key`` is empty when the provider reports no per-key figures.
    """

    start: dt.date
    end: dt.date
    key: str | None
    totals: dict[str, float]
    by_key: list[Usage]
    by_item: list[Usage]
    kind: str | None
    top_only: bool = True
    """The vendor lists its top keys and items only (``Capabilities.top_rows``): what
    they leave of the totals is an "other" row."""

    @property
    def empty(self) -> bool:
        """Nothing used in the range (every stored figure is 0 or absent)."""
        return not any(self.totals.values())

    def share(self, row: Usage, measure: str) -> float | None:
        """``row``'s part of the range's ``measure``, in percent (None when unknown)."""
        return share_of(row.figures, self.totals, measure)

    @property
    def other_keys(self) -> dict[str, float]:
        """What the listed keys leave of the totals (vendors list the top keys only)."""
        return unlisted(self.by_key, self.totals) if self.key is None and self.top_only else {}

    @property
    def other_items(self) -> dict[str, float]:
        """What the listed items leave of the totals, where the vendor lists its top
        ones only (elsewhere a gap is two readings moments apart, not unlisted rows)."""
        return unlisted(self.by_item, self.totals) if self.top_only else {}


def sort_order(capabilities: Capabilities) -> tuple[str, ...]:
    """Rows are ranked by the primary measure, then by activity."""
    return tuple(dict.fromkeys((capabilities.primary, capabilities.activity)))


def range_view(
    store: Store, capabilities: Capabilities, start: dt.date, end: dt.date, key: str | None = None
) -> RangeView:
    """Everything a range shows, read from the store in a few indexed queries.

    With ``key``, the totals and items are that key's, and the key table holds it
    alone (so its shares are 100%).
    """
    order = sort_order(capabilities)
    by_key: list[Usage] = []
    if capabilities.key_breakdown:
        by_key = store.key_breakdown(start, end, order_by=sort_order(capabilities.per_key()))
        if key is not None:
            by_key = [row for row in by_key if row.id == key]
    dimension = capabilities.dimension
    kind = dimension.kind if dimension is not None else None
    by_item = store.item_breakdown(kind, start, end, key, order_by=order) if kind else []
    return RangeView(start, end, key, store.totals(start, end, key), by_key, by_item, kind,
                     top_only=bool(capabilities.top_rows))


OTHER_KEYS = "(other keys)"
"""The key column of the row that holds what the listed keys leave of the totals."""

OTHER_ROW = "\x00other"
"""The id of a table's "other" row (no vendor's key or item id has a NUL)."""


def with_other(rows: list[Usage], rest: Figures, name: str) -> list[Usage]:
    """``rows`` and, where they fall short of the totals, an "other" row last holding
    the difference (``unlisted``), named ``name`` ("Other keys")."""
    return [*rows, Usage(OTHER_ROW, name, dict(rest))] if rest else rows


def other_hint(capabilities: Capabilities, what: str = "keys") -> str:
    """Said with an "other keys" row: why the listed rows fall short of the totals."""
    top = capabilities.top_rows
    return f"the vendor lists its top {top} {what} only" if top else (
        f"the vendor lists its top {what} only")


def unlisted(rows: list[Usage], totals: Figures) -> dict[str, float]:
    """The vendor's totals less what ``rows`` list, per measure, never negative: the
    "other keys" / "other items" row (shared by the tables, report, export and metrics).

    Empty when the rows add up to the totals (or there are no rows to be short of)."""
    if not rows:
        return {}
    listed: dict[str, float] = {}
    for row in rows:
        for measure, value in row.figures.items():
            listed[measure] = listed.get(measure, 0.0) + value
    rest = {measure: max(0.0, total - listed.get(measure, 0.0))
            for measure, total in totals.items() if measure in listed}
    return rest if any(value > 1e-9 for value in rest.values()) else {}


def share_of(figures: Figures, totals: Figures, measure: str) -> float | None:
    """One row's ``measure`` as a percentage of the totals' (``measures.share``)."""
    return share(figures.get(measure), totals.get(measure))


def ratio_of(ratio: Ratio, figures: Figures) -> float | None:
    """The provider's per-unit figure of one row (cost per call): None when the
    numerator or every denominator measure is absent, 0 when nothing was counted."""
    numerator = figures.get(ratio.numerator)
    below = [figures[measure] for measure in ratio.denominator if measure in figures]
    if numerator is None or not below:
        return None
    return ratio.scale * numerator / sum(below) if sum(below) else 0.0
