"""Polls a provider into the store: the same code inside the TUI and headless.

Each poll asks for as little as the views need: the scope readings and, where
the provider breaks usage down (by key or by a dimension), the breakdown of
today. Past days are fetched once they are complete (after the workspace's
midnight), so the first poll backfills the history and later polls only
refresh today. Per-key series, the keys of one dimension item and the billing
figures are fetched on demand and reused while fresh.

The collector asks ``provider.capabilities`` what exists instead of assuming
one vendor's shape: what a provider does not offer is never requested.

A poll is made of parts (``domain.parts``: the scope readings, each day's
breakdown, a usage report…) that each land or fail on their own: the parts that
answered are stored together in one transaction with the poll record, a failed
part's figures stay as last stored (marked stale by the screens), and the
outcome names it. Only when no part lands, or the key is refused, does the poll
fail as a whole. Every outcome is logged: a failed poll is a state to show, not
an exception.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from usage_top.domain.capabilities import Capabilities
from usage_top.domain.clock import Clock, utc_now
from usage_top.domain.model import Billing, Breakdown, DailyUsage, ItemKeys, KeyDaily, PollResult, ScopeUsage
from usage_top.domain.parts import Part, PartFailure, scopes_and_days, summary
from usage_top.domain.periods import HISTORY_DAYS, day_end, local_today
from usage_top.providers.errors import (
    AuthError,
    BadRequest,
    ConnectionFailed,
    ForbiddenError,
    ProviderError,
)
from usage_top.store import PollRecord, Store, StoreError
from usage_top.views.ranges import unlisted

COMPLETE_AFTER = dt.timedelta(minutes=15)
"""A past day is final once fetched this long after its end (late data settles)."""


class Provider(Protocol):
    """What the collector needs from a vendor adapter.

    Methods behind a capability (``key_daily``: ``key_filter``; ``item_keys``:
    ``dimension_filter``; ``billing``: ``billing``; ``range_keys``: ``range_keys``;
    ``day_breakdowns``: ``key_breakdown`` or any dimension) are only called when it
    is declared.
    Failures are :class:`ProviderError`\\ s with a one-line message.
    """

    name: str
    capabilities: Capabilities

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far, retries included (the poll record's count)."""
        ...

    async def scopes(self, now: dt.datetime) -> list[ScopeUsage]: ...

    async def day_breakdowns(self, days: Sequence[dt.date]) -> list[Breakdown]:
        """One breakdown per day asked (start == end), all keys, in that order."""
        ...

    async def key_daily(self, key: str, start: dt.date, end: dt.date) -> DailyUsage: ...

    async def item_keys(self, kind: str, item: str, start: dt.date, end: dt.date) -> Breakdown: ...

    async def billing(self) -> Billing: ...

    async def range_keys(self, start: dt.date, end: dt.date) -> Breakdown:
        """Every key the vendor lists over the whole range (if ``range_keys``)."""
        ...

    async def aclose(self) -> None:
        """Release the HTTP client (the runtime calls it once, at the end of a run)."""
        ...

    # Optional: ``poll_parts(now, days, *, scopes=True) -> list[Part]`` declares the
    # poll's parts (see ``default_parts`` for what an adapter without it gets).


@dataclass(frozen=True)
class PollOutcome:
    """What happened in one poll, for the status line."""

    started_at: dt.datetime
    finished_at: dt.datetime
    error: str | None = None
    requests: int = 0
    needs_user: bool = False
    """The error will not go away by retrying (wrong key, no API access, wrong base URL)."""
    retry_after: float | None = None
    """Seconds the vendor said to wait before the next try (credits exhausted: long)."""
    scope: str = ""
    """The scope the error is about ('' for the poll as a whole); its card says ``state``."""
    state: str = ""
    failed: tuple[PartFailure, ...] = ()
    """The parts that did not land (``error`` names them)."""
    partial: bool = False
    """Some parts landed and some failed: the rest of the figures are live."""
    status: int | None = None
    """The HTTP status of the failure, where there was one (429: polling backs off)."""
    alert_error: str | None = None
    """The alert step failed after the figures landed (evaluating, recording, the alert
    command): the figures are live; the next poll tries the alerts again."""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def landed(self) -> bool:
        """New figures were stored: the whole poll, or the parts that answered."""
        return self.ok or self.partial

    @property
    def log_text(self) -> str:
        """The poll's state in ``collect``'s log: 'ok', 'partial: …' or 'error: …'."""
        state = ("ok" if self.ok else f"partial: {self.error}" if self.partial
                 else f"error: {self.error}")
        return f"{state}; alerts failed: {self.alert_error}" if self.alert_error else state

    @property
    def stale(self) -> frozenset[str]:
        """What the failed parts fill (``parts.SCOPES``, ``parts.DAYS``): shown stale."""
        return frozenset(failure.fills for failure in self.failed)


