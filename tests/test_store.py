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

from usage_top.domain.model import (
    Breakdown,
    DailyPoint,
    DailyUsage,
    EndpointDaily,
    EndpointUsage,
    KeyDaily,
    KeyUsage,
    Period,
    PollResult,
    ScopeUsage,
    Totals,
)
from usage_top.store import PollRecord, Store, StoreError, default_db_path
from usage_top.store.schema import APPLICATION_ID, SCHEMA_VERSION

DAY = dt.date(2026, 5, 14)
FETCHED = dt.datetime(2026, 5, 14, 12, 5, tzinfo=dt.UTC)
KEY_A = "0••••••••••••••••f39"
KEY_B = "2••••••••••••••••a37"


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


def key_usage(key: str, requests: int, credits: float, last_used: dt.datetime | None = None):
    return KeyUsage(key=key, requests=requests, credits=credits, last_used=last_used)


def endpoint_usage(slug: str, requests: int, credits: float) -> EndpointUsage:
    return EndpointUsage(slug=slug, name=slug.replace("_", " ").title(), requests=requests,
                         credits=credits)


def day_breakdown(day: dt.date, *by_key: KeyUsage, by_endpoint=()) -> Breakdown:
    totals = Totals(requests=sum(k.requests for k in by_key), credits=sum(k.credits for k in by_key))
    return Breakdown(start=day, end=day, by_key=by_key, by_endpoint=tuple(by_endpoint),
                     totals=totals)


def endpoint_daily(slug: str, points: dict[dt.date, tuple[int, float]]) -> EndpointDaily:
    series = tuple(DailyPoint(day=d, requests=r, credits=c) for d, (r, c) in points.items())
    return EndpointDaily(slug=slug, name=slug.replace("_", " ").title(), series=series)


def daily_usage(start: dt.date, end: dt.date, *by_endpoint: EndpointDaily) -> DailyUsage:
    """A daily usage whose series is the sum of its endpoints, as the vendor's is."""
    days: dict[dt.date, tuple[int, float]] = {}
    for endpoint in by_endpoint:
        for p in endpoint.series:
            requests, credits = days.get(p.day, (0, 0.0))
            days[p.day] = (requests + p.requests, credits + p.credits)
    series = tuple(DailyPoint(day=d, requests=r, credits=c) for d, (r, c) in sorted(days.items()))
    totals = Totals(requests=sum(p.requests for p in series), credits=sum(p.credits for p in series))
    return DailyUsage(start=start, end=end, series=series, by_endpoint=by_endpoint, totals=totals)


