"""The Pubrio usage-API simulator, exercised over real loopback HTTP.

The clock is frozen at 2026-11-18 14:37 UTC (a Wednesday) unless a test moves
it, so every figure is reproducible.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
import ssl
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from usage_top.sim import DEMO_API_KEY, FREE_PLAN_KEY, Faults, SimServer, Simulator

from .conftest import FROZEN, Clock

UTC = dt.timezone.utc
TODAY = FROZEN.date()
BREAKDOWN = "/api_keys/usage/breakdown"
DAILY = "/api_keys/usage/daily"
PROFILE_USAGE = "/profile/usage"
PROFILE = "/profile"
ENDPOINTS = (BREAKDOWN, DAILY, PROFILE_USAGE, PROFILE)
MASKED = re.compile(r"[0-9a-f]\u2022{16}[0-9a-f]{3}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}")
ISO_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")
TLS = ssl.create_default_context()
"""Shared by every client: loading CA certificates per client costs ~0.1 s."""


def days_ago(n: int) -> str:
    return (TODAY - dt.timedelta(days=n)).isoformat()


def last_days(n: int) -> dict[str, str]:
    """A body covering the last ``n`` days up to today."""
    return {"start_date": days_ago(n - 1), "end_date": TODAY.isoformat()}


@pytest.fixture
def server(sim_server: SimServer) -> SimServer:
    """The shared simulator (seed 7, frozen clock) under this file's shorter name."""
    return sim_server


def connect(server: SimServer, key: str | None = DEMO_API_KEY) -> httpx.Client:
    headers = {"pubrio-api-key": key} if key else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=5, verify=TLS)


@pytest.fixture
def client(server: SimServer) -> Iterator[httpx.Client]:
    with connect(server) as client:
        yield client


@pytest.fixture
def control(server: SimServer) -> Iterator[httpx.Client]:
    """A client without an API key, for the ``/_sim/`` control endpoints."""
    with connect(server, key=None) as client:
        yield client


def call(client: httpx.Client, path: str, **body: Any) -> Any:
    """POST ``body`` to ``path``; the decoded JSON of a 200 answer."""
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    return response.json()


# Auth, routing, validation ---------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_missing_or_unknown_key_is_401(server: SimServer, path: str) -> None:
    for key in (None, "not-a-key"):
        with connect(server, key) as client:
            response = client.post(path, json=last_days(7))
        assert response.status_code == 401
        assert response.json() == {"error": "Invalid API key"}


@pytest.mark.parametrize("path", ENDPOINTS)
def test_free_plan_is_403(server: SimServer, path: str) -> None:
    with connect(server, FREE_PLAN_KEY) as client:
        response = client.post(path, json=last_days(7))
    assert response.status_code == 403
    assert "not available on your plan" in response.json()["error"]


def test_unknown_path_is_404_and_other_methods_405(client: httpx.Client) -> None:
    missing = client.post("/api_keys/nothing", json={})
    assert missing.status_code == 404
    assert "error" in missing.json()
    wrong_method = client.get(BREAKDOWN)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "POST"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"start_date": "2026-11-01"},
        {"start_date": "2026-11-01", "end_date": "2026-13-01"},
        {"start_date": "18/11/2026", "end_date": "2026-11-18"},
        {"start_date": "2026-11-18", "end_date": "2026-11-01"},
        {"start_date": "2025-11-01", "end_date": "2026-11-18"},
        {**last_days(7), "keys": "0••••••••••••••••f39"},
        {**last_days(7), "log_type_slugs": [3]},
        [],
    ],
)
@pytest.mark.parametrize("path", (BREAKDOWN, DAILY))
def test_bad_bodies_are_400(client: httpx.Client, path: str, body: Any) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == 40001
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict) and error["details"]


def test_body_that_is_not_json_is_400(client: httpx.Client) -> None:
    response = client.post(BREAKDOWN, content=b"{start_date:")
    assert response.status_code == 400
    assert response.json()["code"] == 40001


# Shapes ---------------------------------------------------------------------------