Fetch = Callable[[dt.datetime], Awaitable[PollResult]]


class Collector:
    """Fetches usage from one provider and ingests it into one store.

    Every fetch runs under one lock, so polls and on-demand fetches never
    overlap: a second caller waits, then finds the first one's result fresh.
    """

    def __init__(
        self,
        provider: Provider,
        store: Store,
        *,
        tz: ZoneInfo,
        clock: Clock = utc_now,
        interval: float = 30.0,
        key_variable: str | None = None,
    ) -> None:
        """``key_variable``: the variable this account's key is read from, where it is
        not the vendor's (an account's ``key_env``): a rejected key's message names it."""
        self.provider = provider
        self.key_variable = key_variable
        self.store = store
        self.tz = tz
        self.clock = clock
        self.interval = interval
        self._lock = asyncio.Lock()

    @property
    def capabilities(self) -> Capabilities:
        return self.provider.capabilities

    @property
    def has_days(self) -> bool:
        """Whether the provider breaks days down (by key or by item) for the store to sum."""
        return self.capabilities.has_days

    async def poll_once(self) -> PollOutcome:
        """One poll: scopes plus every day that is not final yet, each part landing on
        its own. Never raises."""
        async with self._lock:
            now = self.clock()
            return await self._in_parts(self.parts(now, self.days_to_fetch(now)))

    def parts(self, now: dt.datetime, days: Sequence[dt.date], *, scopes: bool = True) -> list[Part]:
        """The provider's parts for a poll of ``days`` (and the scopes, unless told not)."""
        declared = getattr(self.provider, "poll_parts", None)
        if declared is not None:
            return list(declared(now, days, scopes=scopes))
        return default_parts(self.provider, now, days, scopes=scopes)

    async def fetch_key(self, key: str, start: dt.date, end: dt.date) -> PollOutcome:
        """Fetch one key's per-item daily series, unless the store has it fresh.

        A no-op where the provider cannot filter by key: its polls already bring
        all it knows of a key."""
        if not self.capabilities.key_filter:
            return self._nothing()
        async with self._lock:  # checked inside the lock: a second caller reuses the first's fetch
            if self._key_is_fresh(key, start, end):
                return self._nothing()
            return await self._guarded(lambda now: self._fetch_key(key, start, end, now),
                                       self._fetch_name("key", "key drilldown"))

    async def fetch_item(self, kind: str, item: str, start: dt.date, end: dt.date) -> PollOutcome:
        """Fetch which keys used one item of dimension ``kind`` over a range, unless the
        store has it fresh.

        A no-op where the provider cannot filter by dimension, and for unmapped
        usage (item ``''``), which no vendor can filter on; an error outcome for a
        kind the provider does not declare."""
        if not any(dimension.kind == kind for dimension in self.capabilities.dimensions):
            now = self.clock()
            return PollOutcome(now, now, f"{self.provider.name} reports no {kind!r} dimension")
        if not self.capabilities.dimension_filter or not item:
            return self._nothing()
        async with self._lock:
            cached = self.store.item_keys(kind, item, start, end)
            if cached is not None and self._still_valid(cached[1], end):
                return self._nothing()
            return await self._guarded(lambda now: self._fetch_item(kind, item, start, end, now),
                                       self._fetch_name("item", f"{kind} drilldown"))

    async def fetch_range_keys(self, start: dt.date, end: dt.date) -> PollOutcome:
        """Fetch the keys' figures over a whole range in one request, where the vendor
        lists its top keys only and the per-day lists fall short of its totals (a key
        outside a day's top would be undercounted over the range), unless fetched
        fresh. A no-op for one day (its breakdown is the range) and for vendors that
        list every key or cannot total a range."""
        caps = self.capabilities
        if not (caps.range_keys and caps.top_rows and caps.key_breakdown) or start >= end:
            return self._nothing()
        async with self._lock:
            if not unlisted(self.store.key_breakdown(start, end), self.store.totals(start, end)):
                return self._nothing()  # the listed keys add up: nothing is missed
            cached = self.store.range_keys(start, end)
            if cached is not None and self._still_valid(cached[1], end):
                return self._nothing()
            return await self._guarded(lambda now: self._fetch_range(start, end, now),
                                       self._fetch_name("range", "keys over the range"))

    async def fetch_billing(self) -> PollOutcome:
        """The balance and billing cycle, unless fetched within the interval; a no-op
        where the provider reports none."""
        if not self.capabilities.billing:
            return self._nothing()
        async with self._lock:
            cached = self.store.latest_billing()
            if cached is not None and self.clock() - cached[1] < dt.timedelta(seconds=self.interval):
                return self._nothing()
            return await self._guarded(self._fetch_billing, self._fetch_name("billing", "billing"))

    async def ensure_days(self, first: dt.date, last: dt.date) -> PollOutcome:
        """Fetch older history on demand (a previous billing cycle, an export): every
        day of the range that is not final in the store yet. Past days never change
        once final, so each is fetched at most once."""
        if not self.has_days:
            return self._nothing()
        async with self._lock:
            today = local_today(self.clock(), self.tz)
            days = self._unfinished_days(first, min(last, today))
            if not days:
                return self._nothing()
            return await self._in_parts(self.parts(self.clock(), days, scopes=False))

    def days_to_fetch(self, now: dt.datetime) -> list[dt.date]:
        """Today, plus every day of the history window not fetched since it ended;
        none for a provider without breakdowns."""
        if not self.has_days:
            return []
        today = local_today(now, self.tz)
        first = today - dt.timedelta(days=HISTORY_DAYS - 1)
        return self._unfinished_days(first, today - dt.timedelta(days=1)) + [today]

    def _unfinished_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """Days in [first, last] whose breakdown was never fetched after the day ended."""
        fetched = self.store.fetched_days("breakdown", "", first, last)
        days = (first + dt.timedelta(days=offset) for offset in range((last - first).days + 1))
        return [day for day in days if not self._final(day, fetched)]

    def _final(self, day: dt.date, fetched: dict[dt.date, dt.datetime]) -> bool:
        stamp = fetched.get(day)
        return stamp is not None and stamp >= day_end(day, self.tz) + COMPLETE_AFTER

    def _still_valid(self, fetched_at: dt.datetime, end: dt.date) -> bool:
        """Fresh within a poll interval, or for good once fetched after the range ended."""
        if fetched_at >= day_end(end, self.tz) + COMPLETE_AFTER:
            return True
        return self.clock() - fetched_at < dt.timedelta(seconds=self.interval)

    def _key_is_fresh(self, key: str, start: dt.date, end: dt.date) -> bool:
        fetched = self.store.fetched_days("key_daily", key, start, end)
        if len(fetched) < (end - start).days + 1:
            return False
        return self.clock() - min(fetched.values()) < dt.timedelta(seconds=self.interval)

    def _nothing(self) -> PollOutcome:
        """The outcome of a fetch with nothing to do: ok, no request, not logged."""
        now = self.clock()
        return PollOutcome(started_at=now, finished_at=now)

    async def _fetch_billing(self, now: dt.datetime) -> PollResult:
        return PollResult(fetched_at=now, billing=await self.provider.billing())

    async def _fetch_key(self, key: str, start: dt.date, end: dt.date, now: dt.datetime) -> PollResult:
        daily = await self.provider.key_daily(key, start, end)
        return PollResult(fetched_at=now, key_daily=(KeyDaily(key, daily, own_days=True),))

    async def _fetch_range(self, start: dt.date, end: dt.date, now: dt.datetime) -> PollResult:
        return PollResult(fetched_at=now, range_keys=(await self.provider.range_keys(start, end),))

    async def _fetch_item(
        self, kind: str, item: str, start: dt.date, end: dt.date, now: dt.datetime
    ) -> PollResult:
        breakdown = await self.provider.item_keys(kind, item, start, end)
        return PollResult(fetched_at=now, item_keys=(ItemKeys(kind=kind, item=item, breakdown=breakdown),))

    def _fetch_name(self, what: str, label: str) -> str:
        """What an on-demand fetch is called in its errors, as a poll's parts are:
        ``label`` and the path the provider declares for it ('key drilldown
        (/api_keys/usage/daily)'); the label alone where it declares none."""
        path = getattr(self.provider, "fetch_paths", {}).get(what)
        return f"{label} ({path})" if path else label

    async def _guarded(self, fetch: Fetch, name: str) -> PollOutcome:
        """Run a fetch and store its result with its poll record in one transaction.

        A failed fetch stores nothing but the failure, so readers never see a
        half-written poll; its error starts with ``name``, the fetch's part. The
        request count is what the provider sent meanwhile (retries included),
        failed polls too: they spend the vendor's quota.
        """
        if self.store.read_only:
            return self._read_only()
        started = self.clock()
        sent_before = self.provider.requests_made
        error, needs_user, failed = None, False, None
        try:
            result = await _first_error(fetch(started))
            poll = PollRecord(started, self.clock(), "ok", None, self.provider.requests_made - sent_before)
            self.store.ingest(result, poll=poll)
            return PollOutcome(started, poll.finished_at, None, poll.requests)
        except ProviderError as exc:
            # an endpoint missing while polls land is this part's loss, not a wrong base URL
            partial = isinstance(exc, BadRequest) and exc.status == 404 and self._polls_land()
            error = f"{name}: {_error_of(exc, partial, self.key_variable)}"
            needs_user = not partial and isinstance(exc, (AuthError, ForbiddenError, BadRequest))
            failed = exc
        except StoreError as exc:  # a damaged or foreign file will not heal by polling again
            error, needs_user = f"database: {exc}", exc.permanent
        except Exception as exc:  # a bug must not kill a monitor left open all day
            error = f"{name}: internal error: {type(exc).__name__}: {exc}"
        finished, requests = self.clock(), self.provider.requests_made - sent_before
        try:
            self.store.record_poll(started, finished, "error", error, requests)
        except StoreError:
            pass  # the outcome still reaches the caller, who shows it
        if failed is None:
            return PollOutcome(started, finished, error, requests, needs_user)
        return PollOutcome(started, finished, error, requests, needs_user,
                           failed.retry_after if failed.retryable else None,
                           failed.scope, failed.state, status=failed.status)

    def _read_only(self) -> PollOutcome:
        """A database that cannot be written: nothing is asked of the vendor (its answer
        could not be kept), and the user must act."""
        now = self.clock()
        return PollOutcome(now, now, f"database: {self.store.path} cannot be written (read-only "
                           "filesystem or no write permission): nothing was polled",
                           needs_user=True)

    def _polls_land(self) -> bool:
        """Some poll of this store stored figures (so the base URL is right)."""
        try:
            return self.store.last_success() is not None
        except StoreError:
            return False

    def next_wait(self, outcome: PollOutcome | None) -> float:
        """Seconds until the next poll: the interval, or longer where the vendor asked
        (a 402's ten minutes: polling goes on, slowly, without a retry storm)."""
        wait = outcome.retry_after if outcome is not None and outcome.retry_after else 0.0
        return max(self.interval, wait)


    async def _in_parts(self, parts: list[Part]) -> PollOutcome:
        """Run the parts together and store, in one transaction with the poll record,
        every part that answered.

        A refused key (or a plan without access) cancels the rest and fails the
        poll as a whole; so does every part failing (then a 404 everywhere is a
        wrong base URL, which retrying will not fix). Otherwise the failed parts are
        the outcome's ``failed`` and its ``error`` names them, one line.
        """
        if self.store.read_only:
            return self._read_only()
        started = self.clock()
        sent_before = self.provider.requests_made
        landed, failures, stopped = await _run(parts)
        requests = self.provider.requests_made - sent_before
        failed = _failed(failures, bool(landed) and stopped is None, self.key_variable)
        if stopped is not None or not landed:
            first = stopped or failures[0][1]
            refused = isinstance(stopped, (AuthError, ForbiddenError))
            needs_user = refused or all(_needs_user(exc) for _, exc in failures)
            return self._failed(started, _error_of(first, key_variable=self.key_variable), needs_user,
                                requests, failed, first)
        error = summary(failed, _counts(parts)) if failed else None
        try:
            poll = PollRecord(started, self.clock(), "ok", error, requests)
            self.store.ingest(_merged(started, landed), poll=poll)
        except StoreError as exc:
            return self._failed(started, f"database: {exc}", exc.permanent, requests)
        return PollOutcome(started, poll.finished_at, error, requests, failed=failed,
                           partial=bool(failed))

    def _failed(self, started: dt.datetime, error: str, needs_user: bool, requests: int,
                failed: tuple[PartFailure, ...] = (), exc: BaseException | None = None) -> PollOutcome:
        """A poll that stored nothing: its record says why (the caller still hears it
        if even that cannot be written)."""
        finished = self.clock()
        try:
            self.store.record_poll(started, finished, "error", error, requests)
        except StoreError:
            pass
        if not isinstance(exc, ProviderError):
            return PollOutcome(started, finished, error, requests, needs_user, failed=failed)
        return PollOutcome(started, finished, error, requests, needs_user,
                           exc.retry_after if exc.retryable else None, exc.scope, exc.state,
                           failed=failed, status=exc.status)


