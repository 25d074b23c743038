"""The OpenAI organisation Usage and Costs API simulator, over real loopback HTTP.

The clock is frozen at 2026-11-18 14:37 UTC (a Wednesday) unless a test moves
it, so every figure is reproducible.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from usage_top.sim.openai import (
    DEMO_ADMIN_KEY,
    DEMO_PROJECT_KEY,
    MODELS,
    Faults,
    OpenAISimulator,
    SimServer,
)

from .conftest import FROZEN, Clock

UTC = dt.UTC
DAY = 86_400
TODAY = dt.datetime.combine(FROZEN.date(), dt.time(), UTC)
COMPLETIONS = "/organization/usage/completions"
COSTS = "/organization/costs"
PRICES = {m.line_item: m.price for model in MODELS for m in model.meters if m.line_item}
METERS = {
    (model.name, m.field): m.line_item for model in MODELS for m in model.meters if m.line_item
}


def midnight(days_ago: int) -> int:
    """The unix time of the UTC midnight ``days_ago`` days before the frozen day."""
    return int((TODAY - dt.timedelta(days=days_ago)).timestamp())


@pytest.fixture
def osim(clock: Clock) -> OpenAISimulator:
    return OpenAISimulator(seed=7, clock=clock)


@pytest.fixture
def server(osim: OpenAISimulator) -> Iterator[SimServer]:
    with SimServer(osim).start() as server:
        yield server


def connect(server: SimServer, key: str | None = DEMO_ADMIN_KEY) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.url + "/v1", headers=headers, timeout=5)


@pytest.fixture
def client(server: SimServer) -> Iterator[httpx.Client]:
    with connect(server) as client:
        yield client


def get(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def walk(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every bucket of a range, following ``next_page`` to the end (bounded)."""
    buckets: list[dict[str, Any]] = []
    for _ in range(50):
        page = get(client, path, **params)
        buckets += page["data"]
        if not page["has_more"]:
            return buckets
        params["page"] = page["next_page"]
    raise AssertionError("pagination did not end")


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


# Envelope and buckets ------------------------------------------------------------


def test_a_usage_page_has_the_vendor_envelope(client: httpx.Client) -> None:
    page = get(client, COMPLETIONS, start_time=midnight(30))
    assert set(page) == {"object", "data", "has_more", "next_page"}
    assert page["object"] == "page" and page["has_more"] is True
    assert page["next_page"].startswith("page_")
    assert len(page["data"]) == 7  # the spec's default limit for 1d buckets
    for bucket in page["data"]:
        assert set(bucket) == {"object", "start_time", "end_time", "results"}
        assert bucket["object"] == "bucket" and bucket["end_time"] - bucket["start_time"] == DAY
        (result,) = bucket["results"]  # ungrouped: one total per bucket
        assert result["object"] == "organization.usage.completions.result"
        assert result["input_tokens"] == result["input_cached_tokens"] + result["input_uncached_tokens"]
        assert result["num_model_requests"] > 0
        for field in ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier"):
            assert result[field] is None


def test_the_first_bucket_starts_at_start_time_and_ends_at_the_next_midnight(
    client: httpx.Client,
) -> None:
    start = midnight(3) + 5 * 3600 + 17
    first, second = get(client, COMPLETIONS, start_time=start, limit=2)["data"]
    assert (first["start_time"], first["end_time"]) == (start, midnight(2))
    assert (second["start_time"], second["end_time"]) == (midnight(2), midnight(1))


def test_walking_next_page_returns_all_31_days(client: httpx.Client, osim: OpenAISimulator) -> None:
    buckets = walk(client, COMPLETIONS, start_time=midnight(30))
    assert [b["start_time"] for b in buckets] == [midnight(n) for n in range(30, -1, -1)]
    assert buckets[-1]["end_time"] == midnight(-1)  # today's bucket, still filling
    assert osim.request_count("/v1" + COMPLETIONS) == 5  # 7 + 7 + 7 + 7 + 3


def test_end_time_cuts_the_range_and_no_bucket_lies_in_the_future(client: httpx.Client) -> None:
    data = get(client, COMPLETIONS, start_time=midnight(5), end_time=midnight(2), limit=31)["data"]
    assert [b["start_time"] for b in data] == [midnight(5), midnight(4), midnight(3)]
    future = get(client, COMPLETIONS, start_time=midnight(1), end_time=midnight(-5), limit=31)
    assert [b["start_time"] for b in future["data"]] == [midnight(1), midnight(0)]


