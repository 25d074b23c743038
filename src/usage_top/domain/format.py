"""Number, age and key formatting shared by the CLI report and the dashboard."""

from __future__ import annotations

import datetime as dt

BULLET = "•"


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


def count(value: float) -> str:
    """Thousands-separated whole number (credits may be fractional upstream)."""
    return f"{value:,.0f}"


def compact(value: float) -> str:
    """A count in at most 5 characters: 987, 12.3k, 4.5M."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            scaled = value / limit
            return f"{scaled:.1f}{suffix}" if scaled < 100 else f"{scaled:.0f}{suffix}"
    return f"{value:.0f}"


def short_key(masked: str) -> str:
    """A vendor-masked key shortened for narrow columns: ``0••••f39``.

    Only already-masked identifiers reach the UI; this keeps the first and last
    visible characters and folds the run of bullets, so it never reveals more.
    """
    if BULLET not in masked or len(masked) <= 10:
        return masked
    head, tail = masked.split(BULLET, 1)[0], masked.rsplit(BULLET, 1)[-1]
    return f"{head}{BULLET * 4}{tail}"


def last_used_text(stamp: dt.datetime | None, now: dt.datetime, tz) -> str:
    """'14:02' today, 'Nov 19' earlier, 'never' when unknown (in the workspace tz)."""
    if stamp is None:
        return "never"
    local, today = stamp.astimezone(tz), now.astimezone(tz).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%b %d")
