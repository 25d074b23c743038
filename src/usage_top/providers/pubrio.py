"""Pubrio's usage API mapped to the normalised model.

Endpoints (all ``POST`` with a JSON body, header ``pubrio-api-key``):
``/profile/usage`` for the scope cards, ``/api_keys/usage/breakdown`` for by-key
and by-endpoint figures, ``/api_keys/usage/daily`` for daily series and
``/profile`` for the balance and billing cycle. Dates in request bodies and the
``last_used`` timestamps are in the workspace timezone; everything leaves this
module as aware UTC datetimes or plain workspace dates.

Pubrio's words stay here: a "log type" (``slug``) is an item of the ``endpoint``
dimension, requests and credits are the measures ``requests`` and ``credits``,
and the shares the vendor sends are dropped (views compute them from totals).
What it reports is declared in ``pubrio_capabilities`` (cheap to import).

Vendor JSON is parsed defensively: unknown fields are ignored, missing optional
ones take defaults, and anything that cannot make valid model objects becomes a
:class:`BadResponse` naming the endpoint, never a crash further up.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from usage_top.domain.measures import REQUESTS, add
from usage_top.domain.model import (
    Billing,
    Breakdown,
    DailyUsage,
    DayFigures,
    ItemDaily,
    Period,
    PollResult,
    ScopeUsage,
    Usage,
)
from usage_top.domain.parts import DAYS, SCOPES, Part
from usage_top.domain.periods import period_end
from usage_top.providers.errors import BadResponse, NoApiAccess
from usage_top.providers.pubrio_capabilities import CAPABILITIES, ENDPOINT, NAME

if TYPE_CHECKING:
    from usage_top.providers.http import ApiClient

SOFT_RATE_LIMIT_PER_MINUTE = 300
"""Pubrio documents a soft limit of 300 requests/min on the API; it sends no header."""

AUTH_HEADER = "pubrio-api-key"
USAGE_PATH = "/profile/usage"
BREAKDOWN_PATH = "/api_keys/usage/breakdown"
DAILY_PATH = "/api_keys/usage/daily"
PROFILE_PATH = "/profile"
UNNAMED_KEY = "(unnamed key)"

_SCOPES = (("api", "API", "requests"), ("portal", "Portal", None))
"""Pubrio's scopes in the order they are shown: (scope, label, measure keys count in)."""
_SCOPE_PERIODS = (Period.MONTHLY, Period.DAILY, Period.HOURLY)
CONCURRENCY = 4
"""Requests in flight at once: the first poll's 31 days finish in ~8 round trips and
stay well inside the soft limit."""

MAX_COUNT = 10**12
"""Largest request or credit count taken from the vendor. Far above any real figure,
and small enough that SQLite's 64-bit sums over years of rows cannot overflow."""

T = TypeVar("T")