def default_parts(provider: Provider, now: dt.datetime, days: Sequence[dt.date], *,
                  scopes: bool = True) -> list[Part]:
    """The parts of an adapter that declares none: its scopes, and all days as one part."""
    return scopes_and_days(now, days, scopes=scopes, read_scopes=provider.scopes,
                           read_days=provider.day_breakdowns)


Failure = tuple[Part, BaseException]


async def _run(parts: list[Part]) -> tuple[list[PollResult], list[Failure], BaseException | None]:
    """Every part's result or failure, in the parts' order; and the failure that stopped
    the poll, cancelling the parts still running, which would meet it too: a refusal (a
    bad key, no access), or a host no connection opens to before any part landed."""
    tasks = {asyncio.ensure_future(part.fetch()): part for part in parts}
    landed: list[PollResult] = []
    failures: list[Failure] = []
    stopped = None
    try:
        pending = set(tasks)
        while pending and stopped is None:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                exc = task.exception()
                if exc is None:
                    landed.append(task.result())
                    continue
                failures.append((tasks[task], exc))
                unreachable = isinstance(exc, ConnectionFailed) and exc.unreachable and not landed
                if stopped is None and (isinstance(exc, (AuthError, ForbiddenError)) or unreachable):
                    stopped = exc
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    order = {id(part): index for index, part in enumerate(parts)}
    failures.sort(key=lambda failure: order[id(failure[0])])
    return landed, failures, stopped


