"""Key and endpoint tables at 1k, 10k and 100k rows inside the running dashboard.

    python benchmarks/tables.py --impl datatable|virtual [--sizes 1000,10000] [--repeats 3]

The real ``UsageTopApp`` runs headless (Textual's ``run_test``, 120x36) on an
empty database, read-only and with a one-hour refresh so nothing else touches
the tables; the dashboard's ``EndpointTable`` and ``KeyTable`` are then given
synthetic rows directly (``show_endpoints`` / ``show_keys``, as the dashboard's
refresh does). ``--impl virtual`` runs the same app with the tables rebased on
``VirtualTable`` (see ``swap.py``). Each figure is the time from the call until
the screen has been laid out and drawn again (messages processed, idle work
such as DataTable's column measuring done, dirty lines rendered):

- first paint: ``show_*`` of N rows into the empty table;
- sort: ``sort_by`` another column (alternating two numeric columns);
- filter: ``set_filter`` with a substring that matches a few percent of rows;
- update: ``show_*`` of the same N keys where 1% of the rows changed figures
  (every row is a new object, as after a poll).

An operation is skipped at a size when its time at the previous size, scaled by
(size ratio)^1.5, exceeds ``--cap`` seconds (DataTable's row removal is
quadratic: filtering 10k rows takes minutes). Prints one JSON object per line.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOW = dt.datetime(2026, 11, 18, 14, 37, tzinfo=dt.UTC)
OPS = ("first paint", "sort", "filter", "update")
GROWTH = 1.5


def key_rows(n: int, version: int = 0):
    from usage_top.model import KeyUsage

    rng = random.Random(n)
    rows = []
    for i in range(n):
        requests, credits = rng.randint(1, 50_000), float(rng.randint(1, 150_000))
        if version and i % 100 == 0:
            requests, credits = requests + version, credits + 3 * version
        rows.append(KeyUsage(
            key=f"{i % 10}••••••••••••••••{i:05x}", requests=requests, credits=credits,
            last_used=NOW - dt.timedelta(minutes=rng.randint(0, 40_000)),
            percent_of_requests=100 * rng.random() / n, percent_of_credits=100 * rng.random() / n,
        ))
    rows.sort(key=lambda r: (-r.credits, -r.requests, r.key))  # as the store returns them
    return rows


def endpoint_rows(n: int, version: int = 0):
    from usage_top.model import EndpointUsage

    rng = random.Random(n + 1)
    rows = []
    for i in range(n):
        requests, credits = rng.randint(1, 50_000), float(rng.randint(1, 150_000))
        if version and i % 100 == 0:
            requests, credits = requests + version, credits + 3 * version
        rows.append(EndpointUsage(
            slug=f"endpoint_{i:06d}", name=f"Endpoint {i:06d}", requests=requests, credits=credits,
            percent_of_requests=100 * rng.random() / n, percent_of_credits=100 * rng.random() / n,
        ))
    rows.sort(key=lambda r: (-r.credits, -r.requests, r.slug))  # as the store returns them
    return rows


TABLES = {
    # name: (rows, show method, sort columns to alternate, filter needle)
    "keys": (key_rows, "show_keys", ("requests", "credits"), "ab"),
    "endpoints": (endpoint_rows, "show_endpoints", ("calls", "credits"), "0042"),
}


async def drain(pump) -> None:
    """Until ``pump`` (a widget, screen or app) has handled what was queued before now,
    and the idle work that follows (DataTable measures new rows when idle)."""
    done = asyncio.Event()
    pump.call_later(done.set)
    await done.wait()


async def frame(pilot, table=None) -> None:
    """Until the screen is drawn again: the table's and the screen's queued messages
    handled, then layout and rendering of what is dirty (twice: drawing may queue more)."""
    app = pilot.app
    for _ in range(2):
        if table is not None:
            await drain(table)
        await drain(app.screen)
        app.screen._on_timer_update()


def reset(table) -> None:
    """Empty a table without timing it (DataTable removes rows one by one: use clear)."""
    if hasattr(table, "clear") and hasattr(table, "_cells"):
        table.clear()
        table._cells.clear()
        table._all, table._rows = {}, {}
        table.filter_text, table._matches = "", None
    else:
        table.set_filter("")
        table.show_rows([])


async def timed(pilot, table, action) -> tuple[float, float]:
    """(wall, CPU) seconds of ``action`` until the screen is drawn again."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    await frame(pilot, table)
    return time.perf_counter() - started, time.process_time() - cpu


