"""The simulated vendor as a pure request handler (no sockets).

``Simulator.handle`` turns (method, path, headers, body) into (status, headers,
body) the way the vendor would, including the soft rate limit and the faults
that can be expressed in a response. Socket-level faults (latency, a body cut
short) need a connection, so ``exchange`` also hands the drawn faults to the
server, which applies them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from usage_top.sim import endpoints
from usage_top.sim.data import UsageData
from usage_top.sim.daytime import UTC, WorkspaceDays
from usage_top.sim.faults import NO_FAULTS, RATE_LIMIT_MESSAGE, SERVER_ERROR_MESSAGE, Faults
from usage_top.sim.harness import (
    CONTROL_PREFIX, Harness, Harnessed, Response, faulty, json_response,
)
from usage_top.sim.plan import choose_plan
from usage_top.sim.ratelimit import SOFT_LIMIT, RateWindow

DEMO_API_KEY = "sim-demo-key"
FREE_PLAN_KEY = "sim-free-plan"
AUTH_HEADER = "pubrio-api-key"

INVALID_API_KEY = "Invalid API key"
NO_API_ACCESS = (
    "API access is not available on your plan. Upgrade to a paid plan to use the API."
)
INVALID_JSON_BODY = b'{"metadata":{"filters":{}},"data":{"by_key":[{"name":'
"""What the invalid-JSON fault sends: a JSON body cut off mid-way."""

class Exchange(NamedTuple):
    """A response and the faults the server must still apply to its delivery."""

    status: int
    headers: dict[str, str]
    body: bytes
    faults: Faults


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The vendor's ``{"error": ...}`` body."""
    return json_response(status, {"error": message}, headers)


class Simulator(Harnessed):
    """A deterministic, seeded stand-in for the vendor's usage API.

    ``clock`` returns the current aware datetime (default: real UTC time); all
    usage is derived from it, so a frozen or stepped clock gives reproducible
    answers. ``tz`` is the workspace timezone that request dates are read in.
    ``rate_limit`` is the soft per-minute limit (None: never refuse).
    ``api_key`` is the key it accepts (secrets tests use a distinctive one).
    """

    def __init__(
        self,
        seed: int = 7,
        clock: Callable[[], dt.datetime] | None = None,
        tz: str = "UTC",
        keys: int = 36,
        endpoints: int = 20,
        rate_limit: int | None = SOFT_LIMIT,
        api_key: str = DEMO_API_KEY,
    ) -> None:
        self.seed = seed
        self.api_key = api_key
        self._clock = clock or (lambda: dt.datetime.now(UTC))
        self.days = WorkspaceDays(ZoneInfo(tz))
        now = self.now()
        self.data = UsageData(seed, self.days, self.days.today(now), keys, endpoints)
        self.plan = choose_plan(self.data, now)
        self._window = RateWindow(rate_limit or SOFT_LIMIT, enforce=rate_limit is not None)
        self._harness = Harness()
        self._routes = {
            "/api_keys/usage/breakdown": self._breakdown,
            "/api_keys/usage/daily": self._daily,
            "/profile/usage": self._profile_usage,
            "/profile": self._profile,
        }

    def now(self) -> dt.datetime:
        """The simulator's current instant, in UTC."""
        return self._clock().astimezone(UTC)

    @property
    def key_names(self) -> list[str]:
        """The masked names of the workspace's keys (as ``by_key`` shows them)."""
        return [key.name for key in self.data.keys]

    @property
    def spike_key(self) -> str:
        """The masked name of the key whose volume spikes on the last two days."""
        return self.data.keys[self.data.spike_key].name

    # Requests ---------------------------------------------------------------

    def exchange(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Exchange:
        """Answer one request; also return the faults its delivery must suffer."""
        path = path.split("?", 1)[0]
        if path.startswith(CONTROL_PREFIX):
            return Exchange(*self._harness.control(method, path, body), NO_FAULTS)
        arrived = time.monotonic()
        faults = NO_FAULTS
        if self._window.admit(arrived):
            faults = self._harness.draw(path)
            response = (faulty(faults, _fault_error, INVALID_JSON_BODY)
                        or self._answer(method, path, headers, body))
        else:
            retry = str(self._window.reset_after(arrived))
            response = error(429, RATE_LIMIT_MESSAGE, {"Retry-After": retry})
        if faults.ratelimit_headers:
            response[1].update(self._ratelimit_headers(arrived))
        self._harness.record(method, path, response[0], arrived)
        return Exchange(*response, faults)

    def _ratelimit_headers(self, now: float) -> dict[str, str]:
        """The soft limit as ``X-RateLimit-*`` and IETF draft headers."""
        limit = self._window.limit
        remaining = self._window.remaining(now)
        reset = self._window.reset_after(now) or int(self._window.seconds)
        window = int(self._window.seconds)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(reset),
            "RateLimit-Policy": f'"default";q={limit};w={window}',
            "RateLimit": f'"default";r={remaining};t={reset}',
        }

    def _answer(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        """Route, authenticate and serve a vendor endpoint."""
        route = self._routes.get(path)
        if route is None:
            return error(404, f"Not found: {path}")
        if method.upper() != "POST":
            return error(405, "Method not allowed", {"Allow": "POST"})
        key = next((v for k, v in headers.items() if k.lower() == AUTH_HEADER), None)
        if key == FREE_PLAN_KEY:
            return error(403, NO_API_ACCESS)
        if key != self.api_key:
            return error(401, INVALID_API_KEY)
        try:
            return json_response(200, route(body, self.now()))
        except endpoints.BadRequest as bad:
            return json_response(400, bad.payload())

    def _breakdown(self, body: bytes, at: dt.datetime) -> dict[str, Any]:
        return endpoints.breakdown(self.data, endpoints.parse_range(body), at)

    def _daily(self, body: bytes, at: dt.datetime) -> dict[str, Any]:
        return endpoints.daily(self.data, endpoints.parse_range(body), at)

    def _profile_usage(self, body: bytes, at: dt.datetime) -> dict[str, Any]:
        endpoints.json_object(body)  # the body is ignored, but malformed JSON is a 400
        return endpoints.profile_usage(self.data, self.plan, at)

    def _profile(self, body: bytes, at: dt.datetime) -> dict[str, Any]:
        endpoints.json_object(body)  # the body is ignored, but malformed JSON is a 400
        return endpoints.profile(self.data, self.plan, at)


def _fault_error(status: int, retry: Mapping[str, str]) -> Response:
    """The vendor's error body for a status fault."""
    if status == 429:
        return error(429, RATE_LIMIT_MESSAGE, retry)
    return error(status, SERVER_ERROR_MESSAGE if status == 500 else _reason(status), retry)


def _reason(status: int) -> str:
    """The standard reason phrase for ``status`` (or a generic one)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"
