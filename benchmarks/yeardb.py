"""The year of stored data the start-up, RSS and watch benchmarks open.

The data is ``ingest.py``'s synthetic year (one breakdown of every key per day,
the account's daily series per endpoint, per-endpoint series of some drilled-down
keys) followed by its poll writes (today's figures of 100 keys, six scope
readings and a poll log row each), moved so that its last day is yesterday and
its last poll a few minutes ago: the dashboard's ranges (today, 7 and 30 days)
then all show data, as they would for a user who has run usage-top for a year.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from pathlib import Path

import ingest  # benchmarks/ingest.py, on sys.path when run from benchmarks/

from usage_top.store import Store

QUICK_YEAR = ingest.Size(days=365, keys=200, endpoints=50, drilled_keys=10,
                         ingest_runs=1, query_runs=10, poll_runs=20)
"""The quick run's year: every day, fewer keys and endpoints (~300k rows)."""

FULL_YEAR = ingest.Size(days=365, keys=1000, endpoints=200, drilled_keys=100,
                        ingest_runs=1, query_runs=20, poll_runs=50)
"""The issue's year: 1,000 keys x 200 endpoints (~7.7M rows); ``ingest.FULL`` with
one ingest run per path (``python benchmarks/ingest.py`` runs three)."""


def anchor_to_today(size: ingest.Size, now: dt.datetime | None = None) -> dt.date:
    """Make ``ingest`` generate data whose last full day is yesterday (UTC) and whose
    polls end a minute ago. Returns that last day."""
    now = now or dt.datetime.now(dt.UTC)
    ingest.LAST_DAY = now.date() - dt.timedelta(days=1)
    ingest.FETCHED_AT = (now - dt.timedelta(minutes=size.poll_runs + 1)).replace(microsecond=0)
    return ingest.LAST_DAY


def db_name(size: ingest.Size, last_day: dt.date) -> str:
    return (f"year-{size.keys}keys-{size.endpoints}endpoints-{size.drilled_keys}drilled-"
            f"{last_day.isoformat()}.db")


def build_year_db(path: Path, size: ingest.Size) -> Path:
    """Build the year at ``path`` without timing anything (for runs that skip the ingest
    benchmark). The caller has anchored ``ingest`` with ``anchor_to_today``."""
    data = ingest.build_dataset(size)
    gc.freeze()
    tmp = path.with_suffix(".tmp")
    for leftover in path.parent.glob(tmp.name + "*"):
        leftover.unlink()
    with Store(tmp) as store:
        for result in data.results:
            store.ingest(result)
        keys = data.keys
        del data
        gc.unfreeze()
        for result, poll in ingest.poll_results(keys, size.poll_runs):
            store.ingest(result, poll=poll)
    tmp.rename(path)
    return path


def year_db(workdir: Path, size: ingest.Size, *, rebuild: bool = False) -> Path:
    """The cached year of ``size`` ending yesterday in ``workdir``, built if missing."""
    last_day = anchor_to_today(size)
    path = workdir / db_name(size, last_day)
    if rebuild or not path.exists():
        started = time.perf_counter()
        print(f"  building {path.name} ({size.rows:,} rows, untimed)...", flush=True)
        build_year_db(path, size)
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    return path
