"""Day arithmetic shared by the admin-API adapters (OpenAI, Anthropic): both read
daily UTC buckets of usage and cost reports in pages of at most a month, and fill a
tally per day from them."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from usage_top.domain.model import DailyUsage, DayFigures, ItemDaily

DAYS_PER_PAGE = 31
"""Daily buckets the vendors return in one page at most: one request covers a month."""

Tally = TypeVar("Tally")


def dates(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def shared(start: dt.date, end: dt.date, tally: Tally) -> dict[dt.date, Tally]:
    """Every day of a range mapped to one tally: the range's sums in one pass."""
    return dict.fromkeys(dates(start, end), tally)


def windows(days: Sequence[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted days cut into spans of at most ``DAYS_PER_PAGE`` days (gaps skipped)."""
    spans: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if spans and (day - spans[-1][0]).days < DAYS_PER_PAGE:
            spans[-1] = (spans[-1][0], day)
        else:
            spans.append((day, day))
    return spans


def next_month(month: dt.date) -> dt.datetime:
    """The UTC midnight the month of ``month`` ends at (a budget's reset)."""
    following = (month + dt.timedelta(days=32)).replace(day=1)
    return dt.datetime.combine(following, dt.time(), dt.UTC)


async def run_all(jobs: Sequence[Coroutine[Any, Any, Any]]) -> list[Any]:
    """Run requests together; the first failure cancels the rest and is raised as is."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(job) for job in jobs]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


def daily_usage(start: dt.date, end: dt.date, tallies: dict[dt.date, Any], kinds: Sequence[str],
                name_of: Callable[[str, str], str]) -> DailyUsage:
    """Per-day tallies (each with ``totals`` and ``items[kind][item]``, all with
    ``figures()``) as a daily series, per dimension item too."""
    days = sorted(tallies)
    by_dimension = {}
    for kind in kinds:
        items = sorted({item for day in days for item in tallies[day].items[kind]})
        by_dimension[kind] = tuple(
            ItemDaily(item, name_of(kind, item), tuple(
                DayFigures(day, tallies[day].items[kind][item].figures())
                for day in days if item in tallies[day].items[kind]))
            for item in items
        )
    series = tuple(DayFigures(day, tallies[day].totals.figures()) for day in days)
    return DailyUsage(start, end, series, by_dimension)
