"""The simulated vendor as a pure request handler (no sockets).

``Simulator.handle`` turns (method, path, headers, body) into (status, headers,
body) the way the vendor would, including the soft rate limit and the faults
that can be expressed in a response. Socket-level faults (latency, a body cut
short) need a connection, so ``exchange`` also hands the drawn faults to the
server, which applies them.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from usage_top.sim import endpoints
from usage_top.sim.data import UsageData
from usage_top.sim.daytime import UTC, WorkspaceDays
from usage_top.sim.faults import NO_FAULTS, RATE_LIMIT_MESSAGE, SERVER_ERROR_MESSAGE, Faults
from usage_top.sim.plan import choose_plan
from usage_top.sim.ratelimit import SOFT_LIMIT, RateWindow

DEMO_API_KEY = "sim-demo-key"
FREE_PLAN_KEY = "sim-free-plan"
AUTH_HEADER = "pubrio-api-key"
CONTROL_PREFIX = "/_sim/"
RECORD_LIMIT = 10_000
"""Recorded requests kept (the oldest are dropped; counts stay exact)."""

INVALID_API_KEY = "Invalid API key"
NO_API_ACCESS = (
    "API access is not available on your plan. Upgrade to a paid plan to use the API."
)
JSON_TYPE = "application/json; charset=utf-8"
INVALID_JSON_BODY = b'{"metadata":{"filters":{}},"data":{"by_key":[{"name":'
"""What the invalid-JSON fault sends: a JSON body cut off mid-way."""

Response = tuple[int, dict[str, str], bytes]


class RecordedRequest(NamedTuple):
    """A request the simulator answered; ``time`` is ``time.monotonic()`` at arrival."""

    time: float
    method: str
    path: str
    status: int


class Exchange(NamedTuple):
    """A response and the faults the server must still apply to its delivery."""

    status: int
    headers: dict[str, str]
    body: bytes
    faults: Faults


def json_response(
    status: int, payload: Any, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response with the vendor's content type."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return status, {"Content-Type": JSON_TYPE, **(headers or {})}, body


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The vendor's ``{"error": ...}`` body."""
    return json_response(status, {"error": message}, headers)


class Simulator:
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
        self._lock = threading.Lock()
        self._faults = NO_FAULTS
        self._faults_left = 0
        self._records: deque[RecordedRequest] = deque(maxlen=RECORD_LIMIT)
        self._counts: Counter[str] = Counter()
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

    # Faults -----------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """The faults in force (``Faults()`` once their count is used up)."""
        with self._lock:
            return self._faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self.set_faults(faults)

    def set_faults(self, faults: Faults) -> None:
        """Install ``faults`` for the next ``faults.count`` matching requests."""
        with self._lock:
            self._faults = faults if faults.count else NO_FAULTS
            self._faults_left = faults.count

    def _draw_faults(self, path: str) -> Faults:
        """The faults that apply to this request, using up one of their count."""
        with self._lock:
            faults = self._faults
            if not faults.active or not faults.matches(path) or self._faults_left == 0:
                return NO_FAULTS
            if self._faults_left > 0:
                self._faults_left -= 1
                if self._faults_left == 0:
                    self._faults = NO_FAULTS
            return faults

    # Recording --------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests answered so far, oldest first (control requests excluded)."""
        with self._lock:
            return list(self._records)

    def request_count(self, path: str | None = None) -> int:
        """How many requests were answered, to ``path`` or in all."""
        with self._lock:
            return self._counts[path] if path else sum(self._counts.values())

    def _record(self, arrived: float, method: str, path: str, status: int) -> None:
        with self._lock:
            self._records.append(RecordedRequest(arrived, method, path, status))
            self._counts[path] += 1

    # Requests ---------------------------------------------------------------

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        """Answer one request as the vendor would (no socket-level faults)."""
        status, response_headers, response_body, _ = self.exchange(method, path, headers, body)
        return status, response_headers, response_body

    def exchange(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Exchange:
        """Answer one request; also return the faults its delivery must suffer."""
        path = path.split("?", 1)[0]
        if path.startswith(CONTROL_PREFIX):
            return Exchange(*self._control(method, path, body), NO_FAULTS)
        arrived = time.monotonic()
        faults = NO_FAULTS
        if self._window.admit(arrived):
            faults = self._draw_faults(path)
            response = self._faulty(faults) or self._answer(method, path, headers, body)
        else:
            retry = str(self._window.reset_after(arrived))
            response = error(429, RATE_LIMIT_MESSAGE, {"Retry-After": retry})
        if faults.ratelimit_headers:
            response[1].update(self._ratelimit_headers(arrived))
        self._record(arrived, method, path, response[0])
        return Exchange(*response, faults)

    def _faulty(self, faults: Faults) -> Response | None:
        """The response a status, body or invalid-JSON fault replaces the answer with."""
        retry = {"Retry-After": faults.retry_after} if faults.retry_after else {}
        if faults.body is not None:
            return faults.status or 200, {"Content-Type": JSON_TYPE, **retry}, faults.body.encode()
        if faults.status == 429:
            return error(429, RATE_LIMIT_MESSAGE, retry)
        if faults.status:
            message = SERVER_ERROR_MESSAGE if faults.status == 500 else _reason(faults.status)
            return error(faults.status, message, retry)
        if faults.invalid_json:
            return 200, {"Content-Type": JSON_TYPE}, INVALID_JSON_BODY
        return None

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

    # Control (out-of-process tests) ----------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> Response:
        """``/_sim/faults`` (GET reads, POST sets) and ``GET /_sim/stats``."""
        method = method.upper()
        if path == "/_sim/faults" and method == "POST":
            try:
                self.set_faults(Faults.from_dict(endpoints.json_object(body)))
            except (ValueError, endpoints.BadRequest) as bad:
                return error(400, str(bad))
        if path == "/_sim/faults" and method in ("GET", "POST"):
            return json_response(200, {"faults": self.faults.to_dict()})
        if path == "/_sim/stats" and method == "GET":
            with self._lock:
                counts = dict(self._counts)
            return json_response(200, {"total": sum(counts.values()), "requests": counts})
        return error(404, f"Not found: {path}")


def _reason(status: int) -> str:
    """The standard reason phrase for ``status`` (or a generic one)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"
