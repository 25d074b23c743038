"""The Lusha adapter over real loopback HTTP against the account usage simulator.

The clock is frozen at 2026-11-18 14:37 UTC (a Wednesday) unless a test moves it;
the simulator's 5-a-minute limit counts by that clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx
import pytest

from usage_top.providers.errors import BadRequest, BadResponse, RateLimitedError
from usage_top.providers.http import ApiClient
from usage_top.providers.lusha import (
    AUTH_HEADER,
    CAPABILITIES,
    USAGE,
    CreditsExhausted,
    LushaForbidden,
    LushaKeyRejected,
    LushaProvider,
    RateHeaders,
)
from usage_top.sim import Faults, SimServer
from usage_top.sim.lusha import (
    LUSHA_DEMO_KEY,
    LUSHA_EXHAUSTED_KEY,
    LUSHA_FREE_KEY,
    LUSHA_GDPR_KEY,
    LUSHA_INACTIVE_KEY,
    LUSHA_NO_V3_KEY,
    LushaSimulator,
)

from .conftest import FROZEN, Clock, no_sleep


class Time:
    """The client's clock and sleep, moving the simulator's clock along with it."""

    def __init__(self, sim_clock: Clock) -> None:
        self.now = 0.0
        self._sim = sim_clock

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self._sim.advance(seconds=seconds)


@pytest.fixture
def lusha(clock: Clock) -> LushaSimulator:
    return LushaSimulator(seed=7, clock=clock)


@pytest.fixture
def server(lusha: LushaSimulator) -> Iterator[SimServer]:
    with SimServer(lusha).start() as server:  # type: ignore[arg-type]
        yield server


def client_for(server: SimServer, key: str, **options) -> tuple[ApiClient, RateHeaders]:
    headers = RateHeaders()
    options.setdefault("sleep", no_sleep)
    client = ApiClient(server.url, {AUTH_HEADER: key}, timeout=5, max_retries=2,
                       budget_per_minute=5, transport=headers, **options)
    return client, headers


def provider_for(server: SimServer, key: str = LUSHA_DEMO_KEY) -> LushaProvider:
    return LushaProvider(*client_for(server, key))


def raw(server: SimServer, key: str = LUSHA_DEMO_KEY) -> httpx.Response:
    return httpx.get(server.url + USAGE, headers={AUTH_HEADER: key})


def test_capabilities():
    assert [m.id for m in CAPABILITIES.measures] == ["credits"]
    assert CAPABILITIES.measure("credits").unit.name == "credits"
    assert (CAPABILITIES.primary, CAPABILITIES.activity) == ("credits", "credits")
    assert CAPABILITIES.dimensions == () and not CAPABILITIES.key_breakdown
    assert CAPABILITIES.billing and CAPABILITIES.min_interval == 12


async def test_scopes_and_billing_match_the_raw_answer_in_one_request(server):
    body = raw(server).json()
    provider = provider_for(server)
    scopes = await provider.scopes(FROZEN)
    billing = await provider.billing()
    assert provider.requests_made == 1  # billing shares the poll's answer
    await provider.aclose()
    credits, *windows = scopes
    assert (credits.name, credits.used, credits.limit) == ("credits.cycle", body["credits"]["used"],
                                                           body["credits"]["total"])
    assert credits.resets_at == dt.datetime.fromisoformat(body["plan"]["endDate"])
    assert [w.name for w in windows] == ["requests.daily", "requests.hourly", "requests.minute"]
    for window in windows:
        sent = body["rateLimits"][window.period.value]
        assert window.used == sent["used"] + 1  # our own request since the raw one
        assert window.limit == sent["limit"]
        assert window.resets_at == dt.datetime.fromisoformat(sent["resetsAt"])
        assert window.rate_limit_per_minute == body["rateLimits"]["minute"]["limit"]
    assert billing.balance == body["credits"]["remaining"]
    assert billing.cycle_allowance == body["credits"]["total"]
    assert billing.plan == "Professional (monthly)"
    assert billing.cycle_start == dt.date(2026, 11, 14)
    assert billing.cycle_end == dt.date(2026, 12, 14)
    assert billing.prices["contactRevealPhone"] == 5 and billing.prices["signals"] == 1 / 25


async def test_a_free_plan_has_no_hourly_window_and_renews_monthly(server):
    provider = provider_for(server, LUSHA_FREE_KEY)
    scopes = await provider.scopes(FROZEN)
    billing = await provider.billing()
    await provider.aclose()
    assert [s.name for s in scopes] == ["credits.cycle", "requests.daily", "requests.minute"]
    assert billing.cycle_end is None  # the vendor's endDate is null
    assert scopes[0].resets_at == dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


async def test_the_headers_figures_win_over_the_body(clock):
    class Fresher(LushaSimulator):
        """Headers that say more calls were made than the body does."""

        def exchange(self, method, path, headers, body):
            answer = super().exchange(method, path, headers, body)
            answer.headers["x-daily-usage"] = str(int(answer.headers["x-daily-usage"]) + 7)
            return answer

    sim = Fresher(seed=7, clock=clock)
    with SimServer(sim).start() as server:  # type: ignore[arg-type]
        body = raw(server).json()
        provider = provider_for(server)
        scopes = await provider.scopes(FROZEN)
        await provider.aclose()
    daily = next(s for s in scopes if s.name == "requests.daily")
    assert daily.used == body["rateLimits"]["daily"]["used"] + 1 + 7


async def test_a_cycle_reset_drops_the_credits_and_moves_the_dates(server, clock):
    clock.now = dt.datetime(2026, 12, 13, 23, 50, tzinfo=dt.UTC)
    before = provider_for(server)
    (credits, *_), billing = await before.scopes(clock.now), await before.billing()
    clock.advance(minutes=20)
    after = provider_for(server)
    (renewed, *_), renewed_billing = await after.scopes(clock.now), await after.billing()
    for provider in (before, after):
        await provider.aclose()
    assert renewed.used < credits.used
    assert credits.resets_at == dt.datetime(2026, 12, 14, tzinfo=dt.UTC)
    assert renewed.resets_at == dt.datetime(2027, 1, 14, tzinfo=dt.UTC)
    assert (billing.cycle_start, renewed_billing.cycle_start) == (dt.date(2026, 11, 14),
                                                                  dt.date(2026, 12, 14))


async def test_no_day_breakdowns_and_no_request_for_them(server):
    provider = provider_for(server)
    assert await provider.day_breakdowns([FROZEN.date()]) == []
    assert provider.requests_made == 0
    await provider.aclose()


async def test_never_more_than_five_requests_a_minute(server, clock):
    time = Time(clock)
    client, headers = client_for(server, LUSHA_DEMO_KEY, clock=time, sleep=time.sleep)
    for _ in range(11):  # a fresh provider each time: nothing shared, every call a request
        await LushaProvider(client, headers).scopes(clock.now)
    assert client.stats.requests_sent == 11 and client.stats.rate_limited == 0
    assert time.now >= 120  # 5 at once, 5 a minute later, the 11th a minute after that
    await client.aclose()


# Errors ----------------------------------------------------------------------------


async def test_invalid_key(server):
    provider = provider_for(server, "not-a-key")
    with pytest.raises(LushaKeyRejected, match="LUSHA_API_KEY"):
        await provider.scopes(FROZEN)
    await provider.aclose()


async def test_exhausted_credits_are_one_clear_line_without_retries(server, lusha):
    provider = provider_for(server, LUSHA_EXHAUSTED_KEY)
    with pytest.raises(CreditsExhausted) as failure:
        await provider.scopes(FROZEN)
    await provider.aclose()
    message = str(failure.value)
    assert "credits are exhausted" in message and "Your account requires payment" in message
    assert failure.value.retryable and failure.value.retry_after >= 300
    assert failure.value.status == 402
    assert lusha.request_count(USAGE) == 1  # no retry storm


@pytest.mark.parametrize(("key", "said"), [
    (LUSHA_INACTIVE_KEY, "Your account is not active"),
    (LUSHA_NO_V3_KEY, "V3 API access is not enabled for your account"),
])
async def test_forbidden_says_the_vendors_reason(server, key, said):
    provider = provider_for(server, key)
    with pytest.raises(LushaForbidden) as failure:
        await provider.scopes(FROZEN)
    await provider.aclose()
    assert said in str(failure.value) and "admin key" not in str(failure.value)
    assert failure.value.status == 403 and "\n" not in str(failure.value)


async def test_gdpr_refusal(server):
    provider = provider_for(server, LUSHA_GDPR_KEY)
    with pytest.raises(BadRequest, match="HTTP 451.*GDPR"):
        await provider.scopes(FROZEN)
    await provider.aclose()


async def test_the_sixth_request_of_a_minute_is_rate_limited(server, lusha):
    for _ in range(5):
        assert raw(server).status_code == 200
    provider = provider_for(server)
    with pytest.raises(RateLimitedError):
        await provider.scopes(FROZEN)
    await provider.aclose()
    assert lusha.request_count(USAGE) == 5 + 3  # the client's two retries, then it gave up


async def test_server_errors_are_retried(server, lusha):
    lusha.set_faults(Faults(status=503, count=1))
    provider = provider_for(server)
    scopes = await provider.scopes(FROZEN)
    await provider.aclose()
    assert scopes[0].used > 0 and lusha.request_count(USAGE) == 2


async def test_an_unusable_body_is_a_bad_response(server, lusha):
    lusha.set_faults(Faults(body='{"credits": {"used": -3}}', count=-1))
    provider = provider_for(server)
    with pytest.raises(BadResponse, match="credits.used"):
        await provider.scopes(FROZEN)
    await provider.aclose()
