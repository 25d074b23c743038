"""One collector and several readers on one SQLite file: the load and its measurements.

Used by tests/test_concurrency.py (bounded, ~10 s in CI; minutes with
``USAGE_TOP_SOAK=1``) and runnable on its own to measure::

    python -m tests.concurrency_harness --seconds 60 --readers 4

The writer is the real collector polling the simulator over loopback into the
file, as fast as it can, with the clock moving 10 s per poll so every poll
changes today's figures; every fifth poll it forgets which days are final, so
the next one rewrites all 31 days (the large transaction). Readers are threads,
each with its own ``Store`` (its own connection, as a viewer process has) that
read the dashboard's queries back to back without ever pausing, the worst case
for checkpoints. A monitor samples the size of the ``-wal`` file.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import datetime as dt
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from usage_top.pipeline.collector import Collector
from usage_top.providers.http import ApiClient
from usage_top.providers.pubrio import AUTH_HEADER, PubrioProvider
from usage_top.sim import DEMO_API_KEY, SimServer, Simulator
from usage_top.store import Store, StoreError

START = dt.datetime(2026, 11, 18, 14, 37, tzinfo=dt.UTC)


class SteppingClock:
    """Frozen time that the writer moves forward; readable from any thread."""

    def __init__(self, now: dt.datetime = START) -> None:
        self._now = now
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds)


@dataclass
class Figures:
    polls: int = 0
    poll_errors: list[str] = field(default_factory=list)
    reads: int = 0
    read_errors: list[str] = field(default_factory=list)
    torn: list[str] = field(default_factory=list)
    """Reads that saw a poll's figures without its record, or the reverse."""
    wal_max: int = 0
    wal_samples: list[tuple[float, int]] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"{self.seconds:.0f} s: {self.polls} polls, {self.reads} whole-poll reads, "
                f"WAL max {self.wal_max / 1e6:.1f} MB, {len(self.poll_errors)} poll errors, "
                f"{len(self.read_errors)} read errors, {len(self.torn)} torn reads")


def read_once(store: Store, snapshot: bool = True, hold: float = 0.0) -> bool:
    """What a dashboard refresh reads, in one snapshot; raise AssertionError if torn.

    ``hold``: seconds the snapshot stays open after the reads (a slow screen).
    Returns False when there was no poll yet to read.
    """
    with store.snapshot() if snapshot else contextlib.nullcontext():
        last = store.last_success()
        if last is None:
            return False
        scopes = store.latest_scopes()
        today = last.started_at.date()
        total = store.totals(today, today)
        keys = store.key_breakdown(today, today)
        fetched = store.fetched_days("breakdown", None, today, today)
        store.item_breakdown("endpoint", today - dt.timedelta(days=6), today)
        store.daily_series(today - dt.timedelta(days=29), today)
        if hold:
            time.sleep(hold)
    stamps = {fetched_at for _, fetched_at in scopes}
    if stamps != {last.started_at} or len(scopes) != 6:
        raise AssertionError(f"scopes of {sorted(stamps)} with the poll of {last.started_at}")
    if fetched.get(today) != last.started_at:
        raise AssertionError(f"today fetched at {fetched.get(today)}, poll at {last.started_at}")
    by_keys = sum(k.figures.get("requests", 0) for k in keys)
    if by_keys != total.get("requests", 0):
        raise AssertionError(f"keys add up to {by_keys}, total {total.get('requests')}")
    return True