def test_breakdown_matches_the_spec(client: httpx.Client, sim: Simulator) -> None:
    body = {**last_days(30), "keys": [], "log_type_slugs": None, "profile_id": 12}
    payload = call(client, BREAKDOWN, **body)
    assert payload["metadata"]["filters"] == {**last_days(30), "profile_id": 12}
    data = payload["data"]
    assert set(data) == {"by_key", "by_endpoint", "totals"}
    key_fields = {"name", "requests", "credits", "last_used"}
    key_fields |= {"percent_of_requests", "percent_of_credits"}
    for row in data["by_key"]:
        assert set(row) == key_fields
        assert MASKED.fullmatch(row["name"]) and row["name"] in sim.key_names
        assert row["requests"] > 0 and isinstance(row["credits"], int)
        assert TIMESTAMP.fullmatch(row["last_used"])
        assert days_ago(29) <= row["last_used"][:10] <= TODAY.isoformat()
    for row in data["by_endpoint"]:
        assert set(row) == {"slug", "name", "cost_per_call"} | key_fields - {"last_used"}
        assert row["requests"] > 0
        assert row["cost_per_call"] == round(row["credits"] / row["requests"], 2)
    for rows in (data["by_key"], data["by_endpoint"]):
        order = [(-r["credits"], -r["requests"]) for r in rows]
        assert order == sorted(order)
    assert set(data["totals"]) == {"credits", "requests"}


def test_endpoints_look_like_the_vendor(client: httpx.Client) -> None:
    rows = call(client, BREAKDOWN, **last_days(30))["data"]["by_endpoint"]
    by_slug = {row["slug"]: row for row in rows}
    assert by_slug[None]["name"] == "Other requests" and by_slug[None]["credits"] == 0
    assert 2.9 <= by_slug["people_search"]["cost_per_call"] < 3
    assert by_slug["people_redeem"]["cost_per_call"] != int(
        by_slug["people_redeem"]["cost_per_call"]
    )
    assert by_slug["email_redeem"]["cost_per_call"] == 15
    assert by_slug["phone_number_redeem"]["cost_per_call"] == 30
    assert 15 <= len(rows) <= 20


def test_daily_has_one_point_per_day_including_zero_days(client: httpx.Client) -> None:
    body = {"start_date": days_ago(9), "end_date": (TODAY + dt.timedelta(days=3)).isoformat()}
    data = call(client, DAILY, **body)["data"]
    dates = [(TODAY + dt.timedelta(days=n)).isoformat() for n in range(-9, 4)]
    assert [point["date"] for point in data["series"]] == dates
    assert all(set(p) == {"date", "requests", "credits"} for p in data["series"])
    assert [p["requests"] for p in data["series"][-3:]] == [0, 0, 0]
    assert data["by_log_type"]
    for log_type in data["by_log_type"]:
        assert set(log_type) == {"slug", "name", "series"}
        assert [point["date"] for point in log_type["series"]] == dates
        assert sum(point["requests"] for point in log_type["series"]) > 0


def test_profile_usage_shape(client: httpx.Client) -> None:
    data = call(client, PROFILE_USAGE)["data"]
    for scope in ("api", "portal"):
        for period in ("monthly", "daily", "hourly"):
            assert isinstance(data[f"{scope}_{period}_usage"], int)
            per_seat = data[f"max_{scope}_{period}_query"]
            assert data[f"total_max_{scope}_{period}_query"] == 3 * per_seat
        assert data[f"{scope}_last_refreshed"] == "2026-11-18T14:37:00.000Z"
        assert ISO_Z.fullmatch(data[f"{scope}_last_refreshed"])
    assert data["is_api_access_available"] is True
    assert data["is_quota_sharing_enabled"] is data["is_quota_sharing_available"] is True


def test_profile_shape(client: httpx.Client) -> None:
    data = call(client, PROFILE)["data"]
    assert isinstance(data["credit"], int) and data["credit"] >= 0
    assert isinstance(data["topup_credit"], int)
    assert data["subscription"]["name"] == "Business"
    assert data["subscription"]["max_api_monthly_query"] > 0
    assert data["credit_costs"]["people_search"] == 3
    assert data["credit_costs"]["email_redeem"] == 15
    assert data["credit_costs"]["phone_number_redeem"] == 30
    assert (data["last_refill_date"], data["next_refill_date"]) == ("2026-11-01", "2026-12-01")


# Determinism and consistency ------------------------------------------------------


def test_same_seed_and_clock_give_the_same_bytes() -> None:
    def answers(seed: int) -> list[bytes]:
        sim = Simulator(seed=seed, clock=Clock())
        headers = {"pubrio-api-key": DEMO_API_KEY}
        body = json.dumps(last_days(30)).encode()
        return [sim.handle("POST", path, headers, body)[2] for path in ENDPOINTS]

    assert answers(7) == answers(7)
    assert answers(7) != answers(8)


def test_totals_are_the_sums_of_rows_and_shares_sum_to_100(client: httpx.Client) -> None:
    data = call(client, BREAKDOWN, **last_days(30))["data"]
    for rows in (data["by_key"], data["by_endpoint"]):
        assert sum(r["requests"] for r in rows) == data["totals"]["requests"]
        assert sum(r["credits"] for r in rows) == data["totals"]["credits"]
        for share in ("percent_of_requests", "percent_of_credits"):
            assert sum(r[share] for r in rows) == pytest.approx(100, abs=0.001 * len(rows))


