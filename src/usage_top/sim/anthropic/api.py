"""A simulated Anthropic Admin API as a pure request handler (``SimServer`` serves it).

Every request needs ``anthropic-version`` (missing: 400) and the organisation's
admin key in ``x-api-key``; an ordinary ``sk-ant-api03-`` key is refused just
like an unknown one, 401 ``authentication_error`` "invalid x-api-key", as the
real Admin API answers it. Errors use the vendor's envelope
``{"type":"error","error":{"type","message"},"request_id"}``.

Served: ``GET /v1/organizations/usage_report/messages``, ``/cost_report``,
``/api_keys`` and ``/workspaces``. Rate limits (429 ``rate_limit_error`` with or
without ``retry-after``), overload (529) and the socket faults come from
``Faults``; the vendor asks for at most one report poll a minute sustained,
which is not enforced but recorded (``requests``, ``request_count``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

from usage_top.sim.anthropic import directory, reports
from usage_top.sim.anthropic.catalogue import workspaces
from usage_top.sim.anthropic.query import BadRequest, Query
from usage_top.sim.anthropic.reports import Paging
from usage_top.sim.anthropic.usage import Usage
from usage_top.sim.api import Exchange
from usage_top.sim.harness import CONTROL_PREFIX, Harness, Harnessed, Response, faulty, json_response
from usage_top.sim.daytime import UTC
from usage_top.sim.faults import NO_FAULTS

ANTHROPIC_ADMIN_KEY = "sk-ant-admin01-sim-demo-0000000000000000000000000000000000000000-AAAA"
"""The simulated organisation's admin key (what ``--demo --provider anthropic`` uses)."""
ANTHROPIC_STANDARD_KEY = "sk-ant-api03-sim-demo-0000000000000000000000000000000000000000-AAAA"
"""An ordinary API key of the same organisation: the Admin API refuses it."""
API_VERSION = "2023-06-01"

USAGE_PATH = "/v1/organizations/usage_report/messages"
COST_PATH = "/v1/organizations/cost_report"
KEYS_PATH = "/v1/organizations/api_keys"
WORKSPACES_PATH = "/v1/organizations/workspaces"

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}
MESSAGES = {
    429: "Rate limited. Please retry after the time given in the retry-after header, if any.",
    500: "Internal server error",
    529: "Overloaded",
}
INVALID_JSON_BODY = b'{"data":[{"starting_at":"2026-01-01T00:00:00Z","results":[{"uncached_'
"""What the invalid-JSON fault sends: a report body cut off mid-way."""