def _error_of(exc: BaseException, partial: bool = False, key_variable: str | None = None) -> str:
    """One line for a part's failure (a bug must not kill a monitor left open all day).

    A 404 says "check the base URL" when every part answers it; when other parts
    of the poll answered (``partial``) the base URL is right: this API lacks the part.
    A rejected key names the variable the account's key is read from."""
    if partial and isinstance(exc, BadRequest) and exc.status == 404:
        return exc.part_message()
    if isinstance(exc, AuthError):
        return exc.naming(key_variable)
    if isinstance(exc, ProviderError):
        return str(exc)
    return f"internal error: {type(exc).__name__}: {exc}"


def _needs_user(exc: BaseException) -> bool:
    """Retrying cannot fix it: a refused key, no access, a request the API rejects."""
    return isinstance(exc, (AuthError, ForbiddenError, BadRequest))


def _failed(failures: list[Failure], partial: bool, key_variable: str | None
            ) -> tuple[PartFailure, ...]:
    return tuple(PartFailure(part.name, part.fills, _error_of(exc, partial, key_variable), part.day)
                 for part, exc in failures)


def _counts(parts: list[Part]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in parts:
        counts[part.name] = counts.get(part.name, 0) + 1
    return counts


def _merged(fetched_at: dt.datetime, results: list[PollResult]) -> PollResult:
    """The landed parts as one result (one transaction); days in date order."""
    return PollResult(
        fetched_at=fetched_at,
        scopes=tuple(scope for result in results for scope in result.scopes),
        day_breakdowns=tuple(sorted((day for result in results for day in result.day_breakdowns),
                                    key=lambda breakdown: breakdown.start)),
        account_daily=next((r.account_daily for r in results if r.account_daily), None),
        key_daily=tuple(daily for result in results for daily in result.key_daily),
        item_keys=tuple(item for result in results for item in result.item_keys),
        billing=next((r.billing for r in results if r.billing), None),
        range_keys=tuple(breakdown for result in results for breakdown in result.range_keys),
    )


async def _first_error(awaitable: Awaitable[PollResult]) -> PollResult:
    """Unwrap a TaskGroup's ExceptionGroup to the first error, which the caller reports."""
    try:
        return await awaitable
    except ExceptionGroup as group:
        first = group.exceptions[0]
        while isinstance(first, ExceptionGroup):
            first = first.exceptions[0]
        raise first from None
