"""OpenAI's error bodies: ``{"error": {"message", "type", "param", "code"}}``.

The auth, 404 and validation messages follow the vendor's wording as seen in
real responses ("Incorrect API key provided: ...", "Missing scopes:
api.usage.read", "Invalid URL (GET /v1/...)", "Invalid value: 'x'.
Supported values are: ..."); messages for cases with no public sample (a bad
page cursor, an unknown project) are inferred in the same style.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from usage_top.sim.harness import Response, json_response

INVALID_REQUEST = "invalid_request_error"
NO_API_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization "
    "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password "
    "field (with blank username) if you're accessing the API from your browser and are "
    "prompted for a username. You can obtain an API key from "
    "https://platform.openai.com/account/api-keys."
)
MISSING_SCOPE = (
    "You have insufficient permissions for this operation. Missing scopes: {scope}. "
    "Check that you have the correct role in your organization (Reader, Writer, Owner) "
    "and project (Member, Owner), and if you're using a restricted API key, that it has "
    "the necessary scopes."
)
RATE_LIMITED = (
    "Rate limit reached for requests to the organization usage API. Please try again later."
)
SERVER_ERROR = (
    "The server had an error while processing your request. Sorry about that!"
)
OVERLOADED = "The server is overloaded or not ready yet."


class BadRequest(Exception):
    """A request the vendor refuses with 400 and an ``invalid_request_error``."""

    def __init__(self, message: str, param: str | None, code: str | None = "invalid_value") -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        self.code = code

    def response(self) -> Response:
        return openai_error(400, self.message, param=self.param, code=self.code)


def openai_error(
    status: int,
    message: str,
    type: str = INVALID_REQUEST,
    param: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An error response in the vendor's shape."""
    body: dict[str, Any] = {"message": message, "type": type, "param": param, "code": code}
    return json_response(status, {"error": body}, headers)


def redact(key: str) -> str:
    """A key as the 401 message shows it: the prefix, stars, the last four characters."""
    head = "sk-" if key.startswith("sk-") else ""
    tail = key[-4:] if len(key) >= 12 else ""
    return head + "*" * max(len(key) - len(head) - len(tail), 0) + tail


def supported(values: tuple[str, ...]) -> str:
    """``'a', 'b', and 'c'``: how the vendor lists the values a field accepts."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + (", and " if len(quoted) > 2 else " and ") + quoted[-1]