class AnthropicSimulator(Harnessed):
    """A deterministic, seeded stand-in for Anthropic's Admin API usage and cost reports.

    ``clock`` returns the current aware datetime (None: real UTC time); usage is
    generated around its date at construction, so a frozen or stepped clock
    gives reproducible answers. ``paging`` makes both reports paginate
    normally, endlessly (``has_more`` always true) or with a repeated cursor;
    it can be switched later (attribute or ``POST /_sim/paging``).
    """

    def __init__(
        self,
        seed: int = 7,
        clock: Callable[[], dt.datetime] | None = None,
        paging: Paging | str = Paging.NORMAL,
        admin_key: str = ANTHROPIC_ADMIN_KEY,
    ) -> None:
        self.seed = seed
        self.admin_key = admin_key
        self.paging = Paging(paging)
        self._clock = clock or (lambda: dt.datetime.now(UTC))
        self.workspaces = workspaces(seed)
        self.usage = Usage(seed, self.now().date(), tuple(w.id for w in self.workspaces))
        self._harness = Harness()
        self._request_numbers = itertools.count(1)
        self._routes: dict[str, Callable[[Query], dict[str, Any]]] = {
            USAGE_PATH: self._usage_report,
            COST_PATH: self._cost_report,
            KEYS_PATH: lambda query: directory.list_keys(self.usage.keys, query),
            WORKSPACES_PATH: self._workspaces,
        }

    def now(self) -> dt.datetime:
        """The simulator's current instant, in UTC."""
        return self._clock().astimezone(UTC)

    @property
    def keys(self) -> tuple[str, ...]:
        """The ids of the organisation's API keys."""
        return tuple(key.id for key in self.usage.keys)

    # Requests ---------------------------------------------------------------

    def exchange(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Exchange:
        """Answer one request; also return the faults its delivery must suffer."""
        route, _, query = path.partition("?")
        if route.startswith(CONTROL_PREFIX):
            controls = {"/_sim/paging": self._control_paging}
            return Exchange(*self._harness.control(method, route, body, controls), NO_FAULTS)
        request_id = self._request_id()
        faults = self._harness.draw(route)

        def error(status: int, extra: Mapping[str, str]) -> Response:
            return self._error(status, MESSAGES.get(status), request_id, extra)

        status, response_headers, response_body = (
            faulty(faults, error, INVALID_JSON_BODY)
            or self._answer(method, route, query, headers, request_id)
        )
        response_headers["request-id"] = request_id
        self._harness.record(method, route, status)
        return Exchange(status, response_headers, response_body, faults)

    def _answer(
        self, method: str, route: str, query: str, headers: Mapping[str, str], request_id: str
    ) -> Response:
        """Route, check the version and key, serve."""
        handler = self._routes.get(route)
        if handler is None or method.upper() != "GET":
            return self._error(404, "Not found", request_id)
        lowered = {name.lower(): value for name, value in headers.items()}
        version = lowered.get("anthropic-version")
        if version is None:
            return self._error(400, "anthropic-version: header is required", request_id)
        if version != API_VERSION:
            return self._error(400, f"anthropic-version: invalid version '{version}'", request_id)
        key = lowered.get("x-api-key")
        if key is None:
            return self._error(401, "x-api-key header is required", request_id)
        if key != self.admin_key:
            return self._error(401, "invalid x-api-key", request_id)
        try:
            return json_response(200, handler(Query(query)))
        except BadRequest as bad:
            return self._error(400, str(bad), request_id)

    def _usage_report(self, query: Query) -> dict[str, Any]:
        width = query.choice("bucket_width", tuple(reports.WIDTHS), "1d")
        now = self.now()
        page = reports.paginate(query, now, width, reports.LIMITS[width], self.paging)
        return page.envelope(reports.usage_rows(self.usage, query, now))

    def _cost_report(self, query: Query) -> dict[str, Any]:
        query.choice("bucket_width", ("1d",), "1d")
        now = self.now()
        page = reports.paginate(query, now, "1d", reports.COST_LIMITS, self.paging)
        return page.envelope(reports.cost_rows(self.usage, query, now))

    def _workspaces(self, query: Query) -> dict[str, Any]:
        items = directory.list_workspaces(self.workspaces, self.usage.anchor)
        return directory.page(items, query)

    def _error(
        self, status: int, message: str | None, request_id: str,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """The vendor's error envelope."""
        error_type = ERROR_TYPES.get(status, "api_error")
        payload = {
            "type": "error",
            "error": {"type": error_type, "message": message or _reason(status)},
            "request_id": request_id,
        }
        return json_response(status, payload, headers)

    def _request_id(self) -> str:
        """A vendor-style request id, deterministic for a seed and request order."""
        number = next(self._request_numbers)
        digest = hashlib.sha256(f"{self.seed}:request:{number}".encode()).hexdigest()
        return f"req_011C{digest[:20]}"

    def _control_paging(self, payload: dict[str, Any] | None) -> dict[str, str]:
        """``/_sim/paging``: GET reads the mode, POST ``{"paging": "endless"}`` sets it."""
        if payload is not None:
            try:
                self.paging = Paging(payload.get("paging"))
            except ValueError:
                options = ", ".join(mode.value for mode in Paging)
                raise ValueError(f"paging must be one of: {options}") from None
        return {"paging": self.paging.value}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"