def run(db: Path, seconds: float, readers: int = 3, processes: int = 0,
        snapshot: bool = True, hold: float = 0.0, sample_every: float = 0.005,
        min_polls: int = 0, min_reads: int = 0, give_up: float = 300.0) -> Figures:
    """Run the load for ``seconds``: ``readers`` reader threads, ``processes`` reader
    processes (separate interpreters: they overlap truly). With ``hold`` each read keeps
    its snapshot open that long, and the readers overlap so that one is always open:
    the worst case for the WAL, which a checkpoint can never fully catch up with.

    The load runs at least ``seconds`` and then until ``min_polls`` polls and
    ``min_reads`` reads (by the threads) are done, so a loaded machine gets a longer
    run rather than a failure; ``give_up`` seconds bound it all the same."""
    figures = Figures()
    stop = threading.Event()
    clock = SteppingClock()
    sim = Simulator(seed=7, clock=clock, tz="UTC", rate_limit=None)
    wal = db.with_name(db.name + "-wal")
    lock = threading.Lock()

    def writer(url: str) -> None:
        async def loop() -> None:
            async with ApiClient(url, {AUTH_HEADER: DEMO_API_KEY},
                                 budget_per_minute=10**9) as client:
                with Store(db) as store:
                    collector = Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC,
                                          clock=clock)
                    while not stop.is_set():
                        if figures.polls % 5 == 4:
                            _forget_fetches(db, clock().date())
                        outcome = await collector.poll_once()
                        with lock:
                            figures.polls += 1
                            if not outcome.ok:
                                figures.poll_errors.append(outcome.error)
                        clock.advance(10)
        asyncio.run(loop())

    def reader(n: int) -> None:
        time.sleep(hold * n / max(readers, 1))  # staggered: snapshots overlap
        try:
            store = Store(db)
        except StoreError as exc:
            with lock:
                figures.read_errors.append(str(exc))
            return
        with store:
            while not stop.is_set():
                try:
                    whole = read_once(store, snapshot, hold)
                except StoreError as exc:
                    with lock:
                        figures.read_errors.append(str(exc))
                except AssertionError as exc:
                    with lock:
                        figures.torn.append(str(exc))
                else:
                    with lock:
                        figures.reads += whole

    def monitor(started: float) -> None:
        while not stop.is_set():
            size = wal.stat().st_size if wal.exists() else 0
            figures.wal_max = max(figures.wal_max, size)
            figures.wal_samples.append((time.monotonic() - started, size))
            time.sleep(sample_every)

    with Store(db):  # create the schema first, so readers never race the migration
        pass
    with SimServer(sim).start() as server:
        started = time.monotonic()
        threads = [threading.Thread(target=writer, args=(server.url,), name="writer"),
                   threading.Thread(target=monitor, args=(started,), name="wal-monitor")]
        threads += [threading.Thread(target=reader, args=(n,), name=f"reader-{n}") for n in range(readers)]
        children = [
            subprocess.Popen([sys.executable, "-m", "tests.concurrency_harness", "--read",
                              str(db), "--seconds", str(seconds), "--hold", str(hold)]
                             + ([] if snapshot else ["--no-snapshot"]),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=Path(__file__).parent.parent)
            for _ in range(processes)
        ]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        while (figures.polls < min_polls or figures.reads < min_reads) and (
                time.monotonic() - started < give_up):
            time.sleep(0.05)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        for child in children:
            out, err = child.communicate(timeout=60)
            if child.returncode != 0:
                figures.read_errors.append(f"reader process failed: {err.strip()[-300:]}")
                continue
            result = json.loads(out)
            figures.reads += result["reads"]
            figures.read_errors += result["errors"]
            figures.torn += result["torn"]
        figures.seconds = time.monotonic() - started
    return figures


def reader_process(db: Path, seconds: float, snapshot: bool, hold: float = 0.0) -> dict:
    """A viewer in its own process: read back to back for ``seconds``."""
    result: dict = {"reads": 0, "errors": [], "torn": []}
    deadline = time.monotonic() + seconds
    with Store(db) as store:
        while time.monotonic() < deadline:
            try:
                result["reads"] += read_once(store, snapshot, hold)
            except StoreError as exc:
                result["errors"].append(str(exc))
            except AssertionError as exc:
                result["torn"].append(str(exc))
    return result


def _forget_fetches(db: Path, today: dt.date) -> None:
    """Make the next poll backfill the past 30 days again (a large write transaction)."""
    conn = sqlite3.connect(db, timeout=5)
    try:
        with conn:
            conn.execute("DELETE FROM fetch WHERE kind = 'breakdown' AND day < ?",
                         (today.toordinal(),))
    finally:
        conn.close()


def main() -> None:  # pragma: no cover - a measuring tool
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--processes", type=int, default=0, help="reader processes")
    parser.add_argument("--no-snapshot", dest="snapshot", action="store_false")
    parser.add_argument("--hold", type=float, default=0.0, help="seconds each snapshot stays open")
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, default=Path("/tmp/usage-top-concurrency.db"))
    args = parser.parse_args()
    if args.read:
        print(json.dumps(reader_process(args.read, args.seconds, args.snapshot, args.hold)))
        return
    for suffix in ("", "-wal", "-shm"):
        Path(str(args.db) + suffix).unlink(missing_ok=True)
    figures = run(args.db, args.seconds, args.readers, args.processes, args.snapshot, args.hold)
    print(figures.summary())
    for error in (figures.poll_errors + figures.read_errors + figures.torn)[:5]:
        print("  ", error)


if __name__ == "__main__":  # pragma: no cover
    main()