@pytest.mark.parametrize("days", [1, 7, 30])
def test_daily_sums_equal_breakdown_totals(client: httpx.Client, days: int) -> None:
    breakdown = call(client, BREAKDOWN, **last_days(days))["data"]
    key = breakdown["by_key"][0]["name"]
    filters: list[dict[str, Any]] = [{}, {"keys": [key]}, {"log_type_slugs": ["people_search"]}]
    for extra in filters:
        totals = call(client, BREAKDOWN, **last_days(days), **extra)["data"]["totals"]
        daily = call(client, DAILY, **last_days(days), **extra)["data"]
        for measure in ("requests", "credits"):
            assert sum(p[measure] for p in daily["series"]) == totals[measure]
            assert daily["totals"][measure] == totals[measure]
            stacked = sum(p[measure] for lt in daily["by_log_type"] for p in lt["series"])
            assert stacked == totals[measure]


def test_filters_restrict_rows(client: httpx.Client) -> None:
    everything = call(client, BREAKDOWN, **last_days(7))["data"]
    key = everything["by_key"][1]
    only_key = call(client, BREAKDOWN, **last_days(7), keys=[key["name"]])["data"]
    assert [r["name"] for r in only_key["by_key"]] == [key["name"]]
    assert only_key["totals"] == {"requests": key["requests"], "credits": key["credits"]}
    assert only_key["by_key"][0]["percent_of_requests"] == 100
    slug = call(client, BREAKDOWN, **last_days(7), log_type_slugs=["people_search"])["data"]
    assert [r["slug"] for r in slug["by_endpoint"]] == ["people_search"]
    nobody = call(client, BREAKDOWN, **last_days(7), keys=["x" * 20])["data"]
    assert nobody == {"by_key": [], "by_endpoint": [], "totals": {"credits": 0, "requests": 0}}


def test_profile_usage_equals_breakdown_totals(client: httpx.Client, clock: Clock) -> None:
    usage = call(client, PROFILE_USAGE)["data"]
    today = call(client, BREAKDOWN, **last_days(1))["data"]["totals"]["requests"]
    month = {"start_date": "2026-11-01", "end_date": TODAY.isoformat()}
    this_month = call(client, BREAKDOWN, **month)["data"]["totals"]["requests"]
    assert usage["api_daily_usage"] == today
    assert usage["api_monthly_usage"] == this_month
    clock.now = FROZEN.replace(minute=0)
    at_hour_start = call(client, BREAKDOWN, **last_days(1))["data"]["totals"]["requests"]
    assert usage["api_hourly_usage"] == today - at_hour_start > 0


def test_workspace_timezone_sets_the_day_boundaries(clock: Clock) -> None:
    sim = Simulator(clock=clock, tz="Asia/Tokyo")  # 23:37 on the 18th there
    headers = {"pubrio-api-key": DEMO_API_KEY}

    def breakdown(**body: str) -> Any:
        return json.loads(sim.handle("POST", BREAKDOWN, headers, json.dumps(body).encode())[2])

    today = breakdown(start_date="2026-11-18", end_date="2026-11-18")["data"]
    assert today["totals"]["requests"] > 0
    assert max(r["last_used"] for r in today["by_key"]) > "2026-11-18 23:"
    tomorrow = breakdown(start_date="2026-11-19", end_date="2026-11-19")["data"]
    assert tomorrow["totals"]["requests"] == 0


# Growth with the clock -------------------------------------------------------------


def test_usage_grows_with_the_clock_and_the_past_stays(
    client: httpx.Client, clock: Clock
) -> None:
    past = {"start_date": days_ago(30), "end_date": days_ago(1)}
    before_today = call(client, BREAKDOWN, **last_days(1))["data"]
    before_past = client.post(BREAKDOWN, json=past).content
    before_usage = call(client, PROFILE_USAGE)["data"]
    clock.advance(minutes=10)
    after_today = call(client, BREAKDOWN, **last_days(1))["data"]
    assert after_today["totals"]["requests"] > before_today["totals"]["requests"]
    assert after_today["totals"]["credits"] > before_today["totals"]["credits"]
    earlier = {r["name"]: r["requests"] for r in before_today["by_key"]}
    assert all(r["requests"] >= earlier.get(r["name"], 0) for r in after_today["by_key"])
    assert client.post(BREAKDOWN, json=past).content == before_past
    after_usage = call(client, PROFILE_USAGE)["data"]
    for period in ("monthly", "daily", "hourly"):
        assert after_usage[f"api_{period}_usage"] > before_usage[f"api_{period}_usage"]


