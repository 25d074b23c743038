"""The collector against the simulator over a real loopback socket, into a real SQLite file.

The clock is frozen (and moved by hand), so which days a poll asks for and the
figures it stores are exact; every request is counted in the simulator's log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import replace

import httpx
import pytest

from usage_top.pipeline.collector import COMPLETE_AFTER, Collector
from usage_top.domain.measures import REQUESTS
from usage_top.domain.periods import HISTORY_DAYS, Range
from usage_top.providers.http import ApiClient
from usage_top.providers.pubrio import AUTH_HEADER, PubrioProvider
from usage_top.sim import DEMO_API_KEY, FREE_PLAN_KEY, Faults

from .conftest import FROZEN, no_sleep

BREAKDOWN = "/api_keys/usage/breakdown"
DAILY = "/api_keys/usage/daily"
PROFILE_USAGE = "/profile/usage"
TODAY = FROZEN.date()
FIRST_DAY = TODAY - dt.timedelta(days=HISTORY_DAYS - 1)


# --- helpers ----------------------------------------------------------------


def _sim_post(server, path: str, body: dict) -> dict:
    """What the simulator answers right now (over HTTP, like any client)."""
    response = httpx.post(f"{server.url}{path}", json=body,
                          headers={AUTH_HEADER: DEMO_API_KEY}, timeout=5)
    response.raise_for_status()
    return response.json()["data"]


def _sim_breakdown(server, start: dt.date, end: dt.date, key: str | None = None) -> dict:
    body = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    if key:
        body["keys"] = [key]
    return _sim_post(server, BREAKDOWN, body)


def _vendor_endpoints(breakdown: dict) -> dict:
    """slug -> (requests, credits); the vendor's null slug (unmapped requests) is '' here."""
    return {r["slug"] or "": (r["requests"], r["credits"]) for r in breakdown["by_endpoint"]}


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def _paths(sim, since: int = 0) -> list[str]:
    """Paths of the requests the simulator answered after the first ``since``."""
    return [r.path for r in sim.requests[since:]]


def _totals(store, day: dt.date) -> tuple[float, float]:
    totals = store.totals(day, day)
    return totals["requests"], totals["credits"]


def _figures(rows) -> dict:
    """id -> (requests, credits) of stored usage rows."""
    return {row.id: (row.figures["requests"], row.figures["credits"]) for row in rows}


def _snapshot(store) -> dict:
    """Every figure the store holds for the history window, to compare before/after."""
    return {
        "totals": {day: _totals(store, day) for day in _days(FIRST_DAY, TODAY)},
        "keys": store.key_breakdown(FIRST_DAY, TODAY),
        "endpoints": store.item_breakdown("endpoint", FIRST_DAY, TODAY),
        "scopes": store.latest_scopes(),
    }


