"""Benchmark of the store: bulk ingest against raw executemany, query latency, poll writes.

    python benchmarks/ingest.py            # a year: 1,000 keys, 200 endpoints, ~7.7M rows
    python benchmarks/ingest.py --quick    # 30 days, 200 keys, 50 endpoints, 20 drilled keys

1. Ingest. The year arrives the way a backfill would: one ``PollResult`` per day
   holding that day's breakdown of every key; one holding the account daily
   series of every endpoint; one per drilled-down key holding its per-endpoint
   series. Figures are Pubrio's two measures, requests and credits. The store's
   time is that of ``Store.ingest`` only: the model objects are built beforehand,
   untimed (their build time is printed apart). Its time therefore includes
   reading the models, putting figures in their measures' slots, interning keys
   and endpoints, clearing the covered ranges, the ``fetch`` bookkeeping, the
   planner statistics refreshed after each large ingest, and one transaction
   per ``PollResult``. The raw baseline inserts the same rows, already as
   tuples with ids, with ``sqlite3.executemany`` into the same schema (foreign
   keys on) and the same connection settings, one transaction per chunk as
   well. Runs alternate raw and store, each into a fresh file, and the medians
   are compared. The dataset is frozen out of the garbage collector's sight,
   and dropped before the queries run, as no real process holds one.
2. Queries on the ingested year: 7- and 30-day ranges ending on its last day.
3. One poll's write: a ``PollResult`` with 100 changed rows (today's breakdown
   of 100 keys, six scope readings, and the poll log row) in one transaction.

The machine is noisy: read the ratios, measured side by side, not the absolute times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import itertools
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from usage_top.domain.measures import REQUESTS
from usage_top.domain.model import (
    Breakdown,
    DailyUsage,
    DayFigures,
    ItemDaily,
    KeyDaily,
    Period,
    PollResult,
    ScopeUsage,
    Usage,
)
from usage_top.store import PollRecord, Store
from usage_top.store.connection import CACHE_KIB

LAST_DAY = dt.date(2025, 12, 31)
FETCHED_AT = dt.datetime(2026, 1, 1, 3, 0, tzinfo=dt.UTC)

INGEST_GOAL_RATIO = 0.5
QUERY_GOAL_MS = 10.0
POLL_GOAL_MS = 3.0


@dataclass(frozen=True)
class Size:
    days: int
    keys: int
    endpoints: int
    drilled_keys: int
    ingest_runs: int
    query_runs: int
    poll_runs: int

    @property
    def rows(self) -> int:
        day_key = self.days * self.keys
        day_endpoint = self.days * self.endpoints
        key_endpoint = self.drilled_keys * self.endpoints * self.days
        return day_key + day_endpoint + key_endpoint + self.days


FULL = Size(days=365, keys=1000, endpoints=200, drilled_keys=100,
            ingest_runs=3, query_runs=20, poll_runs=50)
QUICK = Size(days=30, keys=200, endpoints=50, drilled_keys=20,
             ingest_runs=3, query_runs=20, poll_runs=50)


# Synthetic data


@dataclass(frozen=True)
class Dataset:
    """The year as ``PollResult`` chunks, and the same rows as raw tuples per chunk."""

    keys: list[str]
    slugs: list[str]
    results: list[PollResult]
    raw_chunks: list[dict[str, list[tuple]]]


def masked_key(index: int) -> str:
    return f"{index % 10}••••••••••••••••{index:03x}"


def build_dataset(size: Size) -> Dataset:
    usage = _usage_values()
    days = [LAST_DAY - dt.timedelta(days=n) for n in range(size.days - 1, -1, -1)]
    keys = [masked_key(i) for i in range(size.keys)]
    slugs = [f"endpoint_{i:03d}" for i in range(size.endpoints)]
    results: list[PollResult] = []
    raw: list[dict[str, list[tuple]]] = []
    for day in days:
        result, rows = _day_breakdown_chunk(usage, day, keys)
        results.append(result)
        raw.append(rows)
    result, rows = _account_daily_chunk(usage, days, slugs)
    results.append(result)
    raw.append(rows)
    for key_index in range(size.drilled_keys):
        result, rows = _key_daily_chunk(usage, days, slugs, keys[key_index], key_index + 1)
        results.append(result)
        raw.append(rows)
    return Dataset(keys, slugs, results, raw)


def _usage_values() -> Iterator[tuple[int, float]]:
    """Endless (requests, credits) pairs: a fixed random pool, cycled (drawing millions is slow)."""
    rng = random.Random(42)
    pool = []
    for _ in range(4099):
        requests = rng.randint(1, 60)
        pool.append((requests, requests * rng.choice((1.0, 3.0, 15.0))))
    return itertools.cycle(pool)


ENDPOINT = "endpoint"


def _figures(requests: float, credits: float) -> dict[str, float]:
    return {"requests": requests, "credits": credits}


def _added(figures: list[dict[str, float]]) -> dict[str, float]:
    return _figures(sum(f["requests"] for f in figures), sum(f["credits"] for f in figures))


def _day_breakdown_chunk(
    usage: Iterator[tuple[int, float]], day: dt.date, keys: list[str]
) -> tuple[PollResult, dict[str, list[tuple]]]:
    last_used = dt.datetime.combine(day, dt.time(17, 30), dt.UTC)
    by_key = []
    for key in keys:
        requests, credits = next(usage)
        by_key.append(Usage(key, key, _figures(requests, credits), last_used))
    totals = _added([k.figures for k in by_key])
    breakdown = Breakdown(start=day, end=day, totals=totals, by_key=tuple(by_key),
                          by_dimension={ENDPOINT: ()})
    micros = int(last_used.timestamp()) * 1_000_000
    rows = {
        "day_key": [(day.toordinal(), i + 1, micros, k.figures["requests"], k.figures["credits"])
                    for i, k in enumerate(by_key)],
        "day_total": [(day.toordinal(), totals["requests"], totals["credits"])],
    }
    return PollResult(fetched_at=FETCHED_AT, day_breakdowns=(breakdown,)), rows


def _endpoint_series(
    usage: Iterator[tuple[int, float]], days: list[dt.date], slugs: list[str]
) -> tuple[ItemDaily, ...]:
    return tuple(
        ItemDaily(
            slug,
            slug.replace("_", " ").title(),
            tuple(DayFigures(day, _figures(r, c)) for day, (r, c) in zip(days, usage)),
        )
        for slug in slugs
    )


def _daily_usage(days: list[dt.date], by_endpoint: tuple[ItemDaily, ...]) -> DailyUsage:
    series = tuple(
        DayFigures(day, _added([e.series[i].figures for e in by_endpoint]))
        for i, day in enumerate(days)
    )
    return DailyUsage(start=days[0], end=days[-1], series=series,
                      by_dimension={ENDPOINT: by_endpoint})


def _endpoint_rows_in_pk_order(by_endpoint: tuple[ItemDaily, ...], *lead: int) -> list[tuple]:
    """The raw loader's rows, day-major as a loader written for this schema would emit them."""
    return [
        (*lead, point.day.toordinal(), endpoint_index + 1, point.figures["requests"],
         point.figures["credits"])
        for day_index in range(len(by_endpoint[0].series))
        for endpoint_index, series in enumerate(by_endpoint)
        for point in [series.series[day_index]]
    ]


