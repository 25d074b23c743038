"""Pubrio's usage API mapped to the normalised model.

Endpoints (all ``POST`` with a JSON body, header ``pubrio-api-key``):
``/profile/usage`` for the scope cards, ``/api_keys/usage/breakdown`` for by-key
and by-endpoint figures, ``/api_keys/usage/daily`` for daily series. Dates in
request bodies and the ``last_used`` timestamps are in the workspace timezone;
everything leaves this module as aware UTC datetimes or plain workspace dates.

Vendor JSON is parsed defensively: unknown fields are ignored, missing optional
ones take defaults, and anything that cannot make valid model objects becomes a
:class:`BadResponse` naming the endpoint, never a crash further up.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from usage_top.domain.model import (
    Billing,
    Breakdown,
    DailyPoint,
    DailyUsage,
    EndpointDaily,
    EndpointUsage,
    KeyUsage,
    Period,
    ScopeUsage,
    Totals,
)
from usage_top.domain.periods import period_end
from usage_top.providers.errors import BadResponse, NoApiAccess
from usage_top.providers.http import ApiClient

SOFT_RATE_LIMIT_PER_MINUTE = 300
"""Pubrio documents a soft limit of 300 requests/min on the API; it sends no header."""

AUTH_HEADER = "pubrio-api-key"
UNNAMED_KEY = "(unnamed key)"

_SCOPE_PERIODS = (Period.MONTHLY, Period.DAILY, Period.HOURLY)

MAX_COUNT = 10**12
"""Largest request or credit count taken from the vendor. Far above any real figure,
and small enough that SQLite's 64-bit sums over years of rows cannot overflow."""


def _share(value: Any) -> Any:
    """A percentage is only shown, never stored: an unusable one reads as absent
    rather than failing the poll (shares that do not sum to 100 are kept as sent)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and 0 <= value <= MAX_COUNT else None


def _utf8(text: str) -> str:
    """JSON may carry lone surrogates (``"\\ud800"``) that SQLite cannot store."""
    return text.encode("utf-8", "replace").decode("utf-8")


Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Credits = Annotated[float, Field(ge=0, le=MAX_COUNT, allow_inf_nan=False)]
Share = Annotated[float | None, BeforeValidator(_share)]
Text = Annotated[str, AfterValidator(_utf8)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Totals(_Lenient):
    requests: Count = 0
    credits: Credits = 0


class _KeyRow(_Lenient):
    name: Text | None = None
    requests: Count = 0
    credits: Credits = 0
    last_used: str | None = None
    percent_of_requests: Share = None
    percent_of_credits: Share = None


class _EndpointRow(_Lenient):
    slug: Text | None = None
    name: Text | None = None
    requests: Count = 0
    credits: Credits = 0
    percent_of_requests: Share = None
    percent_of_credits: Share = None


class _BreakdownData(_Lenient):
    by_key: list[_KeyRow] = []
    by_endpoint: list[_EndpointRow] = []
    totals: _Totals = _Totals()


class _DayRow(_Lenient):
    """A daily series item. Its fields are not public: inferred as {date, requests, credits}."""

    date: dt.date
    requests: Count = 0
    credits: Credits = 0


class _LogTypeSeries(_Lenient):
    """A ``by_log_type`` item; shape inferred as {slug, name, series: [day rows]}."""

    slug: Text | None = None
    name: Text | None = None
    series: list[_DayRow] = []


class _DailyData(_Lenient):
    series: list[_DayRow] = []
    by_log_type: list[_LogTypeSeries] = []
    totals: _Totals = _Totals()


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
            credit_balance=self.credit,
            topup_credit=self.topup_credit,
            cycle_allowance=self.subscription.monthly_credit,
            last_refill=self.last_refill_date,
            next_refill=self.next_refill_date,
            credit_costs=self.credit_costs,
        )


class _Envelope(_Lenient):
    data: dict[str, Any]


class PubrioProvider:
    """Reads one Pubrio workspace's usage through an :class:`ApiClient`."""

    name = "pubrio"

    def __init__(self, client: ApiClient, tz: ZoneInfo) -> None:
        self._client = client
        self._tz = tz

    async def scopes(self, now: dt.datetime) -> list[ScopeUsage]:
        """Current usage against limits, one entry per scope and period."""
        data = await self._data("/profile/usage", {})
        if data.get("is_api_access_available") is False:
            raise NoApiAccess()
        return _parse(lambda: list(self._scopes(data, now)), "/profile/usage")

    async def profile(self) -> Billing:
        """Credit balance, top-up credit, plan and refill dates (``/profile``; item
        fields beyond those documented are inferred and read defensively)."""
        data = await self._data("/profile", {})
        return _parse(lambda: _ProfileData.model_validate(data).billing(), "/profile")

    async def breakdown(
        self,
        start: dt.date,
        end: dt.date,
        keys: Sequence[str] = (),
        slugs: Sequence[str] = (),
    ) -> Breakdown:
        """Requests and credits by key, by endpoint and in total for a date range."""
        path = "/api_keys/usage/breakdown"
        data = await self._data(path, _range_body(start, end, keys, slugs))
        return _parse(lambda: self._breakdown(start, end, _BreakdownData.model_validate(data)), path)

    async def daily(
        self,
        start: dt.date,
        end: dt.date,
        keys: Sequence[str] = (),
        slugs: Sequence[str] = (),
    ) -> DailyUsage:
        """A per-day series over a range, total and per endpoint."""
        path = "/api_keys/usage/daily"
        data = await self._data(path, _range_body(start, end, keys, slugs))
        return _parse(lambda: _daily(start, end, _DailyData.model_validate(data)), path)

    async def _data(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = await self._client.post_json(path, body)
        return _parse(lambda: _Envelope.model_validate(payload).data, path)

    def _scopes(self, data: dict[str, Any], now: dt.datetime):
        quota_shared = bool(data.get("is_quota_sharing_enabled"))
        for scope in ("api", "portal"):
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
                    limit=limit or None,
                    rate_limit_per_minute=SOFT_RATE_LIMIT_PER_MINUTE if scope == "api" else None,
                    refreshed_at=refreshed,
                    resets_at=period_end(period, now, self._tz),
                )

    def _breakdown(self, start: dt.date, end: dt.date, data: _BreakdownData) -> Breakdown:
        return Breakdown(
            start=start,
            end=end,
            by_key=tuple(_merge_keys(self._key_usage(row) for row in data.by_key)),
            by_endpoint=tuple(_merge_endpoints(_endpoint_usage(row) for row in data.by_endpoint)),
            totals=Totals(requests=data.totals.requests, credits=data.totals.credits),
        )

    def _key_usage(self, row: _KeyRow) -> KeyUsage:
        return KeyUsage(
            key=(row.name or "").strip() or UNNAMED_KEY,
            requests=row.requests,
            credits=row.credits,
            last_used=self._local_time(row.last_used),
            percent_of_requests=row.percent_of_requests or 0.0,
            percent_of_credits=row.percent_of_credits or 0.0,
        )

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


