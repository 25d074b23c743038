"""The store against real SQLite files: ingest, queries, poll log, file safety."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlite_utils

from usage_top.domain.measures import REQUESTS, Unit, UnitKind, money
from usage_top.domain.model import (
    Billing,
    Breakdown,
    DailyUsage,
    DayFigures,
    ItemDaily,
    ItemKeys,
    KeyDaily,
    Period,
    PollResult,
    ScopeUsage,
    Usage,
)
from usage_top.store import PollRecord, Store, StoreError, default_db_path
from usage_top.store.schema import APPLICATION_ID, SCHEMA_VERSION

DAY = dt.date(2026, 5, 14)
YESTERDAY = DAY - dt.timedelta(days=1)
FETCHED = dt.datetime(2026, 5, 14, 12, 5, tzinfo=dt.UTC)
KEY_A = "0••••••••••••••••f39"
KEY_B = "2••••••••••••••••a37"
ENDPOINT = "endpoint"


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


def figures(requests: float, credits: float) -> dict[str, float]:
    return {"requests": requests, "credits": credits}


def key_usage(key: str, requests: int, credits: float, last_used: dt.datetime | None = None,
              name: str | None = None) -> Usage:
    return Usage(key, name or key, figures(requests, credits), last_used)


def endpoint_usage(slug: str, requests: int, credits: float) -> Usage:
    return Usage(slug, slug.replace("_", " ").title(), figures(requests, credits))


def added(rows) -> dict[str, float]:
    total: dict[str, float] = {}
    for row in rows:
        for measure, value in row.figures.items():
            total[measure] = total.get(measure, 0.0) + value
    return total


def day_breakdown(day: dt.date, *by_key: Usage, by_endpoint=()) -> Breakdown:
    return Breakdown(start=day, end=day, totals=added(by_key), by_key=by_key,
                     by_dimension={ENDPOINT: tuple(by_endpoint)})


def endpoint_daily(slug: str, points: dict[dt.date, tuple[int, float]]) -> ItemDaily:
    series = tuple(DayFigures(d, figures(r, c)) for d, (r, c) in points.items())
    return ItemDaily(slug, slug.replace("_", " ").title(), series)


def daily_usage(start: dt.date, end: dt.date, *by_endpoint: ItemDaily) -> DailyUsage:
    """A daily usage whose series is the sum of its endpoints, as the vendor's is."""
    days: dict[dt.date, dict[str, float]] = {}
    for endpoint in by_endpoint:
        for point in endpoint.series:
            into = days.setdefault(point.day, {})
            for measure, value in point.figures.items():
                into[measure] = into.get(measure, 0.0) + value
    series = tuple(DayFigures(d, f) for d, f in sorted(days.items()))
    return DailyUsage(start=start, end=end, series=series, by_dimension={ENDPOINT: by_endpoint})


def api_scope(period: Period, used: float, **more) -> ScopeUsage:
    return ScopeUsage(scope="api", period=period, used=used, unit=REQUESTS, label="API",
                      measure="requests", **more)


def sample_result(fetched_at: dt.datetime = FETCHED) -> PollResult:
    """Two days of usage by two keys over two endpoints, a drilldown of key A, scopes."""
    yesterday = YESTERDAY
    return PollResult(
        fetched_at=fetched_at,
        scopes=(
            api_scope(Period.MONTHLY, 1200, limit=43200, rate_limit_per_minute=300,
                      refreshed_at=at(12, 4), resets_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC)),
            api_scope(Period.HOURLY, 40, limit=60),
        ),
        day_breakdowns=(
            day_breakdown(yesterday, key_usage(KEY_A, 10, 30.0, at(9, day=yesterday)),
                          key_usage(KEY_B, 5, 75.0, at(17, day=yesterday))),
            day_breakdown(DAY, key_usage(KEY_A, 20, 60.0, at(12)), key_usage(KEY_B, 1, 15.0, at(8)),
                          by_endpoint=[endpoint_usage("people_search", 20, 60.0),
                                       endpoint_usage("email_redeem", 1, 15.0)]),
        ),
        account_daily=daily_usage(
            yesterday, DAY,
            endpoint_daily("people_search", {yesterday: (10, 30.0), DAY: (20, 60.0)}),
            endpoint_daily("email_redeem", {yesterday: (5, 75.0), DAY: (1, 15.0)}),
        ),
        key_daily=(
            KeyDaily(key=KEY_A, daily=daily_usage(
                yesterday, DAY,
                endpoint_daily("people_search", {yesterday: (10, 30.0), DAY: (20, 60.0)}),
            )),
        ),
    )