def _account_daily_chunk(
    usage: Iterator[tuple[int, float]], days: list[dt.date], slugs: list[str]
) -> tuple[PollResult, dict[str, list[tuple]]]:
    daily = _daily_usage(days, _endpoint_series(usage, days, slugs))
    rows = {
        "day_total": [(p.day.toordinal(), p.figures["requests"], p.figures["credits"])
                      for p in daily.series],
        "day_item": _endpoint_rows_in_pk_order(daily.by_dimension[ENDPOINT]),
    }
    return PollResult(fetched_at=FETCHED_AT, account_daily=daily), rows


def _key_daily_chunk(
    usage: Iterator[tuple[int, float]], days: list[dt.date], slugs: list[str], key: str, key_id: int
) -> tuple[PollResult, dict[str, list[tuple]]]:
    by_endpoint = _endpoint_series(usage, days, slugs)
    daily = DailyUsage(start=days[0], end=days[-1], series=(),
                       by_dimension={ENDPOINT: by_endpoint})
    rows = {"day_key_item": _endpoint_rows_in_pk_order(by_endpoint, key_id)}
    return PollResult(fetched_at=FETCHED_AT, key_daily=(KeyDaily(key=key, daily=daily),)), rows


# Ingest


_RAW_INSERTS = {
    "day_key": "INSERT INTO day_key (day, key_id, last_used, m0, m1) VALUES (?, ?, ?, ?, ?)",
    "day_total": "INSERT OR REPLACE INTO day_total (day, m0, m1) VALUES (?, ?, ?)",
    "day_item": "INSERT INTO day_item (day, item_id, m0, m1) VALUES (?, ?, ?, ?)",
    "day_key_item": "INSERT INTO day_key_item (key_id, day, item_id, m0, m1)"
                    " VALUES (?, ?, ?, ?, ?)",
}


