"""Exports: daily usage per key and endpoint (CLI), and the rows of a view (TUI).

Days are the workspace's days, as the vendor counts them; every row also says
when its day starts and ends in UTC, in columns whose names say so, and every
file records when it was exported (UTC). At most 60 days per export, as the
vendors' own exports allow.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from usage_top.store import Store

MAX_EXPORT_DAYS = 60
FORMATS = ("csv", "json")
DAILY_COLUMNS = (
    "day", "timezone", "day_start_utc", "day_end_utc", "key", "endpoint_slug", "endpoint_name",
    "requests", "credits",
)


def utc_text(stamp: dt.datetime) -> str:
    return stamp.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[str, str]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return utc_text(start), utc_text(end)


def daily_rows(store: Store, start: dt.date, end: dt.date, tz: ZoneInfo, key: str | None = None) -> list[dict]:
    """One row per day, key and endpoint with activity, from the store."""
    rows = []
    for day, masked, slug, name, requests, credits in store.key_endpoint_days(start, end, key):
        day_start, day_end = _day_bounds(day, tz)
        rows.append({
            "day": day.isoformat(), "timezone": str(tz), "day_start_utc": day_start, "day_end_utc": day_end,
            "key": masked, "endpoint_slug": slug or None, "endpoint_name": name,
            "requests": requests, "credits": whole(credits),
        })
    return rows


def whole(value: float) -> float | int:
    """Credits as the vendor wrote them: 45, not 45.0."""
    return int(value) if float(value).is_integer() else value


def render(rows: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str, meta: dict[str, Any]) -> str:
    """CSV (a header row, then the rows) or JSON (``{"meta": …, "rows": […]}``)."""
    if fmt == "json":
        return json.dumps({"meta": meta, "rows": list(rows)}, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


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