class VirtualTime:
    """Monotonic time for an ApiClient that only moves when the client sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


# --- which days a poll asks for ---------------------------------------------


async def test_first_poll_backfills_then_only_today_is_refreshed(collector, store, sim):
    outcome = await collector.poll_once()

    assert outcome.ok, outcome.error
    assert sim.request_count(BREAKDOWN) == HISTORY_DAYS == 31
    assert sim.request_count(PROFILE_USAGE) == 1
    assert sim.request_count() == 32 == outcome.requests
    fetched = store.fetched_days("breakdown", None, FIRST_DAY - dt.timedelta(days=5), TODAY)
    assert sorted(fetched) == _days(FIRST_DAY, TODAY)
    assert all(_totals(store, day)[0] > 0 for day in _days(FIRST_DAY, TODAY))

    again = await collector.poll_once()
    assert again.ok and again.requests == 2
    assert sim.request_count() == 34
    assert sorted(_paths(sim, 32)) == sorted([BREAKDOWN, PROFILE_USAGE])


async def test_yesterday_is_refetched_after_midnight_until_final_then_never(
    collector, store, sim, sim_server
):
    assert (await collector.poll_once()).ok
    yesterday = TODAY  # after midnight the frozen day becomes yesterday
    midnight = dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    def days_asked(outcome) -> int:
        assert outcome.ok, outcome.error
        return outcome.requests - 1  # minus /profile/usage

    # Just after midnight: yesterday may still get late data, so it is fetched
    # again, and again on the next poll while inside the settling margin.
    collector.clock.now = midnight + dt.timedelta(minutes=5)
    assert collector.days_to_fetch(collector.clock()) == [yesterday, yesterday + dt.timedelta(days=1)]
    assert days_asked(await collector.poll_once()) == 2
    collector.clock.advance(minutes=5)
    assert days_asked(await collector.poll_once()) == 2

    # Past midnight + COMPLETE_AFTER: one last fetch makes it final...
    collector.clock.now = midnight + COMPLETE_AFTER + dt.timedelta(minutes=1)
    before = sim.request_count(BREAKDOWN)
    assert days_asked(await collector.poll_once()) == 2
    assert sim.request_count(BREAKDOWN) == before + 2
    final = _sim_breakdown(sim_server, yesterday, yesterday)["totals"]
    assert store.totals(yesterday, yesterday) == final

    # ...and it is never asked for again, on this poll or hours later.
    for _ in range(2):
        collector.clock.advance(minutes=10)
        assert days_asked(await collector.poll_once()) == 1
    collector.clock.advance(hours=12)
    assert days_asked(await collector.poll_once()) == 1
    assert collector.days_to_fetch(collector.clock()) == [yesterday + dt.timedelta(days=1)]


async def test_days_missed_while_stopped_are_backfilled(collector, store, sim):
    assert (await collector.poll_once()).ok
    collector.clock.advance(days=3)
    outcome = await collector.poll_once()
    # today, plus the 3 days since (the old "today" included): nothing older
    assert outcome.ok and outcome.requests == 1 + 4
    assert collector.days_to_fetch(collector.clock()) == [TODAY + dt.timedelta(days=3)]


async def test_polls_never_overlap(collector, sim):
    latency = 0.02
    sim.set_faults(Faults(latency=latency))

    first, second = await asyncio.gather(collector.poll_once(), collector.poll_once())

    assert first.ok and second.ok
    # Had the second poll started before the first was stored, it would also
    # have backfilled 31 days; run one after the other, it only refreshes today.
    assert sorted([first.requests, second.requests]) == [2, 32]
    assert sim.request_count() == 34
    assert sorted(_paths(sim, 32)) == sorted([BREAKDOWN, PROFILE_USAGE])
    # At most `concurrency` (4) requests in flight: any 5 consecutive arrivals
    # span at least one full server latency.
    arrivals = sorted(r.time for r in sim.requests)
    assert all(later - earlier >= latency * 0.95
               for earlier, later in zip(arrivals, arrivals[4:]))


# --- the figures that land in the store ---------------------------------------


async def test_stored_figures_equal_the_simulator(collector, store, sim):
    assert (await collector.poll_once()).ok

    def vendor(start: dt.date, end: dt.date) -> dict:
        """The simulator's own answer (its handler, without a socket, for speed)."""
        body = json.dumps({"start_date": start.isoformat(), "end_date": end.isoformat()})
        status, _, payload = sim.handle("POST", BREAKDOWN, {AUTH_HEADER: DEMO_API_KEY}, body.encode())
        assert status == 200
        return json.loads(payload)["data"]

    for day in _days(FIRST_DAY, TODAY):
        expected = vendor(day, day)
        assert store.totals(day, day) == expected["totals"], day
        keys = _figures(store.key_breakdown(day, day))
        assert keys == {r["name"]: (r["requests"], r["credits"]) for r in expected["by_key"]}
        assert _figures(store.item_breakdown("endpoint", day, day)) == _vendor_endpoints(expected)

    # Multi-day ranges are sums of the stored days and still equal the vendor's figures.
    for range_ in Range:
        start, end = range_.dates(TODAY)
        assert store.totals(start, end) == vendor(start, end)["totals"]


async def test_stored_scopes_equal_profile_usage(collector, store, sim_server):
    assert (await collector.poll_once()).ok
    profile = _sim_post(sim_server, PROFILE_USAGE, {})

    readings = {(usage.scope, usage.period.value): (usage, fetched)
                for usage, fetched in store.latest_scopes()}
    assert set(readings) == {(scope, period) for scope in ("api", "portal")
                             for period in ("monthly", "daily", "hourly")}
    for (scope, period), (usage, fetched) in readings.items():
        assert usage.used == profile[f"{scope}_{period}_usage"]
        assert usage.limit == profile[f"total_max_{scope}_{period}_query"]  # quota is shared
        assert fetched == FROZEN
        assert usage.resets_at is not None and usage.resets_at > FROZEN
        assert usage.unit == REQUESTS and usage.label == {"api": "API", "portal": "Portal"}[scope]
        assert usage.measure == ("requests" if scope == "api" else None)  # keys make API calls only
    # In the provider's order: each scope's month, day and hour.
    assert [usage.name for usage, _ in store.latest_scopes()] == [
        f"{scope}.{period}" for scope in ("api", "portal") for period in ("monthly", "daily", "hourly")]