def _utf8(text: str) -> str:
    """JSON may carry lone surrogates (``"\\ud800"``) that SQLite cannot store."""
    return text.encode("utf-8", "replace").decode("utf-8")


Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Credits = Annotated[float, Field(ge=0, le=MAX_COUNT, allow_inf_nan=False)]
Text = Annotated[str, AfterValidator(_utf8)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Figures(_Lenient):
    requests: Count = 0
    credits: Credits = 0

    def figures(self) -> dict[str, float]:
        return {"requests": self.requests, "credits": self.credits}


class _KeyRow(_Figures):
    name: Text | None = None
    last_used: str | None = None


class _EndpointRow(_Figures):
    slug: Text | None = None
    name: Text | None = None


class _BreakdownData(_Lenient):
    by_key: list[_KeyRow] = []
    by_endpoint: list[_EndpointRow] = []
    totals: _Figures = _Figures()


class _DayRow(_Figures):
    """A daily series item. Its fields are not public: inferred as {date, requests, credits}."""

    date: dt.date


class _LogTypeSeries(_Lenient):
    """A ``by_log_type`` item; shape inferred as {slug, name, series: [day rows]}."""

    slug: Text | None = None
    name: Text | None = None
    series: list[_DayRow] = []


class _DailyData(_Lenient):
    series: list[_DayRow] = []
    by_log_type: list[_LogTypeSeries] = []


class _Subscription(_Lenient):
    name: Text | None = None
    monthly_credit: Credits | None = None


class _ProfileData(_Lenient):
    credit: Credits | None = None
    topup_credit: Credits | None = None
    subscription: _Subscription = _Subscription()
    credit_costs: dict[Text, Credits] = {}
    last_refill_date: dt.date | None = None
    next_refill_date: dt.date | None = None

    def billing(self) -> Billing:
        return Billing(
            plan=self.subscription.name,
            balance=self.credit,
            topup=self.topup_credit,
            cycle_allowance=self.subscription.monthly_credit,
            cycle_start=self.last_refill_date,
            cycle_end=self.next_refill_date,
            prices=self.credit_costs,
        )


class _Envelope(_Lenient):
    data: dict[str, Any]


def connect(base_url: str, api_key: str, *, tz: ZoneInfo, timeout: float,
            max_wait: float | None = None) -> PubrioProvider:
    """A provider with its own HTTP client (httpx is imported only now: ``--no-poll``
    runs never pay for it); ``max_wait``: the longest server-asked wait sat through."""
    from usage_top.providers.http import ApiClient

    return PubrioProvider(ApiClient(base_url, {AUTH_HEADER: api_key}, timeout=timeout,
                                    max_retry_after=max_wait), tz)


class PubrioProvider:
    """Reads one Pubrio workspace's usage through an :class:`ApiClient`.

    Every request goes through one semaphore, so a poll (scopes and up to 31
    days at once) never has more than ``concurrency`` requests in flight.
    """

    name = NAME
    capabilities = CAPABILITIES
    fetch_paths = {"key": DAILY_PATH, "item": BREAKDOWN_PATH, "billing": PROFILE_PATH,
                   "range": BREAKDOWN_PATH}
    """The path of each on-demand fetch, named in its errors as a poll's parts are."""

    def __init__(self, client: ApiClient, tz: ZoneInfo, *, concurrency: int = CONCURRENCY) -> None:
        self._client = client
        self._tz = tz
        self._limit = asyncio.Semaphore(concurrency)

    @property
    def requests_made(self) -> int:
        """HTTP requests sent so far, retries included (the client counts them)."""
        return self._client.stats.requests_sent

    async def aclose(self) -> None:
        await self._client.aclose()

    async def scopes(self, now: dt.datetime) -> list[ScopeUsage]:
        """Current usage against limits, one entry per scope and period."""
        data = await self._data(USAGE_PATH, {})
        if data.get("is_api_access_available") is False:
            raise NoApiAccess()
        return _parse(lambda: list(self._scopes(data, now)), USAGE_PATH)

    async def day_breakdowns(self, days: Sequence[dt.date]) -> list[Breakdown]:
        """One single-day breakdown per day (all keys), in the order asked; the first
        failure cancels the rest (the poll lands whole or not at all)."""
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._breakdown(day, day)) for day in days]
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None
        return [task.result() for task in tasks]

    def poll_parts(self, now: dt.datetime, days: Sequence[dt.date], *, scopes: bool = True) -> list[Part]:
        """The poll's parts: the scope readings, and each day's breakdown on its own
        (a request each), so one failing endpoint or day costs its own figures only."""
        parts = [Part(f"scopes ({USAGE_PATH})", SCOPES, partial(self._scopes_part, now))] if scopes else []
        return parts + [Part(f"breakdown ({BREAKDOWN_PATH})", DAYS, partial(self._day_part, day, now), day)
                        for day in days]

    async def _scopes_part(self, now: dt.datetime) -> PollResult:
        return PollResult(fetched_at=now, scopes=tuple(await self.scopes(now)))

    async def _day_part(self, day: dt.date, now: dt.datetime) -> PollResult:
        return PollResult(fetched_at=now, day_breakdowns=(await self._breakdown(day, day),))

    async def key_daily(self, key: str, start: dt.date, end: dt.date) -> DailyUsage:
        """One key's per-day series over a range, total and per endpoint."""
        return await self._daily(start, end, {"keys": [key]})

    async def item_keys(self, kind: str, item: str, start: dt.date, end: dt.date) -> Breakdown:
        """Which keys called one endpoint over a range (filtered by its log type)."""
        if kind != ENDPOINT.kind:
            raise ValueError(f"Pubrio has no dimension {kind!r}")
        return await self._breakdown(start, end, {"log_type_slugs": [item]})

    async def range_keys(self, start: dt.date, end: dt.date) -> Breakdown:
        """The top 100 keys over the whole range, each counted on every day of it (the
        single-day lists leave a key out on the days it is outside that day's top)."""
        return await self._breakdown(start, end)

    async def billing(self) -> Billing:
        """Credit balance, top-up credit, plan and refill dates (``/profile``; item
        fields beyond those documented are inferred and read defensively)."""
        data = await self._data(PROFILE_PATH, {})
        return _parse(lambda: _ProfileData.model_validate(data).billing(), PROFILE_PATH)

    async def _breakdown(self, start: dt.date, end: dt.date, filters: dict | None = None) -> Breakdown:
        path = BREAKDOWN_PATH
        data = await self._data(path, _range_body(start, end, filters))
        return _parse(lambda: self._parse_breakdown(start, end, _BreakdownData.model_validate(data)), path)

    async def _daily(self, start: dt.date, end: dt.date, filters: dict) -> DailyUsage:
        path = DAILY_PATH
        data = await self._data(path, _range_body(start, end, filters))
        return _parse(lambda: _daily(start, end, _DailyData.model_validate(data)), path)

    async def _data(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self._limit:
            payload = await self._client.post_json(path, body)
        return _parse(lambda: _Envelope.model_validate(payload).data, path)

    def _scopes(self, data: dict[str, Any], now: dt.datetime) -> Iterable[ScopeUsage]:
        quota_shared = bool(data.get("is_quota_sharing_enabled"))
        for scope, label, measure in _SCOPES:
            refreshed = _iso_time(data.get(f"{scope}_last_refreshed"))
            for period in _SCOPE_PERIODS:
                used = _reading(data, f"{scope}_{period.value}_usage")
                if used is None:
                    continue
                seat_limit = _reading(data, f"max_{scope}_{period.value}_query")
                total_limit = _reading(data, f"total_max_{scope}_{period.value}_query")
                limit = total_limit if quota_shared and total_limit else seat_limit
                yield ScopeUsage(
                    scope=scope,
                    period=period,
                    used=used,
                    unit=REQUESTS,
                    label=label,
                    limit=limit or None,
                    rate_limit_per_minute=SOFT_RATE_LIMIT_PER_MINUTE if scope == "api" else None,
                    refreshed_at=refreshed,
                    resets_at=period_end(period, now, self._tz),
                    measure=measure,
                )

    def _parse_breakdown(self, start: dt.date, end: dt.date, data: _BreakdownData) -> Breakdown:
        return Breakdown(
            start=start,
            end=end,
            totals=data.totals.figures(),
            by_key=_merged(self._key_usage(row) for row in data.by_key),
            by_dimension={ENDPOINT.kind: _merged(_endpoint_usage(row) for row in data.by_endpoint)},
        )

    def _key_usage(self, row: _KeyRow) -> Usage:
        key = (row.name or "").strip() or UNNAMED_KEY
        return Usage(id=key, name=key, figures=row.figures(), last_used=self._local_time(row.last_used))

    def _local_time(self, text: str | None) -> dt.datetime | None:
        """Parse a vendor timestamp (workspace local, no zone); None when unusable."""
        if not text:
            return None
        try:
            stamp = dt.datetime.fromisoformat(text)
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=self._tz)
            return stamp.astimezone(dt.UTC)
        except (ValueError, OverflowError):  # year 1 or 9999 shifted out of range
            return None


