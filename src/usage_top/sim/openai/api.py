"""OpenAI's organisation Usage and Costs Admin API, simulated as a request handler.

``OpenAISimulator.exchange`` has the Pubrio simulator's interface, so the
shared ``SimServer`` serves it unchanged; clients use ``server.url + "/v1"``
as their base URL, as the official SDK uses ``https://api.openai.com/v1``.
Only admin keys may read these endpoints: a project key gets 403 (missing
scope), any other key 401.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import time
from collections.abc import Callable, Mapping
from typing import Any

from usage_top.sim.api import Exchange
from usage_top.sim.harness import (
    CONTROL_PREFIX, Harness, Harnessed, Response, faulty, json_response,
)
from usage_top.sim.faults import NO_FAULTS
from usage_top.sim.openai import errors, listings, reports
from usage_top.sim.openai.errors import BadRequest, openai_error
from usage_top.sim.openai.org import Organisation
from usage_top.sim.openai.query import KINDS, parse
from usage_top.sim.openai.usage import Traffic
from usage_top.sim.ratelimit import SOFT_LIMIT, RateWindow

DEMO_ADMIN_KEY = "sk-admin-sim-demo"
DEMO_PROJECT_KEY = "sk-proj-sim-demo-not-an-admin-key"
API_PREFIX = "/v1"
USAGE_SCOPE = "api.usage.read"
MANAGEMENT_SCOPE = "api.management.read"
INVALID_JSON_BODY = b'{"object":"page","data":[{"object":"bucket","start_time":'
"""What the invalid-JSON fault sends: a page cut off mid-way."""

Route = Callable[[list[str], str, dt.datetime], dict[str, Any]]


class OpenAISimulator(Harnessed):
    """A deterministic, seeded stand-in for OpenAI's organisation admin API.

    seed: picks every id and figure; the same seed and clock give the same bytes.
    clock: returns the current aware datetime (None: real UTC time); the
        organisation's history (90 days) ends at the clock's date at construction.
    projects, keys: how many of each (the first 4 projects and 10 keys are the
        demo's fixed cast; more are generated).
    pagination: ``normal``, ``endless`` or ``repeat`` (see ``reports.PAGINATION_MODES``),
        to test that clients bound their page loops; switchable later.
    rate_limit: requests per rolling minute before 429 (None: never; OpenAI
        publishes no limit for these endpoints).
    api_key / project_key: the admin key accepted and the project key refused with 403.
    """

    def __init__(
        self,
        seed: int = 7,
        clock: Callable[[], dt.datetime] | None = None,
        projects: int = 4,
        keys: int = 10,
        pagination: str = "normal",
        rate_limit: int | None = None,
        api_key: str = DEMO_ADMIN_KEY,
        project_key: str = DEMO_PROJECT_KEY,
    ) -> None:
        self.seed = seed
        self.api_key = api_key
        self.project_key = project_key
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.org = Organisation(seed, self.now().date(), projects, keys)
        self.traffic = Traffic(self.org, seed)
        self.pagination = pagination
        self._window = RateWindow(rate_limit or SOFT_LIMIT, enforce=rate_limit is not None)
        self._harness = Harness()
        self._serial = itertools.count()

    def now(self) -> dt.datetime:
        """The simulator's current instant, in UTC."""
        return self._clock().astimezone(dt.UTC)

    @property
    def pagination(self) -> str:
        return self._pagination

    @pagination.setter
    def pagination(self, mode: str) -> None:
        if mode not in reports.PAGINATION_MODES:
            modes = ", ".join(reports.PAGINATION_MODES)
            raise ValueError(f"pagination must be one of {modes}, not {mode!r}")
        self._pagination = mode

    # Requests ----------------------------------------------------------------

    def exchange(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Exchange:
        """Answer one request; also return the faults its delivery must suffer."""
        path, _, query = path.partition("?")
        if path.startswith(CONTROL_PREFIX):
            return Exchange(*self._control(method, path, body), NO_FAULTS)
        arrived = time.monotonic()
        faults = NO_FAULTS
        if self._window.admit(arrived):
            faults = self._harness.draw(path)
            response = faulty(faults, _fault_error, INVALID_JSON_BODY) or self._answer(method.upper(), path, query, headers)
        else:
            retry = {"Retry-After": str(self._window.reset_after(arrived))}
            response = _rate_limited(retry)
        response[1].update(self._common_headers())
        if faults.ratelimit_headers:
            response[1].update(self._ratelimit_headers(arrived))
        self._harness.record(method, path, response[0], arrived)
        return Exchange(*response, faults)

    def _common_headers(self) -> dict[str, str]:
        serial = next(self._serial)
        request_id = hashlib.sha256(f"{self.seed}:request:{serial}".encode()).hexdigest()[:32]
        return {
            "openai-organization": self.org.id,
            "openai-version": "2020-10-01",
            "x-request-id": f"req_{request_id}",
        }

    def _ratelimit_headers(self, now: float) -> dict[str, str]:
        """The limit as the vendor's inference endpoints show theirs (reset as a duration)."""
        reset = self._window.reset_after(now) or int(self._window.seconds)
        return {
            "x-ratelimit-limit-requests": str(self._window.limit),
            "x-ratelimit-remaining-requests": str(self._window.remaining(now)),
            "x-ratelimit-reset-requests": _duration(reset),
        }

    def _answer(self, method: str, path: str, query: str, headers: Mapping[str, str]) -> Response:
        """Route, authenticate and serve an endpoint."""
        found = self._route(path) if method == "GET" else None
        if found is None:
            return openai_error(404, f"Invalid URL ({method} {path})")
        route, parts, scope = found
        refused = self._refuse(headers, scope)
        if refused:
            return refused
        try:
            return json_response(200, route(parts, query, self.now()))
        except BadRequest as bad:
            return bad.response()
        except LookupError as missing:
            return openai_error(404, str(missing.args[0]), param="project_id")

    def _route(self, path: str) -> tuple[Route, list[str], str] | None:
        """The handler for ``path``, its path parameters and the scope it needs."""
        if not path.startswith(API_PREFIX + "/organization/"):
            return None
        parts = path[len(API_PREFIX) + 1 :].split("/")
        if len(parts) == 3 and parts[1] == "usage" and parts[2] in KINDS and parts[2] != "costs":
            return self._usage, parts, USAGE_SCOPE
        if parts == ["organization", "costs"]:
            return self._usage, ["organization", "usage", "costs"], USAGE_SCOPE
        if parts == ["organization", "projects"]:
            return self._projects, parts, MANAGEMENT_SCOPE
        if len(parts) == 4 and parts[1] == "projects" and parts[3] in ("api_keys", "rate_limits"):
            return self._project_list, parts, MANAGEMENT_SCOPE
        return None

    def _refuse(self, headers: Mapping[str, str], scope: str) -> Response | None:
        """401 without a known key, 403 for a project key; None for the admin key."""
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, key = auth.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            return openai_error(401, errors.NO_API_KEY)
        if key == self.api_key:
            return None
        if key == self.project_key:
            return openai_error(403, errors.MISSING_SCOPE.format(scope=scope))
        message = (
            f"Incorrect API key provided: {errors.redact(key)}. "
            "You can find your API key at https://platform.openai.com/account/api-keys."
        )
        return openai_error(401, message, code="invalid_api_key")

    def _usage(self, parts: list[str], query: str, now: dt.datetime) -> dict[str, Any]:
        return reports.page(self.traffic, parse(KINDS[parts[2]], query), now, self.pagination)

    def _projects(self, parts: list[str], query: str, now: dt.datetime) -> dict[str, Any]:
        return listings.projects(self.org, query)

    def _project_list(self, parts: list[str], query: str, now: dt.datetime) -> dict[str, Any]:
        project = self.org.project_index(parts[2])
        if project is None:
            raise LookupError(f"No such project: '{parts[2]}'.")
        if parts[3] == "api_keys":
            return listings.api_keys(self.traffic, project, query, now)
        return listings.rate_limits(query)

    # Control (out-of-process tests) -----------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> Response:
        """The harness's controls, and ``/_sim/pagination`` (GET reads, POST sets)."""
        return self._harness.control(method, path, body, {"/_sim/pagination": self._paging},
                                     error=lambda status, message: openai_error(status, message))

    def _paging(self, payload: dict[str, Any] | None) -> dict[str, str]:
        if payload is not None:
            self.pagination = payload.get("mode", "")
        return {"mode": self.pagination}


def _rate_limited(headers: Mapping[str, str]) -> Response:
    return openai_error(
        429, errors.RATE_LIMITED, type="requests", code="rate_limit_exceeded", headers=headers
    )


def _duration(seconds: int) -> str:
    """A reset time as the vendor's headers write it: ``12s``, ``6m0s``."""
    return f"{seconds // 60}m{seconds % 60}s" if seconds >= 60 else f"{seconds}s"


def _fault_error(status: int, retry: Mapping[str, str]) -> Response:
    """The vendor's error body for a status fault."""
    if status == 429:
        return _rate_limited(retry)
    if status == 503:
        return openai_error(503, errors.OVERLOADED, type="server_error", headers=retry)
    if status >= 500:
        return openai_error(status, errors.SERVER_ERROR, type="server_error", headers=retry)
    return openai_error(status, f"HTTP {status}", headers=retry)