async def test_usage_grows_and_past_days_stay(collector, store, sim_server, clock):
    assert (await collector.poll_once()).ok
    before = _snapshot(store)

    clock.advance(minutes=10)
    assert (await collector.poll_once()).ok
    after = _snapshot(store)

    assert after["totals"][TODAY][0] > before["totals"][TODAY][0]
    assert after["totals"][TODAY][1] > before["totals"][TODAY][1]
    assert store.totals(TODAY, TODAY) == _sim_breakdown(sim_server, TODAY, TODAY)["totals"]
    past = [day for day in _days(FIRST_DAY, TODAY) if day != TODAY]
    assert {day: after["totals"][day] for day in past} == {day: before["totals"][day] for day in past}
    # Scope readings are kept as a history: one per poll.
    assert len(store.scope_history("api.daily", FROZEN)) == 2


# --- faults -------------------------------------------------------------------


def _one_line(text: str | None) -> bool:
    return bool(text) and "\n" not in text and "Traceback" not in text


async def test_server_errors_fail_the_poll_and_keep_the_previous_data(collector, store, sim, clock):
    assert (await collector.poll_once()).ok
    before = _snapshot(store)
    first_success = store.last_success()

    clock.advance(minutes=10)
    sim.set_faults(Faults(status=503))
    count = sim.request_count()
    outcome = await collector.poll_once()

    assert not outcome.ok and not outcome.needs_user
    assert _one_line(outcome.error) and "503" in outcome.error
    assert sim.request_count() > count + 2  # the client retried before giving up
    assert _snapshot(store) == before  # nothing new ingested, nothing lost
    last = store.last_poll()
    assert last.outcome == "error" and last.error == outcome.error
    assert store.last_success() == first_success

    sim.set_faults(Faults())  # recovery: the next poll just works
    recovered = await collector.poll_once()
    assert recovered.ok and store.last_poll().outcome == "ok"
    assert _totals(store, TODAY)[0] > before["totals"][TODAY][0]


async def test_a_fault_before_any_data_leaves_the_store_empty(collector, store, sim):
    sim.set_faults(Faults(status=503))
    outcome = await collector.poll_once()
    assert not outcome.ok
    assert not store.has_data() and store.last_success() is None
    assert store.last_poll().outcome == "error"


async def test_rate_limited_requests_are_retried_and_the_poll_succeeds(sim_server, sim, store, clock):
    time_ = VirtualTime()
    async with ApiClient(sim_server.url, {AUTH_HEADER: DEMO_API_KEY},
                         sleep=time_.sleep, clock=time_.clock) as client:
        collector = Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC, clock=clock)
        sim.set_faults(Faults(status=429, retry_after="1", count=2))
        outcome = await collector.poll_once()

    assert outcome.ok, outcome.error
    statuses = [r.status for r in sim.requests]
    assert statuses.count(429) == 2 and statuses.count(200) == 32
    assert sim.request_count() == 34
    assert client.stats.rate_limited == 2 and client.stats.retries == 2
    assert sum(time_.slept) >= 1.0  # Retry-After was honoured
    assert sorted(store.fetched_days("breakdown", None, FIRST_DAY, TODAY)) == _days(FIRST_DAY, TODAY)


async def test_a_failing_day_costs_that_day_only(collector, store, sim, clock):
    assert (await collector.poll_once()).ok
    before = _snapshot(store)

    clock.advance(minutes=10)
    # Only today's breakdown is broken: the scopes answer fine and land on their own.
    sim.set_faults(Faults(invalid_json=True, count=1, paths=(BREAKDOWN,)))
    outcome = await collector.poll_once()

    assert not outcome.ok and outcome.partial and outcome.landed and not outcome.needs_user
    assert _one_line(outcome.error) and "invalid JSON" in outcome.error
    assert outcome.error.startswith(f"breakdown ({BREAKDOWN}): ")
    assert [(f.name, f.fills, f.day) for f in outcome.failed] == [(f"breakdown ({BREAKDOWN})", "days", TODAY)]
    after = _snapshot(store)
    assert after["scopes"] != before["scopes"]  # the scopes are live...
    assert after["totals"] == before["totals"]  # ...today's figures are the last stored
    last = store.last_poll()
    assert last.outcome == "ok" and last.error == outcome.error


