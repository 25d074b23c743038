"""The HTTP client every provider adapter shares.

It owns the things each adapter would otherwise get subtly wrong: one
long-lived connection pool, retries with capped and jittered backoff,
``Retry-After`` and rate-limit headers, a client-side request budget, and
turning every failure into a :class:`ProviderError` whose message is safe to
show. The API key lives only in the pooled client's default headers: it is
never logged, never put in a message, and kept out of ``repr()``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import re
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from usage_top.providers.errors import (
    ApiTimeout,
    AuthError,
    BadRequest,
    BadResponse,
    ConnectionFailed,
    ForbiddenError,
    ProviderError,
    RateLimitedError,
    ServerError,
    sanitize,
)

log = logging.getLogger("usage_top.http")

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})
BUDGET_WINDOW = 60.0
MAX_RETRY_AFTER = 120.0
"""The longest wait a server may ask for (``Retry-After``, an exhausted window) that a
request sits through before failing, where ``max_retry_after`` is None; one-shot
commands pass less (``Runtime.open``)."""
UNREACHABLE_RETRIES = 1
URL_CACHE = 256
"""URLs a client keeps parsed: a poll's few dozen, with room for the pages of a backfill."""
KEEPALIVE = 150.0
"""Seconds an idle connection is kept for the next poll (httpx's default is 5 s): at
every interval up to two minutes a poll reuses its connections instead of opening
new ones, a TLS handshake each against a vendor. A connection the server closed
meanwhile is dropped before use; one closed just as a request goes out fails that
attempt as a transport error, which is retried."""
"""Retries of a request no connection opened for (refused, unknown host)."""
_SENSITIVE_HEADER = re.compile(r"key|auth|token|secret|cookie|session|password", re.IGNORECASE)
_NUMBER = re.compile(r"\d{1,15}(?:\.\d{1,9})?")
_COUNT = re.compile(r"\s*(\d{1,15})\s*(?:[,;].*)?", re.DOTALL)
_DURATION = re.compile(r"(?:\d{1,15}(?:\.\d{1,9})?(?:h|ms|m|s))+")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s)")
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_EPOCH_THRESHOLD = 1e9
"""Reset values above this are unix timestamps (2001-09-09), not seconds."""


@dataclass(frozen=True)
class RateLimitInfo:
    """The server's latest word on our quota; a field is None when not sent."""

    limit: int | None
    remaining: int | None
    reset_after: float | None
    """Seconds from ``observed_at`` until the window resets."""
    observed_at: float
    """The client's ``clock()`` when the headers arrived."""
    source: str
    """Which header family it came from, e.g. ``RateLimit`` or ``X-RateLimit-*``."""


@dataclass
class ClientStats:
    """Counters for the UI; plain attributes, cheap to read at any time."""

    requests_sent: int = 0
    """Every request put on the wire, retries included."""
    retries: int = 0
    rate_limited: int = 0
    """HTTP 429 responses seen."""
    last_latency: float | None = None
    """Seconds the last completed response took, body included."""
    last_status: int | None = None
    rate_limit: RateLimitInfo | None = None
    """The latest rate-limit headers seen; kept when later responses have none."""


