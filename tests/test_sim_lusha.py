"""The Lusha account usage simulator, exercised over real loopback HTTP.

The clock is frozen at 2026-11-18 14:37 UTC (a Wednesday) unless a test moves it;
the 5-a-minute limit counts by that clock, so a frozen clock keeps requests in one minute.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from usage_top.sim import Faults, SimServer
from usage_top.sim.lusha import (
    LUSHA_DEMO_KEY,
    LUSHA_EXHAUSTED_KEY,
    LUSHA_FREE_KEY,
    LUSHA_GDPR_KEY,
    LUSHA_INACTIVE_KEY,
    LUSHA_NO_V3_KEY,
    USAGE_PATH,
    LushaSimulator,
)

from .conftest import Clock

WINDOW_HEADERS = ("x-rate-limit-{}", "x-{}-requests-left", "x-{}-usage")


@pytest.fixture
def lusha(clock: Clock) -> LushaSimulator:
    return LushaSimulator(seed=7, clock=clock)


@pytest.fixture
def server(lusha: LushaSimulator) -> Iterator[SimServer]:
    with SimServer(lusha).start() as server:  # type: ignore[arg-type]
        yield server


@pytest.fixture
def http(server: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=5) as client:
        yield client


def usage(http: httpx.Client, key: str | None = LUSHA_DEMO_KEY) -> httpx.Response:
    return http.get(USAGE_PATH, headers={"api_key": key} if key else {})


def ok(http: httpx.Client, key: str = LUSHA_DEMO_KEY) -> dict[str, Any]:
    response = usage(http, key)
    assert response.status_code == 200, response.text
    return response.json()


def assert_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["statusCode"] == status and isinstance(body["message"], str)
    assert set(body) <= {"statusCode", "message", "errors"}
    return body


# Envelope and fields -------------------------------------------------------------------


def test_envelope_and_field_names(http):
    body = ok(http)
    assert set(body) == {"credits", "rateLimits", "plan", "pricing"}
    assert set(body["credits"]) == {"total", "used", "remaining"}
    assert body["credits"]["used"] + body["credits"]["remaining"] == body["credits"]["total"]
    assert set(body["rateLimits"]) == {"daily", "hourly", "minute"}
    for window in body["rateLimits"].values():
        assert set(window) == {"limit", "used", "remaining", "resetsAt"}
        assert window["used"] + window["remaining"] == window["limit"]
    assert body["rateLimits"]["minute"]["resetsAt"] == "2026-11-18T14:38:00.000Z"
    assert body["rateLimits"]["hourly"]["resetsAt"] == "2026-11-18T15:00:00.000Z"
    assert body["rateLimits"]["daily"]["resetsAt"] == "2026-11-19T00:00:00.000Z"
    assert set(body["plan"]) == {"category", "renewalType", "startDate", "endDate"}
    assert all(set(price) == {"credits", "perQuantity"} for price in body["pricing"].values())


def test_pro_plan_limits(http):
    body = ok(http)
    limits = {name: window["limit"] for name, window in body["rateLimits"].items()}
    assert limits == {"daily": 1500, "hourly": 150, "minute": 50}
    assert body["plan"]["category"] == "professional" and body["plan"]["endDate"]


def test_free_plan_has_no_hourly_window_and_no_end_date(http):
    response = usage(http, LUSHA_FREE_KEY)
    body = response.json()
    assert set(body["rateLimits"]) == {"daily", "minute"}
    assert body["rateLimits"]["daily"]["limit"] == 100 and body["rateLimits"]["minute"]["limit"] == 40
    assert body["plan"]["endDate"] is None and body["plan"]["category"] == "free"
    assert "x-rate-limit-hourly" not in response.headers


def test_every_response_carries_the_rate_limit_headers(http):
    response = usage(http)
    body = response.json()
    for name in ("daily", "hourly", "minute"):
        limit, left, used = (response.headers[h.format(name)] for h in WINDOW_HEADERS)
        window = body["rateLimits"][name]
        assert (int(limit), int(left), int(used)) == (
            window["limit"], window["remaining"], window["used"])
    refused = usage(http, LUSHA_NO_V3_KEY)
    assert all(h.format("daily") in refused.headers for h in WINDOW_HEADERS)


def test_windows_count_the_requests(http):
    first, second = ok(http), ok(http)
    assert first["rateLimits"]["minute"]["used"] == second["rateLimits"]["minute"]["used"] - 1
    assert first["rateLimits"]["daily"]["used"] == second["rateLimits"]["daily"]["used"] - 1


# The 5-a-minute limit ------------------------------------------------------------------


def test_the_sixth_request_in_a_minute_is_refused(http, clock):
    for _ in range(5):
        assert usage(http).status_code == 200
    refused = usage(http)
    body = assert_error(refused, 429)
    assert "5 calls per minute" in body["message"]
    assert "retry-after" not in refused.headers  # Lusha documents none
    assert usage(http, LUSHA_FREE_KEY).status_code == 200  # the limit is per key
    clock.advance(seconds=30)  # 14:37:30, same fixed minute
    assert usage(http).status_code == 429
    clock.advance(seconds=31)  # 14:38:01, a new minute
    assert usage(http).status_code == 200


def test_refused_requests_do_not_count(http, clock):
    for _ in range(8):
        usage(http)
    clock.advance(minutes=1)
    assert ok(http)["rateLimits"]["minute"]["used"] <= 2  # own request plus background


# Errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "status", "words"),
    [
        (LUSHA_EXHAUSTED_KEY, 402, "requires payment"),
        (LUSHA_INACTIVE_KEY, 403, "not active"),
        (LUSHA_NO_V3_KEY, 403, "V3 API access is not enabled"),
        (LUSHA_GDPR_KEY, 451, "GDPR"),
        ("not-a-key", 401, "invalid"),
        (None, 401, "invalid"),
    ],
)
def test_error_states(http, key, status, words):
    body = assert_error(usage(http, key), status)
    assert words in body["message"]
    if status == 403:
        assert body["errors"] == [body["message"]]


def test_unknown_path_and_method(http):
    assert_error(http.get("/v3/account/nothing", headers={"api_key": LUSHA_DEMO_KEY}), 404)
    assert_error(http.post(USAGE_PATH, headers={"api_key": LUSHA_DEMO_KEY}), 404)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors(http, lusha, status):
    lusha.set_faults(Faults(status=status, count=1))
    assert_error(usage(http), status)
    assert usage(http).status_code == 200


def test_latency_truncation_and_invalid_json(http, lusha):
    lusha.set_faults(Faults(invalid_json=True, count=1))
    with pytest.raises(json.JSONDecodeError):
        usage(http).json()
    lusha.set_faults(Faults(truncate=True, count=1))
    with pytest.raises(httpx.HTTPError):
        usage(http)
    lusha.set_faults(Faults(latency=0.05, count=1))
    assert usage(http).status_code == 200


def test_faults_through_the_control_endpoint(http, lusha):
    http.post("/_sim/faults", json={"status": 503, "count": 1})
    assert usage(http).status_code == 503
    assert http.get("/_sim/stats").json()["requests"] == {USAGE_PATH: 1}
    assert lusha.request_count(USAGE_PATH) == 1


# The clock -----------------------------------------------------------------------------


def test_credits_rise_through_the_day(http, clock):
    clock.now = dt.datetime(2026, 11, 18, 6, 0, tzinfo=dt.UTC)
    morning = ok(http)["credits"]["used"]
    clock.now = dt.datetime(2026, 11, 18, 18, 0, tzinfo=dt.UTC)
    evening = ok(http)["credits"]["used"]
    assert evening > morning


def test_the_billing_cycle_resets_credits(http, clock):
    clock.now = dt.datetime(2026, 12, 13, 23, 0, tzinfo=dt.UTC)
    before = ok(http)
    assert before["plan"]["endDate"] == "2026-12-14T00:00:00.000Z"
    clock.now = dt.datetime(2026, 12, 14, 0, 30, tzinfo=dt.UTC)
    after = ok(http)
    assert after["credits"]["used"] < before["credits"]["used"] // 10
    assert after["plan"]["startDate"] == "2026-12-14T00:00:00.000Z"
    assert after["plan"]["endDate"] == "2027-01-14T00:00:00.000Z"


def test_windows_reset_with_the_clock(http, clock):
    clock.now = dt.datetime(2026, 11, 18, 23, 59, tzinfo=dt.UTC)
    late = ok(http)["rateLimits"]
    clock.now = dt.datetime(2026, 11, 19, 0, 1, tzinfo=dt.UTC)
    early = ok(http)["rateLimits"]
    assert early["daily"]["used"] < late["daily"]["used"]
    assert early["daily"]["resetsAt"] == "2026-11-20T00:00:00.000Z"


def test_same_seed_same_answers():
    clock = Clock()
    answers = [
        LushaSimulator(seed=seed, clock=clock).handle(
            "GET", USAGE_PATH, {"api_key": LUSHA_DEMO_KEY}, b"")[2]
        for seed in (7, 7, 8)
    ]
    assert answers[0] == answers[1] != answers[2]
