"""Lusha's V3 account usage mapped to the normalised model.

One endpoint, ``GET /v3/account/usage`` (header ``api_key``, base URL
``https://api.lusha.com``): the billing cycle's credits, the request windows
(daily, hourly, minute; Free and Starter plans have no hourly one), the plan
and the price of each action. Lusha has no breakdown by key or endpoint, so
this provider reports scopes and billing only.

The endpoint allows 5 requests a minute. The client's request budget is set to
5 a minute (it waits rather than exceed it), ``min_interval`` says 12 s, and one
poll costs one request: ``scopes`` and ``billing`` share an answer younger than
that. Every Lusha response also carries ``x-rate-limit-<window>``,
``x-<window>-requests-left`` and ``x-<window>-usage``; :class:`RateHeaders`
wraps the client's transport to read them (the shared client does not), and a
window's figures come from them when present: they arrive with every answer,
so they are never older than the body's.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from usage_top.domain.measures import REQUESTS
from usage_top.domain.model import Billing, Breakdown, Period, ScopeUsage
from usage_top.domain.parts import Part, scopes_and_days
from usage_top.providers.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    ForbiddenError,
    ProviderError,
    sanitize,
)
from usage_top.providers.http import ApiClient, ssl_context
from usage_top.providers.lusha_capabilities import CAPABILITIES, CREDITS, MIN_INTERVAL, REQUESTS_PER_MINUTE

NAME = "lusha"
DEFAULT_BASE_URL = "https://api.lusha.com"
KEY_ENV = "LUSHA_API_KEY"
BASE_URL_ENV = "LUSHA_BASE_URL"
USAGE = "/v3/account/usage"
AUTH_HEADER = "api_key"
EXHAUSTED_RETRY = 600.0
"""Seconds to wait after a 402: credits come back at a top-up or the next cycle, not soon."""
MAX_AMOUNT = 10**12


WINDOWS = (("daily", Period.DAILY), ("hourly", Period.HOURLY), ("minute", Period.MINUTE))


class LushaKeyRejected(AuthError):
    """HTTP 401: the key is wrong or revoked."""

    key_variable = KEY_ENV

    def __init__(self) -> None:
        ProviderError.__init__(
            self, f"Lusha rejected the API key (HTTP 401): check {KEY_ENV} or the config file",
            status=401,
        )


class LushaForbidden(ForbiddenError):
    """HTTP 403: the account is inactive, or its plan has no V3 API access."""

    def __init__(self, detail: str) -> None:
        ProviderError.__init__(
            self, f"Lusha refused access (HTTP 403): {detail or 'the account may not use the API'}",
            status=403,
        )


class CreditsExhausted(ProviderError):
    """HTTP 402: the cycle's credits are used up. Polling goes on, slowly: the same
    request succeeds again after a top-up or at the next cycle."""

    retryable = True
    scope = "credits.cycle"
    state = "exhausted"

    def __init__(self, detail: str) -> None:
        said = f": {detail}" if detail else ""
        super().__init__(
            f"Lusha credits are exhausted (HTTP 402{said}): top up or wait for the next "
            "billing cycle; polling continues, slowly",
            status=402, retry_after=EXHAUSTED_RETRY,
        )


@dataclass(frozen=True)
class HeaderWindow:
    """One window as a response's headers give it (a field is None when not sent)."""

    limit: int | None
    left: int | None
    used: int | None


class RateHeaders(httpx.AsyncBaseTransport):
    """The client's transport, wrapped to keep what each Lusha response's headers say.

    Also keeps the ``message`` of the last error body, so a 403 can say the
    vendor's own reason in its one line.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport(verify=ssl_context())
        self.windows: dict[str, HeaderWindow] = {}
        """The last response's windows (empty when it sent no rate headers)."""
        self.error_message = ""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        self.windows = _header_windows(response.headers)
        if response.status_code < 400:
            return response
        body = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        copy = httpx.Response(response.status_code, headers=response.headers, content=body,
                              extensions=response.extensions, request=request)
        self.error_message = _message(copy)
        return copy

    async def aclose(self) -> None:
        await self._inner.aclose()


