"""A simulated Lusha V3 ``GET /v3/account/usage`` as a pure request handler.

Auth is the ``api_key`` header; each demo key is an account in one state (see
``KEYS``). The endpoint allows 5 requests a minute per key, counted in fixed
UTC minutes of the simulator's clock (so a frozen test clock keeps them all in
one minute); the 6th answers 429 without ``Retry-After`` (Lusha documents none).
The plan's own windows are enforced too. Errors are ``{statusCode, message}``,
some with ``errors: [...]``. Every answer to a known key carries the nine
``x-rate-limit-*`` / ``x-*-requests-left`` / ``x-*-usage`` headers (the hourly
ones only where the plan has an hourly window).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from usage_top.sim.api import Exchange
from usage_top.sim.harness import CONTROL_PREFIX, Harness, Harnessed, Response, faulty, json_response
from usage_top.sim.daytime import UTC, iso_utc
from usage_top.sim.faults import NO_FAULTS
from usage_top.sim.lusha.account import WINDOW_LENGTHS, Account, Window, window_start
from usage_top.sim.lusha.plans import PLANS, PRICING

USAGE_PATH = "/v3/account/usage"
AUTH_HEADER = "api_key"
ENDPOINT_LIMIT = 5
"""Requests a minute this endpoint allows, per key."""

LUSHA_DEMO_KEY = "lusha-sim-pro-0000-demo"
LUSHA_FREE_KEY = "lusha-sim-free-0000-demo"
LUSHA_PREMIUM_KEY = "lusha-sim-premium-0000-demo"
LUSHA_SCALE_KEY = "lusha-sim-scale-0000-demo"
LUSHA_EXHAUSTED_KEY = "lusha-sim-no-credits-0000-demo"
LUSHA_INACTIVE_KEY = "lusha-sim-inactive-0000-demo"
LUSHA_NO_V3_KEY = "lusha-sim-no-v3-0000-demo"
LUSHA_GDPR_KEY = "lusha-sim-gdpr-0000-demo"

INVALID_KEY = "The API key is invalid"
NO_CREDITS = "Your account requires payment"
INACTIVE = "Your account is not active. Please reach out to support at support@lusha.com for assistance"
NO_V3 = "V3 API access is not enabled for your account"
GDPR = "We are unable to process this contact request due to our GDPR regulations"
"""The documented messages (``NO_V3`` as clients quote it)."""

INVALID_JSON_BODY = b'{"credits":{"total":2400,"used":'
"""What the invalid-JSON fault sends: an answer cut off mid-way."""


@dataclass(frozen=True)
class Refusal:
    """How the vendor turns a key's account away."""

    status: int
    message: str
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class KeyState:
    """A demo key: its account's plan, billing-cycle day and any refusal."""

    plan: str
    cycle_day: int
    refusal: Refusal | None = None


KEYS = {
    LUSHA_DEMO_KEY: KeyState("pro", 14),
    LUSHA_FREE_KEY: KeyState("free", 1),
    LUSHA_PREMIUM_KEY: KeyState("premium", 3),
    LUSHA_SCALE_KEY: KeyState("scale", 22),
    LUSHA_EXHAUSTED_KEY: KeyState("starter", 9, Refusal(402, NO_CREDITS)),
    LUSHA_INACTIVE_KEY: KeyState("pro", 14, Refusal(403, INACTIVE, (INACTIVE,))),
    LUSHA_NO_V3_KEY: KeyState("pro", 14, Refusal(403, NO_V3, (NO_V3,))),
    LUSHA_GDPR_KEY: KeyState("pro", 14, Refusal(451, GDPR)),
}

WINDOW_MESSAGES = {
    "daily": "Daily API quota limit exceeded. Limit {limit} calls per day",
    "hourly": "Hourly API rate limit exceeded. Limit: {limit} calls per hour. Reset in {reset} seconds",
    "minute": "Minute API rate limit exceeded. Limit: {limit} calls per minute. Reset in {reset} seconds",
}
"""The daily and hourly wordings are documented; the minute one follows them."""


def error(status: int, message: str, errors: tuple[str, ...] = (),
          headers: Mapping[str, str] | None = None) -> Response:
    """The vendor's ``{statusCode, message}`` body (``errors`` when there are any)."""
    payload: dict[str, Any] = {"statusCode": status, "message": message}
    if errors:
        payload["errors"] = list(errors)
    return json_response(status, payload, headers)


