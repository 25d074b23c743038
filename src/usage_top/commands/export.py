"""Exports: daily usage per key and dimension item (CLI), and where exported files go.

Days are the provider's days (the workspace's, or UTC buckets for a vendor that
counts in UTC); every row also says when its day starts and ends in UTC, in
columns whose names say so, and every file records when it was exported (UTC)
and, in its metadata, the dimension and the unit of each measure (the currency,
for money). At most 60 days per export, as the vendors' own exports allow.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from usage_top.domain.capabilities import Capabilities
from usage_top.domain.format import utc_text
from usage_top.domain.measures import Figures
from usage_top.domain.model import Usage
from usage_top.views.ranges import OTHER_KEYS, other_hint, unlisted
from usage_top.views.serialise import figures_json

if TYPE_CHECKING:
    from usage_top.store import Store

MAX_EXPORT_DAYS = 60
_DAY_COLUMNS = ("day", "timezone", "day_start_utc", "day_end_utc", "key")


def daily_columns(capabilities: Capabilities) -> tuple[str, ...]:
    """``day … key``, the dimension's ``<kind>_id`` and ``<kind>_name``, then the measures."""
    dimension = capabilities.dimension
    item = (f"{dimension.kind}_id", f"{dimension.kind}_name") if dimension is not None else ()
    return (*_DAY_COLUMNS, *item, *(m.id for m in capabilities.measures))


def _day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[str, str]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return utc_text(start), utc_text(end)


def daily_rows(
    store: Store, capabilities: Capabilities, start: dt.date, end: dt.date, tz: ZoneInfo,
    key: str | None = None,
) -> list[dict[str, Any]]:
    """One row per day, key and item of the provider's first dimension with activity.

    ``tz`` is the calendar of the provider's days. Unmapped usage has a null id. For
    the whole account, a day whose rows fall short of the vendor's total for it (it
    lists its top keys only) gets an ``OTHER_KEYS`` row holding the difference, its
    item name saying why, so the rows add up to the vendor's totals.
    """
    dimension = capabilities.dimension
    if dimension is None:
        return []
    rows: list[dict[str, Any]] = []
    listed: dict[dt.date, list[Usage]] = {}
    for day, masked, kind, item_id, item_name, figures in store.key_item_days(start, end, key):
        if kind != dimension.kind:
            continue
        rows.append(_row(day, tz, masked, kind, item_id or None, item_name, figures, capabilities))
        listed.setdefault(day, []).append(Usage(masked, masked, figures))
    if key is not None or not capabilities.key_breakdown:
        return rows
    note = f"not listed: {other_hint(capabilities)}"
    for point in store.daily_series(start, end):
        rest = unlisted(listed.get(point.day, []), point.figures) if point.day in listed else {
            measure: value for measure, value in point.figures.items() if value}
        if rest:
            rows.append(_row(point.day, tz, OTHER_KEYS, dimension.kind, None, note, rest,
                             capabilities))
    rows.sort(key=lambda row: row["day"])  # stable: each day's key rows, then its other row
    return rows


def _row(day: dt.date, tz: ZoneInfo, key: str, kind: str, item_id: str | None,
         item_name: str, figures: Figures, capabilities: Capabilities) -> dict[str, Any]:
    day_start, day_end = _day_bounds(day, tz)
    return {"day": day.isoformat(), "timezone": str(tz), "day_start_utc": day_start,
            "day_end_utc": day_end, "key": key, f"{kind}_id": item_id,
            f"{kind}_name": item_name, **figures_json(figures, capabilities)}


def exports_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "usage-top" / "exports"


def write_export(text: str, name: str, fmt: str, now: dt.datetime, directory: Path | None = None) -> Path:
    """Write into the exports directory under a name that says what and when (UTC)."""
    directory = directory or exports_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"usage-top-{name}-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.{fmt}"
    path.write_text(text, encoding="utf-8")
    return path