def test_nothing_happens_in_the_future(client: httpx.Client) -> None:
    today = call(client, BREAKDOWN, **last_days(1))["data"]
    assert max(r["last_used"] for r in today["by_key"]) <= "2026-11-18 14:37:00.000"
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    future = call(client, BREAKDOWN, start_date=tomorrow, end_date=tomorrow)["data"]
    assert future["totals"] == {"credits": 0, "requests": 0} and not future["by_key"]


def test_counts_never_decrease_across_a_dst_change() -> None:
    clock = Clock(dt.datetime(2026, 11, 1, 4, 0, tzinfo=UTC))  # New York falls back at 06:00
    sim = Simulator(clock=clock, tz="America/New_York")
    seen = []
    for _ in range(16):
        seen.append(sim.data.requests(dt.date(2026, 11, 1), clock.now))
        clock.advance(minutes=15)
    assert seen == sorted(seen) and seen[-1] > seen[0]


# The story the data tells -----------------------------------------------------------


def test_spike_key_is_visible(client: httpx.Client, sim: Simulator) -> None:
    body = {**last_days(30), "keys": [sim.spike_key]}
    series = call(client, DAILY, **body)["data"]["series"]
    weekdays = [
        p["requests"] for p in series[:-2] if dt.date.fromisoformat(p["date"]).weekday() < 5
    ]
    normal = sum(weekdays) / len(weekdays)
    assert series[-2]["requests"] > 5 * normal  # yesterday, a whole day
    assert series[-1]["requests"] > 2 * normal  # today, by 14:37


def test_volumes_are_realistic(client: httpx.Client) -> None:
    data = call(client, DAILY, **last_days(30))["data"]
    for point in data["series"][:-2]:
        weekday = dt.date.fromisoformat(point["date"]).weekday() < 5
        low, high = (2_000, 6_500) if weekday else (500, 3_000)
        assert low <= point["requests"] <= high, point
    used = call(client, BREAKDOWN, **last_days(30))["data"]["by_key"]
    assert 10 < len(used) < 36  # some keys idle
    assert used[0]["percent_of_requests"] > 10 * used[-1]["percent_of_requests"]


def test_scopes_start_at_normal_amber_and_red(client: httpx.Client) -> None:
    data = call(client, PROFILE_USAGE)["data"]

    def percent(scope: str, period: str) -> float:
        return 100 * data[f"{scope}_{period}_usage"] / data[f"total_max_{scope}_{period}_query"]

    assert percent("api", "monthly") == pytest.approx(62, abs=1.5)
    assert percent("api", "daily") == pytest.approx(81, abs=1.5)
    assert percent("api", "hourly") == pytest.approx(93, abs=1.5)
    for period in ("monthly", "daily", "hourly"):
        assert percent("portal", period) == pytest.approx(30, abs=5)


def test_many_keys_are_capped_at_100_rows() -> None:
    sim = Simulator(clock=Clock(), keys=1000)
    headers = {"pubrio-api-key": DEMO_API_KEY}
    started = time.perf_counter()
    raw = sim.handle("POST", BREAKDOWN, headers, json.dumps(last_days(30)).encode())[2]
    elapsed = time.perf_counter() - started  # informative only: not asserted
    print(f"30-day breakdown with 1000 keys: {elapsed * 1000:.0f} ms")
    data = json.loads(raw)["data"]
    assert len(data["by_key"]) == 100
    assert sum(r["requests"] for r in data["by_key"]) < data["totals"]["requests"]


# Faults -------------------------------------------------------------------------------


def test_429_with_retry_after_seconds_for_count_requests(
    client: httpx.Client, sim: Simulator
) -> None:
    sim.set_faults(Faults(status=429, count=3, retry_after="2"))
    for _ in range(3):
        response = client.post(PROFILE_USAGE, json={})
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "2"
        expected = "Request rate limit exceeded. Please wait and try again later."
        assert response.json() == {"error": expected}
    assert client.post(PROFILE_USAGE, json={}).status_code == 200
    assert sim.faults == Faults()


def test_429_with_retry_after_http_date(client: httpx.Client, sim: Simulator) -> None:
    when = email.utils.format_datetime(FROZEN + dt.timedelta(seconds=30), usegmt=True)
    sim.set_faults(Faults(status=429, retry_after=when, count=1))
    response = client.post(PROFILE_USAGE, json={})
    assert response.status_code == 429
    assert email.utils.parsedate_to_datetime(response.headers["Retry-After"]) > FROZEN


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors(client: httpx.Client, sim: Simulator, status: int) -> None:
    sim.set_faults(Faults(status=status))
    for path in (BREAKDOWN, PROFILE_USAGE):
        response = client.post(path, json=last_days(7))
        assert response.status_code == status
        assert isinstance(response.json()["error"], str)


