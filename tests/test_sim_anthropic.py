"""The Anthropic Admin API simulator, exercised over real loopback HTTP.

The clock is frozen at 2026-11-18 14:37 UTC (a Wednesday) unless a test moves it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from usage_top.sim import Faults, SimServer
from usage_top.sim.anthropic import (
    ANTHROPIC_ADMIN_KEY,
    ANTHROPIC_STANDARD_KEY,
    COST_PATH,
    KEYS_PATH,
    MODELS,
    USAGE_PATH,
    WORKSPACES_PATH,
    AnthropicSimulator,
    Paging,
)

from .conftest import FROZEN, Clock

HEADERS = {"x-api-key": ANTHROPIC_ADMIN_KEY, "anthropic-version": "2023-06-01"}
USAGE_FIELDS = {
    "uncached_input_tokens", "cache_creation", "cache_read_input_tokens", "output_tokens",
    "server_tool_use", "api_key_id", "workspace_id", "model", "service_tier", "context_window",
}
COST_FIELDS = {
    "amount", "currency", "cost_type", "description", "model", "token_type", "context_window",
    "service_tier", "inference_geo", "workspace_id",
}
TOKEN_FIELDS = ("uncached_input_tokens", "cache_read_input_tokens", "output_tokens")


@pytest.fixture
def anthropic(clock: Clock) -> AnthropicSimulator:
    return AnthropicSimulator(seed=7, clock=clock)


@pytest.fixture
def server(anthropic: AnthropicSimulator) -> Iterator[SimServer]:
    with SimServer(anthropic).start() as server:  # type: ignore[arg-type]
        yield server


@pytest.fixture
def client(server: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=HEADERS, timeout=5) as client:
        yield client


def get(client: httpx.Client, path: str, **params: Any) -> Any:
    """GET ``path``; the decoded JSON of a 200 answer."""
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def days_ago(n: int) -> str:
    day = FROZEN.date() - dt.timedelta(days=n)
    return f"{day.isoformat()}T00:00:00Z"


def follow(client: httpx.Client, path: str, pages: int = 50, **params: Any) -> list[dict]:
    """Every bucket of a report, page by page."""
    buckets: list[dict] = []
    for _ in range(pages):
        body = get(client, path, **params)
        buckets.extend(body["data"])
        if not body["has_more"]:
            return buckets
        params["page"] = body["next_page"]
    raise AssertionError("the report did not end")


def assert_error(response: httpx.Response, status: int, error_type: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"type", "error", "request_id"}
    assert body["type"] == "error" and body["error"]["type"] == error_type
    assert body["request_id"].startswith("req_") and response.headers["request-id"] == body["request_id"]
    return body


def row_tokens(row: dict) -> int:
    cache = row["cache_creation"]
    return sum(row[name] for name in TOKEN_FIELDS) + sum(cache.values())


# Envelopes and fields ------------------------------------------------------------


def test_usage_report_envelope_and_fields(client):
    body = get(client, USAGE_PATH, starting_at=days_ago(3))
    assert set(body) == {"data", "has_more", "next_page"}
    assert [b["starting_at"] for b in body["data"]] == [days_ago(n) for n in (3, 2, 1, 0)]
    assert body["data"][0]["ending_at"] == days_ago(2)
    assert body["has_more"] is False and body["next_page"] is None
    (row,) = body["data"][0]["results"]
    assert set(row) == USAGE_FIELDS
    assert set(row["cache_creation"]) == {"ephemeral_1h_input_tokens", "ephemeral_5m_input_tokens"}
    assert set(row["server_tool_use"]) == {"web_search_requests"}
    assert all(row[name] is None for name in ("api_key_id", "workspace_id", "model"))
    assert "requests" not in row and "num_model_requests" not in row  # no request count


def test_buckets_snap_to_utc_days_and_empty_days_have_no_results(client):
    body = get(client, USAGE_PATH, starting_at="2026-01-01T15:42:00+02:00", limit=2)
    assert body["data"][0]["starting_at"] == "2026-01-01T00:00:00Z"
    assert all(bucket["results"] == [] for bucket in body["data"])  # before the history


def test_grouping_fills_the_group_fields(client, anthropic):
    body = get(client, USAGE_PATH, starting_at=days_ago(1), ending_at=days_ago(0),
               **{"group_by[]": ["api_key_id", "model", "service_tier"]})
    rows = body["data"][0]["results"]
    assert {row["api_key_id"] for row in rows} <= set(anthropic.keys)
    assert {row["model"] for row in rows} <= set(MODELS)
    assert {row["service_tier"] for row in rows} == {"standard", "batch", "priority"}
    assert all(row["workspace_id"] is None for row in rows)  # not grouped by it


def test_filters_and_grouping_add_up_to_the_total(client, anthropic):
    params = {"starting_at": days_ago(1), "ending_at": days_ago(0)}
    total = get(client, USAGE_PATH, **params)["data"][0]["results"][0]
    by_key = get(client, USAGE_PATH, **params, **{"group_by[]": "api_key_id"})["data"][0]["results"]
    assert sum(r["output_tokens"] for r in by_key) == total["output_tokens"]
    one = by_key[0]["api_key_id"]
    only = get(client, USAGE_PATH, **params, **{"api_key_ids[]": one})["data"][0]["results"][0]
    assert only["output_tokens"] == by_key[0]["output_tokens"]


def test_default_workspace_is_null(client):
    rows = get(client, USAGE_PATH, starting_at=days_ago(1), ending_at=days_ago(0),
               **{"group_by[]": "workspace_id"})["data"][0]["results"]
    assert None in {row["workspace_id"] for row in rows}
    assert len(rows) == 4  # three workspaces and the default one


def test_hourly_buckets_add_up_to_the_day(client):
    day = get(client, USAGE_PATH, starting_at=days_ago(2), ending_at=days_ago(1))["data"]
    hours = follow(client, USAGE_PATH, starting_at=days_ago(2), ending_at=days_ago(1),
                   bucket_width="1h")
    assert len(hours) == 24
    assert sum(row_tokens(r) for b in hours for r in b["results"]) == row_tokens(day[0]["results"][0])
    quiet, busy = hours[3]["results"][0], hours[14]["results"][0]
    assert busy["output_tokens"] > 2 * quiet["output_tokens"]  # mid-afternoon peak


def test_weekends_are_quieter(client):
    # 2026-11-14 is a Saturday, 2026-11-11 a Wednesday.
    rows = follow(client, USAGE_PATH, starting_at="2026-11-11T00:00:00Z",
                  ending_at="2026-11-15T00:00:00Z")
    wednesday, saturday = rows[0]["results"][0], rows[3]["results"][0]
    assert saturday["uncached_input_tokens"] < 0.5 * wednesday["uncached_input_tokens"]


def test_about_ninety_days_of_history(client):
    old = get(client, USAGE_PATH, starting_at=days_ago(89), limit=1)["data"][0]["results"]
    older = get(client, USAGE_PATH, starting_at=days_ago(91), limit=1)["data"][0]["results"]
    assert old and older == []


def test_cost_report_envelope_and_fields(client):
    body = get(client, COST_PATH, starting_at=days_ago(2), ending_at=days_ago(1),
               **{"group_by[]": ["workspace_id", "description"]})
    rows = body["data"][0]["results"]
    assert all(set(row) == COST_FIELDS for row in rows)
    assert all(isinstance(row["amount"], str) and row["currency"] == "USD" for row in rows)
    descriptions = {row["description"] for row in rows}
    assert "Claude Sonnet 4.6 Usage - Input Tokens" in descriptions
    assert "Web Search Usage" in descriptions
    web = next(row for row in rows if row["cost_type"] == "web_search")
    assert web["model"] is None and web["token_type"] is None


def test_ungrouped_cost_is_one_total_per_day(client):
    rows = get(client, COST_PATH, starting_at=days_ago(2), ending_at=days_ago(1))["data"][0]["results"]
    (row,) = rows
    assert row["description"] is None and row["workspace_id"] is None
    assert Decimal(row["amount"]) > 0


def test_cost_cannot_be_grouped_by_api_key(client):
    response = client.get(COST_PATH, params={"starting_at": days_ago(2), "group_by[]": "api_key_id"})
    assert_error(response, 400, "invalid_request_error")


def test_cost_is_daily_only(client):
    response = client.get(COST_PATH, params={"starting_at": days_ago(2), "bucket_width": "1h"})
    assert_error(response, 400, "invalid_request_error")


def test_cost_differs_from_a_naive_estimate_by_a_few_percent(client):
    """Batch is half price and priority never shows in cost: tokens x list price overshoots."""
    params = {"starting_at": days_ago(8), "ending_at": days_ago(1), "limit": 7}
    usage = follow(client, USAGE_PATH, **params, **{"group_by[]": ["model", "context_window"]})
    cost = follow(client, COST_PATH, **params)
    billed = sum(Decimal(r["amount"]) for b in cost for r in b["results"])
    naive = Decimal(0)
    for row in (r for b in usage for r in b["results"]):
        price = MODELS[row["model"]].price_on(FROZEN.date())
        factor = 2 if row["context_window"] == "200k-1M" else 1
        naive += row["uncached_input_tokens"] * price.input * factor / 10_000
        naive += row["output_tokens"] * price.output * factor / 10_000
        naive += row["cache_read_input_tokens"] * price.input / 100_000 * factor
        cache = row["cache_creation"]
        naive += cache["ephemeral_5m_input_tokens"] * price.input * Decimal("1.25") / 10_000 * factor
        naive += cache["ephemeral_1h_input_tokens"] * price.input * 2 / 10_000 * factor
        naive += row["server_tool_use"]["web_search_requests"]
    assert Decimal("0.6") < billed / naive < Decimal("0.97")


def test_priority_usage_is_absent_from_cost(client):
    rows = get(client, COST_PATH, starting_at=days_ago(2), ending_at=days_ago(1),
               **{"group_by[]": "description"})["data"][0]["results"]
    tiers = {row["service_tier"] for row in rows}
    assert "priority" not in tiers and {"standard", "batch"} <= tiers


# Late data -------------------------------------------------------------------------


def test_the_last_minutes_of_usage_arrive_late(client, clock):
    params = {"starting_at": "2026-11-18T14:25:00Z", "bucket_width": "1m", "limit": 15}
    before = {b["starting_at"]: b["results"] for b in get(client, USAGE_PATH, **params)["data"]}
    assert max(before) == "2026-11-18T14:36:00Z"  # the minute under way is the last bucket
    assert before["2026-11-18T14:25:00Z"] and before["2026-11-18T14:34:00Z"] == []
    clock.advance(minutes=10)
    after = {b["starting_at"]: b["results"] for b in get(client, USAGE_PATH, **params)["data"]}
    assert after["2026-11-18T14:34:00Z"]  # the late minute has come in
    assert after["2026-11-18T14:25:00Z"] == before["2026-11-18T14:25:00Z"]


def test_cost_for_today_and_yesterday_arrives_hours_late(client, clock):
    clock.now = dt.datetime(2026, 11, 18, 2, 0, tzinfo=dt.UTC)
    params = {"starting_at": days_ago(1), "limit": 2}
    early = get(client, COST_PATH, **params)["data"]
    assert early[1]["results"] == []  # nothing for today yet
    yesterday_early = Decimal(early[0]["results"][0]["amount"])
    clock.now = dt.datetime(2026, 11, 18, 9, 0, tzinfo=dt.UTC)
    later = get(client, COST_PATH, **params)["data"]
    assert Decimal(later[0]["results"][0]["amount"]) > yesterday_early  # late rows landed
    assert later[1]["results"]


def test_usage_grows_but_never_shrinks(client, clock):
    params = {"starting_at": days_ago(0)}
    first = get(client, USAGE_PATH, **params)["data"][0]["results"][0]
    clock.advance(hours=2)
    second = get(client, USAGE_PATH, **params)["data"][0]["results"][0]
    assert all(second[name] > first[name] for name in TOKEN_FIELDS)


# Pagination --------------------------------------------------------------------------


def test_thirty_one_days_need_pages(client):
    buckets = follow(client, USAGE_PATH, starting_at=days_ago(30))
    assert len(buckets) == 31
    assert [b["starting_at"] for b in buckets] == [days_ago(n) for n in range(30, -1, -1)]


def test_next_page_cursor_is_the_documented_form(client):
    body = get(client, USAGE_PATH, starting_at=days_ago(30))
    assert len(body["data"]) == 7 and body["has_more"] is True
    assert body["next_page"].startswith("page_")


def test_limits_are_as_documented(client):
    for width, high in (("1d", 31), ("1h", 168), ("1m", 1440)):
        ok = client.get(USAGE_PATH, params={"starting_at": days_ago(1), "bucket_width": width,
                                            "limit": high})
        assert ok.status_code == 200
        over = client.get(USAGE_PATH, params={"starting_at": days_ago(1), "bucket_width": width,
                                              "limit": high + 1})
        assert_error(over, 400, "invalid_request_error")


def test_endless_has_more(client, anthropic):
    anthropic.paging = Paging.ENDLESS
    tokens = []
    params: dict[str, Any] = {"starting_at": days_ago(2)}
    for _ in range(5):
        body = get(client, USAGE_PATH, **params)
        assert body["has_more"] is True
        tokens.append(body["next_page"])
        params["page"] = body["next_page"]
    assert len(set(tokens)) == 5 and body["data"] == []  # past the range, still "more"


def test_repeated_cursor(client, server):
    with httpx.Client(base_url=server.url) as control:
        assert control.post("/_sim/paging", json={"paging": "repeat"}).json() == {"paging": "repeat"}
    first = get(client, COST_PATH, starting_at=days_ago(20))
    second = get(client, COST_PATH, starting_at=days_ago(20), page=first["next_page"])
    assert second["next_page"] == first["next_page"] and second["has_more"] is True
    assert second["data"] == first["data"]


def test_bad_page_token(client):
    response = client.get(USAGE_PATH, params={"starting_at": days_ago(2), "page": "nonsense!"})
    assert_error(response, 400, "invalid_request_error")


def test_api_keys_page_to_the_end(client, anthropic):
    seen, params = [], {"limit": 4}
    while True:
        body = get(client, KEYS_PATH, **params)
        assert set(body) == {"data", "has_more", "first_id", "last_id"}
        seen += [item["id"] for item in body["data"]]
        if not body["has_more"]:
            break
        params["after_id"] = body["last_id"]
    assert sorted(seen) == sorted(anthropic.keys) and len(seen) == 9
    back = get(client, KEYS_PATH, limit=4, before_id=seen[4])
    assert [item["id"] for item in back["data"]] == seen[:4] and back["has_more"] is False


def test_api_key_items_and_filters(client):
    items = get(client, KEYS_PATH)["data"]
    assert {"type", "id", "name", "partial_key_hint", "status", "workspace_id", "created_at",
            "created_by"} == set(items[0])
    assert all(item["type"] == "api_key" and item["id"].startswith("apikey_01") for item in items)
    assert all(item["partial_key_hint"].startswith("sk-ant-api03-") for item in items)
    inactive = get(client, KEYS_PATH, status="inactive")["data"]
    assert [item["name"] for item in inactive] == ["old-prototype"]
    workspace = items[0]["workspace_id"]
    same = get(client, KEYS_PATH, workspace_id=workspace)["data"]
    assert same and all(item["workspace_id"] == workspace for item in same)
    assert_error(client.get(KEYS_PATH, params={"limit": 1001}), 400, "invalid_request_error")


def test_workspaces(client):
    body = get(client, WORKSPACES_PATH, limit=2)
    assert body["has_more"] is True and len(body["data"]) == 2
    item = body["data"][0]
    assert set(item) == {"type", "id", "name", "created_at", "archived_at", "display_color"}
    assert item["type"] == "workspace" and item["id"].startswith("wrkspc_01")
    rest = get(client, WORKSPACES_PATH, after_id=body["last_id"])
    assert len(rest["data"]) == 1 and rest["has_more"] is False


# Auth and errors -----------------------------------------------------------------------


def test_missing_version_is_a_400(server):
    with httpx.Client(base_url=server.url, headers={"x-api-key": ANTHROPIC_ADMIN_KEY}) as client:
        body = assert_error(client.get(USAGE_PATH, params={"starting_at": days_ago(1)}), 400,
                            "invalid_request_error")
    assert "anthropic-version" in body["error"]["message"]


@pytest.mark.parametrize("key", [ANTHROPIC_STANDARD_KEY, "sk-ant-admin01-wrong", None])
def test_only_the_admin_key_is_accepted(server, key):
    headers = {"anthropic-version": "2023-06-01", **({"x-api-key": key} if key else {})}
    with httpx.Client(base_url=server.url, headers=headers) as client:
        response = client.get(USAGE_PATH, params={"starting_at": days_ago(1)})
    body = assert_error(response, 401, "authentication_error")
    if key:
        assert body["error"]["message"] == "invalid x-api-key"


def test_missing_starting_at_and_unknown_group(client):
    assert_error(client.get(USAGE_PATH), 400, "invalid_request_error")
    response = client.get(USAGE_PATH, params={"starting_at": days_ago(1), "group_by[]": "user"})
    assert_error(response, 400, "invalid_request_error")


def test_unknown_path_is_not_found(client):
    assert_error(client.get("/v1/organizations/nothing"), 404, "not_found_error")


def test_rate_limit_with_and_without_retry_after(client, anthropic):
    anthropic.set_faults(Faults(status=429, retry_after="30", count=1))
    response = client.get(USAGE_PATH, params={"starting_at": days_ago(1)})
    assert_error(response, 429, "rate_limit_error")
    assert response.headers["retry-after"] == "30"
    anthropic.set_faults(Faults(status=429, count=1))
    response = client.get(USAGE_PATH, params={"starting_at": days_ago(1)})
    assert_error(response, 429, "rate_limit_error")
    assert "retry-after" not in response.headers
    assert client.get(USAGE_PATH, params={"starting_at": days_ago(1)}).status_code == 200


def test_overloaded_and_server_error(client, anthropic):
    anthropic.set_faults(Faults(status=529, count=1))
    assert_error(client.get(COST_PATH, params={"starting_at": days_ago(1)}), 529, "overloaded_error")
    anthropic.set_faults(Faults(status=500, count=1))
    assert_error(client.get(COST_PATH, params={"starting_at": days_ago(1)}), 500, "api_error")


def test_invalid_json_and_truncation(client, anthropic):
    anthropic.set_faults(Faults(invalid_json=True, count=1))
    response = client.get(USAGE_PATH, params={"starting_at": days_ago(1)})
    with pytest.raises(json.JSONDecodeError):
        response.json()
    anthropic.set_faults(Faults(truncate=True, count=1))
    with pytest.raises(httpx.HTTPError):
        client.get(USAGE_PATH, params={"starting_at": days_ago(1)})


def test_faults_through_the_control_endpoint(server, client, anthropic):
    with httpx.Client(base_url=server.url) as control:
        control.post("/_sim/faults", json={"status": 529, "count": 1, "paths": [COST_PATH]})
    assert client.get(USAGE_PATH, params={"starting_at": days_ago(1)}).status_code == 200
    assert client.get(COST_PATH, params={"starting_at": days_ago(1)}).status_code == 529


def test_requests_are_recorded_for_poll_counting(client, anthropic, server):
    for _ in range(3):
        get(client, USAGE_PATH, starting_at=days_ago(1))
    get(client, COST_PATH, starting_at=days_ago(1))
    assert anthropic.request_count(USAGE_PATH) == 3 and anthropic.request_count() == 4
    assert [r.status for r in anthropic.requests] == [200] * 4
    with httpx.Client(base_url=server.url) as control:
        assert control.get("/_sim/stats").json()["total"] == 4


# Determinism ------------------------------------------------------------------------------


def test_same_seed_same_answers():
    clock = Clock()
    first, second = AnthropicSimulator(seed=7, clock=clock), AnthropicSimulator(seed=7, clock=clock)
    other = AnthropicSimulator(seed=8, clock=clock)
    path = f"{COST_PATH}?starting_at={days_ago(5)}&group_by[]=description"
    answers = [sim.handle("GET", path, HEADERS, b"")[2] for sim in (first, second, other)]
    assert answers[0] == answers[1] != answers[2]
    assert first.keys == second.keys != other.keys