def test_days_before_the_history_come_back_with_empty_results(client: httpx.Client) -> None:
    data = get(client, COMPLETIONS, start_time=midnight(120), limit=7)["data"]
    assert len(data) == 7 and all(b["results"] == [] for b in data)


# Grouping and filters -------------------------------------------------------------


def test_group_by_accepts_repeated_and_bracketed_parameters(client: httpx.Client) -> None:
    start = midnight(3)
    base = [("start_time", start), ("limit", 1)]
    repeated = client.get(COMPLETIONS, params=[*base, ("group_by", "model"), ("group_by", "api_key_id")])
    bracketed = client.get(
        COMPLETIONS, params=[*base, ("group_by[]", "model"), ("group_by[]", "api_key_id")]
    )
    assert repeated.status_code == bracketed.status_code == 200
    assert repeated.json() == bracketed.json()
    results = repeated.json()["data"][0]["results"]
    assert len(results) > 3
    for result in results:
        assert result["model"] and result["api_key_id"].startswith("key_")
        assert result["project_id"] is None and result["user_id"] is None
    (total,) = get(client, COMPLETIONS, start_time=start, limit=1)["data"][0]["results"]
    for field in ("input_tokens", "output_tokens", "num_model_requests"):
        assert sum(r[field] for r in results) == total[field]


def test_filters_narrow_the_results(client: httpx.Client, osim: OpenAISimulator) -> None:
    project = osim.org.projects[0].id
    page = get(client, COMPLETIONS, start_time=midnight(3), limit=1, group_by=["project_id", "model"],
               project_ids=[project], models=["gpt-4o-2024-08-06"])
    (result,) = page["data"][0]["results"]
    assert (result["project_id"], result["model"]) == (project, "gpt-4o-2024-08-06")
    none = get(client, COMPLETIONS, start_time=midnight(3), limit=1, batch="true")
    assert none["data"][0]["results"] == []


def test_every_usage_endpoint_answers_with_its_result_object(client: httpx.Client) -> None:
    for kind, field in [("embeddings", "input_tokens"), ("moderations", "input_tokens"),
                        ("images", "images"), ("audio_speeches", "characters"),
                        ("audio_transcriptions", "seconds"), ("vector_stores", "usage_bytes"),
                        ("code_interpreter_sessions", "num_sessions")]:
        page = get(client, f"/organization/usage/{kind}", start_time=midnight(3), limit=1)
        (result,) = page["data"][0]["results"]
        assert result["object"] == f"organization.usage.{kind}.result"
        assert result[field] > 0


def test_weekdays_are_busier_than_weekends(client: httpx.Client) -> None:
    buckets = walk(client, COMPLETIONS, start_time=midnight(28), end_time=midnight(0))
    by_day: dict[bool, list[int]] = {True: [], False: []}
    for bucket in buckets:
        weekend = dt.datetime.fromtimestamp(bucket["start_time"], UTC).weekday() >= 5
        by_day[weekend].append(bucket["results"][0]["num_model_requests"])
    assert sum(by_day[True]) / len(by_day[True]) < 0.75 * sum(by_day[False]) / len(by_day[False])


def test_hourly_buckets_add_up_to_the_day(client: httpx.Client) -> None:
    yesterday = {"start_time": midnight(1), "end_time": midnight(0)}
    hours = get(client, COMPLETIONS, **yesterday, bucket_width="1h")["data"]
    (day,) = get(client, COMPLETIONS, start_time=midnight(1), limit=1)["data"][0]["results"]
    assert len(hours) == 24
    assert sum(h["results"][0]["output_tokens"] for h in hours) == day["output_tokens"]
    quiet, busy = hours[3]["results"][0], hours[14]["results"][0]
    assert quiet["num_model_requests"] < busy["num_model_requests"]


# Validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "param", "code"),
    [
        (COMPLETIONS, {}, "start_time", "missing_required_parameter"),
        (COMPLETIONS, {"start_time": "yesterday"}, "start_time", "invalid_type"),
        (COMPLETIONS, {"start_time": 1, "limit": 32}, "limit", "integer_above_max_value"),
        (COMPLETIONS, {"start_time": 1, "bucket_width": "1h", "limit": 169}, "limit",
         "integer_above_max_value"),
        (COMPLETIONS, {"start_time": 1, "limit": 0}, "limit", "integer_below_min_value"),
        (COMPLETIONS, {"start_time": 1, "bucket_width": "2d"}, "bucket_width", "invalid_value"),
        (COMPLETIONS, {"start_time": 1, "group_by": "line_item"}, "group_by", "invalid_value"),
        (COMPLETIONS, {"start_time": 10, "end_time": 5}, "end_time", "invalid_value"),
        (COMPLETIONS, {"start_time": 1, "page": "page_nonsense"}, "page", "invalid_value"),
        (COSTS, {"start_time": 1, "bucket_width": "1h"}, "bucket_width", "invalid_value"),
        (COSTS, {"start_time": 1, "limit": 181}, "limit", "integer_above_max_value"),
        (COSTS, {"start_time": 1, "group_by": "model"}, "group_by", "invalid_value"),
    ],
)
def test_invalid_queries_get_400_with_the_vendor_error(
    client: httpx.Client, path: str, params: dict[str, Any], param: str, code: str
) -> None:
    error = error_of(client.get(path, params=params), 400)
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, code)


def test_a_cursor_only_works_with_its_own_query(client: httpx.Client) -> None:
    cursor = get(client, COMPLETIONS, start_time=midnight(30))["next_page"]
    second = get(client, COMPLETIONS, start_time=midnight(30), page=cursor)
    assert second["data"][0]["start_time"] == midnight(23)
    error_of(client.get(COMPLETIONS, params={"start_time": midnight(29), "page": cursor}), 400)


def test_costs_accept_the_spec_maximum_limit(client: httpx.Client) -> None:
    assert len(get(client, COSTS, start_time=midnight(179), limit=180)["data"]) == 180


def test_unknown_paths_and_methods_get_invalid_url(client: httpx.Client) -> None:
    assert error_of(client.get("/organization/usage/nothing"), 404)["message"] == (
        "Invalid URL (GET /v1/organization/usage/nothing)"
    )
    error_of(client.post(COSTS, json={}), 404)


# Auth --------------------------------------------------------------------------------


def test_auth_failures_use_the_vendor_bodies(server: SimServer) -> None:
    with connect(server, key=None) as anonymous:
        missing = error_of(anonymous.get(COSTS, params={"start_time": 1}), 401)
    assert "didn't provide an API key" in missing["message"]
    wrong = "sk-admin-not-the-right-key-7f3a"
    with connect(server, key=wrong) as stranger:
        error = error_of(stranger.get(COSTS, params={"start_time": 1}), 401)
    assert error["code"] == "invalid_api_key" and error["type"] == "invalid_request_error"
    assert wrong not in error["message"]
    assert error["message"].startswith("Incorrect API key provided: sk-***")
    with connect(server, key=DEMO_PROJECT_KEY) as project:
        usage = error_of(project.get(COSTS, params={"start_time": 1}), 403)
        listing = error_of(project.get("/organization/projects"), 403)
    assert "Missing scopes: api.usage.read" in usage["message"]
    assert "Missing scopes: api.management.read" in listing["message"]


# Faults ------------------------------------------------------------------------------


def test_429_carries_retry_after_when_the_fault_sets_it(
    client: httpx.Client, osim: OpenAISimulator
) -> None:
    osim.set_faults(Faults(status=429, retry_after="7", count=1))
    limited = client.get(COSTS, params={"start_time": midnight(1)})
    assert limited.headers["retry-after"] == "7"
    assert error_of(limited, 429)["code"] == "rate_limit_exceeded"
    assert client.get(COSTS, params={"start_time": midnight(1)}).status_code == 200
    osim.set_faults(Faults(status=429, count=1))
    bare = client.get(COSTS, params={"start_time": midnight(1)})
    assert error_of(bare, 429)["type"] == "requests" and "retry-after" not in bare.headers


