"""Polls a provider into the store: the same code inside the TUI and headless.

Each poll asks for as little as the views need: the scope readings and the
breakdown of today (2 requests). Past days are fetched once they are complete
(after the workspace's midnight), so the first poll backfills the history and
later polls only refresh today. Per-key endpoint series are fetched on demand
for drilldowns and reused while fresh.

A poll either lands whole in the store (one transaction) or not at all, and its
outcome is always logged: a failed poll is a state to show, not an exception.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, Sequence
from zoneinfo import ZoneInfo

from usage_top.domain.model import Billing, Breakdown, DailyUsage, EndpointKeys, KeyDaily, PollResult, ScopeUsage
from usage_top.domain.periods import HISTORY_DAYS, day_end, local_today
from usage_top.providers.errors import AuthError, BadRequest, ForbiddenError, ProviderError
from usage_top.store import PollRecord, Store, StoreError

Clock = Callable[[], dt.datetime]

COMPLETE_AFTER = dt.timedelta(minutes=15)
"""A past day is final once fetched this long after its end (late data settles)."""


class Provider(Protocol):
    """What the collector needs from a vendor adapter."""

    name: str

    async def scopes(self, now: dt.datetime) -> list[ScopeUsage]: ...

    async def breakdown(
        self, start: dt.date, end: dt.date, keys: Sequence[str] = (), slugs: Sequence[str] = ()
    ) -> Breakdown: ...

    async def daily(
        self, start: dt.date, end: dt.date, keys: Sequence[str] = (), slugs: Sequence[str] = ()
    ) -> DailyUsage: ...

    async def profile(self) -> Billing: ...


@dataclass(frozen=True)
class PollOutcome:
    """What happened in one poll, for the status line."""

    started_at: dt.datetime
    finished_at: dt.datetime
    error: str | None = None
    requests: int = 0
    needs_user: bool = False
    """The error will not go away by retrying (wrong key, no API access, wrong base URL)."""

    @property
    def ok(self) -> bool:
        return self.error is None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Collector:
    """Fetches usage from one provider and ingests it into one store."""

    def __init__(
        self,
        provider: Provider,
        store: Store,
        *,
        tz: ZoneInfo,
        clock: Clock = utc_now,
        interval: float = 30.0,
        concurrency: int = 4,
    ) -> None:
        self.provider = provider
        self.store = store
        self.tz = tz
        self.clock = clock
        self.interval = interval
        self._limit = asyncio.Semaphore(concurrency)
        self._lock = asyncio.Lock()

    async def poll_once(self) -> PollOutcome:
        """One poll: scopes plus every day that is not final yet. Never raises."""
        async with self._lock:
            return await self._guarded(self._fetch_poll)

    async def fetch_key(self, key: str, start: dt.date, end: dt.date) -> PollOutcome:
        """Fetch one key's per-endpoint daily series, unless the store has it fresh."""
        async with self._lock:  # checked inside the lock: a second caller reuses the first's fetch
            if self._key_is_fresh(key, start, end):
                now = self.clock()
                return PollOutcome(started_at=now, finished_at=now)
            return await self._guarded(lambda now: self._fetch_key(key, start, end, now))

    async def fetch_endpoint(self, slug: str, start: dt.date, end: dt.date) -> PollOutcome:
        """Fetch which keys called an endpoint over a range, unless the store has it fresh."""
        async with self._lock:
            cached = self.store.endpoint_keys(slug, start, end)
            if cached is not None and self._still_valid(cached[1], end):
                now = self.clock()
                return PollOutcome(started_at=now, finished_at=now)
            return await self._guarded(lambda now: self._fetch_endpoint(slug, start, end, now))

    def _still_valid(self, fetched_at: dt.datetime, end: dt.date) -> bool:
        """Fresh within a poll interval, or for good once fetched after the range ended."""
        if fetched_at >= day_end(end, self.tz) + COMPLETE_AFTER:
            return True
        return self.clock() - fetched_at < dt.timedelta(seconds=self.interval)

    async def run(
        self, stop: asyncio.Event, on_poll: Callable[[PollOutcome], object] | None = None
    ) -> PollOutcome | None:
        """Poll every ``interval`` seconds until ``stop`` is set; polls never overlap.

        Stops early, returning that poll, on an error retrying cannot fix (a rejected
        key, a plan without API access, a wrong base URL): the user must act.
        """
        while not stop.is_set():
            outcome = await self.poll_once()
            if on_poll:
                on_poll(outcome)
            if outcome.needs_user:
                return outcome
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.interval)
            except TimeoutError:
                pass
        return None

    def days_to_fetch(self, now: dt.datetime) -> list[dt.date]:
        """Today, plus every day of the history window not fetched since it ended."""
        today = local_today(now, self.tz)
        first = today - dt.timedelta(days=HISTORY_DAYS - 1)
        return self._unfinished_days(first, today - dt.timedelta(days=1)) + [today]

    def _unfinished_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Days in [first, last] whose breakdown was never fetched after the day ended."""
        fetched = self.store.fetched_days("breakdown", "", first, last)
        days = (first + dt.timedelta(days=offset) for offset in range((last - first).days + 1))
        return [day for day in days if not self._final(day, fetched)]

    async def ensure_days(self, first: dt.date, last: dt.date) -> PollOutcome:
        """Fetch older history on demand (a previous billing cycle, an export): every
        day of the range that is not final in the store yet. Past days never change
        once final, so each is fetched at most once."""
        async with self._lock:
            today = local_today(self.clock(), self.tz)
            days = self._unfinished_days(first, min(last, today))
            if not days:
                now = self.clock()
                return PollOutcome(started_at=now, finished_at=now)
            return await self._guarded(lambda now: self._fetch_days(days, now))

    async def fetch_billing(self) -> PollOutcome:
        """The profile's balance and billing cycle, unless fetched within the interval."""
        async with self._lock:
            cached = self.store.latest_billing()
            if cached is not None and self.clock() - cached[1] < dt.timedelta(seconds=self.interval):
                now = self.clock()
                return PollOutcome(started_at=now, finished_at=now)
            return await self._guarded(self._fetch_billing)

    def _final(self, day: dt.date, fetched: dict[dt.date, dt.datetime]) -> bool:
        stamp = fetched.get(day)
        return stamp is not None and stamp >= day_end(day, self.tz) + COMPLETE_AFTER

    def _key_is_fresh(self, key: str, start: dt.date, end: dt.date) -> bool:
        fetched = self.store.fetched_days("key_daily", key, start, end)
        if len(fetched) < (end - start).days + 1:
            return False
        oldest = min(fetched.values())
        return self.clock() - oldest < dt.timedelta(seconds=self.interval)

    async def _fetch_poll(self, now: dt.datetime) -> tuple[PollResult, int]:
        days = self.days_to_fetch(now)
        async with asyncio.TaskGroup() as group:  # the first failure cancels the rest
            scopes = group.create_task(self._limited(lambda: self.provider.scopes(now)))
            breakdowns = self._breakdown_tasks(group, days)
        result = PollResult(
            fetched_at=now,
            scopes=tuple(scopes.result()),
            day_breakdowns=tuple(task.result() for task in breakdowns),
        )
        return result, 1 + len(days)

    async def _fetch_days(self, days: list[dt.date], now: dt.datetime) -> tuple[PollResult, int]:
        async with asyncio.TaskGroup() as group:
            breakdowns = self._breakdown_tasks(group, days)
        return PollResult(fetched_at=now, day_breakdowns=tuple(t.result() for t in breakdowns)), len(days)

    def _breakdown_tasks(self, group: asyncio.TaskGroup, days: list[dt.date]) -> list[asyncio.Task]:
        """One single-day breakdown request per day, at most ``concurrency`` at a time."""
        return [
            group.create_task(self._limited(lambda day=day: self.provider.breakdown(day, day)))
            for day in days
        ]

    async def _fetch_billing(self, now: dt.datetime) -> tuple[PollResult, int]:
        billing = await self._limited(self.provider.profile)
        return PollResult(fetched_at=now, billing=billing), 1

    async def _fetch_key(self, key: str, start: dt.date, end: dt.date, now: dt.datetime):
        daily = await self._limited(lambda: self.provider.daily(start, end, keys=[key]))
        return PollResult(fetched_at=now, key_daily=(KeyDaily(key=key, daily=daily),)), 1

    async def _fetch_endpoint(self, slug: str, start: dt.date, end: dt.date, now: dt.datetime):
        breakdown = await self._limited(lambda: self.provider.breakdown(start, end, slugs=[slug]))
        return PollResult(fetched_at=now, endpoint_keys=(EndpointKeys(slug=slug, breakdown=breakdown),)), 1

    async def _limited(self, request: Callable[[], Awaitable]):
        """At most ``concurrency`` requests in flight; the call starts once admitted."""
        async with self._limit:
            return await request()

    async def _guarded(self, fetch) -> PollOutcome:
        """Run a fetch and store its result with its poll record in one transaction.

        A failed fetch stores nothing but the failure, so readers never see a
        half-written poll.
        """
        started = self.clock()
        error, requests, needs_user = None, 0, False
        try:
            result, requests = await _first_error(fetch(started))
            poll = PollRecord(started, self.clock(), "ok", None, requests)
            self.store.ingest(result, poll=poll)
            return PollOutcome(started, poll.finished_at, None, requests)
        except ProviderError as exc:
            error, needs_user = str(exc), isinstance(exc, (AuthError, ForbiddenError, BadRequest))
        except StoreError as exc:  # a damaged or foreign file will not heal by polling again
            error, needs_user = f"database: {exc}", exc.permanent
        except Exception as exc:  # a bug must not kill a monitor left open all day
            error = f"internal error: {type(exc).__name__}: {exc}"
        finished = self.clock()
        try:
            self.store.record_poll(started, finished, "error", error, requests)
        except StoreError:
            pass  # the outcome still reaches the caller, who shows it
        return PollOutcome(started, finished, error, requests, needs_user)


async def _first_error(awaitable):
    """Unwrap a TaskGroup's ExceptionGroup to the first error, which the caller reports."""
    try:
        return await awaitable
    except ExceptionGroup as group:
        raise group.exceptions[0] from None