def _header_windows(headers: httpx.Headers) -> dict[str, HeaderWindow]:
    windows = {}
    for name, _ in WINDOWS:
        window = HeaderWindow(
            _count(headers.get(f"x-rate-limit-{name}")),
            _count(headers.get(f"x-{name}-requests-left")),
            _count(headers.get(f"x-{name}-usage")),
        )
        if window != HeaderWindow(None, None, None):
            windows[name] = window
    return windows


def _count(value: str | None) -> int | None:
    """A header's count; anything but a plain non-negative integer is taken as not sent."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 12 else None


def _message(response: httpx.Response) -> str:
    """The ``message`` of a ``{statusCode, message}`` body, made safe for one line."""
    try:
        payload = response.json()
    except ValueError:
        return ""
    message = payload.get("message") if isinstance(payload, dict) else None
    return sanitize(message) if isinstance(message, str) else ""


def connect(
    base_url: str, api_key: str, *, tz: Any = None, timeout: float = 10.0,
    max_wait: float | None = None,
) -> LushaProvider:
    """A provider with its own client held to 5 requests a minute (``tz`` is unused:
    Lusha's windows reset in UTC and it reports no days)."""
    headers = RateHeaders()
    client = ApiClient(base_url, {AUTH_HEADER: api_key}, timeout=timeout, max_retries=2,
                       max_retry_after=max_wait,
                       budget_per_minute=REQUESTS_PER_MINUTE, transport=headers)
    return LushaProvider(client, headers)


Amount = Annotated[float, Field(ge=0, le=MAX_AMOUNT, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=MAX_AMOUNT)]
Text = Annotated[str, AfterValidator(lambda text: text.encode("utf-8", "replace").decode())]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class _Credits(_Lenient):
    total: Amount | None = None
    used: Amount
    remaining: Amount | None = None


class _Window(_Lenient):
    limit: Count | None = None
    used: Count
    remaining: Count | None = None
    resetsAt: dt.datetime | None = None  # noqa: N815 (the vendor's field name)


class _Plan(_Lenient):
    category: Text | None = None
    renewalType: Text | None = None  # noqa: N815
    startDate: dt.datetime | None = None  # noqa: N815
    endDate: dt.datetime | None = None  # noqa: N815


class _Price(_Lenient):
    credits: Amount
    perQuantity: Annotated[float, Field(gt=0, le=MAX_AMOUNT)] = 1  # noqa: N815


class _Usage(_Lenient):
    credits: _Credits
    rateLimits: dict[Text, _Window | None] = {}  # noqa: N815
    plan: _Plan = _Plan()
    pricing: dict[Text, _Price] = {}


class LushaProvider:
    """Reads one Lusha account's credits, request windows and plan.

    headers: the transport reading the rate headers (None: windows from the body only).
    ticks: seconds, for sharing one answer between the calls of a poll.
    """

    name = NAME
    capabilities = CAPABILITIES

    def __init__(
        self,
        client: ApiClient,
        headers: RateHeaders | None = None,
        ticks: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._get = client.get_json
        self._headers = headers
        self._ticks = ticks
        self._answer: tuple[float, _Usage, dict[str, HeaderWindow]] | None = None

    @property
    def requests_made(self) -> int:
        return self._client.stats.requests_sent

    async def aclose(self) -> None:
        await self._client.aclose()

    async def scopes(self, now: dt.datetime) -> list[ScopeUsage]:
        """The cycle's credits, then the daily, hourly and minute request windows the
        answer has (a window it lacks is left out, not shown as 0)."""
        usage, headers = await self._usage()
        credits = usage.credits
        scopes = [ScopeUsage(
            scope="credits", period=Period.CYCLE, used=credits.used, unit=CREDITS,
            label="Credits", limit=credits.total or None, refreshed_at=now,
            resets_at=_cycle_end(usage.plan, now),
        )]
        windows = {name: _window(usage.rateLimits.get(name), headers.get(name))
                   for name, _ in WINDOWS}
        minute = windows["minute"]
        for name, period in WINDOWS:
            if windows[name] is not None:
                used, limit, resets = windows[name]
                scopes.append(ScopeUsage(
                    scope="requests", period=period, used=used, unit=REQUESTS,
                    label="Requests", limit=limit, refreshed_at=now, resets_at=resets,
                    rate_limit_per_minute=minute[1] if minute else None,
                ))
        return scopes

    async def billing(self) -> Billing:
        """Plan, cycle dates, remaining credits and what each action costs."""
        usage, _ = await self._usage()
        plan, credits = usage.plan, usage.credits
        remaining = credits.remaining
        if remaining is None and credits.total is not None:
            remaining = max(0.0, credits.total - credits.used)
        return Billing(
            plan=_plan_name(plan),
            balance=remaining,
            cycle_allowance=credits.total,
            cycle_start=plan.startDate.date() if plan.startDate else None,
            cycle_end=plan.endDate.date() if plan.endDate else None,
            prices={action: price.credits / price.perQuantity
                    for action, price in usage.pricing.items()},
        )

    def poll_parts(self, now: dt.datetime, days: Any, *, scopes: bool = True) -> list[Part]:
        """One part, the account usage: credits and request windows in one answer."""
        return scopes_and_days(now, (), scopes=scopes, read_scopes=self.scopes,
                               read_days=self.day_breakdowns, scopes_name=f"account usage ({USAGE})")

    async def day_breakdowns(self, days: Any) -> list[Breakdown]:
        """Nothing, without a request: Lusha reports no breakdown by day, key or endpoint."""
        return []

    async def _usage(self) -> tuple[_Usage, dict[str, HeaderWindow]]:
        """The account usage answer, shared by the calls of one poll (younger than 12 s)."""
        if self._answer is not None and self._ticks() - self._answer[0] < MIN_INTERVAL:
            return self._answer[1], self._answer[2]
        payload = await self._fetch()
        usage = _parse(payload)
        headers = dict(self._headers.windows) if self._headers else {}
        self._answer = (self._ticks(), usage, headers)
        return usage, headers

    async def _fetch(self) -> Any:
        try:
            return await self._get(USAGE, {})
        except AuthError:
            raise LushaKeyRejected() from None
        except ForbiddenError:
            raise LushaForbidden(self._vendor_message()) from None
        except BadRequest as failure:
            if failure.status == 402:
                raise CreditsExhausted(self._vendor_message()) from None
            raise

    def _vendor_message(self) -> str:
        return self._headers.error_message if self._headers else ""


def _parse(payload: Any) -> _Usage:
    """The answer as the model reads it, or a one-line BadResponse naming the field."""
    try:
        return _Usage.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "body"
        raise BadResponse(
            f"{USAGE} returned data usage-top cannot use ({where}: {error['msg']})"
        ) from None


def _window(
    body: _Window | None, header: HeaderWindow | None
) -> tuple[float, float | None, dt.datetime | None] | None:
    """A window's (used, limit, resets at): the headers' counts where sent, else the body's."""
    header = header or HeaderWindow(None, None, None)
    used = header.used if header.used is not None else (body.used if body else None)
    if used is None:
        return None
    limit = header.limit if header.limit is not None else (body.limit if body else None)
    return float(used), float(limit) if limit else None, _utc(body.resetsAt if body else None)


def _cycle_end(plan: _Plan, now: dt.datetime) -> dt.datetime | None:
    """When the credits renew: the plan's end date, else (free plans) the next monthly
    anniversary of its start."""
    if plan.endDate is not None:
        return _utc(plan.endDate)
    if plan.startDate is None:
        return None
    start = _utc(plan.startDate)
    months = 1
    while (end := _add_months(start, months)) <= now:
        months += 1
    return end


def _add_months(start: dt.datetime, months: int) -> dt.datetime:
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    following = dt.date(year + month // 12, month % 12 + 1, 1)
    last_day = (following - dt.timedelta(days=1)).day
    return start.replace(year=year, month=month, day=min(start.day, last_day))


def _utc(stamp: dt.datetime | None) -> dt.datetime | None:
    if stamp is None:
        return None
    return stamp.astimezone(dt.UTC) if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _plan_name(plan: _Plan) -> str | None:
    """'Professional (monthly)': the category and how it renews."""
    if not plan.category:
        return None
    name = plan.category[:1].upper() + plan.category[1:]
    return f"{name} ({plan.renewalType})" if plan.renewalType else name