def time_store_ingest(path: Path, data: Dataset) -> float:
    store = Store(path)
    started = time.perf_counter()
    for result in data.results:
        store.ingest(result)
    elapsed = time.perf_counter() - started
    store.close()
    return elapsed


def time_raw_ingest(path: Path, data: Dataset) -> float:
    """executemany into the store's schema, opened with the store's settings."""
    Store(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("synchronous = NORMAL", "foreign_keys = ON", f"cache_size = -{CACHE_KIB}"):
        conn.execute(f"PRAGMA {pragma}")
    conn.executemany("INSERT INTO key (id, masked) VALUES (?, ?)",
                     [(i + 1, key) for i, key in enumerate(data.keys)])
    conn.executemany("INSERT INTO item (id, kind, ident, name) VALUES (?, ?, ?, ?)",
                     [(i + 1, ENDPOINT, slug, slug) for i, slug in enumerate(data.slugs)])
    conn.executemany("INSERT INTO measure (slot, id) VALUES (?, ?)",
                     [(0, "requests"), (1, "credits")])
    started = time.perf_counter()
    for chunk in data.raw_chunks:
        conn.execute("BEGIN IMMEDIATE")
        for table, rows in chunk.items():
            conn.executemany(_RAW_INSERTS[table], rows)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def bench_ingest(workdir: Path, size: Size, data: Dataset) -> tuple[list[str], Path]:
    store_times, raw_times = [], []
    for run in range(size.ingest_runs):
        for path in workdir.glob("*.db*"):
            path.unlink()
        raw_times.append(time_raw_ingest(workdir / f"raw{run}.db", data))
        store_path = workdir / f"store{run}.db"
        store_times.append(time_store_ingest(store_path, data))
        print(f"  run {run + 1}: store {store_times[-1]:.2f} s, raw {raw_times[-1]:.2f} s",
              flush=True)
    store_s, raw_s = statistics.median(store_times), statistics.median(raw_times)
    ratio = raw_s / store_s
    lines = [
        f"{'raw executemany (tuples)':<44}{raw_s:>10.2f} s",
        f"{'Store.ingest (PollResult objects)':<44}{store_s:>10.2f} s",
        f"{'file size (store)':<44}{store_path.stat().st_size / 1e6:>10.1f} MB",
        _verdict("ratio raw/store", f">= {INGEST_GOAL_RATIO:.2f}x", f"{ratio:.2f}x",
                 ratio >= INGEST_GOAL_RATIO),
    ]
    return lines, store_path


# Queries and poll writes


def median_ms(runs: int, action: Callable[[], object]) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def bench_queries(store: Store, size: Size, keys: list[str]) -> list[str]:
    lines = []
    for days in (7, 30):
        start = LAST_DAY - dt.timedelta(days=days - 1)
        for name, action in _query_cases(store, start, keys[0]).items():
            ms = median_ms(size.query_runs, action)
            lines.append(_verdict(f"{days:>2}d {name}", f"<= {QUERY_GOAL_MS:.0f} ms",
                                  f"{ms:.2f} ms", ms <= QUERY_GOAL_MS))
    return lines


def _query_cases(store: Store, start: dt.date, key: str) -> dict[str, Callable[[], object]]:
    """The dashboard's queries over ``start``..``LAST_DAY``; ``key`` is a drilled-down key."""
    end = LAST_DAY
    order = ("credits", "requests")  # Pubrio's primary measure, then its activity
    return {
        "key_breakdown (all keys)": lambda: store.key_breakdown(start, end, order_by=order),
        "key_breakdown (top 100)": lambda: store.key_breakdown(start, end, 100, order),
        "item_breakdown (account)": lambda: store.item_breakdown(ENDPOINT, start, end,
                                                                 order_by=order),
        "item_breakdown (one key)": lambda: store.item_breakdown(ENDPOINT, start, end, key,
                                                                 order_by=order),
        "daily_series (one key)": lambda: store.daily_series(start, end, key),
        "totals (one key)": lambda: store.totals(start, end, key),
    }


def poll_results(keys: list[str], count: int) -> Iterator[tuple[PollResult, PollRecord]]:
    """Distinct polls of today: 100 keys' figures change, six scopes are read."""
    today = LAST_DAY + dt.timedelta(days=1)
    for n in range(count):
        fetched_at = FETCHED_AT + dt.timedelta(minutes=n)
        by_key = tuple(Usage(key, key, _figures(n + 1, 3.0 * (n + 1)), fetched_at)
                       for key in keys[:100])
        totals = _added([k.figures for k in by_key])
        scopes = tuple(ScopeUsage(scope=scope, period=period, used=n, unit=REQUESTS,
                                  label=scope.upper(), limit=10_000)
                       for scope in ("api", "portal")
                       for period in (Period.MONTHLY, Period.DAILY, Period.HOURLY))
        result = PollResult(
            fetched_at=fetched_at,
            scopes=scopes,
            day_breakdowns=(Breakdown(start=today, end=today, totals=totals, by_key=by_key,
                                      by_dimension={ENDPOINT: ()}),),
        )
        yield result, PollRecord(fetched_at, fetched_at + dt.timedelta(milliseconds=350), "ok",
                                 requests=2)


def bench_poll_write(store: Store, size: Size, keys: list[str]) -> list[str]:
    polls = list(poll_results(keys, size.poll_runs))
    samples = []
    for result, poll in polls:
        started = time.perf_counter()
        store.ingest(result, poll=poll)
        samples.append((time.perf_counter() - started) * 1000)
    ms = statistics.median(samples)
    return [_verdict("one poll: 100 changed rows + log", f"<= {POLL_GOAL_MS:.0f} ms",
                     f"{ms:.2f} ms", ms <= POLL_GOAL_MS)]


def _verdict(name: str, goal: str, measured: str, passed: bool) -> str:
    return f"{name:<44}{measured:>12}   goal {goal:<10} {'PASS' if passed else 'MISS'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a scaled-down run for CI smoke use")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL

    print(f"{size.days} days, {size.keys} keys, {size.endpoints} endpoints, "
          f"{size.drilled_keys} drilled-down keys: {size.rows:,} rows")
    started = time.perf_counter()
    data = build_dataset(size)
    print(f"{'building the PollResult objects (untimed)':<44}"
          f"{time.perf_counter() - started:>10.2f} s")
    # Held for the whole ingest, the dataset's millions of objects would be walked
    # by every full garbage collection: a cost of this benchmark, not of either path.
    gc.freeze()

    with tempfile.TemporaryDirectory(prefix="usage-top-bench-") as workdir:
        print(f"\n1. Ingest, median of {size.ingest_runs} runs")
        lines, store_path = bench_ingest(Path(workdir), size, data)
        print("\n".join(lines))
        keys = data.keys
        del data  # a viewer process holds no dataset while it queries
        gc.unfreeze()
        gc.collect()
        with Store(store_path) as store:
            print(f"\n2. Queries on that data, median of {size.query_runs} runs")
            print("\n".join(bench_queries(store, size, keys)))
            print(f"\n3. Poll write, median of {size.poll_runs}")
            print("\n".join(bench_poll_write(store, size, keys)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
