"""Property tests of every response parser in ``providers/pubrio.py``.

Whatever JSON the vendor sends, a parser either returns valid model objects or
raises the typed ``ProviderError`` (``BadResponse`` for data it cannot use):
never a ``KeyError``, ``OverflowError`` or a pydantic error further up. And what
a parser accepts, the store accepts: a poll that parsed must also land in
SQLite (no integer overflow, no NaN in a NOT NULL column).

The parsers are fed through a stand-in for ``ApiClient.post_json`` (which only
returns ``json.loads`` of the body; the client itself is covered over loopback
in test_http_client.py and test_faults.py). Two strategies: arbitrary JSON, and
JSON shaped like each endpoint's schema with hostile values in every field,
which is what reaches the deep parsing code.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from usage_top.domain.model import (
    Billing,
    Breakdown,
    DailyUsage,
    ItemDaily,
    ItemKeys,
    KeyDaily,
    PollResult,
    ScopeUsage,
)
from usage_top.providers.errors import BadResponse, ProviderError
from usage_top.providers.pubrio import PubrioProvider
from usage_top.store import Store

NOW = dt.datetime(2026, 11, 18, 14, 37, tzinfo=dt.UTC)
TODAY = NOW.date()
START = TODAY - dt.timedelta(days=6)

PROFILE = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class CannedClient:
    """Answers every ``post_json`` with one payload, as the real client would after json.loads."""

    def __init__(self, payload: Any) -> None:
        self.payload = payload

    async def post_json(self, path: str, body: dict[str, Any]) -> Any:
        return self.payload


def _provider(payload: Any) -> PubrioProvider:
    return PubrioProvider(CannedClient(payload), dt.UTC)  # type: ignore[arg-type]


async def _day(provider: PubrioProvider) -> Breakdown:
    """The breakdown of today, as a poll asks for it."""
    [breakdown] = await provider.day_breakdowns([TODAY])
    return breakdown


def _finite_figures(figures) -> bool:
    return all(math.isfinite(value) for value in figures.values())


# --- strategies -------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),  # json.loads takes NaN and Infinity
    st.text(max_size=20),
)
any_json = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=8), children, max_size=4),
    ),
    max_leaves=20,
)

hostile_numbers = st.one_of(
    st.integers(min_value=-5, max_value=10**6),
    st.sampled_from([0, -1, 2**31, 2**53 + 1, 2**63 - 1, 2**63, 2**64, 10**30, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -0.0, 1e-320, float("nan"), float("inf")]),
)
hostile_strings = st.one_of(
    st.text(max_size=30),
    st.sampled_from([
        "", " ", "2026-11-18", "2026-11-18 23:58:55.951", "2026-11-18T05:24:48.133Z",
        "0000-00-00", "9999-12-31T23:59:59", "0001-01-01T00:00:00+14:00", "yesterday",
        "2026-02-30", "2026-11-18T25:00", "\x1b[31mred\x1b[0m", "a\nb", "9" * 40,
    ]),
)
hostile = st.one_of(st.none(), st.booleans(), hostile_numbers, hostile_strings,
                    st.just([]), st.just({}))


def _day_text(offset: int) -> str:
    return (TODAY - dt.timedelta(days=offset)).isoformat()


days = st.one_of(st.integers(min_value=-3, max_value=10).map(_day_text), hostile)


def _record(fields: dict[str, st.SearchStrategy]) -> st.SearchStrategy[dict]:
    """A dict with any subset of ``fields`` (each hostile or plausible) and maybe extras."""
    return st.fixed_dictionaries(
        {}, optional={name: st.one_of(strategy, hostile) for name, strategy in fields.items()}
    ).flatmap(lambda record: st.dictionaries(st.text(max_size=6), hostile, max_size=2).map(
        lambda extra: {**extra, **record}))


counts = st.integers(min_value=0, max_value=10**6)
names = st.one_of(st.sampled_from(["0••••f39", "1••••aaa", "", "  ", "search", "enrich"]),
                  st.text(max_size=12))
totals = _record({"requests": counts, "credits": counts})
key_row = _record({
    "name": names, "requests": counts, "credits": counts,
    "last_used": st.sampled_from(["2026-11-18 23:58:55.951", "not a time", ""]),
    "percent_of_requests": st.floats(0, 100), "percent_of_credits": st.floats(0, 100),
})
endpoint_row = _record({
    "slug": names, "name": names, "requests": counts, "credits": counts,
    "percent_of_requests": st.floats(0, 100), "percent_of_credits": st.floats(0, 100),
})
day_row = _record({"date": days, "requests": counts, "credits": counts})
breakdown_data = _record({
    "by_key": st.lists(key_row, max_size=6),
    "by_endpoint": st.lists(endpoint_row, max_size=6),
    "totals": totals,
})
daily_data = _record({
    "series": st.lists(day_row, max_size=6),
    "by_log_type": st.lists(
        _record({"slug": names, "name": names, "series": st.lists(day_row, max_size=4)}),
        max_size=4),
    "totals": totals,
})
_SCOPE_FIELDS = {
    name: counts
    for scope in ("api", "portal")
    for period in ("monthly", "daily", "hourly")
    for name in (f"{scope}_{period}_usage", f"max_{scope}_{period}_query",
                 f"total_max_{scope}_{period}_query")
}
profile_usage_data = _record({
    **_SCOPE_FIELDS,
    "api_last_refreshed": st.sampled_from(["2026-11-18T05:24:48.133Z", "nope", ""]),
    "portal_last_refreshed": st.sampled_from(["2026-11-18T05:24:48.133Z", "nope"]),
    "is_api_access_available": st.booleans(),
    "is_quota_sharing_enabled": st.booleans(),
})
profile_data = _record({
    "credit": counts, "topup_credit": counts,
    "subscription": _record({"name": names, "monthly_credit": counts}),
    "credit_costs": st.dictionaries(names, st.one_of(counts, hostile), max_size=4),
    "last_refill_date": days, "next_refill_date": days,
})


def envelope(data: st.SearchStrategy) -> st.SearchStrategy:
    """``{"data": ...}`` mostly, sometimes a broken envelope or a bare value."""
    return st.one_of(
        data.map(lambda d: {"data": d}),
        data.map(lambda d: {"data": d, "metadata": {"filters": {}}}),
        any_json,
    )


# --- the store takes whatever a parser returns -------------------------------------


@pytest.fixture(scope="module")
def sink(tmp_path_factory) -> Store:
    store = Store(tmp_path_factory.mktemp("prop") / "usage.db")
    yield store
    store.close()


def _ingests(sink: Store, result: PollResult) -> None:
    sink.ingest(result)


def _finite(value: float | None) -> bool:
    return value is None or math.isfinite(value)


def _check_call(call, sink: Store | None = None):
    """Run a parser: a model value, or a ProviderError; anything else fails the test."""
    try:
        return asyncio.run(call)
    except ProviderError as exc:
        text = str(exc)
        assert text and "\n" not in text and len(text) <= 400, text
        return None


# --- properties ---------------------------------------------------------------------


@PROFILE
@given(payload=st.one_of(envelope(profile_usage_data), any_json))
def test_scopes_parser(payload, sink):
    scopes = _check_call(_provider(payload).scopes(NOW))
    if scopes is None:
        return
    assert all(isinstance(scope, ScopeUsage) for scope in scopes)
    assert len({scope.name for scope in scopes}) == len(scopes)
    _ingests(sink, PollResult(fetched_at=NOW, scopes=tuple(scopes)))


@PROFILE
@given(payload=st.one_of(envelope(breakdown_data), any_json))
def test_breakdown_parser(payload, sink):
    result = _check_call(_day(_provider(payload)))
    if result is None:
        return
    assert isinstance(result, Breakdown) and result.start == result.end == TODAY
    endpoints = result.by_dimension["endpoint"]
    assert len({row.id for row in result.by_key}) == len(result.by_key)  # duplicates merged
    assert len({row.id for row in endpoints}) == len(endpoints)
    assert all(row.id.strip() and row.name for row in result.by_key)
    assert all(row.name for row in endpoints)  # unmapped usage ('' id) is named too
    figures = [row.figures for row in (*result.by_key, *endpoints)] + [result.totals]
    assert all(set(f) == {"requests", "credits"} and _finite_figures(f) for f in figures)
    _ingests(sink, PollResult(fetched_at=NOW, day_breakdowns=(result,)))
    # The same answer for a range of one endpoint feeds the endpoint drilldown.
    _ingests(sink, PollResult(fetched_at=NOW, item_keys=(ItemKeys("endpoint", "search", result),)))


@PROFILE
@given(payload=st.one_of(envelope(daily_data), any_json))
def test_daily_parser(payload, sink):
    result = _check_call(_provider(payload).key_daily("0••••f39", START, TODAY))
    if result is None:
        return
    assert isinstance(result, DailyUsage)
    items = result.by_dimension["endpoint"]
    for series in (result.series, *(item.series for item in items)):
        assert [p.day for p in series] == sorted({p.day for p in series})  # one point a day
        assert all(START <= p.day <= TODAY for p in series)
        assert all(_finite_figures(p.figures) for p in series)
    assert all(isinstance(item, ItemDaily) for item in items)
    assert len({item.id for item in items}) == len(items)
    _ingests(sink, PollResult(fetched_at=NOW, account_daily=result,
                              key_daily=(KeyDaily(key="0••••f39", daily=result),)))


@PROFILE
@given(payload=st.one_of(envelope(profile_data), any_json))
def test_profile_parser(payload, sink):
    billing = _check_call(_provider(payload).billing())
    if billing is None:
        return
    assert isinstance(billing, Billing)
    assert all(_finite(v) for v in (billing.balance, billing.topup, billing.cycle_allowance,
                                    *billing.prices.values()))
    _ingests(sink, PollResult(fetched_at=NOW, billing=billing))


@pytest.mark.parametrize(
    "body",
    [
        '{"data": {"by_key": [{"name": "k", "requests": 1e400}]}}',
        '{"data": {"by_key": [{"name": "k", "requests": 100000000000000000000000}]}}',
        '{"data": {"by_key": [{"name": "k", "credits": NaN}]}}',
        '{"data": {"by_key": [{"name": "k", "credits": Infinity}]}}',
        '{"data": {"totals": {"requests": -Infinity}}}',
        '{"data": {"by_endpoint": [{"slug": "s", "requests": -1}]}}',
        '{"data": {"by_endpoint": [{"slug": 5}]}}',
        '{"data": {"by_key": [{"name": "\\ud800", "requests": 1}]}}',  # a lone surrogate
        '{"data": {"by_endpoint": [{"slug": "\\udfff", "name": "\\ud83d"}]}}',
        '{"data": {"by_key": [{"name": "k", "last_used": "9999-12-31T23:59:59-14:00"}]}}',
        '{"data": {"by_key": [{"name": "k", "last_used": "0001-01-01T00:00:00"}]}}',
        '{"data": {"by_key": [{"name": "k", "percent_of_requests": -5, "percent_of_credits": NaN}]}}',
        '{"data": {"by_key": [{"name": "k", "requests": true, "credits": "12"}]}}',
        '{"data": []}',
        '{"data": null}',
        '[]',
        '"data"',
    ],
)
def test_breakdown_edge_bodies(body, sink):
    """Bodies exactly as ``json.loads`` reads them (NaN, Infinity and 1e400 included)."""
    result = _check_call(_day(_provider(json.loads(body))))
    if result is not None:
        _ingests(sink, PollResult(fetched_at=NOW, day_breakdowns=(result,)))


@pytest.mark.parametrize(
    "body",
    [
        '{"data": {"api_monthly_usage": 1, "api_last_refreshed": "9999-12-31T23:59:59-14:00"}}',
        '{"data": {"api_monthly_usage": 1, "api_last_refreshed": "0001-01-01T00:00:00+14:00"}}',
        '{"data": {"api_monthly_usage": 1e400}}',
        '{"data": {"api_monthly_usage": 10, "max_api_monthly_query": NaN}}',
        '{"data": {"api_daily_usage": "lots"}}',
    ],
)
def test_scopes_edge_bodies(body, sink):
    scopes = _check_call(_provider(json.loads(body)).scopes(NOW))
    if scopes is not None:
        _ingests(sink, PollResult(fetched_at=NOW, scopes=tuple(scopes)))


@pytest.mark.parametrize(
    ("call", "payload", "field"),
    [
        ("breakdown", {"data": {"by_key": [{"name": "k", "requests": 10**30}]}}, "requests"),
        ("breakdown", {"data": {"by_endpoint": [{"slug": "s", "credits": -3}]}}, "credits"),
        ("breakdown", {"data": {"totals": {"credits": float("inf")}}}, "credits"),
        ("scopes", {"data": {"api_monthly_usage": 10**30}}, "api_monthly_usage"),
        ("scopes", {"data": {"api_daily_usage": -1}}, "api_daily_usage"),
        ("scopes", {"data": {"api_daily_usage": 1, "max_api_daily_query": 2**64}},
         "max_api_daily_query"),
        ("profile", {"data": {"credit": float("nan")}}, "credit"),
        ("daily", {"data": {"series": [{"date": "2026-11-18", "requests": 2**70}]}}, "requests"),
    ],
)
def test_out_of_range_counts_are_a_typed_error_naming_the_field(call, payload, field):
    provider = _provider(payload)
    calls = {"breakdown": lambda: _day(provider),
             "scopes": lambda: provider.scopes(NOW),
             "profile": provider.billing,
             "daily": lambda: provider.key_daily("0••••f39", START, TODAY)}
    with pytest.raises(BadResponse, match=r"returned data usage-top cannot use") as caught:
        asyncio.run(calls[call]())
    assert field in str(caught.value) and "\n" not in str(caught.value)