def sample_result(fetched_at: dt.datetime = FETCHED) -> PollResult:
    """Two days of usage by two keys over two endpoints, a drilldown of key A, scopes."""
    yesterday = DAY - dt.timedelta(days=1)
    return PollResult(
        fetched_at=fetched_at,
        scopes=(
            ScopeUsage(scope="api", period=Period.MONTHLY, used=1200, limit=43200,
                       rate_limit_per_minute=300, refreshed_at=at(12, 4),
                       resets_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC)),
            ScopeUsage(scope="api", period=Period.HOURLY, used=40, limit=60),
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
    yesterday = DAY - dt.timedelta(days=1)

    scopes = {s.name: (s, fetched) for s, fetched in store.latest_scopes()}
    monthly, fetched_at = scopes["api.monthly"]
    assert monthly == sample_result().scopes[0]
    assert fetched_at == FETCHED
    assert scopes["api.hourly"][0].used == 40

    assert store.daily_series(yesterday, DAY) == [
        DailyPoint(day=yesterday, requests=15, credits=105.0),
        DailyPoint(day=DAY, requests=21, credits=75.0),
    ]
    assert store.totals(yesterday, DAY) == Totals(requests=36, credits=180.0)
    assert store.totals(yesterday, DAY, key=KEY_A) == Totals(requests=30, credits=90.0)

    # Equal credits: the one with more requests comes first.
    by_key = store.key_breakdown(yesterday, DAY)
    assert [(k.key, k.requests, k.credits, k.last_used) for k in by_key] == [
        (KEY_A, 30, 90.0, at(12)),
        (KEY_B, 6, 90.0, at(8)),
    ]
    by_endpoint = store.endpoint_breakdown(yesterday, DAY)
    assert [(e.slug, e.name, e.requests, e.credits) for e in by_endpoint] == [
        ("people_search", "People Search", 30, 90.0),
        ("email_redeem", "Email Redeem", 6, 90.0),
    ]
    assert store.has_data()


def test_reingesting_the_same_result_changes_nothing(store: Store, db_path: Path) -> None:
    store.ingest(sample_result())
    before = table_contents(db_path)
    store.ingest(sample_result())
    assert table_contents(db_path) == before


def test_a_newer_breakdown_replaces_the_day_and_a_vanished_key_is_gone(store: Store) -> None:
    store.ingest(PollResult(fetched_at=FETCHED, day_breakdowns=(
        day_breakdown(DAY, key_usage(KEY_A, 5, 5.0), key_usage(KEY_B, 7, 7.0)),)))
    store.ingest(PollResult(fetched_at=FETCHED + dt.timedelta(minutes=1), day_breakdowns=(
        day_breakdown(DAY, key_usage(KEY_A, 9, 9.0)),)))

    assert [(k.key, k.requests) for k in store.key_breakdown(DAY, DAY)] == [(KEY_A, 9)]
    assert store.totals(DAY, DAY) == Totals(requests=9, credits=9.0)
    assert store.totals(DAY, DAY, key=KEY_B) == Totals()


def test_a_newer_key_daily_replaces_the_keys_rows_in_its_range_only(store: Store) -> None:
    earlier = DAY - dt.timedelta(days=5)
    first = daily_usage(earlier, DAY,
                        endpoint_daily("people_search", {earlier: (1, 3.0), DAY: (2, 6.0)}),
                        endpoint_daily("email_redeem", {DAY: (1, 15.0)}))
    again = daily_usage(DAY, DAY, endpoint_daily("people_search", {DAY: (4, 12.0)}))
    store.ingest(PollResult(fetched_at=FETCHED, key_daily=(KeyDaily(key=KEY_A, daily=first),)))
    store.ingest(PollResult(fetched_at=FETCHED, key_daily=(KeyDaily(key=KEY_A, daily=again),)))

    assert [(e.slug, e.requests) for e in store.endpoint_breakdown(earlier, DAY, key=KEY_A)] == [
        ("people_search", 5)]


def test_series_are_zero_filled_over_the_whole_range(store: Store) -> None:
    store.ingest(sample_result())
    start, end = DAY - dt.timedelta(days=3), DAY + dt.timedelta(days=1)

    series = store.daily_series(start, end, key=KEY_B)

    assert [p.day for p in series] == [start + dt.timedelta(days=n) for n in range(5)]
    assert [(p.requests, p.credits) for p in series] == [
        (0, 0.0), (0, 0.0), (5, 75.0), (1, 15.0), (0, 0.0)]
    assert store.daily_series(start, end, key="no such key") == [
        DailyPoint(day=p.day, requests=0, credits=0.0) for p in series]


def test_percentages_sum_to_100(store: Store) -> None:
    store.ingest(sample_result())
    start = DAY - dt.timedelta(days=1)

    for rows in (store.key_breakdown(start, DAY), store.endpoint_breakdown(start, DAY),
                 store.endpoint_breakdown(start, DAY, key=KEY_A)):
        assert sum(r.percent_of_requests for r in rows) == pytest.approx(100.0)
        assert sum(r.percent_of_credits for r in rows) == pytest.approx(100.0)


def test_key_breakdown_limit_keeps_the_biggest_and_shares_of_all(store: Store) -> None:
    store.ingest(sample_result())

    top = store.key_breakdown(DAY, DAY, limit=1)

    assert [(k.key, k.percent_of_requests) for k in top] == [(KEY_A, pytest.approx(100 * 20 / 21))]


def test_empty_ranges_have_no_rows_and_zero_totals(store: Store) -> None:
    assert store.key_breakdown(DAY, DAY) == []
    assert store.endpoint_breakdown(DAY, DAY) == []
    assert store.totals(DAY, DAY) == Totals()
    assert not store.has_data()


def test_per_key_endpoint_breakdown_comes_from_the_drilldown(store: Store) -> None:
    store.ingest(sample_result())
    start = DAY - dt.timedelta(days=1)

    assert store.endpoint_breakdown(start, DAY, key=KEY_A) == [
        EndpointUsage(slug="people_search", name="People Search", requests=30, credits=90.0,
                      percent_of_requests=100.0, percent_of_credits=100.0)]
    assert store.endpoint_breakdown(start, DAY, key=KEY_B) == []


def test_unmapped_log_types_add_up_under_the_empty_slug(store: Store) -> None:
    daily = daily_usage(DAY, DAY, endpoint_daily("", {DAY: (2, 2.0)}),
                        endpoint_daily("", {DAY: (3, 3.0)}))
    store.ingest(PollResult(fetched_at=FETCHED, account_daily=daily))
    store.ingest(PollResult(fetched_at=FETCHED, account_daily=daily))

    assert [(e.slug, e.requests) for e in store.endpoint_breakdown(DAY, DAY)] == [("", 5)]


def test_fetched_days_say_when_each_day_was_fetched(store: Store) -> None:
    store.ingest(sample_result())
    later = FETCHED + dt.timedelta(hours=1)
    store.ingest(PollResult(fetched_at=later, day_breakdowns=(day_breakdown(DAY),)))
    yesterday = DAY - dt.timedelta(days=1)
    week = (DAY - dt.timedelta(days=6), DAY)

    assert store.fetched_days("breakdown", None, *week) == {yesterday: FETCHED, DAY: later}
    assert store.fetched_days("daily", None, *week) == {yesterday: FETCHED, DAY: FETCHED}
    assert store.fetched_days("key_daily", KEY_A, *week) == {yesterday: FETCHED, DAY: FETCHED}
    assert store.fetched_days("key_daily", KEY_B, *week) == {}


def test_scope_history_keeps_every_reading(store: Store) -> None:
    for minute in range(3):
        store.ingest(PollResult(fetched_at=at(10, minute), scopes=(
            ScopeUsage(scope="api", period=Period.HOURLY, used=minute * 10),)))

    assert store.scope_history("api", "hourly", since=at(10, 1)) == [
        (at(10, 1), 10), (at(10, 2), 20)]
    assert [(s.used, fetched) for s, fetched in store.latest_scopes()] == [(20, at(10, 2))]


def test_a_failed_ingest_leaves_nothing_behind(store: Store) -> None:
    two_days = Breakdown(start=DAY - dt.timedelta(days=1), end=DAY, by_key=(), by_endpoint=(),
                         totals=Totals())
    bad = PollResult(fetched_at=FETCHED,
                     day_breakdowns=(day_breakdown(DAY, key_usage("new key", 1, 1.0)), two_days))

    with pytest.raises(ValueError, match="one day"):
        store.ingest(bad)

    assert not store.has_data()
    store.ingest(sample_result())  # the key ids cached during the failed ingest were dropped
    assert len(store.key_breakdown(DAY, DAY)) == 2


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
        assert reader.totals(DAY, DAY) == Totals(requests=21, credits=75.0)


def test_a_store_can_be_read_from_another_thread(store: Store) -> None:
    store.ingest(sample_result())
    seen: list[Totals] = []

    worker = threading.Thread(target=lambda: seen.append(store.totals(DAY, DAY)))
    worker.start()
    worker.join()

    assert seen == [Totals(requests=21, credits=75.0)]


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
