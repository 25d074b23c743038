"""Calendar arithmetic in the workspace timezone: scope periods and report ranges.

Vendors count days and months in the workspace's timezone, not UTC, so "today"
and "when does the daily quota reset" are always computed here from an aware
``now`` and the workspace ``ZoneInfo``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from zoneinfo import ZoneInfo

from usage_top.domain.model import Period


class Range(StrEnum):
    """The report ranges users pick: today, last 7 days, last 30 days, this month."""

    TODAY = "today"
    WEEK = "7d"
    DAYS30 = "30d"
    MONTH = "month"

    def dates(self, today: dt.date) -> tuple[dt.date, dt.date]:
        """The inclusive (start, end) dates of this range ending today."""
        if self is Range.TODAY:
            return today, today
        if self is Range.WEEK:
            return today - dt.timedelta(days=6), today
        if self is Range.DAYS30:
            return today - dt.timedelta(days=29), today
        return today.replace(day=1), today


HISTORY_DAYS = 31
"""Days kept fresh by the collector: enough for 30d and for any calendar month."""


def local_today(now: dt.datetime, tz: ZoneInfo) -> dt.date:
    return now.astimezone(tz).date()


def period_start(period: Period, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Start of the fixed window containing ``now`` (aware, in UTC)."""
    local = now.astimezone(tz)
    if period is Period.MINUTE:
        start = local.replace(second=0, microsecond=0)
    elif period is Period.HOURLY:
        start = local.replace(minute=0, second=0, microsecond=0)
    elif period is Period.DAILY:
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    else:
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return _normalise(start, tz)


def period_end(period: Period, now: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """When the window containing ``now`` resets (aware, in UTC)."""
    start = period_start(period, now, tz).astimezone(tz).replace(tzinfo=None)
    if period is Period.MINUTE:
        end = start + dt.timedelta(minutes=1)
    elif period is Period.HOURLY:
        end = start + dt.timedelta(hours=1)
    elif period is Period.DAILY:
        end = start + dt.timedelta(days=1)
    else:
        end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return _normalise(end.replace(tzinfo=tz), tz)


def day_end(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The instant a workspace day is over (aware, in UTC)."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
    return midnight.astimezone(dt.UTC)


def _normalise(local: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """Re-attach the zone so DST gaps resolve, then convert to UTC."""
    return local.replace(tzinfo=None).replace(tzinfo=tz).astimezone(dt.UTC)
