"""Typed errors for provider calls.

Every error's ``str()`` is a single line that can go straight into the status
bar: it says what went wrong and what the user can do about it. Text that
comes from a server is passed through :func:`sanitize` first, because a vendor
may echo the request (API key included), send multi-line HTML, or embed
terminal escape sequences.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_DETAIL = 200
"""Longest piece of vendor text quoted in a message."""

MAX_MESSAGE = 400
"""Longest whole message; a backstop for adapters that build their own."""

REDACTED = "[redacted]"


PIECE = 8
"""Any run of this many characters of a secret is redacted, not just the whole
secret: vendors echo a key's prefix ("Invalid key pk_live_7Hq2…")."""


def sanitize(text: str, secrets: Iterable[str] = (), limit: int = MAX_DETAIL) -> str:
    """Make untrusted text safe to show on one line of a terminal.

    Secrets are replaced before anything else, and then any piece of one that is
    ``PIECE`` characters or longer, so that neither truncation nor a vendor that
    echoes part of a key can leave a recognisable piece behind. Non-printable
    characters (escape sequences, line breaks) become spaces and runs of
    whitespace collapse, so the result is always a single line of at most
    ``limit`` characters.
    """
    secrets = [secret for secret in secrets if secret]
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = " ".join(text.split())
    if secrets:
        text = _redact_pieces(text[: 4 * limit + 64], secrets)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def _redact_pieces(text: str, secrets: list[str]) -> str:
    """Replace every run of text made of ``PIECE``-character pieces of a secret."""
    pieces = {secret[i : i + PIECE] for secret in secrets for i in range(len(secret) - PIECE + 1)}
    hidden = [False] * len(text)
    for i in range(len(text) - PIECE + 1):
        if text[i : i + PIECE] in pieces:
            hidden[i : i + PIECE] = [True] * PIECE
    if not any(hidden):
        return text
    out, i = [], 0
    while i < len(text):
        if hidden[i]:
            while i < len(text) and hidden[i]:
                i += 1
            out.append(REDACTED)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def human_seconds(seconds: float) -> str:
    """A short duration for messages: '45 s', '12 min', '2.0 h'."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _with_detail(message: str, detail: str) -> str:
    return f"{message}: {detail}" if detail else message


def _attempts(attempts: int) -> str:
    return f", {attempts} attempts" if attempts > 1 else ""


class ProviderError(Exception):
    """Base of every error a provider call raises.

    ``status`` is the HTTP status when there was one. ``retryable`` says
    whether the same request may succeed later (the client has already
    retried it); the UI uses it to keep polling rather than stop and ask the
    user to fix the configuration. ``retry_after`` is the wait the server
    asked for, in seconds, when it said.

    ``scope`` names the scope the failure is about (``credits.cycle`` when a
    vendor says its credits are used up) and ``state`` says it in a few words
    for that scope's card ("exhausted"); both empty for a failure of the poll
    as a whole.
    """

    retryable = False
    scope = ""
    state = ""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(sanitize(message, limit=MAX_MESSAGE))
        self.status = status
        if retryable is not None:
            self.retryable = retryable
        self.retry_after = retry_after


class AuthError(ProviderError):
    """HTTP 401: the key is wrong, revoked or missing."""

    key_variable = "PUBRIO_API_KEY"
    """The variable the message tells the user to check: the vendor's."""

    def naming(self, variable: str | None) -> str:
        """The message, telling the user to check ``variable`` (an account's own
        ``key_env``, which holds its key) rather than the vendor's variable."""
        text = str(self)
        return text.replace(self.key_variable, variable) if variable else text

    def __init__(self) -> None:
        super().__init__(
            "the API key was rejected (HTTP 401): check PUBRIO_API_KEY or the config file",
            status=401,
        )


