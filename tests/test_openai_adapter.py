"""The OpenAI adapter against the OpenAI simulator, over real loopback HTTP.

The simulator's clock is frozen at 2026-11-18 14:37 UTC (a Wednesday) unless a test
moves it. Each test runs its adapter calls in one event loop (``run``), since the
HTTP client's connection pool belongs to the loop it was first used in.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest

from usage_top.domain.model import Period
from usage_top.providers.errors import AuthError, BadResponse, ForbiddenError
from usage_top.providers.http import ApiClient
from usage_top.providers.openai import (
    NAMES_TTL,
    USAGE_FAMILIES,
    AdminKeyRejected,
    OpenAIProvider,
    auth_headers,
    connect,
)
from usage_top.providers.openai_rows import model_of, to_float
from usage_top.providers.pages import collect, page_bound
from usage_top.sim.openai import (
    DEMO_ADMIN_KEY,
    DEMO_PROJECT_KEY,
    Faults,
    OpenAISimulator,
    SimServer,
)

from .conftest import FROZEN, Clock, no_sleep

UTC = dt.UTC
TODAY = FROZEN.date()
COSTS = "/organization/costs"
COST_GROUPS = ("project_id", "api_key_id", "line_item")


@pytest.fixture
def sim_clock() -> Clock:
    return Clock()


@pytest.fixture
def osim(sim_clock: Clock) -> OpenAISimulator:
    return OpenAISimulator(seed=7, clock=sim_clock)


@pytest.fixture
def server(osim: OpenAISimulator) -> Iterator[SimServer]:
    with SimServer(osim).start() as server:
        yield server


def run(server: SimServer, scenario, key: str = DEMO_ADMIN_KEY, **options):
    """Run ``scenario(provider)`` in a fresh loop with a fresh client; return its result."""

    async def main():
        client = ApiClient(server.url + "/v1", auth_headers(key), sleep=no_sleep, timeout=5)
        try:
            return await scenario(OpenAIProvider(client, **options))
        finally:
            await client.aclose()

    return asyncio.run(main())


def days_back(*offsets: int) -> list[dt.date]:
    return [TODAY - dt.timedelta(days=n) for n in offsets]


def unix(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), UTC).timestamp())


def raw_buckets(server: SimServer, path: str, first: dt.date, last: dt.date, groups) -> list:
    """One page of a report read by hand, amounts as Decimals from the JSON text."""
    params = [
        ("start_time", unix(first)),
        ("end_time", unix(last + dt.timedelta(days=1))),
        ("bucket_width", "1d"),
        ("limit", 31),
        *(("group_by[]", group) for group in groups),
    ]
    response = httpx.get(server.url + "/v1" + path, params=params,
                         headers=auth_headers(DEMO_ADMIN_KEY), timeout=5)
    response.raise_for_status()
    page = json.loads(response.content, parse_float=Decimal)
    assert page["has_more"] is False
    return page["data"]


def day_of(bucket: dict) -> dt.date:
    return dt.datetime.fromtimestamp(bucket["start_time"], UTC).date()


def raw_requests(server: SimServer, first: dt.date, last: dt.date, group: str) -> dict:
    """Requests per (day, group value) summed over every usage family."""
    sums: dict = defaultdict(int)
    for family in USAGE_FAMILIES:
        for bucket in raw_buckets(server, f"/organization/usage/{family}", first, last, [group]):
            for result in bucket["results"]:
                sums[day_of(bucket), result[group]] += result["num_model_requests"]
    return sums


def raw_costs(server: SimServer, first: dt.date, last: dt.date, by) -> dict:
    """Exact cost per (day, by(result)), from the same grouping the adapter asks for."""
    sums: dict = defaultdict(Decimal)
    for bucket in raw_buckets(server, COSTS, first, last, COST_GROUPS):
        for result in bucket["results"]:
            sums[day_of(bucket), by(result)] += result["amount"]["value"]
    return sums


# The figures are the vendor's --------------------------------------------------------


def test_breakdowns_match_the_raw_buckets_summed_by_hand(server):
    days = days_back(2, 1, 0)
    breakdowns = run(server, lambda p: p.day_breakdowns(days))
    by_key = raw_requests(server, days[0], days[-1], "api_key_id")
    by_model = raw_requests(server, days[0], days[-1], "model")
    key_cost = raw_costs(server, days[0], days[-1], lambda r: r["api_key_id"] or "")
    model_cost = raw_costs(server, days[0], days[-1], lambda r: model_of(r["line_item"]))
    assert [b.start for b in breakdowns] == days
    for breakdown in breakdowns:
        day = breakdown.start
        assert breakdown.end == day
        total = sum(v for (d, _), v in by_key.items() if d == day)
        assert total > 0 and breakdown.totals["requests"] == total
        cost = sum((v for (d, _), v in key_cost.items() if d == day), Decimal(0))
        assert breakdown.totals["cost"] == to_float(cost)
        for row in breakdown.by_key:
            assert row.figures.get("requests", 0) == by_key.get((day, row.id), 0)
            assert row.figures["cost"] == to_float(key_cost.get((day, row.id), Decimal(0)))
        for row in breakdown.by_dimension["model"]:
            assert row.figures.get("requests", 0) == by_model.get((day, row.id), 0)
            assert row.figures["cost"] == to_float(model_cost.get((day, row.id), Decimal(0)))


def test_costs_by_model_come_from_line_items_and_nothing_is_dropped(server):
    (breakdown,) = run(server, lambda p: p.day_breakdowns(days_back(1)))
    models = {row.id: row for row in breakdown.by_dimension["model"]}
    assert models["gpt-4o-2024-08-06"].figures["cost"] > 0
    assert models["omni-moderation-latest"].figures["cost"] == 0.0  # free, but reported
    assert models[""].name == "Unattributed"  # code interpreter sessions name no model
    assert "requests" not in models[""].figures
    for kind in ("model", "project", "line_item"):
        rows = breakdown.by_dimension[kind]
        assert sum(row.figures["cost"] for row in rows) == pytest.approx(
            breakdown.totals["cost"], abs=1e-9)
    assert sum(row.figures.get("requests", 0) for row in breakdown.by_key) == (
        breakdown.totals["requests"])


def test_measures_a_family_lacks_stay_absent(server):
    (breakdown,) = run(server, lambda p: p.day_breakdowns(days_back(1)))
    models = {row.id: row.figures for row in breakdown.by_dimension["model"]}
    assert "input_tokens" not in models["dall-e-3"]
    assert "output_tokens" not in models["text-embedding-3-small"]
    assert models["gpt-4o-2024-08-06"]["cached_tokens"] > 0


def test_keys_and_projects_are_named_from_the_listings(server, osim):
    (breakdown,) = run(server, lambda p: p.day_breakdowns(days_back(1)))
    names = {row.name for row in breakdown.by_key}
    prod = next(key for key in osim.org.keys if key.name == "prod-chat")
    assert f"prod-chat ({prod.redacted_value})" in names  # name and redacted value
    assert {"indexer", "notebook-ada"} <= {name.split(" (")[0] for name in names}
    unnamed = next(key for key in osim.org.keys if not key.name)
    assert unnamed.redacted_value in names  # a key without a name shows its redacted value
    projects = {row.name for row in breakdown.by_dimension["project"]}
    assert "Support assistant" in projects


def test_a_key_the_listing_does_not_know_is_shown_by_its_id(server, osim):
    deleted = next(key for key in osim.org.keys if not key.listed)
    (breakdown,) = run(server, lambda p: p.day_breakdowns(days_back(25)))
    row = next(row for row in breakdown.by_key if row.id == deleted.id)
    assert row.name == deleted.id and row.figures["requests"] > 0


def test_usage_is_shown_by_ids_when_the_names_cannot_be_listed(server, osim):
    osim.set_faults(Faults(status=403, paths=("/v1/organization/projects",)))
    (breakdown,) = run(server, lambda p: p.day_breakdowns(days_back(1)))
    assert breakdown.by_key and all(row.name == row.id for row in breakdown.by_key if row.id)
    assert breakdown.totals["cost"] > 0


def test_names_are_listed_once_then_again_after_an_hour(server, osim):
    seconds = [1000.0]

    async def scenario(provider):
        await provider.day_breakdowns(days_back(0))
        listed = osim.request_count("/v1/organization/projects")
        await provider.day_breakdowns(days_back(0))
        again = osim.request_count("/v1/organization/projects")
        seconds[0] += NAMES_TTL + 1
        await provider.day_breakdowns(days_back(0))
        return listed, again, osim.request_count("/v1/organization/projects")

    assert run(server, scenario, clock=lambda: seconds[0]) == (1, 1, 2)


def test_connect_builds_a_provider_that_keeps_the_order_of_the_days_asked(server):
    days = days_back(0, 2, 1)

    async def scenario():
        provider = connect(server.url + "/v1/", DEMO_ADMIN_KEY, tz=ZoneInfo("Asia/Tokyo"),
                           timeout=5, budgets={"": 10})
        try:
            return await provider.day_breakdowns(days), await provider.scopes(FROZEN)
        finally:
            await provider.aclose()

    breakdowns, (scope,) = asyncio.run(scenario())
    assert [b.start for b in breakdowns] == days
    assert scope.limit == 10 and OpenAIProvider.name == "openai"


# Requests and pages -------------------------------------------------------------------


def test_a_month_of_days_costs_one_request_per_part(server, osim):
    days = days_back(*range(31))

    async def scenario(provider):
        breakdowns = await provider.day_breakdowns(days)
        first = provider.requests_made
        await provider.day_breakdowns(days_back(1, 0))
        return breakdowns, first, provider.requests_made - first

    breakdowns, first, later = run(server, scenario)
    projects = len(osim.org.projects)
    assert len(breakdowns) == 31
    assert first == len(USAGE_FAMILIES) + 1 + 1 + projects  # usage, costs, names
    assert later == len(USAGE_FAMILIES) + 1
    assert osim.request_count() == first + later


def test_pages_are_followed_across_small_pages(server):
    """The shared page loop follows ``next_page`` to the end (7 buckets a page)."""

    async def scenario():
        async with httpx.AsyncClient(base_url=server.url + "/v1",
                                     headers=auth_headers(DEMO_ADMIN_KEY)) as http:
            async def fetch(params):
                return (await http.get(COSTS, params=params)).json()

            first = TODAY - dt.timedelta(days=30)
            params = {"start_time": unix(first), "end_time": unix(TODAY + dt.timedelta(days=1)),
                      "limit": 7}
            return await collect(fetch, params, where=COSTS, max_pages=page_bound(31, 7))

    buckets = asyncio.run(scenario())
    assert [day_of(b) for b in buckets] == [TODAY - dt.timedelta(days=n) for n in range(30, -1, -1)]


@pytest.mark.parametrize(
    ("mode", "message"),
    [("repeat", "returned the same page cursor again"), ("endless", "still had more pages")],
)
def test_a_page_loop_that_never_ends_is_stopped_with_one_line(server, osim, mode, message):
    osim.pagination = mode
    with pytest.raises(BadResponse) as failure:
        run(server, lambda p: p.day_breakdowns(days_back(1, 0)))
    text = str(failure.value)
    assert message in text and "/organization/" in text and "\n" not in text
    assert osim.request_count() <= (len(USAGE_FAMILIES) + 1) * page_bound(2, 31)


# Errors --------------------------------------------------------------------------------


def test_a_project_key_is_refused_saying_an_admin_key_is_needed(server):
    with pytest.raises(ForbiddenError) as failure:
        run(server, lambda p: p.day_breakdowns(days_back(0)), key=DEMO_PROJECT_KEY)
    text = str(failure.value)
    assert "admin key" in text and "api.usage.read" in text
    assert DEMO_PROJECT_KEY not in text


def test_an_unknown_key_is_rejected_saying_an_admin_key_is_needed(server):
    secret = "sk-admin-revoked-0123456789abcdef"
    with pytest.raises(AdminKeyRejected) as failure:
        run(server, lambda p: p.scopes(FROZEN), key=secret)
    assert isinstance(failure.value, AuthError)
    text = str(failure.value)
    assert "admin key" in text and "OPENAI_ADMIN_KEY" in text and secret not in text


def test_odd_json_is_a_bad_response_naming_the_path_and_field(server, osim):
    odd = '{"object":"page","data":[{"start_time":"noon","results":[]}],"has_more":false}'
    osim.set_faults(Faults(body=odd, paths=("/v1/organization/costs",)))
    with pytest.raises(BadResponse, match=r"/organization/costs .*data\[0\]\.start_time"):
        run(server, lambda p: p.day_breakdowns(days_back(0)))


def test_a_rate_limit_is_retried_by_the_client(server, osim):
    osim.set_faults(Faults(status=429, count=1, paths=("/v1/organization/costs",)))
    (breakdown,) = run(server, lambda p: p.day_breakdowns(days_back(1)))
    assert breakdown.totals["cost"] > 0


# Late rows and days --------------------------------------------------------------------


def test_late_cost_rows_grow_a_refetched_day_and_are_never_counted_twice(server, sim_clock):
    yesterday = days_back(1)

    async def scenario(provider):
        before = (await provider.day_breakdowns(yesterday))[0]
        same = (await provider.day_breakdowns(yesterday))[0]
        sim_clock.advance(hours=30)
        after = (await provider.day_breakdowns(yesterday))[0]
        return before, same, after

    before, same, after = run(server, scenario)
    assert same == before  # a refetch replaces, it does not add
    assert after.totals["requests"] == before.totals["requests"]  # usage was settled
    assert after.totals["cost"] > before.totals["cost"]  # late cost rows arrived
    settled = raw_costs(server, yesterday[0], yesterday[0], lambda r: "")
    assert after.totals["cost"] == to_float(settled[yesterday[0], ""])


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "America/Los_Angeles"])
def test_days_are_utc_days_whatever_the_local_timezone(server, sim_clock, monkeypatch, zone):
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        sim_clock.now = dt.datetime(2026, 11, 18, 23, 30, tzinfo=UTC)  # the 19th in Auckland
        days = [dt.date(2026, 11, 17), dt.date(2026, 11, 18), dt.date(2026, 11, 19)]
        breakdowns = run(server, lambda p: p.day_breakdowns(days))
        raw = raw_requests(server, days[0], days[-1], "model")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    for breakdown in breakdowns:
        total = sum(v for (d, _), v in raw.items() if d == breakdown.start)
        assert breakdown.totals["requests"] == total
    assert breakdowns[1].totals["requests"] > 0
    assert breakdowns[2].totals["requests"] == 0  # the UTC 19th has not begun
    assert os.environ.get("TZ") is None


# Scopes and drilldowns -----------------------------------------------------------------


def test_budgets_become_monthly_scopes_with_month_to_date_cost(server, osim):
    support = next(p for p in osim.org.projects if p.name == "Support assistant")
    search = next(p for p in osim.org.projects if p.name.startswith("Search"))
    budgets = {"": 500, "support assistant": Decimal("50"), search.id: 20.5, "Nope": 1}
    scopes = run(server, lambda p: p.scopes(FROZEN), budgets=budgets)
    by_project = raw_costs(server, TODAY.replace(day=1), TODAY, lambda r: r["project_id"])
    month = {project: sum((v for (_, p), v in by_project.items() if p == project), Decimal(0))
             for project in (support.id, search.id)}
    org, support_scope, search_scope, unknown = scopes
    assert org.name == "budget.monthly" and org.period is Period.MONTHLY
    assert org.limit == 500 and org.measure == "cost"
    assert org.used == pytest.approx(float(sum(by_project.values())), abs=1e-6)
    assert org.resets_at == dt.datetime(2026, 12, 1, tzinfo=UTC)
    assert support_scope.scope == f"budget.{support.id}" and support_scope.limit == 50
    assert support_scope.label == "Budget Support assistant"
    assert support_scope.used == to_float(month[support.id])
    assert search_scope.used == to_float(month[search.id]) and search_scope.limit == 20.5
    assert unknown.used == 0.0 and "no such project" in unknown.label
    assert org.unit.name == "USD"


def test_without_budgets_the_month_to_date_spend_is_still_shown(server):
    (scope,) = run(server, lambda p: p.scopes(FROZEN))
    assert scope.label == "Spend" and scope.limit is None and scope.used > 0


def test_a_key_drilldown_adds_up_to_the_keys_rows(server, osim):
    key = next(k for k in osim.org.keys if k.name == "notebook-ada")
    days = days_back(3, 2, 1)

    async def scenario(provider):
        daily = await provider.key_daily(key.id, days[0], days[-1])
        return daily, await provider.day_breakdowns(days)

    daily, breakdowns = run(server, scenario)
    for point, breakdown in zip(daily.series, breakdowns, strict=True):
        row = next(r for r in breakdown.by_key if r.id == key.id)
        assert point.day == breakdown.start and dict(point.figures) == dict(row.figures)
    models = {item.id for item in daily.by_dimension["model"]}
    assert {"o3-mini-2025-01-31", "dall-e-3", ""} <= models


def test_an_item_drilldown_lists_the_keys_of_one_model(server):
    model = "gpt-4o-2024-08-06"
    days = days_back(2, 1)

    async def scenario(provider):
        keys = await provider.item_keys("model", model, days[0], days[-1])
        return keys, await provider.day_breakdowns(days)

    keys, breakdowns = run(server, scenario)
    rows = [next(r for r in b.by_dimension["model"] if r.id == model) for b in breakdowns]
    assert keys.totals["requests"] == sum(r.figures["requests"] for r in rows)
    assert keys.totals["cost"] == pytest.approx(sum(r.figures["cost"] for r in rows), abs=1e-9)
    assert len(keys.by_key) >= 2
    assert {row.id for row in keys.by_dimension["model"]} == {model}


def test_project_rate_limits_are_read_per_model(server, osim):
    project = osim.org.projects[0].id
    limits = run(server, lambda p: p.rate_limits(project))
    by_model = {limit.model: limit for limit in limits}
    assert by_model["gpt-4o-2024-08-06"].requests_per_minute == 5000
    assert by_model["dall-e-3"].other["max_images_per_1_minute"] == 15