class LushaSimulator(Harnessed):
    """A deterministic, seeded stand-in for Lusha's account usage endpoint.

    ``clock`` returns the current aware datetime (None: real UTC time); the
    accounts' background traffic, credits and billing cycles follow it, and so
    do the rate windows, which count the simulator's requests by that clock.
    """

    def __init__(self, seed: int = 7, clock: Callable[[], dt.datetime] | None = None) -> None:
        self.seed = seed
        self._clock = clock or (lambda: dt.datetime.now(UTC))
        self.accounts = {
            key: Account(seed, key, PLANS[state.plan], state.cycle_day)
            for key, state in KEYS.items()
        }
        self._harness = Harness()
        self._lock = threading.Lock()
        self._calls: defaultdict[str, deque[dt.datetime]] = defaultdict(deque)

    def now(self) -> dt.datetime:
        """The simulator's current instant, in UTC."""
        return self._clock().astimezone(UTC)

    # Requests ---------------------------------------------------------------

    def exchange(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Exchange:
        """Answer one request; also return the faults its delivery must suffer."""
        route = path.partition("?")[0]
        if route.startswith(CONTROL_PREFIX):
            return Exchange(*self._harness.control(method, route, body, {}), NO_FAULTS)
        faults = self._harness.draw(route)

        def fault_error(status: int, extra: Mapping[str, str]) -> Response:
            return error(status, _reason(status), headers=extra)

        response = faulty(faults, fault_error, INVALID_JSON_BODY) or self._answer(
            method, route, headers
        )
        self._harness.record(method, route, response[0])
        return Exchange(*response, faults)

    def _answer(self, method: str, route: str, headers: Mapping[str, str]) -> Response:
        """Route, authenticate, rate-limit and serve."""
        if route != USAGE_PATH or method.upper() != "GET":
            return error(404, f"Cannot {method.upper()} {route}")
        key = next((v for k, v in headers.items() if k.lower() == AUTH_HEADER), None)
        account = self.accounts.get(key or "")
        if key is None or account is None:
            return error(401, INVALID_KEY)
        now = self.now()
        with self._lock:
            refusal = KEYS[key].refusal or self._over_limit(key, account, now)
            if refusal is None:
                self._calls[key].append(now)
            windows = self._windows(key, account, now)
        rate_headers = _headers(windows)
        if refusal is not None:
            return error(refusal.status, refusal.message, refusal.errors, rate_headers)
        return json_response(200, self._usage(account, windows, now), rate_headers)

    def _over_limit(self, key: str, account: Account, now: dt.datetime) -> Refusal | None:
        """The 429 this request gets: the endpoint's own limit, then the plan's windows."""
        if self._own_calls(key, window_start("minute", now)) >= ENDPOINT_LIMIT:
            reset = _seconds_to_reset("minute", now)
            return Refusal(429, WINDOW_MESSAGES["minute"].format(limit=ENDPOINT_LIMIT, reset=reset))
        for name, window in self._windows(key, account, now).items():
            if window.remaining == 0:
                message = WINDOW_MESSAGES[name].format(
                    limit=window.limit, reset=_seconds_to_reset(name, now)
                )
                return Refusal(429, message)
        return None

    def _windows(self, key: str, account: Account, now: dt.datetime) -> dict[str, Window]:
        """The plan's windows at ``now``: the account's own calls plus the simulator's."""
        windows = {}
        for name, limit in account.limits().items():
            start = window_start(name, now)
            used = account.background_calls(start, now) + self._own_calls(key, start)
            windows[name] = Window(limit, used, start + WINDOW_LENGTHS[name])
        return windows

    def _own_calls(self, key: str, since: dt.datetime) -> int:
        """Requests this key made to the simulator since ``since`` (older ones forgotten)."""
        calls = self._calls[key]
        while calls and calls[0] < since - dt.timedelta(days=1):
            calls.popleft()
        return sum(1 for at in calls if at >= since)

    def _usage(self, account: Account, windows: dict[str, Window], now: dt.datetime) -> dict[str, Any]:
        """The account usage body."""
        used = account.credits_used(now)
        start, end = account.cycle(now)
        return {
            "credits": {
                "total": account.plan.credits,
                "used": used,
                "remaining": account.plan.credits - used,
            },
            "rateLimits": {
                name: {
                    "limit": window.limit,
                    "used": window.used,
                    "remaining": window.remaining,
                    "resetsAt": iso_utc(window.resets_at),
                }
                for name, window in windows.items()
            },
            "plan": {
                "category": account.plan.category,
                "renewalType": "monthly",
                "startDate": iso_utc(start),
                "endDate": iso_utc(end) if account.plan.renews else None,
            },
            "pricing": PRICING,
        }


def _headers(windows: dict[str, Window]) -> dict[str, str]:
    """The rate-limit headers of every window the plan has."""
    headers = {}
    for name, window in windows.items():
        headers[f"x-rate-limit-{name}"] = str(window.limit)
        headers[f"x-{name}-requests-left"] = str(window.remaining)
        headers[f"x-{name}-usage"] = str(window.used)
    return headers


def _seconds_to_reset(name: str, now: dt.datetime) -> int:
    end = window_start(name, now) + WINDOW_LENGTHS[name]
    return max(1, int((end - now).total_seconds()))


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"
