"""The parts a poll is made of, each landing or failing on its own.

Real APIs lose or change one endpoint at a time. A provider declares its poll as
parts (the scope readings, each day's breakdown, a usage report…); the collector
runs them together and stores every part that answered, so one failing endpoint
costs its own figures only, which stay as last stored and are marked stale.

A part's result must be complete for what it covers: a part never writes half
of its rows, and two parts never write the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from usage_top.domain.model import Breakdown, PollResult, ScopeUsage

SCOPES = "scopes"
DAYS = "days"
"""What a part fills: the scope readings, or day breakdowns (the usage tables)."""


@dataclass(frozen=True)
class Part:
    """One independently stored piece of a poll."""

    name: str
    """What the user reads when it fails: "scopes (/profile/usage)", "breakdown"."""
    fills: str
    """``SCOPES`` or ``DAYS``: which figures go stale when it fails."""
    fetch: Callable[[], Awaitable[PollResult]]
    day: dt.date | None = None
    """The day a per-day part covers (failures of one name are told as "n of m days")."""


@dataclass(frozen=True)
class PartFailure:
    """A part that did not land, and why (one line)."""

    name: str
    fills: str
    error: str
    day: dt.date | None = None


def scopes_and_days(
    now: dt.datetime,
    days: Sequence[dt.date],
    *,
    scopes: bool,
    read_scopes: Callable[[dt.datetime], Awaitable[list[ScopeUsage]]],
    read_days: Callable[[Sequence[dt.date]], Awaitable[list[Breakdown]]],
    scopes_name: str = SCOPES,
    days_name: str = "breakdowns",
) -> list[Part]:
    """Two parts: the scope readings, and every day at once (for vendors whose reports
    cover all the days in one request, and write each day's rows together)."""
    parts = []
    if scopes:
        async def readings() -> PollResult:
            return PollResult(fetched_at=now, scopes=tuple(await read_scopes(now)))

        parts.append(Part(scopes_name, SCOPES, readings))
    if days:
        async def breakdowns() -> PollResult:
            return PollResult(fetched_at=now, day_breakdowns=tuple(await read_days(days)))

        parts.append(Part(days_name, DAYS, breakdowns))
    return parts


def summary(failed: tuple[PartFailure, ...], total: dict[str, int]) -> str:
    """One line naming the failed parts: "breakdown, 30 of 31 days: <error>; scopes: <error>".

    ``total`` is how many parts of each name the poll had."""
    grouped: dict[str, list[PartFailure]] = {}
    for failure in failed:
        grouped.setdefault(failure.name, []).append(failure)
    texts = []
    for name, failures in grouped.items():
        count = total.get(name, len(failures))
        days = f", {len(failures)} of {count} days" if failures[0].day and count > 1 else ""
        texts.append(f"{name}{days}: {failures[0].error}")
    return "; ".join(texts)