async def bench_table(pilot, table, name: str, n: int, repeats: int, skip: set[str]) -> dict:
    make_rows, show_name, sort_columns, needle = TABLES[name]
    rows, changed = make_rows(n), make_rows(n, version=7)
    show = getattr(table, show_name)
    gc.collect()
    result: dict[str, list[float]] = {op: [] for op in OPS}
    cpu: dict[str, list[float]] = {op: [] for op in OPS}

    async def measure(op: str, action) -> None:
        wall, used = await timed(pilot, table, action)
        result[op].append(wall)
        cpu[op].append(used)

    matched = None
    for repeat in range(repeats):
        reset(table)
        await frame(pilot, table)
        if "first paint" in skip:
            break
        await measure("first paint", lambda: show(rows))
        assert table.row_count == n, (table.row_count, n)
        if "sort" not in skip:
            column = sort_columns[repeat % 2]
            await measure("sort", lambda: table.sort_by(column))
        if "update" not in skip:
            version = changed if repeat % 2 == 0 else rows
            await measure("update", lambda: show(version))
        if "filter" not in skip:
            await measure("filter", lambda: table.set_filter(needle))
            matched = table.row_count
            if not hasattr(table, "_cells"):  # DataTable: leave it, reset() clears
                table.set_filter("")
                await frame(pilot, table)
    reset(table)
    await frame(pilot, table)
    return {"table": name, "rows": n, "matched": matched,
            **{op: result[op] for op in OPS}, "cpu": cpu}


def make_app(workdir: Path):
    from usage_top.config import Settings
    from usage_top.store import Store
    from usage_top.tui.app import UsageTopApp

    store = Store(workdir / "empty.db")
    settings = Settings(api_key="bench", base_url="https://api.example.com", db=workdir / "empty.db",
                        interval=3600, poll=False)
    return UsageTopApp(settings=settings, store=store, collector=None, account="bench",
                       clock=lambda: NOW), store


async def run(impl: str, sizes: list[int], repeats: int, cap: float, out) -> None:
    if impl == "virtual":
        sys.path.insert(0, str(HERE))
        import swap

        swap.patch_app()
    from usage_top.tui import dashboard

    with tempfile.TemporaryDirectory(prefix="usage-top-tables-") as workdir:
        app, store = make_app(Path(workdir))
        async with app.run_test(size=(120, 36)) as pilot:
            await frame(pilot)
            # The database is empty, so the dashboard hid the endpoint table behind
            # "No API activity": show it, or its rows would never be drawn.
            app.screen.query_one("#endpoints-pane").set_class(False, "-empty")
            await frame(pilot)
            for name in TABLES:
                table = app.screen.query_one(dashboard.KeyTable if name == "keys" else dashboard.EndpointTable)
                previous: dict | None = None
                for n in sizes:
                    skip = set()
                    if previous is not None:
                        scale = (n / previous["rows"]) ** GROWTH
                        for op in OPS:
                            times = previous[op]
                            if not times or statistics.median(times) * scale > cap:
                                skip.add(op)
                        if "first paint" in skip:
                            skip = set(OPS)
                    reps = repeats if impl == "virtual" or n <= 1000 else 1
                    record = await bench_table(pilot, table, name, n, reps, skip)
                    record["impl"] = impl
                    record["skipped"] = sorted(skip)
                    print(json.dumps(record), file=out, flush=True)
                    previous = record
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=("datatable", "virtual"), required=True)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cap", type=float, default=20.0,
                        help="skip an operation predicted to take longer (seconds)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    asyncio.run(run(args.impl, sizes, args.repeats, args.cap, sys.stdout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
