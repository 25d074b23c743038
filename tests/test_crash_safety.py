"""kill -9 of a real ``usage-top collect`` process at random moments, many times.

The collector runs as a separate process against the simulator (in this process,
on a loopback port) and writes a real SQLite file. It is killed with SIGKILL (no
handler, no cleanup) at random moments: half the time at a random point of its
run, half the time just after the WAL starts to grow (a commit being written).
After every kill the file must pass ``PRAGMA integrity_check`` and hold only
whole polls:

* every ``ok`` poll has its six scope readings, stamped with its start;
* every scope reading belongs to an ``ok`` poll (no figures without their poll);
* every day marked fetched has its total, and its per-key rows add up to it.

Before each run the fetch marks are cleared half the time, so the next run
backfills (and rewrites) all 31 days: the large transaction is the one worth
interrupting. CI does ``CI_KILLS`` kills; ``USAGE_TOP_SOAK=1`` does ``SOAK_KILLS``.
Kills go on (up to ``MAX_KILLS``) until at least ``MID_COMMIT`` of them landed inside
a commit, the case the test is for: a run where every kill missed it proves nothing.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from usage_top.sim import DEMO_API_KEY, SimServer, Simulator
from usage_top.store import Store

from .faults_table import SOAK

CI_KILLS = 8
MID_COMMIT = 2
"""Kills that must land mid-commit (WAL written, poll not committed) in every run."""
MAX_KILLS = 60
SOAK_KILLS = int(os.environ.get("USAGE_TOP_KILLS", "300"))
KEYS = 90
"""Keys in the simulated workspace: more rows per day, a longer ingest (and < 100, the
vendor's top-N, so that a day's key rows add up to its total)."""


def _env(tmp_path: Path, url: str, db: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("PUBRIO_", "USAGE_TOP_"))}
    env.update(
        PUBRIO_API_KEY=DEMO_API_KEY, PUBRIO_BASE_URL=url, USAGE_TOP_DB=str(db),
        XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    return env


def _collect(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "usage_top", "collect", "--once"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def check_whole(db: Path) -> dict[str, int]:
    """Integrity and whole polls, read with plain sqlite3 (as any other reader would)."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "poll" not in tables:  # killed before the schema was committed: an empty file
            assert conn.execute("PRAGMA user_version").fetchone()[0] == 0
            return {"polls": 0, "ok": 0, "days": 0}
        ok = conn.execute("SELECT started_at FROM poll WHERE outcome = 'ok'").fetchall()
        for (started,) in ok:
            readings = conn.execute("SELECT count(*) FROM scope_reading WHERE fetched_at = ?",
                                    (started,)).fetchone()[0]
            assert readings == 6, f"poll at {started} has {readings} scope readings"
        orphans = conn.execute(
            "SELECT DISTINCT fetched_at FROM scope_reading WHERE fetched_at NOT IN"
            " (SELECT started_at FROM poll WHERE outcome = 'ok')").fetchall()
        assert orphans == [], f"figures without their poll: {orphans}"
        slots = dict(conn.execute("SELECT id, slot FROM measure"))
        slot = slots.get("requests")
        total_of, key_of = ("NULL", "NULL") if slot is None else (f"t.m{slot}", f"k.m{slot}")
        fetched = conn.execute(
            f"SELECT f.day, f.fetched_at, t.day, coalesce({total_of}, 0),"
            f"       (SELECT coalesce(sum({key_of}), 0) FROM day_key AS k WHERE k.day = f.day)"
            " FROM fetch AS f LEFT JOIN day_total AS t ON t.day = f.day"
            " WHERE f.kind = 'breakdown'").fetchall()
        for day, fetched_at, total_day, total, by_keys in fetched:
            assert total_day is not None, f"day {day} marked fetched at {fetched_at} has no total"
            assert by_keys == total, f"day {day}: keys add up to {by_keys}, not {total}"
        polls = conn.execute("SELECT count(*) FROM poll").fetchone()[0]
        return {"polls": polls, "ok": len(ok), "days": len(fetched)}
    finally:
        conn.close()


def _wal_grows(wal: Path, start: float, limit: float) -> None:
    """Return as soon as the WAL is bigger than at the start (a commit is being written)."""
    size = wal.stat().st_size if wal.exists() else 0
    while time.monotonic() - start < limit:
        current = wal.stat().st_size if wal.exists() else 0
        if current > size:
            return
        time.sleep(0.0005)


def test_kill_9_during_ingest_never_leaves_a_half_written_poll(tmp_path):
    kills = SOAK_KILLS if SOAK else CI_KILLS
    seed = int(os.environ.get("USAGE_TOP_SEED") or random.randrange(1 << 30))
    rng = random.Random(seed)  # rerun the same kill moments: USAGE_TOP_SEED=<seed>
    db = tmp_path / "usage.db"
    wal = db.with_name(db.name + "-wal")
    sim = Simulator(seed=7, keys=KEYS)  # real time: the child process has no frozen clock
    with SimServer(sim).start() as server:
        env = _env(tmp_path, server.url, db)

        started = time.monotonic()  # a clean run first: how long one takes
        proc = _collect(env)
        _, err = proc.communicate(timeout=60)
        duration = time.monotonic() - started
        assert proc.returncode == 0, err.decode()
        assert check_whole(db)["ok"] == 1

        landed = {"before any write": 0, "mid-commit (torn, rolled back)": 0, "after a commit": 0}
        mid_commit = "mid-commit (torn, rolled back)"
        n = 0
        while n < kills or (landed[mid_commit] < MID_COMMIT and n < MAX_KILLS):
            n += 1
            if n > kills or rng.random() < 0.5:  # make the next run rewrite all 31 days
                conn = sqlite3.connect(db)
                with conn:
                    conn.execute("DELETE FROM fetch")
                conn.close()  # the last connection: the WAL is checkpointed and removed
            assert not wal.exists() or wal.stat().st_size == 0
            polls_before = check_whole(db)["polls"]
            proc = _collect(env)
            start = time.monotonic()
            if n > kills:  # extra kills: at the first page of the commit, to land inside it
                _wal_grows(wal, start, duration * 1.5)
            elif n % 2:
                _wal_grows(wal, start, duration * 1.5)
                time.sleep(rng.uniform(0, 0.002))
            else:
                time.sleep(rng.uniform(0.3, 1.0) * duration)
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=30)
            wal_at_kill = wal.stat().st_size if wal.exists() else 0
            figures = check_whole(db)
            if figures["polls"] > polls_before:
                landed["after a commit"] += 1
            else:
                landed[mid_commit if wal_at_kill else "before any write"] += 1
        assert landed[mid_commit] >= MID_COMMIT, f"no kill landed inside a commit: {landed}"

        # The file is still a healthy usage-top database: a clean run polls into it.
        proc = _collect(env)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
        final = check_whole(db)
        assert final["days"] == 31
        with Store(db) as store:
            assert store.last_success() is not None and store.has_data()
    print(f"\n{n} kills (seed {seed}) in {duration:.2f} s runs: {landed}; final: {final}")