class ApiClient:
    """POST-JSON client with retries, rate-limit handling and a request budget.

    Create one per provider and keep it for the life of the app: it reuses a
    single ``httpx.AsyncClient`` (a fresh one per request costs ~30 ms CPU).
    ``sleep``, ``clock`` and ``rng`` are injectable so tests can check the
    exact waits without waiting.
    """

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        timeout: float = 10.0,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        max_retry_after: float | None = None,
        budget_per_minute: int = 300,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._host = _check_base_url(base_url)
        _check_headers(headers)
        if max_retries < 0 or budget_per_minute < 1:
            raise ValueError("max_retries must be >= 0 and budget_per_minute >= 1")
        self._base_url = base_url
        self._header_names = tuple(headers)
        self._secrets = _secrets_in(headers)
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_retry_after = MAX_RETRY_AFTER if max_retry_after is None else max_retry_after
        self._budget = budget_per_minute
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()
        self._sent: deque[float] = deque()
        self._not_before = float("-inf")
        self.stats = ClientStats()
        self._urls: dict[tuple[str, tuple[tuple[str, str], ...]], httpx.URL] = {}
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20,  # httpx's
                                keepalive_expiry=KEEPALIVE),
            transport=transport,
            verify=ssl_context(),
        )

    def __repr__(self) -> str:
        return f"ApiClient(base_url={self._base_url!r}, headers=[{', '.join(self._header_names)}])"

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def post_json(self, path: str, body: dict[str, Any]) -> Any:
        """POST ``body`` as JSON to ``path`` and return the parsed JSON reply.

        Transient failures are retried; anything else, or a transient failure
        that outlasts the retries, raises a :class:`ProviderError` subclass.
        Each attempt may first wait for the request budget (up to 60 s) or for
        the server's reset or ``Retry-After`` (up to ``max_retry_after``), so
        a call can take minutes; cancel the task to stop it.
        """
        return await self._request("POST", path, lambda: self._http.post(path, json=body))

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET ``path?params`` and return the parsed JSON reply, as ``post_json`` does.

        A list value becomes the key repeated (``group_by[]=a&group_by[]=b``), as the
        vendors' own SDKs send arrays.
        """
        url = self._url(path, tuple(_query_items(params or {})))
        return await self._request("GET", path, lambda: self._http.get(url))

    def _url(self, path: str, query: tuple[tuple[str, str], ...]) -> httpx.URL:
        """The absolute URL of ``path?query``, parsed once: httpx parses a relative path and
        its query three times a request (path, base merge, query merge), about a tenth of a
        GET's CPU, and a poll asks for the same URLs until the day changes."""
        key = (path, query)
        url = self._urls.get(key)
        if url is None:
            if len(self._urls) >= URL_CACHE:
                self._urls.clear()
            base = self._http.base_url  # as httpx merges them: the path appended to the base's
            raw_path = base.raw_path + httpx.URL(path).raw_path.lstrip(b"/")
            url = self._urls[key] = base.copy_with(raw_path=raw_path).copy_merge_params(query)
        return url

    async def _request(self, method: str, path: str, send: Callable[[], Awaitable[httpx.Response]]) -> Any:
        attempt = 0
        while True:
            attempt += 1
            await self._wait_for_turn()
            try:
                return await self._try_once(method, path, send, attempt)
            except ProviderError as failure:
                if not failure.retryable or attempt > self._retries_for(failure):
                    raise
                await self._pause_before_retry(failure, attempt)

    def _retries_for(self, failure: ProviderError) -> int:
        """How many retries a failure gets: one where no connection opened at all (a
        refused port or an unknown host does not come back within a backoff)."""
        if isinstance(failure, ConnectionFailed) and failure.unreachable:
            return min(self._max_retries, UNREACHABLE_RETRIES)
        return self._max_retries

    async def _wait_for_turn(self) -> None:
        """Hold the request until both the server's window and our budget allow it.

        Loops because another task sharing this client may take the free slot
        while this one sleeps.
        """
        while True:
            now = self._clock()
            delay = max(self._not_before - now, self._budget_wait(now))
            if delay <= 0:
                self._sent.append(now)
                return
            log.debug("throttling for %.1f s", delay)
            await self._sleep(delay)

    def _budget_wait(self, now: float) -> float:
        """Seconds until the sliding 60 s window has room for one more request."""
        while self._sent and self._sent[0] <= now - BUDGET_WINDOW:
            self._sent.popleft()
        if len(self._sent) < self._budget:
            return 0.0
        return self._sent[0] + BUDGET_WINDOW - now

    async def _pause_before_retry(self, failure: ProviderError, attempt: int) -> None:
        """Back off before the next attempt, or give up if the server wants too long.

        A usable ``Retry-After`` has already moved ``_not_before``, so the
        next ``_wait_for_turn`` sleeps for it; only when the server gave no
        delay (missing or zero) do we pick one ourselves.
        """
        if failure.retry_after and failure.retry_after > self._max_retry_after:
            raise failure
        self.stats.retries += 1
        if not failure.retry_after:
            await self._sleep(self._backoff(attempt - 1))

    def _backoff(self, retry: int) -> float:
        """``min(base * 2**retry, cap)`` less up to 25% jitter, so clients don't retry in step."""
        delay = min(self._backoff_base * 2**retry, self._backoff_cap)
        return delay * (1 - 0.25 * self._rng.random())

    async def _try_once(self, method: str, path: str, send: Callable[[], Awaitable[httpx.Response]],
                        attempt: int) -> Any:
        """Send one request; return the parsed JSON or raise a ProviderError.

        Errors are raised ``from None``: the httpx exception underneath can
        carry request details, and a traceback shown with its chain (or its
        locals) must not reveal the key.
        """
        self.stats.requests_sent += 1
        started = time.perf_counter()
        try:
            response = await send()
        except httpx.TransportError as exc:
            log.debug("%s %s failed: %s (attempt %d)", method, path, type(exc).__name__, attempt)
            raise self._transport_failure(exc, attempt) from None
        except httpx.DecodingError:
            raise BadResponse(
                "the API response could not be decompressed: try again later"
            ) from None
        latency = time.perf_counter() - started
        self.stats.last_latency = latency
        self.stats.last_status = response.status_code
        log.debug(
            "%s %s -> %d in %.0f ms (attempt %d)",
            method,
            path,
            response.status_code,
            latency * 1000,
            attempt,
        )
        if response.status_code == 429:
            self.stats.rate_limited += 1
        retry_after = None if response.is_success else parse_retry_after(response.headers)
        self._note_server_limits(response.headers, retry_after)
        if response.is_success:
            return self._decode(response)
        raise self._status_failure(response, attempt, retry_after)

    def _note_server_limits(self, headers: Mapping[str, str], retry_after: float | None) -> None:
        """Record rate-limit headers and when the server will take our next request.

        ``Retry-After`` wins over the rate-limit headers; either wait is capped
        at ``max_retry_after`` so a window that resets in an hour cannot
        freeze the app for an hour.
        """
        now = self._clock()
        info = parse_rate_limit(headers, observed_at=now)
        if info is not None:
            self.stats.rate_limit = info
        if retry_after:
            wait = retry_after
        elif info is not None and info.remaining == 0 and info.reset_after:
            wait = info.reset_after
        else:
            return
        self._not_before = now + min(wait, self._max_retry_after)

    def _decode(self, response: httpx.Response) -> Any:
        """Parse the body as JSON whatever the content-type claims."""
        try:
            return json.loads(response.content)
        except (ValueError, RecursionError) as exc:
            reason = self._clean(str(exc) or type(exc).__name__, limit=80)
            content_type = self._clean(response.headers.get("content-type", ""), limit=60)
            raise BadResponse.invalid_json(reason, content_type) from None

    def _status_failure(
        self, response: httpx.Response, attempt: int, retry_after: float | None
    ) -> ProviderError:
        """Map a non-2xx response to its typed error; ``retryable`` drives the retry loop."""
        status = response.status_code
        detail = self._clean(_vendor_detail(response))
        if status == 401:
            return AuthError()
        if status == 403:
            return ForbiddenError(detail)
        if status == 429:
            return RateLimitedError(detail, retry_after=retry_after, attempts=attempt)
        if status == 408:
            return ApiTimeout(self._timeout, attempts=attempt, status=status)
        if status >= 500:
            return ServerError(
                status,
                detail,
                attempts=attempt,
                retryable=status in RETRY_STATUSES,
                retry_after=retry_after,
            )
        if status < 400:
            return BadResponse(
                f"the API answered with a redirect (HTTP {status}): check the base URL"
            )
        return BadRequest(status, detail)

    def _transport_failure(self, exc: httpx.TransportError, attempt: int) -> ProviderError:
        if isinstance(exc, httpx.TimeoutException):
            return ApiTimeout(self._timeout, attempts=attempt)
        reason = self._clean(f"{type(exc).__name__}: {exc}", limit=120)
        return ConnectionFailed(self._host, reason, attempts=attempt,
                                unreachable=isinstance(exc, httpx.ConnectError))

    def _clean(self, text: str, limit: int = 200) -> str:
        return sanitize(text, self._secrets, limit)


