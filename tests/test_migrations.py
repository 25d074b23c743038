"""Schema versions: older files are migrated with their data, newer and broken ones refused.

Old files are built as an older usage-top left them: the schema of that version
(``MIGRATIONS[:n]``), its ``user_version`` and ``application_id``, and data
written by the ingest code of the tables that version had, in WAL mode. The
refusals go through ``usage-top report`` (``main``), so what is proven is what a
user sees: exit 2, one line naming the file, and the file byte-for-byte as it was,
with no ``-wal`` or ``-shm`` left next to it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from usage_top.commands.cli import main
from usage_top.pipeline.collector import Collector
from usage_top.providers.http import ApiClient
from usage_top.providers.pubrio import AUTH_HEADER, PubrioProvider
from usage_top.sim import DEMO_API_KEY
from usage_top.store import Store
from usage_top.store.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION

from .conftest import FROZEN, no_sleep
from .faults_table import build_history, one_line

TODAY = FROZEN.date()
WEEK = (TODAY - dt.timedelta(days=6), TODAY)


@pytest.fixture(scope="module")
def current(tmp_path_factory) -> Path:
    """A current database after one real poll of the simulator (31 days)."""
    path = tmp_path_factory.mktemp("current") / "usage.db"
    build_history(path, FROZEN)
    return path


ORDER = ("credits", "requests")


def _figures(store: Store) -> dict:
    """What the dashboard reads. Keys without their display names: no file before v5
    had any (the simulator's keys have names)."""
    return {
        "measures": sorted(store.measures()),
        "scopes": store.latest_scopes(),
        "keys": [(k.id, k.figures, k.last_used)
                 for k in store.key_breakdown(*WEEK, order_by=ORDER)],
        "endpoints": store.item_breakdown("endpoint", *WEEK, order_by=ORDER),
        "daily": store.daily_series(TODAY - dt.timedelta(days=29), TODAY),
        "last_success": store.last_success(),
    }


def _as_v4(current: Path) -> dict[str, str]:
    """SELECTs of ``current``'s (v5) rows in the shape of the tables v1 created, which
    v1-v4 never changed: the figures back in their requests and credits columns."""
    conn = sqlite3.connect(current)
    slots = dict(conn.execute("SELECT id, slot FROM measure"))
    conn.close()
    req = f"CAST(coalesce(m{slots['requests']}, 0) AS INTEGER)"
    cred = f"coalesce(m{slots['credits']}, 0.0)"
    return {
        "key": "SELECT id, masked FROM cur.key",
        "endpoint": "SELECT id, ident, name FROM cur.item WHERE kind = 'endpoint'",
        "day_total": f"SELECT day, {req}, {cred} FROM cur.day_total",
        "day_key": f"SELECT day, key_id, {req}, {cred}, last_used FROM cur.day_key",
        "day_endpoint": f"SELECT day, item_id, {req}, {cred} FROM cur.day_item",
        "day_key_endpoint": f"SELECT key_id, day, item_id, {req}, {cred} FROM cur.day_key_item",
        "scope": "SELECT scope, period FROM cur.scope",
        "scope_reading": "SELECT scope, period, fetched_at, CAST(used AS INTEGER),"
                         ' CAST("limit" AS INTEGER), CAST(rate_limit AS INTEGER), refreshed_at,'
                         " resets_at FROM cur.scope_reading",
        "fetch": "SELECT * FROM cur.fetch",
        "poll": "SELECT * FROM cur.poll",
    }


def _old_database(path: Path, version: int, current: Path) -> None:
    """A file as usage-top with schema ``version`` wrote it, holding ``current``'s polls.

    Its data is copied table by table from ``current``, into the tables that existed
    from v1 on and did not change until v5.
    """
    selects = _as_v4(current)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for migration in MIGRATIONS[:version]:
        for statement in migration:
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("ATTACH ? AS cur", (str(current),))
    for table, select in selects.items():
        conn.execute(f'INSERT INTO main."{table}" {select}')
    conn.execute("COMMIT")
    conn.execute("DETACH cur")
    conn.close()


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
async def test_an_older_schema_is_migrated_with_its_data(version, current, tmp_path, sim_server,
                                                         clock):
    with Store(current) as store:
        expected = _figures(store)
    old = tmp_path / f"v{version}.db"
    _old_database(old, version, current)

    with Store(old) as store:  # migrates
        assert _figures(store) == expected
        # The new version's features work on the migrated file: billing (v3), and a
        # collector poll that also fetches the drilldown of an endpoint (v2).
        async with ApiClient(sim_server.url, {AUTH_HEADER: DEMO_API_KEY}, sleep=no_sleep) as client:
            collector = Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC, clock=clock)
            clock.advance(seconds=30)
            assert (await collector.poll_once()).ok
            slug = expected["endpoints"][0].id
            assert (await collector.fetch_item("endpoint", slug, *WEEK)).ok
            assert (await collector.fetch_billing()).ok
        assert store.item_keys("endpoint", slug, *WEEK) is not None
        assert sorted(store.measures()) == ["credits", "requests"]  # no new slots
        assert store.latest_billing() is not None

    conn = sqlite3.connect(old)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


