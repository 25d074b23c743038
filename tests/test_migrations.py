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


def _figures(store: Store) -> dict:
    return {
        "scopes": store.latest_scopes(),
        "keys": store.key_breakdown(*WEEK),
        "endpoints": store.endpoint_breakdown(*WEEK),
        "daily": store.daily_series(TODAY - dt.timedelta(days=29), TODAY),
        "last_success": store.last_success(),
    }


def _old_database(path: Path, version: int, current: Path) -> None:
    """A file as usage-top with schema ``version`` wrote it, holding ``current``'s polls.

    Its data is copied table by table from ``current`` (those tables existed
    from v1 on and have not changed since).
    """
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN")
    for migration in MIGRATIONS[:version]:
        for statement in migration:
            conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("ATTACH ? AS cur", (str(current),))
    v1_tables = [row[0] for row in conn.execute(
        "SELECT name FROM cur.sqlite_master WHERE type = 'table' AND name IN"
        " ('key', 'endpoint', 'day_total', 'day_key', 'day_endpoint', 'day_key_endpoint',"
        "  'scope', 'scope_reading', 'fetch', 'poll')")]
    assert len(v1_tables) == 10
    for table in v1_tables:
        conn.execute(f'INSERT INTO main."{table}" SELECT * FROM cur."{table}"')
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
            slug = expected["endpoints"][0].slug
            assert (await collector.fetch_endpoint(slug, *WEEK)).ok
            assert (await collector.fetch_billing()).ok
        assert store.endpoint_keys(slug, *WEEK) is not None
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


def _damaged_pages(path: Path, current: Path) -> None:
    data = bytearray(current.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for n in range(2, len(data) // page, 3):  # every third page after the first two
        data[n * page + 100: n * page + 400] = b"\xab" * 300
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
    """Damage SQLite does not meet on opening (cell pointers of some pages): the check
    before a store's first write finds it. ``collect`` stops with exit 2; ``report``
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
    assert code == 0 and json.loads(out)["stale"] is True
    line = one_line(err.removesuffix("\n"))
    assert line.startswith(f"usage-top: database: {path} is corrupt (") and "showing stored data" in line
    assert _files(path) == before


def _damage_tables(path: Path, current: Path) -> None:
    """The root pages of the usage tables damaged: opening works, their first query fails."""
    conn = sqlite3.connect(current)
    roots = [row[0] for row in conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name IN"
        " ('day_key', 'day_key_by_key', 'day_total', 'day_endpoint', 'fetch', 'scope')")]
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