def test_server_errors_and_broken_bodies(client: httpx.Client, osim: OpenAISimulator) -> None:
    osim.set_faults(Faults(status=500, count=1, paths=("/v1" + COSTS,)))
    assert client.get(COMPLETIONS, params={"start_time": midnight(1)}).status_code == 200  # other path
    assert error_of(client.get(COSTS, params={"start_time": midnight(1)}), 500)["type"] == "server_error"
    osim.set_faults(Faults(invalid_json=True, count=1))
    with pytest.raises(ValueError):
        client.get(COSTS, params={"start_time": midnight(1)}).json()


def test_faults_can_be_set_over_http(server: SimServer, client: httpx.Client) -> None:
    assert httpx.post(server.url + "/_sim/faults", json={"status": 503, "count": 1}).status_code == 200
    assert client.get(COSTS, params={"start_time": midnight(1)}).status_code == 503
    stats = httpx.get(server.url + "/_sim/stats").json()
    assert stats["requests"] == {"/v1" + COSTS: 1}


# Costs, late data --------------------------------------------------------------------


def _priced_usage(client: httpx.Client, start: int, end: int) -> dict[str, float]:
    """Tokens (and other billed units) by line item, priced from the catalogue."""
    expected: dict[str, float] = {}
    for kind in ("completions", "embeddings", "images", "audio_speeches", "audio_transcriptions",
                 "code_interpreter_sessions", "moderations"):
        group = "project_id" if kind == "code_interpreter_sessions" else "model"
        page = get(client, f"/organization/usage/{kind}", start_time=start, end_time=end, group_by=group)
        for result in page["data"][0]["results"]:
            model = result.get("model") or "code-interpreter"
            for field, amount in result.items():
                item = METERS.get((model, field))
                if item:
                    expected[item] = expected.get(item, 0.0) + amount * PRICES[item]
    return expected


def _costs_by_line_item(client: httpx.Client, start: int, end: int) -> dict[str, float]:
    page = get(client, COSTS, start_time=start, end_time=end, group_by="line_item")
    return {r["line_item"]: r["amount"]["value"] for r in page["data"][0]["results"]}


def test_settled_costs_equal_usage_times_the_price_table(client: httpx.Client) -> None:
    start, end = midnight(3), midnight(2)
    expected, costs = _priced_usage(client, start, end), _costs_by_line_item(client, start, end)
    assert set(costs) == set(expected) and "gpt-4o-2024-08-06, cached input" in costs
    for item, value in expected.items():
        assert costs[item] == pytest.approx(value, abs=1e-6)
    page = get(client, COSTS, start_time=start, end_time=end, group_by=["line_item", "project_id"])
    for result in page["data"][0]["results"]:
        assert result["project_id"].startswith("proj_") and result["api_key_id"] is None
        assert result["quantity"] > 0
        assert result["quantity_unit"] in (None, "tokens", "images", "characters", "duration_seconds")


def test_recent_cost_rows_arrive_hours_late_and_settle(client: httpx.Client, clock: Clock) -> None:
    """Refetching the last two days: today's rows appear, yesterday's amounts grow."""
    usage_priced = sum(_priced_usage(client, midnight(1), midnight(0)).values())
    rows_today, cost_yesterday = [], []
    for _ in range(6):
        page = get(client, COSTS, start_time=midnight(1), group_by=["line_item", "api_key_id"])
        yesterday, today = page["data"][:2]
        rows_today.append(len(today["results"]))
        cost_yesterday.append(sum(r["amount"]["value"] for r in yesterday["results"]))
        clock.advance(hours=2)
    assert rows_today == sorted(rows_today) and rows_today[-1] > rows_today[0]
    assert cost_yesterday == sorted(cost_yesterday) and cost_yesterday[-1] > cost_yesterday[0]
    assert cost_yesterday[-1] < usage_priced  # at 00:37 the day after, not yet settled
    clock.advance(hours=24)
    settled = sum(_costs_by_line_item(client, midnight(1), midnight(0)).values())
    assert settled == pytest.approx(usage_priced, abs=1e-6)


def test_the_current_hour_trails_by_a_few_minutes(client: httpx.Client, clock: Clock) -> None:
    minutes = get(client, COMPLETIONS, start_time=midnight(0) + 14 * 3600, bucket_width="1m")["data"]
    assert len(minutes) == 38  # 14:00 .. 14:37, the bucket holding now included
    assert all(b["results"] for b in minutes[20:30]) and all(not b["results"] for b in minutes[-5:])
    hour = {"start_time": midnight(0) + 14 * 3600, "bucket_width": "1h", "limit": 1}
    before = get(client, COMPLETIONS, **hour)["data"][0]["results"][0]["num_model_requests"]
    clock.advance(minutes=10)
    after = get(client, COMPLETIONS, **hour)["data"][0]["results"][0]["num_model_requests"]
    assert after > before