def _range_body(start: dt.date, end: dt.date, filters: dict | None) -> dict[str, Any]:
    return {"start_date": start.isoformat(), "end_date": end.isoformat(), **(filters or {})}


def _parse(build: Callable[[], T], path: str) -> T:
    """Run a parse step, turning any validation failure into a one-line BadResponse."""
    try:
        return build()
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise BadResponse(f"{path} returned data usage-top cannot use ({where}: {error['msg']})") from None
    except _Unusable as exc:
        raise BadResponse(f"{path} returned data usage-top cannot use ({exc})") from None
    except (TypeError, AttributeError, ValueError, OverflowError, RecursionError) as exc:
        raise BadResponse(f"{path} returned data usage-top cannot use ({type(exc).__name__})") from None


_COUNT = TypeAdapter(Count)


class _Unusable(ValueError):
    """A value out of range, with a message naming its field."""


def _reading(data: dict[str, Any], field: str) -> int | None:
    """One count of ``/profile/usage`` (absent: None), in range, or _Unusable naming it."""
    value = data.get(field)
    if value is None:
        return None
    try:
        return _COUNT.validate_python(value)
    except ValidationError as exc:
        raise _Unusable(f"{field}: {exc.errors()[0]['msg']}") from None


def _iso_time(text: Any) -> dt.datetime | None:
    """An ISO timestamp as aware UTC; None when absent, unreadable or out of range."""
    if not isinstance(text, str):
        return None
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return stamp.astimezone(dt.UTC) if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    except (ValueError, OverflowError):
        return None


