"""The JSON of scopes and usage rows: ``report --json``, ``export`` and the TUI's exports.

One module so the CLI and the dashboard write the same fields the same way, and
neither imports the other. Figures are numbers as their unit calls for: counts
whole (``int``), amounts and money as the vendor wrote them (45, not 45.0), a
figure the vendor does not report ``null``. Rows carry every measure the provider
declares, its ratio when it declares one, and a ``percent_of_<measure>`` share of
the range's totals per measure. Moments are UTC text (``format.utc_text``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from usage_top.domain.capabilities import Capabilities
from usage_top.domain.format import utc_text, whole
from usage_top.domain.measures import Figures, Unit, UnitKind
from usage_top.domain.model import DayFigures, Usage
from usage_top.views.ranges import OTHER_KEYS, OTHER_ROW, ratio_of, share_of
from usage_top.views.scopes import ScopeView

FORMATS = ("csv", "json")
_AMOUNT_DIGITS = 6
"""Sums of fractional amounts are rounded this far, so float noise never shows."""


def figure(value: float | None, unit: Unit) -> float | int | None:
    """A figure as a JSON number: whole for counts, as written for amounts, null if absent."""
    if value is None:
        return None
    if unit.kind is UnitKind.COUNT:
        return round(value)
    return whole(round(value, _AMOUNT_DIGITS))


def figures_json(figures: Figures, capabilities: Capabilities) -> dict[str, float | int | None]:
    """Every declared measure by id, in the provider's order."""
    return {m.id: figure(figures.get(m.id), m.unit) for m in capabilities.measures}


def shares_json(
    figures: Figures, totals: Figures, capabilities: Capabilities
) -> dict[str, float | None]:
    """``percent_of_<measure>`` for every declared measure, against ``totals``."""
    return {f"percent_of_{m.id}": _rounded(share_of(figures, totals, m.id), 3)
            for m in capabilities.measures}


def item_json(row: Usage, totals: Figures, capabilities: Capabilities) -> dict[str, Any]:
    """A dimension item: ``id`` ('' for unmapped usage is null), name, figures, ratio, shares."""
    document: dict[str, Any] = {"id": None if row.id == OTHER_ROW else row.id or None, "name": row.name,
                                **figures_json(row.figures, capabilities)}
    ratio = capabilities.ratio
    if ratio is not None:
        value = _rounded(ratio_of(ratio, row.figures), 4)
        document[ratio.key] = None if value is None else whole(value)  # 30, not 30.0
    return document | shares_json(row.figures, totals, capabilities)


def key_json(row: Usage, totals: Figures, capabilities: Capabilities,
             tz: tzinfo | None = None) -> dict[str, Any]:
    """A key: the masked key, its display name when it has one, figures, last use, shares.
    ``tz``: the last use in that zone, with its offset (as the screen shows it), not UTC."""
    document: dict[str, Any] = {"key": OTHER_KEYS if row.id == OTHER_ROW else row.id}
    if row.name and row.name != row.id:
        document["name"] = row.name
    document |= figures_json(row.figures, capabilities)
    document["last_used"] = (utc_text(row.last_used) if tz is None or row.last_used is None
                             else row.last_used.astimezone(tz).isoformat(timespec="seconds"))
    return document | shares_json(row.figures, totals, capabilities)


def day_json(day: DayFigures, capabilities: Capabilities) -> dict[str, Any]:
    """One day of a series: the date and every declared measure."""
    return {"day": day.day.isoformat(), **figures_json(day.figures, capabilities)}


def scope_json(view: ScopeView) -> dict[str, Any]:
    """A scope's latest reading with its level; used and limit in the scope's unit."""
    usage = view.usage
    return {
        "scope": usage.scope,
        "period": usage.period.value,
        "used": figure(usage.used, usage.unit),
        "limit": figure(usage.limit, usage.unit),
        "percent": _rounded(usage.percent, 2),
        "level": view.level.value,
        "rate_limit_per_minute": None if usage.rate_limit_per_minute is None
        else whole(usage.rate_limit_per_minute),
        "resets_at": utc_text(usage.resets_at),
        "refreshed_at": utc_text(usage.refreshed_at),
        "fetched_at": utc_text(view.fetched_at),
    }


def estimates_json(capabilities: Capabilities) -> list[str]:
    """The fields whose figures usage-top estimated (tokens x a price table), not the
    vendor's: the metadata's "est." label (the field names also say ``est``)."""
    fields = [m.id for m in capabilities.measures if m.estimate]
    ratio = capabilities.ratio
    if ratio is not None and ratio.numerator in fields:
        fields.append(ratio.key)
    return fields


def units_json(capabilities: Capabilities) -> dict[str, str]:
    """Measure id -> its unit's name ("requests", "tokens", "USD"): the metadata that
    says what the numbers count and, for money, in which currency."""
    return {m.id: m.unit.name for m in capabilities.measures}


SHOWN_COLUMNS = ("range_start", "range_end", "timezone", "key_filter", "row_filter",
                 "data_from_utc")
"""What a screen's CSV export adds to every row from its meta (a CSV has no header to
say it once): the dates and zone shown, the filters, and when the figures were fetched."""


def with_shown(rows: Sequence[dict[str, Any]], meta: dict[str, Any]) -> list[dict[str, Any]]:
    """``rows`` each with the ``SHOWN_COLUMNS`` of ``meta`` after their own."""
    shown = {"range_start": meta["start"], "range_end": meta["end"]} | {
        column: meta.get(column) for column in SHOWN_COLUMNS[2:]}
    return [row | shown for row in rows]


def render(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, meta: dict[str, Any]
) -> str:
    """CSV (a header row, then the rows; null as an empty cell) or JSON
    (``{"meta": …, "rows": […]}``)."""
    if fmt == "json":
        return json.dumps({"meta": meta, "rows": list(rows)}, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore",
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