# Pagination options ------------------------------------------------------------------


def test_repeat_mode_hands_back_the_same_cursor(server: SimServer, client: httpx.Client) -> None:
    assert httpx.post(server.url + "/_sim/pagination", json={"mode": "repeat"}).json() == {"mode": "repeat"}
    first = get(client, COSTS, start_time=midnight(2))  # fits one page, yet has_more
    assert first["has_more"] is True
    again = get(client, COSTS, start_time=midnight(2), page=first["next_page"])
    assert again["has_more"] is True and again["next_page"] == first["next_page"]


def test_endless_mode_never_stops_saying_has_more(client: httpx.Client, osim: OpenAISimulator) -> None:
    osim.pagination = "endless"
    cursors, params = [], {"start_time": midnight(10)}
    for _ in range(6):
        page = get(client, COMPLETIONS, **params)
        assert page["has_more"] is True
        cursors.append(page["next_page"])
        params["page"] = page["next_page"]
    assert len(set(cursors)) == len(cursors)
    assert page["data"] == []


# Lists ---------------------------------------------------------------------------------


def test_projects_page_with_after(client: httpx.Client) -> None:
    first = get(client, "/organization/projects", limit=3)
    assert first["object"] == "list" and first["has_more"] is True
    assert first["first_id"] == first["data"][0]["id"] and first["last_id"] == first["data"][-1]["id"]
    rest = get(client, "/organization/projects", limit=3, after=first["last_id"])
    assert rest["has_more"] is False and len(first["data"] + rest["data"]) == 4
    assert {p["object"] for p in first["data"]} == {"organization.project"}


def test_keys_of_every_project_and_the_deleted_one(client: httpx.Client) -> None:
    listed: dict[str, dict[str, Any]] = {}
    for project in get(client, "/organization/projects")["data"]:
        for key in get(client, f"/organization/projects/{project['id']}/api_keys")["data"]:
            listed[key["id"]] = key
    assert 8 <= len(listed) <= 12
    for key in listed.values():
        assert re.fullmatch(r"sk-(proj|svcacct)-\.\.\.[A-Za-z0-9]{4}", key["redacted_value"])
        assert key["id"].startswith("key_") and key["owner"]["type"] in ("user", "service_account")
        assert key["object"] == "organization.project.api_key" and isinstance(key["created_at"], int)
    assert "" in {k["name"] for k in listed.values()}  # the unnamed key
    buckets = walk(client, COMPLETIONS, start_time=midnight(60), group_by="api_key_id", limit=31)
    used = {r["api_key_id"] for b in buckets for r in b["results"]}
    assert len(used - set(listed)) == 1  # a deleted key: in usage, in no listing


def test_rate_limits_per_model(client: httpx.Client, osim: OpenAISimulator) -> None:
    page = get(client, f"/organization/projects/{osim.org.projects[1].id}/rate_limits")
    models = {r["model"]: r for r in page["data"]}
    assert models["gpt-4o-2024-08-06"]["max_tokens_per_1_minute"] > 0
    for limit in page["data"]:
        assert limit["object"] == "project.rate_limit" and limit["max_requests_per_1_minute"] > 0
    assert client.get("/organization/projects/proj_missing/api_keys").status_code == 404


# Determinism -----------------------------------------------------------------------------


def test_same_seed_and_clock_give_identical_bytes() -> None:
    def answers(seed: int) -> list[bytes]:
        sim = OpenAISimulator(seed=seed, clock=Clock())
        headers = {"Authorization": f"Bearer {DEMO_ADMIN_KEY}"}
        paths = [
            f"/v1{COMPLETIONS}?start_time={midnight(9)}&group_by[]=model&group_by[]=api_key_id",
            f"/v1{COSTS}?start_time={midnight(9)}&group_by=line_item&group_by=project_id",
            "/v1/organization/projects",
        ]
        return [sim.handle("GET", path, headers, b"")[2] for path in paths]

    assert answers(7) == answers(7)
    assert answers(7) != answers(8)