def _item(slug: str | None, name: str | None) -> tuple[str, str]:
    """An endpoint's id and display name; the vendor's null slug is unmapped usage ('')."""
    slug = (slug or "").strip()
    return slug, (name or "").strip() or slug or ENDPOINT.unmapped


def _endpoint_usage(row: _EndpointRow) -> Usage:
    slug, name = _item(row.slug, row.name)
    return Usage(id=slug, name=name, figures=row.figures())


def _merged(rows: Iterable[Usage]) -> tuple[Usage, ...]:
    """Fold rows with the same id into one, so nothing is counted twice downstream."""
    merged: dict[str, Usage] = {}
    for row in rows:
        seen = merged.get(row.id)
        merged[row.id] = row if seen is None else _fold(seen, row)
    return tuple(merged.values())


def _fold(first: Usage, second: Usage) -> Usage:
    """Two rows of one id: figures added, the first name, the later last use."""
    stamps = [stamp for stamp in (first.last_used, second.last_used) if stamp]
    figures = add(dict(first.figures), second.figures)
    return Usage(first.id, first.name, figures, max(stamps) if stamps else None)


def _points(rows: Iterable[_DayRow], start: dt.date, end: dt.date) -> tuple[DayFigures, ...]:
    """Day rows inside the range, one per day (duplicates summed), in date order."""
    days: dict[dt.date, dict[str, float]] = {}
    for row in rows:
        if start <= row.date <= end:
            add(days.setdefault(row.date, {}), row.figures())
    return tuple(DayFigures(day, figures) for day, figures in sorted(days.items()))


def _daily(start: dt.date, end: dt.date, data: _DailyData) -> DailyUsage:
    """The series, and one per endpoint (items of one slug merged, the last name kept)."""
    rows: dict[str, list[_DayRow]] = {}
    names: dict[str, str] = {}
    for item in data.by_log_type:
        slug, name = _item(item.slug, item.name)
        names[slug] = name
        rows.setdefault(slug, []).extend(item.series)
    items = tuple(ItemDaily(slug, names[slug], _points(series, start, end)) for slug, series in rows.items())
    return DailyUsage(start, end, _points(data.series, start, end), {ENDPOINT.kind: items})