async def test_invalid_json_on_a_fresh_store_stores_the_rest(collector, store, sim):
    sim.set_faults(Faults(invalid_json=True, count=1, paths=(BREAKDOWN,)))
    outcome = await collector.poll_once()
    assert outcome.partial and "invalid JSON" in outcome.error and "1 of 31 days" in outcome.error
    assert store.latest_scopes() != []
    fetched = store.fetched_days("breakdown", None, FIRST_DAY, TODAY)
    assert len(fetched) == HISTORY_DAYS - 1  # one day did not land; it is asked again next poll
    missing = next(day for day in _days(FIRST_DAY, TODAY) if day not in fetched)
    assert collector.days_to_fetch(FROZEN) == [missing, TODAY] or missing == TODAY


async def test_every_part_404_is_a_wrong_base_url(collector, store, sim):
    sim.set_faults(Faults(status=404))
    outcome = await collector.poll_once()
    assert not outcome.landed and outcome.needs_user and _one_line(outcome.error)
    assert "404" in outcome.error and not store.has_data()
    assert store.last_poll().outcome == "error"


async def test_a_server_with_only_the_breakdown_stores_the_breakdown(collector, store, sim):
    sim.set_faults(Faults(status=404, paths=(PROFILE_USAGE, DAILY, "/profile")))
    outcome = await collector.poll_once()
    assert outcome.partial and not outcome.needs_user
    assert [f.fills for f in outcome.failed] == ["scopes"]
    assert outcome.error.startswith(f"scopes ({PROFILE_USAGE}): ") and "404" in outcome.error
    assert store.latest_scopes() == []
    assert len(store.fetched_days("breakdown", None, FIRST_DAY, TODAY)) == HISTORY_DAYS


async def test_truncated_bodies(collector, store, sim):
    sim.set_faults(Faults(truncate=True, count=1))  # once: the client retries it
    assert (await collector.poll_once()).ok
    assert sim.request_count() == 33
    before = _snapshot(store)

    sim.set_faults(Faults(truncate=True))  # always: the poll fails, in one line
    outcome = await collector.poll_once()
    assert not outcome.ok and _one_line(outcome.error) and not outcome.needs_user
    assert "127.0.0.1" in outcome.error
    assert _snapshot(store) == before
    assert store.last_poll().outcome == "error"


@pytest.mark.parametrize(("key", "status"), [("pk_wrong_key_0000", "401"), (FREE_PLAN_KEY, "403")])
async def test_a_wrong_key_needs_the_user(sim_server, sim, store, clock, key, status):
    async with ApiClient(sim_server.url, {AUTH_HEADER: key}, sleep=no_sleep) as client:
        collector = Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC, clock=clock)
        outcome = await collector.poll_once()

    assert not outcome.ok and outcome.needs_user is True
    assert _one_line(outcome.error) and status in outcome.error and key not in outcome.error
    assert client.stats.retries == 0  # retrying a refused key is pointless
    assert sim.request_count() < 1 + HISTORY_DAYS  # the first failure cancels the rest
    assert not store.has_data()
    assert store.last_poll().outcome == "error"


# --- per-key drilldown --------------------------------------------------------


async def test_fetch_key_stores_the_keys_endpoint_series(collector, store, sim, sim_server, clock):
    start, end = Range.DAYS30.dates(TODAY)
    key = _sim_breakdown(sim_server, start, end)["by_key"][0]["name"]
    count = sim.request_count()

    outcome = await collector.fetch_key(key, start, end)

    assert outcome.ok and outcome.requests == 1
    assert sim.request_count(DAILY) == 1 and sim.request_count() == count + 1
    expected = _sim_breakdown(sim_server, start, end, key=key)
    assert _figures(store.item_breakdown("endpoint", start, end, key)) == _vendor_endpoints(expected)
    # Any sub-range too, e.g. the last week.
    week = Range.WEEK.dates(TODAY)
    expected_week = _sim_breakdown(sim_server, *week, key=key)
    week_rows = store.item_breakdown("endpoint", *week, key)
    assert _figures(week_rows) == _vendor_endpoints(expected_week)

    # Fresh within the interval: served from the store, no request.
    count = sim.request_count()
    clock.advance(seconds=collector.interval / 2)
    cached = await collector.fetch_key(key, start, end)
    assert cached.ok and cached.requests == 0 and sim.request_count() == count

    # Stale after the interval: fetched again.
    clock.advance(seconds=collector.interval)
    again = await collector.fetch_key(key, start, end)
    assert again.ok and again.requests == 1 and sim.request_count(DAILY) == 2