def test_truncated_body(client: httpx.Client, sim: Simulator) -> None:
    sim.set_faults(Faults(truncate=True, count=1))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(BREAKDOWN, json=last_days(7))
    assert client.post(BREAKDOWN, json=last_days(7)).status_code == 200


def test_invalid_json(client: httpx.Client, sim: Simulator) -> None:
    sim.set_faults(Faults(invalid_json=True, count=1))
    response = client.post(PROFILE_USAGE, json={})
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_latency(client: httpx.Client, sim: Simulator) -> None:
    sim.set_faults(Faults(latency=0.2, count=1))
    started = time.perf_counter()
    assert client.post(PROFILE_USAGE, json={}).status_code == 200
    assert time.perf_counter() - started >= 0.2


def test_faults_only_hit_their_paths(client: httpx.Client, sim: Simulator) -> None:
    sim.set_faults(Faults(status=500, paths=(PROFILE_USAGE,)))
    assert client.post(BREAKDOWN, json=last_days(7)).status_code == 200
    assert client.post(PROFILE_USAGE, json={}).status_code == 500
    assert client.post(PROFILE_USAGE, json={}).status_code == 500  # count -1: always


def test_ratelimit_headers(client: httpx.Client, sim: Simulator) -> None:
    assert "X-RateLimit-Limit" not in client.post(PROFILE_USAGE, json={}).headers
    sim.set_faults(Faults(ratelimit_headers=True))
    headers = client.post(PROFILE_USAGE, json={}).headers
    assert headers["X-RateLimit-Limit"] == "300"
    assert 0 <= int(headers["X-RateLimit-Remaining"]) < 300
    assert int(headers["X-RateLimit-Reset"]) > 0
    assert headers["RateLimit-Policy"] == '"default";q=300;w=60'
    assert re.fullmatch(r'"default";r=\d+;t=\d+', headers["RateLimit"])


def test_faults_switch_at_runtime_over_http(client: httpx.Client, control: httpx.Client) -> None:
    assert control.post("/_sim/faults", json={"status": 503, "retry_after": "1"}).is_success
    assert client.post(PROFILE_USAGE, json={}).status_code == 503
    assert client.post(PROFILE_USAGE, json={}).status_code == 503
    assert control.post("/_sim/faults", json={}).json() == {"faults": Faults().to_dict()}
    assert client.post(PROFILE_USAGE, json={}).status_code == 200
    assert control.post("/_sim/faults", json={"bogus": 1}).status_code == 400
    stats = control.get("/_sim/stats").json()
    assert stats == {"total": 3, "requests": {PROFILE_USAGE: 3}}


def test_fault_options_are_validated(control: httpx.Client) -> None:
    for bad in ({"status": 42}, {"latency": -1}, {"count": -2}, {"paths": "/profile"}):
        with pytest.raises(ValueError):
            Faults.from_dict(bad)
        assert control.post("/_sim/faults", json=bad).status_code == 400
    faults = {"status": 502, "count": 2, "paths": [PROFILE]}
    assert control.post("/_sim/faults", json=faults).json()["faults"]["paths"] == [PROFILE]


def test_soft_rate_limit_of_300_a_minute(clock: Clock) -> None:
    sim = Simulator(clock=clock)
    statuses = [sim.handle("POST", "/nowhere", {}, b"")[0] for _ in range(300)]
    assert statuses == [404] * 300
    status, headers, body = sim.handle("POST", PROFILE_USAGE, {}, b"")
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 60
    assert json.loads(body)["error"].startswith("Request rate limit exceeded")


def test_requests_are_recorded(client: httpx.Client, sim: Simulator) -> None:
    call(client, PROFILE_USAGE)
    client.post(BREAKDOWN, json={})
    assert [(r.method, r.path, r.status) for r in sim.requests] == [
        ("POST", PROFILE_USAGE, 200),
        ("POST", BREAKDOWN, 400),
    ]
    assert sim.request_count() == 2 and sim.request_count(BREAKDOWN) == 1


def test_stop_closes_the_port(sim: Simulator) -> None:
    server = SimServer(sim).start()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
    with connect(server, key=None) as client:
        assert client.get("/_sim/stats").status_code == 200
        server.stop()
        with pytest.raises(httpx.TransportError):
            client.get("/_sim/stats")