def _query_items(params: Mapping[str, Any]):
    """Query pairs, lists repeated under their key; None values left out."""
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            yield from ((name, str(item)) for item in value)
        else:
            yield name, str(value)


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asks us to wait, or None if absent or unreadable.

    Accepts delay-seconds or an HTTP-date. A date is measured against the
    response's own ``Date`` header when there is one, so a skewed local
    clock doesn't matter; a date in the past gives 0.
    """
    lowered = _lowercase(headers)
    value = lowered.get("retry-after", "").strip()
    seconds = _number(value)
    if seconds is not None:
        return seconds
    when = _http_date(value)
    if when is None:
        return None
    return max(0.0, when - _server_time(lowered))


def parse_rate_limit(headers: Mapping[str, str], observed_at: float = 0.0) -> RateLimitInfo | None:
    """Read whichever rate-limit header family the server sent; never raises.

    Servers disagree on names and formats, and a malformed header must not
    break a poll, so an unreadable value is treated as absent. Families are
    tried newest standard first; the first one with a limit or a remaining
    count wins.
    """
    lowered = _lowercase(headers)
    now = _server_time(lowered)
    families = (
        ("RateLimit", _structured_family(lowered)),
        ("RateLimit-*", _field_family(lowered, "ratelimit-{}", now)),
        ("X-RateLimit-*", _field_family(lowered, "x-ratelimit-{}", now)),
        ("X-RateLimit-*-Requests", _field_family(lowered, "x-ratelimit-{}-requests", now)),
    )
    for source, (limit, remaining, reset_after) in families:
        if limit is not None or remaining is not None:
            return RateLimitInfo(limit, remaining, reset_after, observed_at, source)
    return None


def _structured_family(headers: dict[str, str]) -> tuple[int | None, int | None, float | None]:
    """The IETF draft: ``RateLimit: "default";r=50;t=30``, ``RateLimit-Policy: "default";q=100``.

    With several policies the one with the fewest requests remaining is the
    one that will stop us. This is a lenient split on ``,`` and ``;``, not a
    full RFC 8941 parser: good enough for the tokens and integers used here.
    """
    candidates = []
    for name, params in _sf_items(headers.get("ratelimit", "")):
        remaining = _count(params.get("r"))
        if remaining is not None:
            candidates.append((remaining, name, _number(params.get("t", ""))))
    if not candidates:
        return None, None, None
    remaining, name, reset_after = min(candidates, key=lambda candidate: candidate[0])
    policies = dict(_sf_items(headers.get("ratelimit-policy", "")))
    return _count(policies.get(name, {}).get("q")), remaining, reset_after


def _sf_items(text: str) -> list[tuple[str, dict[str, str]]]:
    items = []
    for member in text.split(","):
        name, *params = member.split(";")
        pairs = (param.partition("=") for param in params)
        values = {key.strip().lower(): value.strip().strip('"') for key, _, value in pairs}
        items.append((name.strip().strip('"'), values))
    return items


def _field_family(
    headers: dict[str, str], pattern: str, now: float
) -> tuple[int | None, int | None, float | None]:
    """One of the ``*-Limit/-Remaining/-Reset`` families, named by ``pattern``."""
    return (
        _count(headers.get(pattern.format("limit"))),
        _count(headers.get(pattern.format("remaining"))),
        _reset_seconds(headers.get(pattern.format("reset")), now),
    )


def _count(value: str | None) -> int | None:
    """A non-negative integer, allowing a trailing ``, 100;w=60`` as older drafts send."""
    match = _COUNT.fullmatch(value) if value is not None else None
    return int(match.group(1)) if match else None


def _number(value: str) -> float | None:
    """A plain non-negative decimal such as ``30`` or ``1.5``; anything else is None."""
    return float(value) if _NUMBER.fullmatch(value) else None


def _reset_seconds(value: str | None, now: float) -> float | None:
    """Seconds until reset from seconds, a unix timestamp, or a duration like ``6m0s``."""
    if value is None:
        return None
    value = value.strip()
    number = _number(value)
    if number is not None:
        return max(0.0, number - now) if number > _EPOCH_THRESHOLD else number
    if _DURATION.fullmatch(value):
        parts = _DURATION_PART.findall(value)
        return sum(float(amount) * _DURATION_UNITS[unit] for amount, unit in parts)
    return None


def _http_date(value: str) -> float | None:
    """An HTTP-date as a unix timestamp, or None if it isn't one."""
    try:
        moment = parsedate_to_datetime(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _server_time(headers: dict[str, str]) -> float:
    """Now, by the server's ``Date`` header when it sent one, else by our clock."""
    server_now = _http_date(headers.get("date", ""))
    return time.time() if server_now is None else server_now


def _lowercase(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _vendor_detail(response: httpx.Response) -> str:
    """The human part of an error body, for the shapes our vendors use.

    Pubrio sends ``{code, message, details}`` or ``{error: "..."}``; OpenAI
    and Anthropic send ``{error: {message}}``. A plain-text body is used as
    is; an HTML error page says nothing useful on one line, so it is dropped.
    """
    try:
        payload = json.loads(response.content)
    except (ValueError, RecursionError):
        text = response.text
        return "" if text.lstrip().startswith("<") else text
    if not isinstance(payload, dict):
        return ""
    error = payload.get("error")
    nested = error.get("message") if isinstance(error, dict) else error
    for candidate in (payload.get("message"), nested):
        if isinstance(candidate, str) and candidate.strip():
            return candidate
    return ""


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One TLS context for every client, as httpx would build each (its CA bundle,
    ``SSL_CERT_FILE``): loading the bundle costs ~40 ms of CPU a client, a second
    before the first frame of twenty accounts."""
    return httpx.create_ssl_context()


def _check_base_url(base_url: str) -> str:
    """Fail at start-up, not on the first poll; returns the host for messages."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the base URL must start with http:// or https:// and name a host")
    return parts.hostname


def _check_headers(headers: Mapping[str, str]) -> None:
    """Reject values httpx would choke on, without echoing them.

    A key pasted with a trailing newline otherwise fails deep inside h11
    with an error that quotes the whole header value.
    """
    for name, value in headers.items():
        if not (value.isascii() and value.isprintable()):
            raise ValueError(
                f"the {name} header contains a line break or a non-ASCII character: "
                "check the config file"
            )


def _secrets_in(headers: Mapping[str, str]) -> tuple[str, ...]:
    """Values to redact from any text we show: credential headers, whole and word by word.

    Word by word catches the token of ``Authorization: Bearer <token>`` when a
    server echoes only the token. Longest first, so a word never pre-empts
    the whole value.
    """
    found: set[str] = set()
    for name, value in headers.items():
        if _SENSITIVE_HEADER.search(name) and value:
            found.add(value)
            found.update(word for word in value.split() if len(word) >= 8)
    return tuple(sorted(found, key=len, reverse=True))