def _range_body(start: dt.date, end: dt.date, keys: Sequence[str], slugs: Sequence[str]) -> dict:
    body: dict[str, Any] = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    if keys:
        body["keys"] = list(keys)
    if slugs:
        body["log_type_slugs"] = list(slugs)
    return body


def _parse(build, path: str):
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


def _endpoint_usage(row: _EndpointRow) -> EndpointUsage:
    slug = (row.slug or "").strip()
    return EndpointUsage(
        slug=slug,
        name=(row.name or "").strip() or slug or "Unmapped requests",
        requests=row.requests,
        credits=row.credits,
        percent_of_requests=row.percent_of_requests or 0.0,
        percent_of_credits=row.percent_of_credits or 0.0,
    )


def _merge_keys(rows) -> list[KeyUsage]:
    """Fold duplicate key rows into one, so a key is never counted twice downstream."""
    merged: dict[str, KeyUsage] = {}
    for row in rows:
        seen = merged.get(row.key)
        if seen is None:
            merged[row.key] = row
            continue
        stamps = [stamp for stamp in (seen.last_used, row.last_used) if stamp]
        merged[row.key] = seen.model_copy(
            update={
                "requests": seen.requests + row.requests,
                "credits": seen.credits + row.credits,
                "last_used": max(stamps) if stamps else None,
                "percent_of_requests": seen.percent_of_requests + row.percent_of_requests,
                "percent_of_credits": seen.percent_of_credits + row.percent_of_credits,
            }
        )
    return list(merged.values())


def _merge_endpoints(rows) -> list[EndpointUsage]:
    """Fold duplicate endpoint rows (same slug) into one."""
    merged: dict[str, EndpointUsage] = {}
    for row in rows:
        seen = merged.get(row.slug)
        merged[row.slug] = row if seen is None else seen.model_copy(
            update={
                "requests": seen.requests + row.requests,
                "credits": seen.credits + row.credits,
                "percent_of_requests": seen.percent_of_requests + row.percent_of_requests,
                "percent_of_credits": seen.percent_of_credits + row.percent_of_credits,
            }
        )
    return list(merged.values())


def _points(rows: list[_DayRow], start: dt.date, end: dt.date) -> tuple[DailyPoint, ...]:
    """Day rows inside the range, one per day (duplicates summed), in date order."""
    days: dict[dt.date, list[float]] = {}
    for row in rows:
        if start <= row.date <= end:
            total = days.setdefault(row.date, [0, 0.0])
            total[0] += row.requests
            total[1] += row.credits
    return tuple(
        DailyPoint(day=day, requests=requests, credits=credits)
        for day, (requests, credits) in sorted(days.items())
    )


def _daily(start: dt.date, end: dt.date, data: _DailyData) -> DailyUsage:
    by_slug: dict[str, EndpointDaily] = {}
    for item in data.by_log_type:
        slug = (item.slug or "").strip()
        rows = list(item.series)
        if slug in by_slug:
            rows += [
                _DayRow(date=p.day, requests=p.requests, credits=p.credits)
                for p in by_slug[slug].series
            ]
        name = (item.name or "").strip() or slug or "Unmapped requests"
        by_slug[slug] = EndpointDaily(slug=slug, name=name, series=_points(rows, start, end))
    return DailyUsage(
        start=start,
        end=end,
        series=_points(data.series, start, end),
        by_endpoint=tuple(by_slug.values()),
        totals=Totals(requests=data.totals.requests, credits=data.totals.credits),
    )