def table_contents(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, to compare a database before and after."""
    db = sqlite_utils.Database(path)
    try:
        return {name: sorted(tuple(row.values()) for row in db[name].rows)
                for name in db.table_names() if not name.startswith("sqlite_")}
    finally:
        db.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "usage.db"


@pytest.fixture
def store(db_path: Path):
    with Store(db_path) as opened:
        yield opened


# Ingest and queries


def test_round_trip_of_a_poll_result(store: Store) -> None:
    store.ingest(sample_result())

    scopes = {s.name: (s, fetched) for s, fetched in store.latest_scopes()}
    monthly, fetched_at = scopes["api.monthly"]
    assert monthly == sample_result().scopes[0]
    assert fetched_at == FETCHED
    assert scopes["api.hourly"][0].used == 40.0
    assert store.measures() == ("requests", "credits")

    assert store.daily_series(YESTERDAY, DAY) == [
        DayFigures(YESTERDAY, figures(15, 105.0)),
        DayFigures(DAY, figures(21, 75.0)),
    ]
    assert store.totals(YESTERDAY, DAY) == figures(36, 180.0)
    assert store.totals(YESTERDAY, DAY, key=KEY_A) == figures(30, 90.0)

    # Sorted by the first measure of order_by, then the next; ties by id.
    by_key = store.key_breakdown(YESTERDAY, DAY, order_by=("credits", "requests"))
    assert [(k.id, k.name, k.figures, k.last_used) for k in by_key] == [
        (KEY_A, KEY_A, figures(30, 90.0), at(12)),
        (KEY_B, KEY_B, figures(6, 90.0), at(8)),
    ]
    by_endpoint = store.item_breakdown(ENDPOINT, YESTERDAY, DAY, order_by=("credits",))
    assert [(e.id, e.name, e.figures) for e in by_endpoint] == [
        ("email_redeem", "Email Redeem", figures(6, 90.0)),  # a tie: by id
        ("people_search", "People Search", figures(30, 90.0)),
    ]
    assert store.has_data()


def test_the_default_order_is_the_slot_order(store: Store) -> None:
    store.ingest(sample_result())

    assert [k.id for k in store.key_breakdown(DAY, DAY)] == [KEY_A, KEY_B]  # by requests
    assert [e.id for e in store.item_breakdown(ENDPOINT, YESTERDAY, DAY)] == [
        "people_search", "email_redeem"]


def test_reingesting_the_same_result_changes_nothing(store: Store, db_path: Path) -> None:
    store.ingest(sample_result())
    before = table_contents(db_path)
    store.ingest(sample_result())
    assert table_contents(db_path) == before


def test_a_newer_breakdown_replaces_the_day_and_a_vanished_key_is_gone(store: Store) -> None:
    store.ingest(PollResult(fetched_at=FETCHED, day_breakdowns=(
        day_breakdown(DAY, key_usage(KEY_A, 5, 5.0), key_usage(KEY_B, 7, 7.0),
                      by_endpoint=[endpoint_usage("people_search", 12, 12.0)]),)))
    store.ingest(PollResult(fetched_at=FETCHED + dt.timedelta(minutes=1), day_breakdowns=(
        day_breakdown(DAY, key_usage(KEY_A, 9, 9.0)),)))

    assert [(k.id, k.figures["requests"]) for k in store.key_breakdown(DAY, DAY)] == [(KEY_A, 9)]
    assert store.totals(DAY, DAY) == figures(9, 9.0)
    assert store.totals(DAY, DAY, key=KEY_B) == figures(0, 0.0)  # nothing stored: zeros
    assert store.item_breakdown(ENDPOINT, DAY, DAY) == []


def test_a_newer_key_daily_replaces_the_keys_rows_in_its_range_only(store: Store) -> None:
    earlier = DAY - dt.timedelta(days=5)
    first = daily_usage(earlier, DAY,
                        endpoint_daily("people_search", {earlier: (1, 3.0), DAY: (2, 6.0)}),
                        endpoint_daily("email_redeem", {DAY: (1, 15.0)}))
    again = daily_usage(DAY, DAY, endpoint_daily("people_search", {DAY: (4, 12.0)}))
    store.ingest(PollResult(fetched_at=FETCHED, key_daily=(KeyDaily(key=KEY_A, daily=first),)))
    store.ingest(PollResult(fetched_at=FETCHED, key_daily=(KeyDaily(key=KEY_A, daily=again),)))

    rows = store.item_breakdown(ENDPOINT, earlier, DAY, key=KEY_A)
    assert [(e.id, e.figures["requests"]) for e in rows] == [("people_search", 5)]


def test_series_are_zero_filled_over_the_whole_range(store: Store) -> None:
    store.ingest(sample_result())
    start, end = DAY - dt.timedelta(days=3), DAY + dt.timedelta(days=1)

    series = store.daily_series(start, end, key=KEY_B)

    assert [p.day for p in series] == [start + dt.timedelta(days=n) for n in range(5)]
    assert [p.figures for p in series] == [
        figures(0, 0.0), figures(0, 0.0), figures(5, 75.0), figures(1, 15.0), figures(0, 0.0)]
    assert store.daily_series(start, end, key="no such key") == [
        DayFigures(p.day, figures(0, 0.0)) for p in series]
    assert store.item_series(ENDPOINT, "email_redeem", start, end) == [
        DayFigures(p.day, f) for p, f in zip(series, (
            figures(0, 0.0), figures(0, 0.0), figures(5, 75.0), figures(1, 15.0),
            figures(0, 0.0)))]
    assert [p.figures["requests"] for p in
            store.item_series(ENDPOINT, "people_search", start, end, key=KEY_A)] == [
        0, 0, 10, 20, 0]


def test_key_breakdown_limit_keeps_the_biggest(store: Store) -> None:
    store.ingest(sample_result())

    top = store.key_breakdown(DAY, DAY, limit=1, order_by=("credits",))

    assert [(k.id, k.figures) for k in top] == [(KEY_A, figures(20, 60.0))]


def test_empty_ranges_have_no_rows_and_totals_of_nothing(store: Store) -> None:
    assert store.key_breakdown(DAY, DAY) == []
    assert store.item_breakdown(ENDPOINT, DAY, DAY) == []
    assert store.totals(DAY, DAY) == {}  # the file knows no measure yet
    assert store.daily_series(DAY, DAY) == [DayFigures(DAY, {})]
    assert store.measures() == ()
    assert not store.has_data()
    store.ingest(sample_result())
    later = DAY + dt.timedelta(days=30)
    assert store.totals(later, later) == figures(0, 0.0)


def test_per_key_item_breakdown_comes_from_the_drilldown(store: Store) -> None:
    store.ingest(sample_result())

    assert store.item_breakdown(ENDPOINT, YESTERDAY, DAY, key=KEY_A) == [
        Usage("people_search", "People Search", figures(30, 90.0))]
    assert store.item_breakdown(ENDPOINT, YESTERDAY, DAY, key=KEY_B) == []
    assert store.item_breakdown("model", YESTERDAY, DAY) == []  # another dimension


def test_unmapped_usage_adds_up_under_the_empty_id(store: Store) -> None:
    daily = daily_usage(DAY, DAY, endpoint_daily("", {DAY: (2, 2.0)}),
                        endpoint_daily("", {DAY: (3, 3.0)}))
    store.ingest(PollResult(fetched_at=FETCHED, account_daily=daily))
    store.ingest(PollResult(fetched_at=FETCHED, account_daily=daily))

    rows = store.item_breakdown(ENDPOINT, DAY, DAY)
    assert [(e.id, e.figures["requests"]) for e in rows] == [("", 5)]


def test_items_of_several_dimensions_are_kept_apart(store: Store) -> None:
    breakdown = Breakdown(DAY, DAY, {"requests": 5}, by_dimension={
        "model": (Usage("gpt-x", "GPT X", {"requests": 5}),),
        "project": (Usage("proj_1", "Default project", {"requests": 4}),
                    Usage("gpt-x", "also an id here", {"requests": 1})),
    })
    store.ingest(PollResult(fetched_at=FETCHED, day_breakdowns=(breakdown,)))

    assert store.item_breakdown("model", DAY, DAY) == [Usage("gpt-x", "GPT X", {"requests": 5})]
    assert [(u.id, u.name) for u in store.item_breakdown("project", DAY, DAY)] == [
        ("proj_1", "Default project"), ("gpt-x", "also an id here")]


def test_item_keys_are_cached_per_range(store: Store) -> None:
    start = YESTERDAY
    assert store.item_keys(ENDPOINT, "people_search", start, DAY) is None
    keys = Breakdown(start, DAY, figures(30, 90.0),
                     by_key=(key_usage(KEY_B, 2, 6.0, at(8)),
                             key_usage(KEY_A, 28, 84.0, at(12), name="Production")),
                     by_dimension={ENDPOINT: (endpoint_usage("people_search", 30, 90.0),)})
    store.ingest(PollResult(fetched_at=FETCHED,
                            item_keys=(ItemKeys(ENDPOINT, "people_search", keys),)))

    rows, fetched = store.item_keys(ENDPOINT, "people_search", start, DAY)
    assert fetched == FETCHED
    assert [(u.id, u.name, u.figures, u.last_used) for u in rows] == [
        (KEY_A, "Production", figures(28, 84.0), at(12)),
        (KEY_B, KEY_B, figures(2, 6.0), at(8)),
    ]
    assert store.item_keys(ENDPOINT, "people_search", DAY, DAY) is None
    # The key's display name is kept for the other queries too.
    store.ingest(PollResult(fetched_at=FETCHED, day_breakdowns=(
        day_breakdown(DAY, key_usage(KEY_A, 1, 1.0)),)))
    assert [(u.id, u.name) for u in store.key_breakdown(DAY, DAY)] == [(KEY_A, KEY_A)]


def test_key_item_days_list_the_drilled_down_rows(store: Store) -> None:
    store.ingest(sample_result())

    assert store.key_item_days(YESTERDAY, DAY) == [
        (YESTERDAY, KEY_A, ENDPOINT, "people_search", "People Search", figures(10, 30.0)),
        (DAY, KEY_A, ENDPOINT, "people_search", "People Search", figures(20, 60.0)),
    ]
    assert store.key_item_days(YESTERDAY, DAY, key=KEY_B) == []


def test_key_day_values_of_one_measure(store: Store) -> None:
    store.ingest(sample_result())

    assert store.key_day_values("credits", YESTERDAY, DAY) == {
        KEY_A: {YESTERDAY: 30.0, DAY: 60.0}, KEY_B: {YESTERDAY: 75.0, DAY: 15.0}}
    assert store.key_day_values("requests", DAY, DAY) == {KEY_A: {DAY: 20}, KEY_B: {DAY: 1}}
    assert store.key_day_values("cost", YESTERDAY, DAY) == {}


def test_billing_round_trip(store: Store) -> None:
    assert store.latest_billing() is None
    billing = Billing(plan="Growth", balance=1234.5, topup=100.0, cycle_allowance=5000.0,
                      cycle_start=dt.date(2026, 5, 1), cycle_end=dt.date(2026, 6, 1),
                      prices={"people_search": 3.0, "email_redeem": 15.0})
    store.ingest(PollResult(fetched_at=FETCHED, billing=Billing()))
    store.ingest(PollResult(fetched_at=FETCHED + dt.timedelta(minutes=1), billing=billing))

    assert store.latest_billing() == (billing, FETCHED + dt.timedelta(minutes=1))


def test_fetched_days_say_when_each_day_was_fetched(store: Store) -> None:
    store.ingest(sample_result())
    later = FETCHED + dt.timedelta(hours=1)
    store.ingest(PollResult(fetched_at=later, day_breakdowns=(day_breakdown(DAY),)))
    week = (DAY - dt.timedelta(days=6), DAY)

    assert store.fetched_days("breakdown", None, *week) == {YESTERDAY: FETCHED, DAY: later}
    assert store.fetched_days("daily", None, *week) == {YESTERDAY: FETCHED, DAY: FETCHED}
    assert store.fetched_days("key_daily", KEY_A, *week) == {YESTERDAY: FETCHED, DAY: FETCHED}
    assert store.fetched_days("key_daily", KEY_B, *week) == {}


def test_scope_history_keeps_every_reading(store: Store) -> None:
    for minute in range(3):
        store.ingest(PollResult(fetched_at=at(10, minute), scopes=(
            api_scope(Period.HOURLY, minute * 10.5),)))

    assert store.scope_history("api.hourly", since=at(10, 1)) == [
        (at(10, 1), 10.5), (at(10, 2), 21.0)]
    assert [(s.used, fetched) for s, fetched in store.latest_scopes()] == [(21.0, at(10, 2))]


def test_scopes_come_in_the_order_of_the_last_poll_with_its_labels_and_units(
    store: Store,
) -> None:
    budget = ScopeUsage("budget", Period.MONTHLY, 12.34, money("usd"), "Budget", limit=100.0)
    window = ScopeUsage("rate", Period.MINUTE, 3, REQUESTS, "Rate limit", limit=5)
    store.ingest(PollResult(fetched_at=at(10), scopes=(window, budget)))
    assert [s.name for s, _ in store.latest_scopes()] == ["rate.minute", "budget.monthly"]

    renamed = ScopeUsage("rate", Period.MINUTE, 4, REQUESTS, "Requests a minute", limit=5)
    store.ingest(PollResult(fetched_at=at(11), scopes=(budget, renamed)))

    assert store.latest_scopes() == [(budget, at(11)), (renamed, at(11))]
    assert store.latest_scopes()[0][0].unit == Unit(UnitKind.MONEY, "USD")


def test_a_new_measure_gets_the_next_free_slot(store: Store, db_path: Path) -> None:
    store.ingest(sample_result())
    assert store.measures() == ("requests", "credits")
    with_cost = Breakdown(DAY, DAY, {"requests": 1, "credits": 2.0, "cost": 0.25},
                          by_key=(Usage(KEY_A, KEY_A, {"credits": 2.0, "cost": 0.25}),))
    store.ingest(PollResult(fetched_at=FETCHED, day_breakdowns=(with_cost,)))

    assert store.measures() == ("requests", "credits", "cost")
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT slot, id FROM measure ORDER BY slot").fetchall() == [
        (0, "requests"), (1, "credits"), (2, "cost")]
    assert conn.execute("SELECT m0, m1, m2 FROM day_key WHERE day = ?",
                        (DAY.toordinal(),)).fetchall() == [(None, 2.0, 0.25)]
    conn.close()
    assert store.totals(DAY, DAY) == {"requests": 1, "credits": 2.0, "cost": 0.25}
    assert store.totals(DAY, DAY, key=KEY_A) == {"credits": 2.0, "cost": 0.25}  # no requests
    # The older days, written before the file knew "cost", have none of it.
    assert store.totals(YESTERDAY, YESTERDAY) == figures(15, 105.0)
    # Another store on the same file (its own cache) sees the slot and adds none.
    with Store(db_path) as other:
        other.ingest(PollResult(fetched_at=FETCHED, day_breakdowns=(with_cost,)))
        assert other.measures() == ("requests", "credits", "cost")


def test_a_ninth_measure_is_refused_and_nothing_is_written(store: Store) -> None:
    eight = {f"measure_{n}": float(n) for n in range(8)}
    store.ingest(PollResult(fetched_at=FETCHED, day_breakdowns=(Breakdown(DAY, DAY, eight),)))

    with pytest.raises(StoreError, match="already holds 8 measures"):
        store.ingest(PollResult(fetched_at=FETCHED, day_breakdowns=(
            Breakdown(YESTERDAY, YESTERDAY, {"one_more": 1.0}),)))

    assert store.measures() == tuple(eight)
    assert store.fetched_days("breakdown", None, YESTERDAY, DAY) == {DAY: FETCHED}


def test_money_and_tokens_without_requests(store: Store) -> None:
    """A provider with cost and tokens and no request count: figures it does not report
    are absent, never 0, and zero-filled days fill only what the file knows."""
    tokens = {"input_tokens": 1200.0, "output_tokens": 300.0}
    breakdown = Breakdown(
        DAY, DAY, {"cost": 1.25, **tokens},
        by_key=(Usage("sk-…a1", "ci bot", tokens, at(9)),),  # cost only per workspace
        by_dimension={"model": (Usage("model-a", "Model A", {"cost": 1.25, **tokens}),)},
    )
    store.ingest(PollResult(
        fetched_at=FETCHED, day_breakdowns=(breakdown,),
        scopes=(ScopeUsage("budget", Period.MONTHLY, 1.25, money("USD"), "Budget", 50.0),)))

    assert store.measures() == ("cost", "input_tokens", "output_tokens")
    assert "requests" not in store.totals(DAY, DAY)
    assert store.totals(DAY, DAY) == {"cost": 1.25, **tokens}
    assert store.totals(DAY, DAY, key="sk-…a1") == tokens  # no cost: absent, not 0
    assert [(u.id, u.name, u.figures) for u in store.key_breakdown(
        DAY, DAY, order_by=("cost", "input_tokens"))] == [("sk-…a1", "ci bot", tokens)]
    assert store.item_breakdown("model", DAY, DAY)[0].figures == {"cost": 1.25, **tokens}
    assert store.daily_series(YESTERDAY, DAY, key="sk-…a1") == [
        DayFigures(YESTERDAY, {"cost": 0.0, "input_tokens": 0.0, "output_tokens": 0.0}),
        DayFigures(DAY, tokens)]
    assert store.key_day_values("cost", DAY, DAY) == {}
    assert store.key_day_values("output_tokens", DAY, DAY) == {"sk-…a1": {DAY: 300.0}}
    (scope, _), = store.latest_scopes()
    assert (scope.used, scope.unit, scope.label, scope.measure) == (
        1.25, Unit(UnitKind.MONEY, "USD"), "Budget", None)


def test_a_failed_ingest_leaves_nothing_behind(store: Store) -> None:
    two_days = Breakdown(start=YESTERDAY, end=DAY, totals={})
    bad = PollResult(fetched_at=FETCHED,
                     day_breakdowns=(day_breakdown(DAY, Usage("new key", "new key",
                                                              {"new measure": 1.0})), two_days))

    with pytest.raises(ValueError, match="one day"):
        store.ingest(bad)

    assert not store.has_data()
    assert store.measures() == ()
    store.ingest(sample_result())  # the ids and slots cached during the failed ingest were dropped
    assert len(store.key_breakdown(DAY, DAY)) == 2
    assert store.measures() == ("requests", "credits")


# Poll log


def test_poll_log_records_outcomes(store: Store) -> None:
    assert store.last_poll() is None
    ok = PollRecord(at(12), at(12, 1), "ok", requests=4)
    stored = store.ingest(sample_result(), poll=ok)
    failed = store.record_poll(at(12, 2), at(12, 3), "error", error="HTTP 429: slow down")

    assert stored is not None and stored.id is not None
    assert store.last_poll() == failed
    assert failed.latency_ms == 60_000
    assert failed.error == "HTTP 429: slow down"
    assert store.last_success() == stored
    assert stored.requests == 4


def test_footprint_counts_the_requests_of_the_last_hour_and_day(store: Store) -> None:
    assert store.footprint(at(12)).last_poll is None
    # minutes before noon, requests: the first over a day before, the second over an hour
    for minutes, requests in ((-1500, 9), (-90, 5), (-30, 3), (-1, 2)):
        started = at(12) + dt.timedelta(minutes=minutes)
        store.record_poll(started, started, "ok", None, requests)

    footprint = store.footprint(at(12))
    assert footprint.last_poll == 2
    assert (footprint.polls_hour, footprint.requests_hour) == (2, 5)
    assert (footprint.polls_day, footprint.requests_day) == (3, 10)


def test_poll_outcome_must_be_ok_or_error() -> None:
    with pytest.raises(ValueError):
        PollRecord(at(12), at(12), "maybe")  # type: ignore[arg-type]


# The database file


def test_the_store_creates_its_directory_and_uses_wal(db_path: Path) -> None:
    Store(db_path).close()

    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_default_db_path_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "usage-top" / "usage.db"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/is/ignored")
    assert default_db_path() == Path.home() / ".local" / "share" / "usage-top" / "usage.db"


def test_a_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()

    with pytest.raises(StoreError) as raised:
        Store(db_path)

    assert str(raised.value) == (
        f"{db_path} was written by a newer usage-top "
        f"(schema v{SCHEMA_VERSION + 1} > v{SCHEMA_VERSION}); upgrade usage-top")


@pytest.mark.parametrize("garbage", [b"x", b"not a database at all\n" * 100, bytes(range(256)) * 20,
                                     b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_corrupt_file_is_reported_in_one_line_and_left_unchanged(
    db_path: Path, garbage: bytes
) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(garbage)

    with pytest.raises(StoreError) as raised:
        Store(db_path)

    message = str(raised.value)
    assert "\n" not in message and "Traceback" not in message
    assert str(db_path) in message
    assert db_path.read_bytes() == garbage


def test_another_programs_database_is_refused_and_left_unchanged(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    before = db_path.read_bytes()

    with pytest.raises(StoreError, match="another program"):
        Store(db_path)

    assert db_path.read_bytes() == before


def test_damaged_pages_surface_as_a_one_line_store_error(db_path: Path) -> None:
    with Store(db_path) as store:
        store.ingest(sample_result())
    data = bytearray(db_path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    data[page_size:] = b"\xab" * (len(data) - page_size)  # every page but the first
    db_path.write_bytes(bytes(data))

    with pytest.raises(StoreError) as raised, Store(db_path) as store:
        store.key_breakdown(DAY, DAY)

    assert "\n" not in str(raised.value) and str(db_path) in str(raised.value)


def test_a_reader_sees_what_another_connection_wrote(db_path: Path) -> None:
    with Store(db_path) as writer, Store(db_path) as reader:
        assert not reader.has_data()
        writer.ingest(sample_result())
        assert reader.totals(DAY, DAY) == figures(21, 75.0)


def test_a_store_can_be_read_from_another_thread(store: Store) -> None:
    store.ingest(sample_result())
    seen: list[dict[str, float]] = []

    worker = threading.Thread(target=lambda: seen.append(store.totals(DAY, DAY)))
    worker.start()
    worker.join()

    assert seen == [figures(21, 75.0)]


def test_the_file_is_marked_as_usage_tops(db_path: Path) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()


def test_importing_the_store_does_not_import_textual() -> None:
    code = ("import sys, usage_top.store; "
            "bad = [m for m in sys.modules if m.split('.')[0] == 'textual' "
            "or m.startswith(('usage_top.tui', 'usage_top.widgets'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
