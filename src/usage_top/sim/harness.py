"""What every simulated vendor needs besides its own endpoints.

Installed faults with their use-up count, the record of answered requests and
the ``/_sim/`` control endpoints work the same for every vendor; only the shape
of an error body differs, so callers pass their own error builder. Every
simulator holds a ``Harness`` and offers it to tests through ``Harnessed``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from usage_top.sim.faults import NO_FAULTS, Faults

Response = tuple[int, dict[str, str], bytes]
ErrorBuilder = Callable[[int, Mapping[str, str]], Response]
"""Builds the vendor's error response for a status (with extra headers)."""
ControlError = Callable[[int, str], Response]
"""Builds the answer to a bad control request (status, message)."""
JSON_TYPE = "application/json; charset=utf-8"


class RecordedRequest(NamedTuple):
    """A request the simulator answered; ``time`` is ``time.monotonic()`` at arrival."""

    time: float
    method: str
    path: str
    status: int


def json_response(
    status: int, payload: Any, headers: Mapping[str, str] | None = None
) -> Response:
    """A JSON response with the vendor's content type."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return status, {"Content-Type": JSON_TYPE, **(headers or {})}, body


def _control_error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})

CONTROL_PREFIX = "/_sim/"
RECORD_LIMIT = 10_000
"""Recorded requests kept (the oldest are dropped; counts stay exact)."""


class Harness:
    """Faults, request records and control endpoints for one simulator."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults = NO_FAULTS
        self._faults_left = 0
        self._records: deque[RecordedRequest] = deque(maxlen=RECORD_LIMIT)
        self._counts: Counter[str] = Counter()

    # Faults -----------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        """The faults in force (``Faults()`` once their count is used up)."""
        with self._lock:
            return self._faults

    def set_faults(self, faults: Faults) -> None:
        """Install ``faults`` for the next ``faults.count`` matching requests."""
        with self._lock:
            self._faults = faults if faults.count else NO_FAULTS
            self._faults_left = faults.count

    def draw(self, path: str) -> Faults:
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

    def counts(self) -> dict[str, int]:
        """Requests answered per path."""
        with self._lock:
            return dict(self._counts)

    def record(self, method: str, path: str, status: int, arrived: float | None = None) -> None:
        """Note one answered request (``arrived``: ``time.monotonic()`` at arrival, now
        by default)."""
        arrived = time.monotonic() if arrived is None else arrived
        with self._lock:
            self._records.append(RecordedRequest(arrived, method, path, status))
            self._counts[path] += 1

    # Control ----------------------------------------------------------------

    def control(
        self, method: str, path: str, body: bytes,
        extra: Mapping[str, Callable[..., Any]] | None = None,
        error: ControlError = _control_error,
    ) -> Response:
        """``/_sim/faults`` (GET reads, POST sets), ``GET /_sim/stats`` and ``extra``.

        ``extra`` maps a control path to a function taking the decoded POST body
        (or None on GET) and returning the JSON to answer; ValueError is a 400.
        ``error`` writes a bad control request's answer in the vendor's shape.
        """
        extra = extra or {}
        method = method.upper()
        try:
            payload = _json_body(body) if method == "POST" else None
            if path == "/_sim/faults" and method in ("GET", "POST"):
                if payload is not None:
                    self.set_faults(Faults.from_dict(payload))
                return json_response(200, {"faults": self.faults.to_dict()})
            if path == "/_sim/stats" and method == "GET":
                counts = self.counts()
                return json_response(200, {"total": sum(counts.values()), "requests": counts})
            if path in extra and method in ("GET", "POST"):
                return json_response(200, extra[path](payload))
        except ValueError as bad:
            return error(400, str(bad))
        return error(404, f"Not found: {path}")


class Harnessed:
    """What a simulator offers tests about its faults and records (its ``_harness``),
    and ``handle``, for a simulator whose ``exchange`` answers a request."""

    _harness: Harness

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Response:
        """Answer one request as the vendor would (no socket-level faults)."""
        return self.exchange(method, path, headers, body)[:3]  # type: ignore[attr-defined]

    @property
    def faults(self) -> Faults:
        """The faults in force (``Faults()`` once their count is used up)."""
        return self._harness.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self._harness.set_faults(faults)

    def set_faults(self, faults: Faults) -> None:
        """Install ``faults`` for the next ``faults.count`` matching requests
        (``Faults.paths`` match the path without its query)."""
        self._harness.set_faults(faults)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Requests answered so far, oldest first (control requests excluded)."""
        return self._harness.requests

    def request_count(self, path: str | None = None) -> int:
        """How many requests were answered, to ``path`` (without its query) or in all."""
        return self._harness.request_count(path)


def _json_body(body: bytes) -> dict[str, Any]:
    """A control request's JSON object (ValueError if it is not one)."""
    data = json.loads(body or b"{}")
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def faulty(faults: Faults, error: ErrorBuilder, invalid_body: bytes) -> Response | None:
    """The response a status, body or invalid-JSON fault replaces the answer with."""
    retry = {"retry-after": faults.retry_after} if faults.retry_after else {}
    if faults.body is not None:
        return faults.status or 200, {"Content-Type": JSON_TYPE, **retry}, faults.body.encode()
    if faults.status:
        return error(faults.status, retry)
    if faults.invalid_json:
        return 200, {"Content-Type": JSON_TYPE}, invalid_body
    return None
