"""ApiClient against a real loopback HTTP server, with fake time.

Each test scripts the server's replies; the client's ``sleep`` records the
delays and advances a fake clock instead of waiting, so backoff, Retry-After
and budget waits are asserted exactly and the file runs in about a second.
"""

from __future__ import annotations

import json
import logging
import random
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
from usage_top.providers.http import ApiClient, parse_rate_limit, parse_retry_after

KEY = "pk_live_Zx9SECRETkey0123456789"
SERVER_DATE = "Wed, 21 Oct 2026 07:28:00 GMT"
SERVER_EPOCH = parsedate_to_datetime(SERVER_DATE).timestamp()


# --- the scripted loopback server -------------------------------------------


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | dict | list = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0
    cut_after: int | None = None
    """Announce the full Content-Length but close after this many body bytes."""
    hang_up: bool = False
    """Send the whole reply as a keep-alive one, then close the connection (a server
    dropping an idle connection between two polls)."""

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes
    client_port: int


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ScriptedHandler)
        self.replies: deque[Reply] = deque()
        self.seen: list[Seen] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def script(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def handle_error(self, request, client_address) -> None:
        """Quiet: clients that time out leave broken pipes behind."""


class ScriptedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so connection reuse is observable
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: ScriptedServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.seen.append(Seen(self.path, dict(self.headers), body, self.client_address[1]))
        reply = (
            self.server.replies.popleft()
            if self.server.replies
            else Reply(599, {"error": "unscripted"})
        )
        time.sleep(reply.delay)
        payload = reply.payload()
        self.send_response_only(reply.status)
        headers = {"Date": SERVER_DATE, "Content-Type": reply.content_type, **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if reply.cut_after is None:
            self.wfile.write(payload)
        else:
            self.wfile.write(payload[: reply.cut_after])
            self.close_connection = True
        if reply.hang_up:
            self.wfile.flush()
            self.close_connection = True

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


class FakeTime:
    """An injected clock and sleep: sleeping records the delay and moves the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class NoJitter(random.Random):
    def random(self) -> float:
        return 0.0


@pytest.fixture(scope="module")
def running_server():
    srv = ScriptedServer()
    threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def server(running_server: ScriptedServer) -> ScriptedServer:
    """The shared server with an empty script and request log."""
    running_server.replies.clear()
    running_server.seen.clear()
    return running_server


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
async def make_client(server, fake):
    clients: list[ApiClient] = []

    def make(base_url: str | None = None, **options) -> ApiClient:
        options = {
            "sleep": fake.sleep,
            "clock": fake.clock,
            "rng": NoJitter(),
            "timeout": 2.0,
            **options,
        }
        client = ApiClient(base_url or server.url, {"pubrio-api-key": KEY}, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


def assert_safe_message(error: Exception) -> None:
    text = str(error)
    assert text and "\n" not in text and "\r" not in text
    assert KEY not in text and KEY not in repr(error)
    assert len(text) <= 400


# --- success ----------------------------------------------------------------


async def test_success_returns_parsed_json_and_sends_key_and_body(server, make_client):
    server.script(Reply(body={"data": {"totals": {"credits": 12}}}))
    client = make_client()

    data = await client.post_json("/api_keys/usage/breakdown", {"start_date": "2026-05-01"})

    assert data == {"data": {"totals": {"credits": 12}}}
    [seen] = server.seen
    assert seen.path == "/api_keys/usage/breakdown"
    assert seen.headers["pubrio-api-key"] == KEY
    assert json.loads(seen.body) == {"start_date": "2026-05-01"}
    assert client.stats.requests_sent == 1 and client.stats.retries == 0
    assert client.stats.last_status == 200 and client.stats.last_latency > 0


async def test_get_sends_lists_repeated_under_the_base_path_and_each_query_as_given(
    server, make_client
):
    """The client keeps each URL parsed: a changed query (the day, a page cursor) must still
    go out as it is now, not as an earlier request's."""
    server.script(Reply(), Reply(), Reply())
    client = make_client(server.url + "/v1")
    params = {"start_time": 100, "group_by[]": ["model", "api_key_id"], "page": None}

    await client.get_json("/organization/usage/completions", params)
    await client.get_json("/organization/usage/completions", {**params, "page": "p 2/é"})
    await client.get_json("organization/usage/completions", {**params, "start_time": 200})

    path = "/v1/organization/usage/completions"
    groups = "group_by%5B%5D=model&group_by%5B%5D=api_key_id"
    assert [seen.path for seen in server.seen] == [
        f"{path}?start_time=100&{groups}",
        f"{path}?start_time=100&{groups}&page=p+2%2F%C3%A9",
        f"{path}?start_time=200&{groups}",
    ]


async def test_one_connection_is_reused_across_requests(server, make_client):
    server.script(Reply(), Reply(), Reply())
    client = make_client()
    for _ in range(3):
        await client.post_json("/profile", {})
    assert len({seen.client_port for seen in server.seen}) == 1


async def test_a_connection_idle_between_two_polls_is_reused(server, make_client):
    """httpx drops a connection idle for 5 s by default: a poll every 5 s or more would
    open new ones each time (a TLS handshake each against a vendor)."""
    server.script(Reply(), Reply())
    client = make_client()
    await client.post_json("/profile", {})
    time.sleep(5.5)  # real time: the pool's expiry runs on its own clock
    await client.post_json("/profile", {})
    assert len({seen.client_port for seen in server.seen}) == 1


async def test_a_connection_the_server_dropped_while_idle_is_replaced(server, make_client):
    server.script(Reply(hang_up=True), Reply(body={"again": True}))
    client = make_client()
    await client.post_json("/profile", {})
    time.sleep(0.2)  # the server's close reaches the client
    assert await client.post_json("/profile", {}) == {"again": True}
    assert len({seen.client_port for seen in server.seen}) == 2
    assert client.stats.retries == 0


async def test_json_body_with_non_json_content_type_is_accepted(server, make_client):
    server.script(Reply(body='{"ok": 1}', content_type="text/plain"))
    assert await make_client().post_json("/profile", {}) == {"ok": 1}


async def test_context_manager_closes(server, fake):
    server.script(Reply())
    async with ApiClient(
        server.url, {"pubrio-api-key": KEY}, sleep=fake.sleep, clock=fake.clock
    ) as client:
        await client.post_json("/profile", {})
    assert client._http.is_closed


# --- 429 and Retry-After ----------------------------------------------------


@pytest.mark.parametrize(
    ("retry_after", "expected_sleeps"),
    [
        ({"Retry-After": "3"}, [3.0]),
        ({"Retry-After": "Wed, 21 Oct 2026 07:28:07 GMT"}, [7.0]),  # relative to the Date header
        ({}, [0.5]),  # missing: our own backoff
        ({"Retry-After": "0"}, [0.5]),  # zero: backoff, not a hot loop
        ({"Retry-After": "-5"}, [0.5]),  # garbage: backoff
        ({"Retry-After": "soon"}, [0.5]),
        ({"Retry-After": "Wed, 21 Oct 2026 07:00:00 GMT"}, [0.5]),  # in the past
    ],
)
async def test_429_then_success_waits_as_told(
    server, make_client, fake, retry_after, expected_sleeps
):
    server.script(Reply(429, {"error": "Too many requests"}, retry_after), Reply(body={"ok": 2}))
    client = make_client()

    assert await client.post_json("/profile/usage", {}) == {"ok": 2}

    assert fake.sleeps == expected_sleeps
    assert len(server.seen) == 2
    assert (client.stats.rate_limited, client.stats.retries, client.stats.requests_sent) == (
        1,
        1,
        2,
    )


async def test_huge_retry_after_gives_up_at_once(server, make_client, fake):
    server.script(Reply(429, {"error": "Hourly quota exceeded"}, {"Retry-After": "7200"}))
    client = make_client()

    with pytest.raises(RateLimitedError) as caught:
        await client.post_json("/profile/usage", {})

    assert caught.value.retry_after == 7200.0 and caught.value.retryable
    assert fake.sleeps == [] and len(server.seen) == 1
    assert "try again in 2.0 h" in str(caught.value) and "Hourly quota exceeded" in str(
        caught.value
    )
    assert_safe_message(caught.value)


async def test_retry_after_wins_over_ratelimit_headers(server, make_client, fake):
    headers = {"Retry-After": "5", "RateLimit": '"default";r=0;t=30'}
    server.script(Reply(429, {"error": "slow down"}, headers), Reply())
    await make_client().post_json("/profile", {})
    assert fake.sleeps == [5.0]


# --- 5xx, retries and backoff -----------------------------------------------


async def test_5xx_then_success_retries_with_backoff(server, make_client, fake):
    server.script(
        Reply(503, {"error": "down"}), Reply(502, b"<html>bad gateway</html>"), Reply(body=[1])
    )
    client = make_client()

    assert await client.post_json("/profile", {}) == [1]

    assert len(server.seen) == 3
    assert fake.sleeps == [0.5, 1.0]
    assert client.stats.retries == 2


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (408, ApiTimeout),
        (429, RateLimitedError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (529, ServerError),
    ],
)
async def test_retries_exhausted_raise_typed_error(server, make_client, fake, status, error_type):
    server.script(*[Reply(status, {"error": "An unexpected error occurred on the server."})] * 5)
    client = make_client(max_retries=4, backoff_cap=2.0)

    with pytest.raises(error_type) as caught:
        await client.post_json("/profile", {})

    assert len(server.seen) == 5
    assert fake.sleeps == [0.5, 1.0, 2.0, 2.0]  # capped
    assert caught.value.status == status and caught.value.retryable
    assert f"HTTP {status}, 5 attempts" in str(caught.value)
    assert_safe_message(caught.value)


async def test_501_is_not_retried(server, make_client, fake):
    server.script(Reply(501, {"error": "not implemented"}))
    with pytest.raises(ServerError) as caught:
        await make_client().post_json("/profile", {})
    assert len(server.seen) == 1 and fake.sleeps == [] and not caught.value.retryable


async def test_jitter_takes_off_at_most_a_quarter(server, make_client, fake):
    server.script(*[Reply(500)] * 5)
    client = make_client(rng=random.Random(7), max_retries=4)
    with pytest.raises(ServerError):
        await client.post_json("/profile", {})
    for retry, slept in enumerate(fake.sleeps):
        full = min(0.5 * 2**retry, 8.0)
        assert 0.75 * full <= slept <= full
    assert len(set(fake.sleeps)) == 4


# --- errors that must not be retried ----------------------------------------


@pytest.mark.parametrize(
    ("reply", "error_type", "expected"),
    [
        (
            Reply(401, {"error": "Unauthorized"}),
            AuthError,
            "check PUBRIO_API_KEY or the config file",
        ),
        (
            Reply(403, {"error": "API access is not enabled for this plan"}),
            ForbiddenError,
            "(HTTP 403): API access is not enabled for this plan",
        ),
        (
            Reply(
                400,
                {"code": 400, "message": "end_date must not be\nbefore start_date", "details": {}},
            ),
            BadRequest,
            "(HTTP 400): end_date must not be before start_date",
        ),
        (
            Reply(404, "Not Found", content_type="text/plain"),
            BadRequest,
            "(HTTP 404): check the base URL: Not Found",
        ),
        (
            Reply(422, {"error": {"type": "invalid_request_error", "message": "bad group_by"}}),
            BadRequest,
            "(HTTP 422): bad group_by",
        ),
    ],
)
async def test_client_errors_fail_at_once_with_one_line_message(
    server, make_client, fake, reply, error_type, expected
):
    server.script(reply)
    with pytest.raises(error_type) as caught:
        await make_client().post_json("/profile", {})
    assert len(server.seen) == 1 and fake.sleeps == []
    assert expected in str(caught.value)
    assert caught.value.status == reply.status and not caught.value.retryable
    assert_safe_message(caught.value)


async def test_vendor_text_is_redacted_flattened_and_truncated(server, make_client):
    echoed = f"invalid key {KEY}\n\x1b[31m" + "x" * 500
    server.script(Reply(400, {"code": 400, "message": echoed}))
    with pytest.raises(BadRequest) as caught:
        await make_client().post_json("/profile", {})
    text = str(caught.value)
    assert "invalid key [redacted]" in text and "\x1b" not in text
    assert text.endswith("…") and len(text) < 260
    assert_safe_message(caught.value)


# --- transport failures -----------------------------------------------------


async def test_timeout_raises_api_timeout_after_retries(server, make_client, fake):
    server.script(Reply(delay=0.5), Reply(delay=0.5))
    client = make_client(timeout=0.2, max_retries=1)

    with pytest.raises(ApiTimeout) as caught:
        await client.post_json("/profile", {})

    assert len(server.seen) == 2 and fake.sleeps == [0.5]
    assert "did not answer within 0.2 s (2 attempts)" in str(caught.value)
    assert_safe_message(caught.value)


async def test_connection_refused_is_retried_once_and_raises_connection_failed(make_client, fake):
    """No connection opens to a closed port: one retry (a blip), not the whole backoff."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = make_client(f"http://127.0.0.1:{closed_port}", max_retries=4)

    with pytest.raises(ConnectionFailed) as caught:
        await client.post_json("/profile", {})

    assert fake.sleeps == [0.5] and client.stats.requests_sent == 2
    assert caught.value.unreachable and "2 attempts" in str(caught.value)
    assert "could not talk to 127.0.0.1" in str(caught.value) and caught.value.retryable
    assert_safe_message(caught.value)


async def test_closed_mid_body_is_retried_then_succeeds(server, make_client, fake):
    server.script(Reply(body={"data": list(range(50))}, cut_after=10), Reply(body={"data": []}))
    assert await make_client().post_json("/profile", {}) == {"data": []}
    assert len(server.seen) == 2 and fake.sleeps == [0.5]


async def test_closed_mid_body_every_time_raises_connection_failed(server, make_client):
    server.script(*[Reply(body={"data": list(range(50))}, cut_after=10)] * 3)
    with pytest.raises(ConnectionFailed) as caught:
        await make_client(max_retries=2).post_json("/profile", {})
    assert len(server.seen) == 3
    assert "RemoteProtocolError" in str(caught.value)
    assert_safe_message(caught.value)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(body=b"<html><body>Gateway login</body></html>", content_type="text/html"),
        Reply(body=b'{"data": {"by_key": [1, 2'),  # truncated, but Content-Length matches
        Reply(body=b""),
        Reply(body=b"\xff\xfe\xfa"),
        Reply(body=b"[" * 100_000),
    ],
)
async def test_invalid_json_raises_bad_response_without_retry(server, make_client, fake, reply):
    server.script(reply)
    with pytest.raises(BadResponse) as caught:
        await make_client().post_json("/profile", {})
    assert "returned invalid JSON (" in str(caught.value)
    assert len(server.seen) == 1 and fake.sleeps == []
    assert_safe_message(caught.value)


def test_constructor_rejects_bad_configuration_without_echoing_it():
    with pytest.raises(ValueError) as caught:
        ApiClient("https://api.pubrio.com", {"pubrio-api-key": KEY + "\n"})
    assert KEY not in str(caught.value)
    with pytest.raises(ValueError):
        ApiClient("api.pubrio.com", {"pubrio-api-key": KEY})


# --- rate-limit headers -----------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"RateLimit": '"default";r=50;t=30'}, (None, 50, 30.0, "RateLimit")),
        (
            {
                "RateLimit": '"burst";r=50;t=30, "daily";r=3;t=3600',
                "RateLimit-Policy": '"daily";q=1440;w=86400',
            },
            (1440, 3, 3600.0, "RateLimit"),
        ),
        (
            {"RateLimit-Limit": "100", "RateLimit-Remaining": "7", "RateLimit-Reset": "12"},
            (100, 7, 12.0, "RateLimit-*"),
        ),
        (
            {"RateLimit-Limit": "10, 10;w=1", "RateLimit-Remaining": "9"},
            (10, 9, None, "RateLimit-*"),
        ),
        (
            {
                "X-RateLimit-Limit": "60",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(SERVER_EPOCH + 42),
            },
            (60, 0, 42.0, "X-RateLimit-*"),
        ),
        (
            {"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": str(SERVER_EPOCH - 10)},
            (None, 5, 0.0, "X-RateLimit-*"),
        ),
        (
            {
                "x-ratelimit-limit-requests": "500",
                "x-ratelimit-remaining-requests": "499",
                "x-ratelimit-reset-requests": "6m0s",
            },
            (500, 499, 360.0, "X-RateLimit-*-Requests"),
        ),
        (
            {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "12ms"},
            (None, 1, 0.012, "X-RateLimit-*"),
        ),
        (
            {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1h2m3.5s"},
            (None, 1, 3723.5, "X-RateLimit-*"),
        ),
        (
            {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "1s"},
            (None, 1, 1.0, "X-RateLimit-*"),
        ),
        # malformed values are ignored, never fatal
        ({"X-RateLimit-Remaining": "-1", "X-RateLimit-Reset": "soon"}, None),
        ({"X-RateLimit-Remaining": "lots", "X-RateLimit-Limit": "NaN"}, None),
        (
            {"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "inf"},
            (None, 3, None, "X-RateLimit-*"),
        ),
        (
            {"RateLimit": "garbage;;;=,", "X-RateLimit-Remaining": "4"},
            (None, 4, None, "X-RateLimit-*"),
        ),
        ({"RateLimit": '"default";r=9;t=-3'}, (None, 9, None, "RateLimit")),
    ],
)
def test_parse_rate_limit(headers, expected):
    info = parse_rate_limit({"Date": SERVER_DATE, **headers}, observed_at=5.0)
    if expected is None:
        assert info is None
    else:
        assert (info.limit, info.remaining, info.reset_after, info.source) == pytest.approx(
            expected
        )
        assert info.observed_at == 5.0


def test_parse_retry_after_http_date_without_date_header_uses_now():
    assert parse_retry_after(
        {"Retry-After": formatdate(time.time() + 30, usegmt=True)}
    ) == pytest.approx(30, abs=2)
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert parse_retry_after({}) is None


RATE_LIMIT_HEADERS = [
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "x-ratelimit-reset-requests",
    "x-ratelimit-remaining-requests",
    "Date",
    "Retry-After",
]
# Arbitrary text, plus text made of the characters real values use, to reach deeper branches.
HEADER_VALUES = st.text() | st.text(alphabet='0123456789.,;="rtqwhms -:GMTWedOct')


@given(st.dictionaries(st.sampled_from(RATE_LIMIT_HEADERS) | st.text(), HEADER_VALUES))
def test_header_parsers_never_raise(headers):
    info = parse_rate_limit(headers)
    assert info is None or info.remaining is None or info.remaining >= 0
    retry_after = parse_retry_after(headers)
    assert retry_after is None or retry_after >= 0


async def test_latest_rate_limit_is_recorded_and_kept(server, make_client):
    server.script(
        Reply(headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299"}), Reply()
    )
    client = make_client()
    await client.post_json("/profile", {})
    await client.post_json("/profile", {})
    assert (client.stats.rate_limit.limit, client.stats.rate_limit.remaining) == (300, 299)


@pytest.mark.parametrize(("reset", "expected_wait"), [("30", 30.0), ("3600", 120.0)])
async def test_remaining_zero_holds_next_request_until_reset(
    server, make_client, fake, reset, expected_wait
):
    server.script(Reply(headers={"RateLimit": f'"default";r=0;t={reset}'}), Reply())
    client = make_client()
    await client.post_json("/profile", {})
    assert fake.sleeps == []
    await client.post_json("/profile", {})
    assert fake.sleeps == [expected_wait]


# --- client-side budget -----------------------------------------------------


async def test_budget_holds_the_fourth_request_for_a_minute(server, make_client, fake):
    server.script(*[Reply()] * 5)
    client = make_client(budget_per_minute=3)

    for _ in range(5):
        await client.post_json("/profile", {})

    assert len(server.seen) == 5
    assert fake.sleeps == [60.0]


async def test_budget_is_a_sliding_window(server, make_client, fake):
    server.script(*[Reply()] * 3)
    client = make_client(budget_per_minute=2)
    await client.post_json("/profile", {})
    fake.now += 45
    await client.post_json("/profile", {})
    await client.post_json("/profile", {})  # the first request leaves the window 15 s later
    assert fake.sleeps == [15.0]


# --- the key never leaks ----------------------------------------------------


async def test_key_never_in_errors_repr_or_logs(server, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    echo = {"error": f"bad key {KEY}", "message": f"key={KEY}"}
    server.script(
        Reply(401, echo),
        Reply(403, echo),
        Reply(400, echo),
        Reply(429, echo, {"Retry-After": "9999"}),
        Reply(500, f"Internal error for {KEY}", content_type="text/plain"),
        Reply(200, f"not json {KEY}", content_type="text/plain"),
        Reply(body={"data": KEY}, cut_after=5),
    )
    client = make_client(max_retries=0)
    errors: list[ProviderError] = []
    for _ in range(7):
        with pytest.raises(ProviderError) as caught:
            await client.post_json("/profile", {})
        errors.append(caught.value)

    assert [type(error) for error in errors] == [
        AuthError,
        ForbiddenError,
        BadRequest,
        RateLimitedError,
        ServerError,
        BadResponse,
        ConnectionFailed,
    ]
    for error in errors:
        assert_safe_message(error)
    assert KEY not in repr(client) and "pubrio-api-key" in repr(client)
    assert "POST /profile -> 401" in caplog.text
    assert KEY not in caplog.text
    assert all(KEY not in str(record.args) for record in caplog.records)


def test_sanitize_redacts_before_truncating():
    text = sanitize("a" * 195 + KEY, [KEY], limit=200)
    assert KEY[:5] not in text and "\n" not in sanitize("one\ntwo\r\nthree")
