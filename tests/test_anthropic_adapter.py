"""The Anthropic adapter over real loopback HTTP against the Admin API simulator.

The clock is frozen at 2026-11-18 14:37 UTC (a Wednesday) unless a test moves it.
Raw responses are summed here, independently of the adapter, with the simulator's
own list prices, and compared with what the adapter reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from usage_top.providers.anthropic import (
    CAPABILITIES,
    COSTS,
    USAGE,
    AdminKeyForbidden,
    AdminKeyRejected,
    AnthropicProvider,
    auth_headers,
)
from usage_top.providers.anthropic_reconcile import reconcile
from usage_top.providers.errors import BadResponse, RateLimitedError, ServerError
from usage_top.providers.http import ApiClient
from usage_top.providers.prices import LIST_PRICES, PriceTable
from usage_top.sim import Faults, SimServer
from usage_top.sim.anthropic import (
    ANTHROPIC_ADMIN_KEY,
    ANTHROPIC_STANDARD_KEY,
    KEYS_PATH,
    MODELS,
    AnthropicSimulator,
    Paging,
)

from .conftest import FROZEN, Clock, no_sleep

TODAY = FROZEN.date()
DAYS = [TODAY - dt.timedelta(days=n) for n in (2, 1, 0)]
TOKEN_MEASURES = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")


@pytest.fixture
def anthropic(clock: Clock) -> AnthropicSimulator:
    return AnthropicSimulator(seed=7, clock=clock)


@pytest.fixture
def server(anthropic: AnthropicSimulator) -> Iterator[SimServer]:
    with SimServer(anthropic).start() as server:  # type: ignore[arg-type]
        yield server


def provider_for(
    server: SimServer, key: str = ANTHROPIC_ADMIN_KEY, **options: Any
) -> AnthropicProvider:
    client = ApiClient(server.url, auth_headers(key), timeout=5, sleep=no_sleep)
    return AnthropicProvider(client, admin_key=key.startswith("sk-ant-admin"), **options)


@pytest.fixture
async def provider(server: SimServer):
    provider = provider_for(server)
    yield provider
    await provider.aclose()


def raw_buckets(server: SimServer, path: str, day: dt.date, groups: list[str]) -> list[dict]:
    """One day's results, straight from the simulator."""
    following = day + dt.timedelta(days=1)
    params = {"starting_at": f"{day}T00:00:00Z", "ending_at": f"{following}T00:00:00Z",
              "group_by[]": groups}
    headers = auth_headers(ANTHROPIC_ADMIN_KEY)
    response = httpx.get(server.url + path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    (bucket,) = response.json()["data"]
    return bucket["results"]


def raw_tokens(row: dict) -> dict[str, int]:
    cache = row["cache_creation"]
    return {
        "input_tokens": row["uncached_input_tokens"],
        "cache_read_tokens": row["cache_read_input_tokens"],
        "cache_write_tokens": sum(cache.values()),
        "output_tokens": row["output_tokens"],
        "web_searches": row["server_tool_use"]["web_search_requests"],
    }


def list_price(row: dict, day: dt.date) -> Decimal:
    """Tokens x the simulator's standard list price: what an estimate must come to."""
    price = MODELS[row["model"]].price_on(day)
    cache = row["cache_creation"]
    counts = {
        "uncached_input_tokens": row["uncached_input_tokens"],
        "output_tokens": row["output_tokens"],
        "cache_read_input_tokens": row["cache_read_input_tokens"],
        "cache_creation.ephemeral_5m_input_tokens": cache["ephemeral_5m_input_tokens"],
        "cache_creation.ephemeral_1h_input_tokens": cache["ephemeral_1h_input_tokens"],
    }
    tokens = sum(count * price.per_million(kind) for kind, count in counts.items()) / 1_000_000
    return tokens + row["server_tool_use"]["web_search_requests"] * Decimal(10) / 1000


def by_id(rows) -> dict[str, dict[str, float]]:
    return {row.id: dict(row.figures) for row in rows}


# Capabilities --------------------------------------------------------------------


def test_capabilities_declare_tokens_money_and_no_requests():
    ids = [measure.id for measure in CAPABILITIES.measures]
    assert ids == [*TOKEN_MEASURES, "web_searches", "cost", "cost_est"]
    assert not CAPABILITIES.reports("requests")
    assert CAPABILITIES.measure("cost_est").estimate and not CAPABILITIES.measure("cost").estimate
    assert CAPABILITIES.measure("cost").unit.name == "USD"
    assert (CAPABILITIES.primary, CAPABILITIES.activity) == ("cost", "output_tokens")
    assert [d.kind for d in CAPABILITIES.dimensions] == ["model", "workspace"]
    assert CAPABILITIES.key_breakdown and CAPABILITIES.time_basis == "utc"
    assert CAPABILITIES.min_interval == 60 and CAPABILITIES.settle_after >= dt.timedelta(hours=36)
    assert CAPABILITIES.ratio.numerator == "cost_est" and CAPABILITIES.ratio.scale == 1e6


# The figures: raw sums against the breakdowns ---------------------------------------


async def test_breakdowns_match_raw_sums_of_both_reports(server, provider):
    breakdowns = await provider.day_breakdowns(DAYS)
    assert [(b.start, b.end) for b in breakdowns] == [(day, day) for day in DAYS]
    for day, breakdown in zip(DAYS, breakdowns, strict=True):
        usage = raw_buckets(server, USAGE, day, ["api_key_id", "model", "workspace_id"])
        costs = raw_buckets(server, COSTS, day, ["workspace_id", "description"])
        totals = {m: sum(raw_tokens(row)[m] for row in usage) for m in raw_tokens(usage[0])}
        cost = sum(Decimal(row["amount"]) for row in costs) / 100
        estimate = sum(list_price(row, day) for row in usage)
        figures = breakdown.totals
        assert {m: figures[m] for m in totals} == totals
        assert figures["cost"] == float(cost)
        assert figures["cost_est"] == pytest.approx(float(estimate), abs=1e-6)
        assert figures["cost"] != pytest.approx(figures["cost_est"], rel=0.05)  # batch, priority

        workspaces = by_id(breakdown.by_dimension["workspace"])
        for workspace in {row["workspace_id"] for row in costs}:
            spent = sum(Decimal(r["amount"]) for r in costs if r["workspace_id"] == workspace) / 100
            assert workspaces[workspace or ""]["cost"] == float(spent)
        models = by_id(breakdown.by_dimension["model"])
        for model in {row["model"] for row in usage}:
            out = sum(r["output_tokens"] for r in usage if r["model"] == model)
            billed = sum(Decimal(r["amount"]) for r in costs if r["model"] == model) / 100
            assert models[model]["output_tokens"] == out
            assert models[model]["cost"] == pytest.approx(float(billed), abs=1e-9)
        web = sum(Decimal(r["amount"]) for r in costs if r["model"] is None) / 100
        assert models[""] == {"cost": pytest.approx(float(web))}  # web search: not by model


async def test_keys_carry_tokens_and_the_estimate_never_the_vendor_cost(provider, anthropic):
    (breakdown,) = await provider.day_breakdowns([TODAY - dt.timedelta(days=1)])
    keys = by_id(breakdown.by_key)
    assert all("cost" not in figures for figures in keys.values())
    assert set(keys) <= set(anthropic.keys)
    for measure in (*TOKEN_MEASURES, "cost_est"):
        assert sum(f[measure] for f in keys.values()) == pytest.approx(breakdown.totals[measure])
    names = {row.name for row in breakdown.by_key}
    assert {"prod-backend", "prod-batch-jobs", "research-evals"} <= names


async def test_a_key_the_listing_lacks_is_shown_by_its_id(clock):
    class Forgetful(AnthropicSimulator):
        """Lists every key but prod-backend (deleted since, say)."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            listing = self._routes[KEYS_PATH]

            def without(query):
                page = listing(query)
                page["data"] = [k for k in page["data"] if k["name"] != "prod-backend"]
                return page

            self._routes[KEYS_PATH] = without

    sim = Forgetful(seed=7, clock=clock)
    with SimServer(sim).start() as server:  # type: ignore[arg-type]
        provider = provider_for(server)
        (breakdown,) = await provider.day_breakdowns([TODAY])
        await provider.aclose()
    missing = next(key for key in sim.usage.keys if key.spec.name == "prod-backend")
    names = {row.id: row.name for row in breakdown.by_key}
    assert names[missing.id] == missing.id
    assert "prod-batch-jobs" in names.values()


async def test_requests_one_poll_costs(provider, anthropic):
    await provider.day_breakdowns([TODAY - dt.timedelta(days=30 - n) for n in range(31)])
    assert provider.requests_made == 4  # usage, cost, and the two name listings
    await provider.day_breakdowns(DAYS[1:])
    assert provider.requests_made == 6  # names are cached
    await provider.day_breakdowns([TODAY - dt.timedelta(days=40), TODAY])
    assert provider.requests_made == 10  # two windows, one page of each report each


async def test_late_cost_rows_are_replaced_when_the_day_is_fetched_again(provider, clock):
    (early,) = await provider.day_breakdowns([TODAY])
    clock.advance(hours=6)
    (later,) = await provider.day_breakdowns([TODAY])
    assert later.totals["cost"] > early.totals["cost"] > 0
    assert later.totals["output_tokens"] > early.totals["output_tokens"]


# Pagination ------------------------------------------------------------------------


class SmallPages(AnthropicSimulator):
    """Answers 7 buckets a page (the default), whatever ``limit`` asks: the adapter follows."""

    def exchange(self, method, path, headers, body):
        return super().exchange(method, path.replace("limit=31", "limit=7"), headers, body)


async def test_pagination_is_followed_to_the_end(clock):
    sim = SmallPages(seed=7, clock=clock)
    days = [TODAY - dt.timedelta(days=n) for n in range(20, -1, -1)]
    with SimServer(sim).start() as server:  # type: ignore[arg-type]
        paged = provider_for(server)
        breakdowns = await paged.day_breakdowns(days)
        assert sim.request_count(USAGE) == sim.request_count(COSTS) == 3  # 21 days / 7 a page
        await paged.aclose()
    plain = AnthropicSimulator(seed=7, clock=clock)
    with SimServer(plain).start() as server:  # type: ignore[arg-type]
        whole = provider_for(server)
        expected = await whole.day_breakdowns(days)
        await whole.aclose()
    assert [b.totals for b in breakdowns] == [b.totals for b in expected]


@pytest.mark.parametrize(("paging", "said"), [
    (Paging.REPEAT, "returned the same page cursor again"),
    (Paging.ENDLESS, "still had more pages after 3"),
])
async def test_bad_paging_ends_in_one_clear_line(anthropic, server, paging, said):
    anthropic.paging = paging
    provider = provider_for(server)
    with pytest.raises(BadResponse) as failure:
        await provider.day_breakdowns(DAYS)
    await provider.aclose()
    assert said in str(failure.value) and "\n" not in str(failure.value)
    assert anthropic.request_count(USAGE) <= 3 and anthropic.request_count(COSTS) <= 3


# Errors ----------------------------------------------------------------------------


async def test_an_ordinary_key_is_told_an_admin_key_is_needed(server):
    provider = provider_for(server, ANTHROPIC_STANDARD_KEY)
    with pytest.raises(AdminKeyRejected) as failure:
        await provider.day_breakdowns([TODAY])
    await provider.aclose()
    message = str(failure.value)
    assert "admin key" in message and "sk-ant-admin" in message and "does not start" in message
    assert "ANTHROPIC_ADMIN_KEY" in message and ANTHROPIC_STANDARD_KEY not in message


async def test_forbidden_says_an_admin_key_is_needed(anthropic, provider):
    anthropic.set_faults(Faults(status=403, count=-1))
    with pytest.raises(AdminKeyForbidden, match="admin key"):
        await provider.scopes(FROZEN)


async def test_rate_limit_with_retry_after_is_retried(anthropic, provider):
    anthropic.set_faults(Faults(status=429, retry_after="1", count=1))
    (breakdown,) = await provider.day_breakdowns([TODAY])
    assert breakdown.totals["output_tokens"] > 0
    assert provider._client.stats.rate_limited == 1


async def test_rate_limit_that_lasts_is_a_rate_limited_error(anthropic, provider):
    anthropic.set_faults(Faults(status=429, count=-1))
    with pytest.raises(RateLimitedError):
        await provider.scopes(FROZEN)


async def test_overloaded_529_is_retried_like_503(anthropic, provider):
    anthropic.set_faults(Faults(status=529, count=1))
    scopes = await provider.scopes(FROZEN)
    assert scopes[0].used > 0
    anthropic.set_faults(Faults(status=529, count=-1))
    with pytest.raises(ServerError) as failure:
        await provider.scopes(FROZEN)
    assert failure.value.status == 529 and failure.value.retryable


async def test_invalid_json_is_a_bad_response(anthropic, provider):
    anthropic.set_faults(Faults(invalid_json=True, count=-1))
    with pytest.raises(BadResponse):
        await provider.day_breakdowns([TODAY])


# Prices and reconciliation ----------------------------------------------------------


def without(model: str) -> PriceTable:
    return PriceTable({name: rows for name, rows in LIST_PRICES.items() if name != model})


async def test_an_unpriced_model_has_no_estimate_and_is_listed(server):
    provider = provider_for(server, prices=without("claude-3-5-haiku"))
    (breakdown,) = await provider.day_breakdowns([TODAY - dt.timedelta(days=1)])
    await provider.aclose()
    assert provider.unpriced_models() == ("claude-3-5-haiku-20241022",)
    models = by_id(breakdown.by_dimension["model"])
    assert "cost_est" not in models["claude-3-5-haiku-20241022"]
    assert models["claude-3-5-haiku-20241022"]["cost"] > 0  # the vendor's figure stays
    slackbot = next(row for row in breakdown.by_key if row.name == "internal-slackbot")
    assert "cost_est" not in slackbot.figures and slackbot.figures["output_tokens"] > 0
    result = reconcile([breakdown])
    assert result.unpriced == ("claude-3-5-haiku-20241022",) and not result.complete


async def test_reconciliation_per_workspace_and_in_total(provider):
    breakdowns = await provider.day_breakdowns(DAYS[:2])
    result = reconcile(breakdowns)
    assert (result.start, result.end) == (DAYS[0], DAYS[1])
    assert result.complete
    assert result.total.cost == pytest.approx(sum(b.totals["cost"] for b in breakdowns))
    assert result.total.estimate == pytest.approx(sum(b.totals["cost_est"] for b in breakdowns))
    assert result.total.difference < 0  # batch at half price, priority outside the report
    lines = {line.name: line for line in result.workspaces}
    assert set(lines) == {"Production", "Research", "Internal Tools", "Default workspace"}
    assert sum(line.cost for line in lines.values()) == pytest.approx(result.total.cost)
    assert lines["Research"].difference < 0  # research-evals runs on the priority tier
    assert lines["Internal Tools"].difference > 0  # long-context requests cost more
    assert lines["Default workspace"].difference == pytest.approx(0, abs=1e-6)


def test_price_overrides_and_their_errors():
    day = dt.date(2026, 11, 1)
    table = PriceTable().overridden({
        "claude-haiku-4-5": {"input": 2, "output": 10},
        "new-model": {"input": "1.5", "output": 6, "since": "2026-10-01"},
    })
    price = table.price("claude-haiku-4-5-20251001", day)
    assert (price.input, price.cache_read, price.cache_write_1h) == (2, Decimal("0.2"), 4)
    assert table.price("new-model", day).output == 6
    assert PriceTable().price("new-model", day) is None
    with pytest.raises(ValueError, match="prices.x: unknown field .speed."):
        PriceTable().overridden({"x": {"input": 1, "output": 1, "speed": 2}})
    with pytest.raises(ValueError, match="prices.x.output"):
        PriceTable().overridden({"x": {"input": 1, "output": -1}})


# Budgets ---------------------------------------------------------------------------


async def test_budgets_are_monthly_scopes_from_the_month_to_date_cost(server):
    provider = provider_for(server, budgets={"": 5000, "Research": 400, "Nowhere": 10})
    scopes = await provider.scopes(FROZEN)
    await provider.aclose()
    month = [TODAY.replace(day=n) for n in range(1, TODAY.day + 1)]
    spent = sum(Decimal(row["amount"]) for day in month
                for row in raw_buckets(server, COSTS, day, ["workspace_id"])) / 100
    organisation, research, unknown = scopes
    assert (organisation.name, organisation.label) == ("budget.monthly", "Budget")
    assert organisation.limit == 5000
    assert organisation.used == pytest.approx(float(spent))
    assert organisation.resets_at == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert research.label == "Budget Research" and 0 < research.used < organisation.used
    assert research.unit.name == "USD" and research.refreshed_at == FROZEN
    assert unknown.label == "Budget Nowhere (no such workspace)" and unknown.used == 0