async def test_fetch_key_of_a_wider_range_is_not_served_from_a_narrower_one(collector, sim):
    key = sim.key_names[0]
    assert (await collector.fetch_key(key, TODAY, TODAY)).requests == 1
    assert (await collector.fetch_key(key, TODAY - dt.timedelta(days=6), TODAY)).requests == 1
    assert (await collector.fetch_key(key, TODAY - dt.timedelta(days=2), TODAY)).requests == 0
    assert sim.request_count(DAILY) == 2


# --- an item's keys and the billing figures ------------------------------------------


async def test_fetch_item_stores_the_keys_of_one_endpoint(collector, store, sim, sim_server, clock):
    start, end = Range.WEEK.dates(TODAY)
    slug = next(row["slug"] for row in _sim_breakdown(sim_server, start, end)["by_endpoint"] if row["slug"])
    count = sim.request_count()

    outcome = await collector.fetch_item("endpoint", slug, start, end)

    assert outcome.ok and outcome.requests == 1 and sim.request_count() == count + 1
    body = {"start_date": start.isoformat(), "end_date": end.isoformat(), "log_type_slugs": [slug]}
    expected = _sim_post(sim_server, BREAKDOWN, body)["by_key"]
    rows, fetched_at = store.item_keys("endpoint", slug, start, end)
    assert _figures(rows) == {r["name"]: (r["requests"], r["credits"]) for r in expected}
    assert fetched_at == FROZEN

    clock.advance(seconds=collector.interval / 2)  # fresh: served from the store
    assert (await collector.fetch_item("endpoint", slug, start, end)).requests == 0
    clock.advance(seconds=collector.interval)  # stale: fetched again
    assert (await collector.fetch_item("endpoint", slug, start, end)).requests == 1


async def test_fetch_item_of_unmapped_usage_or_an_unknown_dimension_sends_nothing(collector, sim):
    unmapped = await collector.fetch_item("endpoint", "", TODAY, TODAY)
    assert unmapped.ok and unmapped.requests == 0  # the vendor cannot filter on "no log type"

    unknown = await collector.fetch_item("model", "gpt-5", TODAY, TODAY)
    assert not unknown.ok and _one_line(unknown.error) and "model" in unknown.error
    assert not unknown.needs_user
    assert sim.request_count() == 0


async def test_fetch_billing_stores_the_profile_once_per_interval(collector, store, sim, sim_server, clock):
    outcome = await collector.fetch_billing()

    assert outcome.ok and outcome.requests == 1
    profile = _sim_post(sim_server, "/profile", {})
    billing, fetched_at = store.latest_billing()
    assert (billing.plan, billing.balance, billing.topup, billing.cycle_allowance) == (
        profile["subscription"]["name"], profile["credit"], profile["topup_credit"],
        profile["subscription"]["monthly_credit"])
    assert (billing.cycle_start.isoformat(), billing.cycle_end.isoformat()) == (
        profile["last_refill_date"], profile["next_refill_date"])
    assert dict(billing.prices) == profile["credit_costs"] and fetched_at == FROZEN

    clock.advance(seconds=collector.interval / 2)
    assert (await collector.fetch_billing()).requests == 0
    assert sim.request_count("/profile") == 2  # ours, and the test's own


# --- what the provider does not offer is never asked for ---------------------------------


@pytest.fixture
def scopes_only(provider):
    """The real adapter, declaring only scopes: no breakdowns, filters or billing."""
    provider.capabilities = replace(provider.capabilities, key_breakdown=False, dimensions=(),
                                    key_filter=False, dimension_filter=False, billing=False)
    return provider


async def test_a_provider_without_breakdowns_is_polled_for_its_scopes_only(
    scopes_only, store, sim, clock
):
    collector = Collector(scopes_only, store, tz=dt.UTC, clock=clock)

    outcome = await collector.poll_once()

    assert outcome.ok and outcome.requests == 1
    assert _paths(sim) == [PROFILE_USAGE]
    assert len(store.latest_scopes()) == 6
    assert collector.days_to_fetch(clock()) == []
    assert (await collector.ensure_days(FIRST_DAY, TODAY)).requests == 0
    assert store.fetched_days("breakdown", None, FIRST_DAY, TODAY) == {}


