"""Number, time, age and key formatting shared by the CLI, the on-call tools and the dashboard.

Figures of a measure are written by its unit (``measures.Unit.text``/``compact``);
what is here is unit-free: the one way a moment is written in UTC, plain numbers
for machine-readable output, ages and masked keys.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from usage_top.domain.model import Usage

BULLET = "•"


@overload
def utc_text(moment: dt.datetime) -> str: ...


@overload
def utc_text(moment: None) -> None: ...


def utc_text(moment: dt.datetime | None) -> str | None:
    """``2026-11-18T14:37:00Z``: the one form every JSON, export, hook and log line uses.

    Whole seconds (machine readers compare them as text); a naive moment is taken as
    UTC; None stays None, so optional stamps need no test at the call site.
    """
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def whole(value: float) -> float | int:
    """A number as the vendor wrote it: 45, not 45.0; 12.5 stays 12.5."""
    return int(value) if float(value).is_integer() else value


def age_text(seconds: float) -> str:
    """A short human age: 12s, 4m, 3h 5m, 2d 4h."""
    seconds = max(0, int(seconds))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{minutes}m"
    if seconds < 86400:
        return f"{hours}h {minutes % 60}m"
    return f"{days}d {hours % 24}h"


def minutes_age_turn(since: dt.datetime, now: dt.datetime) -> dt.datetime:
    """When an age since ``since`` shown from a minute on, as ``age_text`` (minutes, then
    hours beyond a day), next reads differently after ``now``."""
    seconds = max(0, int((now - since).total_seconds()))
    step = 60 if seconds < 86400 else 3600
    return since + dt.timedelta(seconds=(seconds // step + 1) * step)


def interval_text(seconds: float) -> str:
    """A poll interval, exact (``age_text`` rounds down: 90 s would read '1m'): 30s, 2m,
    1m 30s, 1h, 1h 30m."""
    seconds = max(0, round(seconds))
    if seconds < 60 or (seconds < 3600 and seconds % 60):
        minutes, rest = divmod(seconds, 60)
        return f"{minutes}m {rest}s" if minutes else f"{rest}s"
    if seconds < 3600 or seconds % 3600 == 0:
        return f"{seconds // 3600}h" if seconds >= 3600 else f"{seconds // 60}m"
    return f"{seconds // 3600}h {seconds % 3600 // 60}m"


def count(value: float) -> str:
    """Thousands-separated whole number (superseded by ``measures.Unit.text``)."""
    return f"{value:,.0f}"


def short_key(masked: str) -> str:
    """A vendor-masked key shortened for narrow columns: ``0••••f39``.

    Only already-masked identifiers reach the UI; this keeps the first and last
    visible characters and folds the run of bullets, so it never reveals more.
    """
    if BULLET not in masked or len(masked) <= 10:
        return masked
    head, tail = masked.split(BULLET, 1)[0], masked.rsplit(BULLET, 1)[-1]
    return f"{head}{BULLET * 4}{tail}"


def key_text(row: Usage, width: int) -> str:
    """A key as the key column shows it: its name where the vendor names keys
    ('prod-chat (sk-…abcd)', without the redacted value where that would not fit),
    else its masked id, whole where it fits ('0••••••••••••••••f39': the vendor's
    mask, so it reveals nothing more) or shortened ('0••••f39')."""
    if not row.name or row.name == row.id:
        return row.id if len(row.id) <= width else short_key(row.id)
    if len(row.name) > width and row.name.endswith(")") and " (" in row.name:
        return row.name.rsplit(" (", 1)[0]
    return row.name


def clock_text(at: dt.datetime, tz: dt.tzinfo) -> str:
    """'14:37:05 UTC': a time of day in ``tz``, with its zone (every time says it)."""
    local = at.astimezone(tz)
    return f"{local:%H:%M:%S} {local.tzname()}"


def last_used_text(stamp: dt.datetime | None, now: dt.datetime, tz) -> str:
    """'14:02' today, 'Nov 19' earlier, 'never' when unknown (in the workspace tz)."""
    if stamp is None:
        return "never"
    local, today = stamp.astimezone(tz), now.astimezone(tz).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%b %d")