class ForbiddenError(ProviderError):
    """HTTP 403: the key is valid but may not read usage data."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            _with_detail(
                "access denied: the API key is not an admin key, "
                "or your plan has no API access (HTTP 403)",
                detail,
            ),
            status=403,
        )


class NoApiAccess(ForbiddenError):
    """The vendor answered, but says the workspace's plan has no API access."""

    def __init__(self) -> None:
        ProviderError.__init__(
            self, "your plan has no API access: upgrade to a paid plan to use the API", status=None
        )


class RateLimitedError(ProviderError):
    """HTTP 429 that outlasted the retries, or asked for too long a wait."""

    retryable = True

    def __init__(
        self, detail: str = "", *, retry_after: float | None = None, attempts: int = 1
    ) -> None:
        advice = (
            f"try again in {human_seconds(retry_after)}"
            if retry_after
            else "wait a minute, or poll less often"
        )
        super().__init__(
            _with_detail(
                f"rate limited by the API (HTTP 429{_attempts(attempts)}): {advice}", detail
            ),
            status=429,
            retry_after=retry_after,
        )


class ServerError(ProviderError):
    """HTTP 5xx: the vendor's side is failing."""

    retryable = True

    def __init__(
        self,
        status: int,
        detail: str = "",
        *,
        attempts: int = 1,
        retryable: bool = True,
        retry_after: float | None = None,
    ) -> None:
        wait = human_seconds(retry_after) if retry_after else "a few minutes"
        super().__init__(
            _with_detail(
                f"the API server is failing (HTTP {status}{_attempts(attempts)}): "
                f"try again in {wait}",
                detail,
            ),
            status=status,
            retryable=retryable,
            retry_after=retry_after,
        )


class ApiTimeout(ProviderError):
    """No answer in time: our timeout fired, or the server sent HTTP 408."""

    retryable = True

    def __init__(self, timeout: float, *, attempts: int = 1, status: int | None = None) -> None:
        if status is None:
            tries = f" ({attempts} attempts)" if attempts > 1 else ""
            message = (
                f"the API did not answer within {timeout:g} s{tries}: "
                "check your network, or raise the timeout in the config file"
            )
        else:
            message = (
                f"the API timed out waiting for the request (HTTP {status}{_attempts(attempts)}): "
                "check your network and try again"
            )
        super().__init__(message, status=status)


class ConnectionFailed(ProviderError):
    """No usable connection: refused, DNS failure, reset, or closed mid-body.

    ``unreachable``: no connection could be opened at all (refused, no such host). The
    host is not there, so the client retries it once only and a poll stops its other
    parts, which would meet the same (a closed port cost a report 53 s of backoff)."""

    retryable = True

    def __init__(self, host: str, reason: str, *, attempts: int = 1,
                 unreachable: bool = False) -> None:
        super().__init__(
            f"could not talk to {host} ({reason}{_attempts(attempts)}): "
            "check your network and the base URL"
        )
        self.unreachable = unreachable


class BadResponse(ProviderError):
    """The server answered, but not with what we can use.

    Raised by the client for bodies that are not JSON, and by adapters for
    JSON that does not match the expected schema.
    """

    @classmethod
    def invalid_json(cls, reason: str, content_type: str) -> BadResponse:
        return cls(
            f"the API returned invalid JSON ({reason}; content-type {content_type or 'none'}): "
            "check the base URL, or try again later"
        )


class BadRequest(ProviderError):
    """HTTP 400, 404 or another 4xx: retrying the same request will not help."""

    def __init__(self, status: int, detail: str = "") -> None:
        if status == 404:
            message = _with_detail(
                "the API has no such endpoint (HTTP 404): check the base URL", detail
            )
        else:
            message = f"the API rejected the request (HTTP {status}): " + (
                detail or "no reason given; check the config file"
            )
        super().__init__(message, status=status)
        self.detail = sanitize(detail)

    def part_message(self) -> str:
        """The 404 of one part while the others answer: the base URL is right, this
        API (or this plan) has no such endpoint, so its figures are not available."""
        return _with_detail("the API does not have this endpoint (HTTP 404), although "
                            "the rest answers", self.detail)