async def test_fetches_behind_a_missing_capability_are_no_ops(provider, store, sim, clock):
    """Breakdowns by endpoint, but no filter by key or endpoint and no billing."""
    provider.capabilities = replace(provider.capabilities, key_filter=False,
                                    dimension_filter=False, billing=False)
    collector = Collector(provider, store, tz=dt.UTC, clock=clock)
    polls = store.last_poll()

    for outcome in (await collector.fetch_key(sim.key_names[0], TODAY, TODAY),
                    await collector.fetch_item("endpoint", "search", TODAY, TODAY),
                    await collector.fetch_billing()):
        assert outcome.ok and outcome.requests == 0
    assert sim.request_count() == 0 and store.last_poll() == polls  # nothing sent, nothing logged


# --- the request count of a poll ----------------------------------------------------------


async def test_the_request_count_includes_retries_and_failed_polls(collector, store, sim):
    sim.set_faults(Faults(status=503, count=2, paths=(PROFILE_USAGE,)))
    outcome = await collector.poll_once()
    assert outcome.ok and outcome.requests == sim.request_count() == 34  # 32 and 2 retries
    assert store.last_poll().requests == 34

    sim.set_faults(Faults(status=401, paths=(PROFILE_USAGE,)))
    failed = await collector.poll_once()
    # Scopes and today were sent; the 401 cancels today's request, which may never arrive.
    assert not failed.ok and 1 <= sim.request_count() - 34 <= failed.requests <= 2
    assert store.last_poll().requests == failed.requests


# --- time zones ----------------------------------------------------------------


async def test_days_follow_the_workspace_timezone(isolated_env, store):
    """In Tokyo (UTC+9) the frozen 14:37 UTC is 23:37: midnight comes 23 minutes later."""
    from zoneinfo import ZoneInfo

    from usage_top.sim import SimServer, Simulator

    from .conftest import Clock

    tokyo = ZoneInfo("Asia/Tokyo")
    clock = Clock()
    sim = Simulator(seed=7, clock=clock, tz="Asia/Tokyo")
    with SimServer(sim).start() as server:
        async with ApiClient(server.url, {AUTH_HEADER: DEMO_API_KEY}, sleep=no_sleep) as client:
            collector = Collector(PubrioProvider(client, tokyo), store, tz=tokyo, clock=clock)
            assert (await collector.poll_once()).ok
            assert store.totals(TODAY, TODAY) == _sim_breakdown(server, TODAY, TODAY)["totals"]

            clock.advance(minutes=23 + 16)  # 00:16 in Tokyo: Nov 18 is over and settled
            outcome = await collector.poll_once()
            tomorrow = TODAY + dt.timedelta(days=1)
            assert outcome.ok and outcome.requests == 1 + 2  # Nov 18 (final) and Nov 19
            assert collector.days_to_fetch(clock()) == [tomorrow]
            for day in (TODAY, tomorrow):
                expected = _sim_breakdown(server, day, day)["totals"]
                assert store.totals(day, day) == expected


# --- an unreachable API fails the poll fast (#19) -----------------------------------


async def test_a_closed_port_fails_the_poll_after_the_parts_in_flight(store, clock):
    """A first poll is 32 parts (scopes + 31 days) four at a time; against a port nothing
    listens on, each part in flight tries twice, the ones let in as they give up once
    more before the poll stops, and the rest are never sent (it was 5 attempts for
    each of the 32: 160 requests, 53 s of backoff in ``report``)."""
    import socket

    from usage_top.providers.pubrio import CONCURRENCY

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    waits: list[float] = []

    async def backoff(seconds: float) -> None:
        waits.append(seconds)

    async with ApiClient(f"http://127.0.0.1:{closed_port}", {AUTH_HEADER: DEMO_API_KEY},
                         sleep=backoff) as client:
        collector = Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC, clock=clock)
        assert len(collector.parts(clock(), collector.days_to_fetch(clock()))) == 1 + HISTORY_DAYS
        outcome = await collector.poll_once()

    assert not outcome.ok and not outcome.partial and not outcome.needs_user
    assert outcome.error.startswith("could not talk to 127.0.0.1 (ConnectError")
    assert "2 attempts" in outcome.error and "\n" not in outcome.error
    assert outcome.requests <= 3 * CONCURRENCY < 1 + HISTORY_DAYS
    assert all(wait <= 0.5 for wait in waits)  # the first backoff step only, once a request
    assert len(waits) <= 2 * CONCURRENCY