def test_a_migration_that_fails_leaves_the_old_version(tmp_path, current, monkeypatch):
    """Migrations run in one transaction: one that fails half-way changes nothing."""
    from usage_top.store import schema

    old = tmp_path / "v1.db"
    _old_database(old, 1, current)
    broken = (*MIGRATIONS[:2], (*MIGRATIONS[2], "CREATE TABLE key (oops INTEGER)"))
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    with pytest.raises(Exception):
        Store(old)
    monkeypatch.undo()
    conn = sqlite3.connect(old)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "endpoint_key_range" not in tables and "billing" not in tables
    assert "measure" not in tables and "item" not in tables
    conn.close()
    with Store(old) as store:  # and the real migration still works afterwards
        assert store.last_success() is not None


# --- refused, and left exactly as found -------------------------------------------


def _no_dashboard(monkeypatch) -> None:
    """If a refused file were ever accepted, fail instead of starting the full-screen app."""
    from usage_top.tui import app

    def refuse(runtime):
        raise AssertionError("the dashboard started on a file it should have refused")

    monkeypatch.setattr(app, "run_dashboard", refuse)


def _files(path: Path) -> dict[str, str]:
    """Every file next to ``path`` that belongs to it, with a hash of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.parent.iterdir()) if p.name.startswith(path.name)}


def _newer(path: Path, current: Path) -> None:
    path.write_bytes(current.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()


def _truncated(path: Path, current: Path) -> None:
    data = current.read_bytes()
    path.write_bytes(data[: len(data) // 3])


_WRITE_ONLY_INDEXES = ("sqlite_autoindex_key_1", "sqlite_autoindex_item_1",
                       "sqlite_autoindex_measure_1", "alert_event_anomaly_once_a_day")
"""Indexes only writes use (uniqueness of a key, an item, a measure, an anomaly a day):
no query of ``report`` or of a poll before its write reads them."""


def _damaged_pages(path: Path, current: Path) -> None:
    """The pages of the write-only indexes overwritten: opening and every read work,
    and only the check before the first write can tell."""
    conn = sqlite3.connect(current)
    roots = [row[0] for row in conn.execute(
        f"SELECT rootpage FROM sqlite_master WHERE name IN {_WRITE_ONLY_INDEXES}")]
    conn.close()
    assert len(roots) == len(_WRITE_ONLY_INDEXES)
    data = bytearray(current.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for root in roots:  # each a single page in a file of a month
        data[(root - 1) * page: root * page] = b"\xab" * page
    path.write_bytes(bytes(data))


def _garbage_after_header(path: Path, current: Path) -> None:
    path.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 40)


def _zero_filled(path: Path, current: Path) -> None:
    path.write_bytes(b"\x00" * 8192)


def _other_program(path: Path, current: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_newer, f"was written by a newer usage-top (schema v{SCHEMA_VERSION + 1} > "
                 f"v{SCHEMA_VERSION}); upgrade usage-top"),
        (_truncated, "untouched"),
        (_garbage_after_header, "untouched"),
        (_zero_filled, "untouched"),
        (_other_program, "another program; it was left untouched"),
    ],
    ids=["newer-version", "truncated", "garbage-after-header", "zero-filled", "other-program"],
)
@pytest.mark.parametrize("command", [["report", "--json"], ["collect", "--once"], ["--no-poll"]])
def test_a_file_usage_top_must_not_touch_is_refused_and_left_byte_for_byte(
    make, says, command, current, tmp_path, settings, capsys, clock, monkeypatch
):
    _no_dashboard(monkeypatch)
    path = tmp_path / "refused.db"
    make(path, current)
    before = _files(path)

    code = main([*command, "--db", str(path)], clock=clock)
    out, err = capsys.readouterr()

    assert code == 2 and out == ""
    line = one_line(err.removesuffix("\n"))
    assert line.startswith("usage-top: ") and str(path) in line and says in line, line
    assert _files(path) == before  # same bytes, and no -wal or -shm created


def test_a_migration_is_reported_in_no_output(tmp_path, current, settings, capsys, clock):
    """Migrating is silent: the report just works on the upgraded file."""
    old = tmp_path / "v1.db"
    _old_database(old, 1, current)
    assert main(["report", "--json", "--db", str(old)], clock=clock) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("{")


def test_damaged_pages_are_found_before_the_first_write(current, tmp_path, settings, capsys,
                                                         clock, monkeypatch):
    """Damage SQLite does not meet on opening nor on reading (pages only writes use): the
    check before a store's first write finds it. ``collect`` stops with exit 2; ``report``
    shows what it can still read, saying the file is damaged; the file is never written."""
    _no_dashboard(monkeypatch)
    path = tmp_path / "damaged.db"
    _damaged_pages(path, current)
    before = _files(path)

    assert main(["collect", "--once", "--db", str(path)], clock=clock) == 2
    out, err = capsys.readouterr()
    line = one_line(err.removesuffix("\n"))
    assert "poll error: database:" in line and "is corrupt (" in line and str(path) in line
    assert "left untouched" in line

    code = main(["report", "--json", "--db", str(path)], clock=clock)
    out, err = capsys.readouterr()
    # what it can still read, marked stale; exit 2 as for every error only the user can fix
    assert code == 2 and json.loads(out)["stale"] is True, err
    line = one_line(err.removesuffix("\n"))
    assert line.startswith(f"usage-top: database: {path} is corrupt (") and "showing stored data" in line
    assert _files(path) == before


def _damage_tables(path: Path, current: Path) -> None:
    """The root pages of the usage tables damaged: opening works, their first query fails."""
    conn = sqlite3.connect(current)
    roots = [row[0] for row in conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name IN"
        " ('day_key', 'day_key_by_key', 'day_total', 'day_item', 'fetch', 'scope')")]
    conn.close()
    data = bytearray(current.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for root in roots:
        start = (root - 1) * page
        data[start: start + page] = b"\xab" * page
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("command", [["collect", "--once"], ["report"]])
def test_damage_met_after_opening_stops_all_writing(command, current, tmp_path, settings, capsys,
                                                    clock, monkeypatch):
    """A file too big for the check at open (the check is skipped here) whose damage a
    query meets: one line, exit 2 (retrying will not help), and the file as it was."""
    from usage_top.store import connection

    monkeypatch.setattr(connection, "QUICK_CHECK_MAX_BYTES", 0)
    path = tmp_path / "damaged.db"
    _damage_tables(path, current)
    before = _files(path)

    code = main([*command, "--db", str(path)], clock=clock)
    out, err = capsys.readouterr()

    assert code == 2 and out == ""
    line = one_line(err.strip().splitlines()[-1])
    assert str(path) in line and "corrupt" in line, line
    assert _files(path) == before


def test_a_store_that_met_damage_writes_nothing_more(current, tmp_path, monkeypatch):
    from usage_top.domain.model import PollResult
    from usage_top.store import StoreError, connection

    monkeypatch.setattr(connection, "QUICK_CHECK_MAX_BYTES", 0)
    path = tmp_path / "damaged.db"
    _damage_tables(path, current)
    before = _files(path)
    store = Store(path)
    with pytest.raises(StoreError, match="corrupt") as met:
        store.key_breakdown(*WEEK)
    assert met.value.permanent
    with pytest.raises(StoreError, match="nothing more is written"):
        store.ingest(PollResult(fetched_at=FROZEN))
    store.close()  # no ANALYZE, no checkpoint
    assert _files(path) == before


# --- v4 to v5: every row of a Pubrio file, read back through the generic API ------

V4_DAY = dt.date(2026, 5, 14)
V4_MICROS = 1_778_760_000_000_000  # 2026-05-14 12:00 UTC
V4_ROWS = {
    "key": [(1, "0••••f39"), (2, "2••••a37")],
    "endpoint": [(1, "people_search", "People Search"), (2, "", "Unmapped")],
    "day_total": [(V4_DAY.toordinal() - 1, 15, 105.0), (V4_DAY.toordinal(), 21, 75.5)],
    "day_key": [(V4_DAY.toordinal() - 1, 1, 10, 30.0, V4_MICROS - 86_400_000_000),
                (V4_DAY.toordinal() - 1, 2, 5, 75.0, None),
                (V4_DAY.toordinal(), 1, 20, 60.0, V4_MICROS),
                (V4_DAY.toordinal(), 2, 1, 15.5, V4_MICROS - 3_600_000_000)],
    "day_endpoint": [(V4_DAY.toordinal(), 1, 20, 60.0), (V4_DAY.toordinal(), 2, 1, 15.5)],
    "day_key_endpoint": [(1, V4_DAY.toordinal() - 1, 1, 10, 30.0),
                         (1, V4_DAY.toordinal(), 1, 20, 60.0)],
    "scope": [("portal", "daily"), ("api", "hourly"), ("api", "monthly"), ("api", "daily")],
    "scope_reading": [
        ("api", "monthly", "2026-05-14T12:00:00.000000+00:00", 1200, 43200, 300,
         "2026-05-14T11:59:00.000000+00:00", "2026-06-01T00:00:00.000000+00:00"),
        ("api", "daily", "2026-05-14T12:00:00.000000+00:00", 40, 1440, 300, None, None),
        ("api", "hourly", "2026-05-14T11:00:00.000000+00:00", 7, 60, 300, None, None),
        ("api", "hourly", "2026-05-14T12:00:00.000000+00:00", 9, 60, 300, None, None),
        ("portal", "daily", "2026-05-14T12:00:00.000000+00:00", 3, None, None, None, None),
    ],
    "fetch": [("breakdown", "", V4_DAY.toordinal(), "2026-05-14T12:00:00.000000+00:00"),
              ("daily", "", V4_DAY.toordinal(), "2026-05-14T12:00:00.000000+00:00"),
              ("key_daily", "0••••f39", V4_DAY.toordinal(), "2026-05-14T12:00:00.000000+00:00")],
    "poll": [(1, "2026-05-14T12:00:00.000000+00:00", "2026-05-14T12:00:01.000000+00:00", "ok",
              1000, None, 4),
             (2, "2026-05-14T12:01:00.000000+00:00", "2026-05-14T12:01:02.000000+00:00", "error",
              2000, "HTTP 429", 1)],
    "endpoint_key_range": [(1, V4_DAY.toordinal() - 6, V4_DAY.toordinal(), 1, 30, 90.0,
                            V4_MICROS)],
    "endpoint_range_fetch": [(1, V4_DAY.toordinal() - 6, V4_DAY.toordinal(),
                              "2026-05-14T12:00:00.000000+00:00")],
    "billing": [("2026-05-14T12:00:00.000000+00:00", "Growth", 1234.5, 100.0, 5000.0,
                 dt.date(2026, 5, 1).toordinal(), dt.date(2026, 6, 1).toordinal(),
                 '{"email_redeem": 15.0, "people_search": 3.0}')],
    "alert_event": [
        (1, "2026-05-14T12:00:00.000000+00:00", "threshold", "api.daily", "amber", "raised",
         80.0, 1152, 1440, "API daily at 80%", 0, None),
        (2, "2026-05-14T12:00:00.000000+00:00", "anomaly", "key:0••••f39", "amber", "raised",
         None, None, None, "key 0••••f39: 3x its usual credits", 1, V4_DAY.toordinal()),
    ],
    "alert_state": [("api.daily", "amber", "2026-05-14T12:00:00.000000+00:00",
                     "2026-05-14T12:00:00.000000+00:00", 1152, None)],
    "alert_snooze": [("api.daily", "2026-05-14T13:00:00.000000+00:00", "amber")],
}


def _v4_file(path: Path, rows: dict[str, list[tuple]]) -> None:
    """A file as usage-top 0.x with schema v4 left it (the DDL of v1-v4, unchanged since)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("BEGIN")
    for migration in MIGRATIONS[:4]:
        for statement in migration:
            conn.execute(statement)
    for table, values in rows.items():
        marks = ", ".join("?" * len(values[0]))
        conn.executemany(f'INSERT INTO "{table}" VALUES ({marks})', values)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute("PRAGMA user_version = 4")
    conn.execute("COMMIT")
    conn.close()


