"""Key and endpoint tables at 1k, 10k and 100k rows inside the running dashboard.

    python benchmarks/tables.py [--sizes 1000,10000,100000] [--repeats 5] [--scattered]

The real ``UsageTopApp`` runs headless (Textual's ``run_test``, 120x36) on an
empty database, read-only and with a one-hour refresh so nothing else touches
the tables; the dashboard's ``ItemTable`` (endpoints) and ``KeyTable`` are then
given synthetic ``Usage`` rows and their totals directly (``show_items`` /
``show_keys``, as the dashboard's refresh does). Each figure is the time from
the call until the screen has been laid out and drawn again (messages
processed, idle work done, dirty lines rendered). What exists after the first frame is
frozen out of the garbage collector's sight, as the command does (``startup.py``):

- first paint: ``show_*`` of N rows into the empty table;
- sort: ``sort_by`` another column (alternating two numeric columns);
- filter: ``set_filter`` with a substring that matches a few percent of rows;
- update: ``show_*`` of the same N keys where 1% of the rows changed figures
  (every row is a new object, as after a poll);
- first filter: the first repeat's filter alone, the first ever on these keys (what a
  table remembers of its keys, the key table's short forms, is not there yet: the
  median of the filters hides it).

The rows are built as the store builds them: sorted first, then made into
models in that order, so consecutive rows sit next to each other in memory. At
100,000 rows that matters: a pass over rows scattered in memory (built, then
sorted) costs about three times as much, as every row is a cache miss.
``--scattered`` builds them that way, the worst case. Prints one JSON object
per line.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import random
import sys
import tempfile
import time
from pathlib import Path

NOW = dt.datetime(2026, 11, 18, 14, 37, tzinfo=dt.UTC)
OPS = ("first paint", "sort", "filter", "update", "first filter")


def _figures(rng: random.Random, i: int, version: int) -> tuple[int, float]:
    requests, credits = rng.randint(1, 50_000), float(rng.randint(1, 150_000))
    if version and i % 100 == 0:
        requests, credits = requests + version, credits + 3 * version
    return requests, credits


def _as_stored(fields: list[tuple[str, str, int, float, dt.datetime | None]],
               scattered: bool) -> list:
    """``Usage`` rows sorted as the store returns them (credits, requests, then id),
    built after sorting as the store does, or before sorting (``scattered``)."""
    from usage_top.domain.model import Usage

    def order(row) -> tuple:
        return -row.figures["credits"], -row.figures["requests"], row.id

    def usage(ident, name, requests, credits, last_used) -> Usage:
        return Usage(ident, name, {"requests": requests, "credits": credits}, last_used)

    if scattered:
        return sorted((usage(*row) for row in fields), key=order)
    return [usage(*row) for row in sorted(fields, key=lambda row: (-row[3], -row[2], row[0]))]


def key_rows(n: int, version: int = 0, scattered: bool = False):
    rng = random.Random(n)
    fields = []
    for i in range(n):
        requests, credits = _figures(rng, i, version)
        key = f"{i % 10}••••••••••••••••{i:05x}"
        fields.append((key, key, requests, credits, NOW - dt.timedelta(minutes=rng.randint(0, 40_000))))
    return _as_stored(fields, scattered)


def endpoint_rows(n: int, version: int = 0, scattered: bool = False):
    rng = random.Random(n + 1)
    fields = []
    for i in range(n):
        requests, credits = _figures(rng, i, version)
        fields.append((f"endpoint_{i:06d}", f"Endpoint {i:06d}", requests, credits, None))
    return _as_stored(fields, scattered)


def _totals(rows: list) -> dict[str, float]:
    """What the shares are of: the rows' sums, as a range's totals."""
    return {m: sum(row.figures[m] for row in rows) for m in ("requests", "credits")}


TABLES = {
    # name: (rows, show method, sort columns to alternate, filter needle)
    "keys": (key_rows, "show_keys", ("requests", "credits"), "ab"),
    "endpoints": (endpoint_rows, "show_items", ("requests", "credits"), "0042"),
}


async def drain(pump) -> None:
    """Until ``pump`` (a widget, screen or app) has handled what was queued before now,
    and the idle work that follows."""
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
    """Empty a table without timing it."""
    table.set_filter("")
    table.show_rows([])


async def timed(pilot, table, action) -> tuple[float, float]:
    """(wall, CPU) seconds of ``action`` until the screen is drawn again."""
    started, cpu = time.perf_counter(), time.process_time()
    action()
    await frame(pilot, table)
    return time.perf_counter() - started, time.process_time() - cpu


async def bench_table(pilot, table, name: str, n: int, repeats: int, scattered: bool) -> dict:
    make_rows, show_name, sort_columns, needle = TABLES[name]
    rows, changed = make_rows(n, scattered=scattered), make_rows(n, version=7, scattered=scattered)
    shown = getattr(table, show_name)
    totals = _totals(rows)

    def show(version: list) -> None:
        shown(version, totals)
    gc.collect()
    result: dict[str, list[float]] = {op: [] for op in OPS}
    cpu: dict[str, list[float]] = {op: [] for op in OPS}

    async def measure(op: str, action) -> None:
        wall, used = await timed(pilot, table, action)
        result[op].append(wall)
        cpu[op].append(used)

    for repeat in range(repeats):
        reset(table)
        await frame(pilot, table)
        await measure("first paint", lambda: show(rows))
        assert table.row_count == n, (table.row_count, n)
        column = sort_columns[repeat % 2]
        await measure("sort", lambda: table.sort_by(column))
        version = changed if repeat % 2 == 0 else rows
        await measure("update", lambda: show(version))
        await measure("filter", lambda: table.set_filter(needle))
        matched = table.row_count
    for timings in (result, cpu):
        timings["first filter"] = timings["filter"][:1]
    reset(table)
    await frame(pilot, table)
    return {"table": name, "rows": n, "matched": matched, "scattered": scattered,
            **{op: result[op] for op in OPS}, "cpu": cpu}


def make_app(workdir: Path):
    from usage_top.config import Settings
    from usage_top.providers.pubrio_capabilities import CAPABILITIES
    from usage_top.store import Store
    from usage_top.tui.app import UsageTopApp

    store = Store(workdir / "empty.db")
    settings = Settings(api_key="bench", base_url="https://api.example.com", db=workdir / "empty.db",
                        interval=3600, poll=False)
    return UsageTopApp(settings=settings, store=store, collector=None, capabilities=CAPABILITIES,
                       account="bench", clock=lambda: NOW), store


async def run(sizes: list[int], repeats: int, scattered: bool, out) -> None:
    from usage_top.widgets.tables import ItemTable, KeyTable

    with tempfile.TemporaryDirectory(prefix="usage-top-tables-") as workdir:
        app, store = make_app(Path(workdir))
        async with app.run_test(size=(120, 36)) as pilot:
            await frame(pilot)
            # The database is empty, so the dashboard hid the endpoint table behind
            # "No API activity": show it, or its rows would never be drawn.
            app.screen.query_one("#endpoints-pane").set_class(False, "-empty")
            await frame(pilot)
            gc.freeze()  # as the command does after its first frame (startup.py)
            for name in TABLES:
                table = app.screen.query_one(KeyTable if name == "keys" else ItemTable)
                for n in sizes:
                    record = await bench_table(pilot, table, name, n, repeats, scattered)
                    print(json.dumps(record), file=out, flush=True)
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scattered", action="store_true",
                        help="build the rows before sorting them: scattered in memory")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    asyncio.run(run(sizes, args.repeats, args.scattered, sys.stdout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
