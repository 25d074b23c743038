"""Fault options: the ways the simulated vendor misbehaves on request.

A ``Faults`` value describes one set of faults applied together to the next
``count`` matching requests (``-1``: every one). It is immutable; switch faults
by installing a new value (``Simulator.set_faults``), which resets the count.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

RATE_LIMIT_MESSAGE = "Request rate limit exceeded. Please wait and try again later."
SERVER_ERROR_MESSAGE = "An unexpected error occurred on the server."


@dataclass(frozen=True)
class Faults:
    """Faults to inject; all off by default.

    status: answer with this HTTP status instead (429 carries the vendor's
        rate-limit body, others ``{"error": ...}``).
    retry_after: ``Retry-After`` value sent with ``status`` (delay-seconds or
        an HTTP-date string, sent verbatim).
    latency: seconds the server waits before answering.
    truncate: the server sends the full ``Content-Length`` but only half the
        body, then closes the connection.
    invalid_json: answer 200 with a body that is not JSON.
    body: answer with this text as the body instead (status ``status``, or
        200), sent verbatim as JSON: canned odd-but-valid or broken answers.
    ratelimit_headers: add ``X-RateLimit-*`` and IETF ``RateLimit`` /
        ``RateLimit-Policy`` headers describing the soft per-minute limit.
    count: how many matching requests get the faults (-1: all of them).
    paths: only requests to these paths match (None: every path).
    """

    status: int | None = None
    retry_after: str | None = None
    latency: float = 0.0
    truncate: bool = False
    invalid_json: bool = False
    body: str | None = None
    ratelimit_headers: bool = False
    count: int = -1
    paths: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status, not {self.status}")
        if self.latency < 0:
            raise ValueError("latency must not be negative")
        if self.count < -1:
            raise ValueError("count must be -1 (always) or a number of requests")
        if self.body is not None and not isinstance(self.body, str):
            raise ValueError("body must be a string (the exact text to send)")
        if isinstance(self.paths, str):
            raise ValueError("paths must be a list of paths, not one string")
        if self.paths is not None:
            object.__setattr__(self, "paths", tuple(self.paths))

    @property
    def active(self) -> bool:
        """Whether any fault is switched on."""
        switches = (self.status, self.latency, self.truncate, self.invalid_json)
        return any(switches) or self.ratelimit_headers or self.body is not None

    def matches(self, path: str) -> bool:
        """Whether a request to ``path`` is one these faults target."""
        return self.paths is None or path in self.paths

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what ``/_sim/faults`` accepts and returns)."""
        data = dataclasses.asdict(self)
        if self.paths is not None:
            data["paths"] = list(self.paths)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Faults:
        """Build from a JSON object; unknown fields or bad values raise ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault options: {', '.join(sorted(unknown))}")
        try:
            return cls(**data)
        except TypeError as error:
            raise ValueError(str(error)) from None


NO_FAULTS = Faults()