def test_a_v4_file_keeps_every_row_and_reads_back_through_the_generic_api(tmp_path):
    from usage_top.domain.measures import REQUESTS
    from usage_top.domain.model import (Billing, Breakdown, DayFigures, Period, PollResult,
                                        ScopeUsage, Usage)

    path = tmp_path / "v4.db"
    _v4_file(path, V4_ROWS)
    day, yesterday = V4_DAY, V4_DAY - dt.timedelta(days=1)
    key_a, key_b = "0••••f39", "2••••a37"
    noon = dt.datetime(2026, 5, 14, 12, tzinfo=dt.UTC)

    def fig(requests, credits):
        return {"requests": requests, "credits": credits}

    with Store(path) as store:
        assert store.measures() == ("requests", "credits")
        assert store.totals(yesterday, day) == fig(36, 180.5)
        assert store.totals(day, day, key=key_b) == fig(1, 15.5)
        assert store.daily_series(yesterday, day + dt.timedelta(days=1)) == [
            DayFigures(yesterday, fig(15, 105.0)), DayFigures(day, fig(21, 75.5)),
            DayFigures(day + dt.timedelta(days=1), fig(0, 0))]
        assert store.key_breakdown(yesterday, day, order_by=("credits",)) == [
            Usage(key_b, key_b, fig(6, 90.5), noon - dt.timedelta(hours=1)),
            Usage(key_a, key_a, fig(30, 90.0), noon)]
        assert store.item_breakdown("endpoint", day, day) == [
            Usage("people_search", "People Search", fig(20, 60.0)),
            Usage("", "Unmapped", fig(1, 15.5))]
        assert store.item_breakdown("endpoint", yesterday, day, key=key_a) == [
            Usage("people_search", "People Search", fig(30, 90.0))]
        assert [p.figures for p in store.item_series("endpoint", "", yesterday, day)] == [
            fig(0, 0), fig(1, 15.5)]
        assert store.item_keys("endpoint", "people_search", day - dt.timedelta(days=6), day) == (
            [Usage(key_a, key_a, fig(30, 90.0), noon)], noon)
        assert store.key_item_days(yesterday, day) == [
            (yesterday, key_a, "endpoint", "people_search", "People Search", fig(10, 30.0)),
            (day, key_a, "endpoint", "people_search", "People Search", fig(20, 60.0))]
        assert store.key_day_values("credits", yesterday, day) == {
            key_a: {yesterday: 30.0, day: 60.0}, key_b: {yesterday: 75.0, day: 15.5}}
        assert store.fetched_days("key_daily", key_a, day, day) == {day: noon}

        scopes = store.latest_scopes()  # api first, then monthly, daily, hourly
        assert [(s.name, s.label, s.unit, s.measure, s.used, s.limit, s.rate_limit_per_minute)
                for s, _ in scopes] == [
            ("api.monthly", "API", REQUESTS, "requests", 1200.0, 43200.0, 300.0),
            ("api.daily", "API", REQUESTS, "requests", 40.0, 1440.0, 300.0),
            ("api.hourly", "API", REQUESTS, "requests", 9.0, 60.0, 300.0),
            ("portal.daily", "Portal", REQUESTS, None, 3.0, None, None)]
        assert scopes[0][0].resets_at == dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
        assert store.scope_history("api.hourly", noon - dt.timedelta(hours=2)) == [
            (noon - dt.timedelta(hours=1), 7.0), (noon, 9.0)]

        assert store.latest_billing() == (Billing(
            plan="Growth", balance=1234.5, topup=100.0, cycle_allowance=5000.0,
            cycle_start=dt.date(2026, 5, 1), cycle_end=dt.date(2026, 6, 1),
            prices={"email_redeem": 15.0, "people_search": 3.0}), noon)
        events = store.events()
        assert [(e.id, e.kind, e.used, e.limit, e.snoozed) for e in events] == [
            (2, "anomaly", None, None, True), (1, "threshold", 1152.0, 1440.0, False)]
        assert store.active_alerts() == {"api.daily": "amber"}
        assert store.snoozes() == {"api.daily": noon + dt.timedelta(hours=1)}
        assert store.last_success().requests == 4 and store.last_poll().error == "HTTP 429"

        # The migrated file takes new polls in the same slots, and an anomaly once a day.
        store.ingest(PollResult(
            fetched_at=noon + dt.timedelta(minutes=5),
            scopes=(ScopeUsage("api", Period.DAILY, 41, REQUESTS, "API", 1440,
                               measure="requests"),),
            day_breakdowns=(Breakdown(day, day, fig(22, 78.5),
                                      by_key=(Usage(key_a, key_a, fig(21, 63.0), noon),
                                              Usage(key_b, key_b, fig(1, 15.5))),),)))
        assert store.measures() == ("requests", "credits")
        assert store.totals(day, day) == fig(22, 78.5)
        with store.alert_transaction() as alerts:
            from usage_top.store.events import AlertEvent
            again = AlertEvent(at=noon, kind="anomaly", scope=f"key:{key_a}", level="amber",
                               state="raised", message="again")
            assert alerts.insert_event(again, day) is None

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def _counts_after_migrating(path: Path) -> dict[str, int]:
    Store(path).close()
    renamed = {"endpoint": "item", "day_endpoint": "day_item", "day_key_endpoint": "day_key_item",
               "endpoint_key_range": "item_key_range", "endpoint_range_fetch": "item_range_fetch"}
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        return {table: conn.execute(f'SELECT count(*) FROM "{renamed.get(table, table)}"')
                .fetchone()[0] for table in V4_ROWS}
    finally:
        conn.close()


def test_a_v4_file_keeps_every_row(tmp_path):
    path = tmp_path / "v4.db"
    _v4_file(path, V4_ROWS)
    assert _counts_after_migrating(path) == {table: len(rows) for table, rows in V4_ROWS.items()}


def test_a_v4_file_without_figures_learns_its_measures_from_the_first_ingest(tmp_path):
    from usage_top.domain.model import Breakdown, PollResult

    path = tmp_path / "v4.db"
    _v4_file(path, {table: V4_ROWS[table] for table in ("scope", "scope_reading", "poll")})
    with Store(path) as store:
        assert store.measures() == ()
        assert len(store.latest_scopes()) == 4
        store.ingest(PollResult(fetched_at=FROZEN, day_breakdowns=(
            Breakdown(V4_DAY, V4_DAY, {"cost": 1.5, "input_tokens": 10.0}),)))
        assert store.measures() == ("cost", "input_tokens")
