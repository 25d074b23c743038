"""usage-top's performance budgets, measured side by side in one run.

    python benchmarks/run.py            # full: a year of 1,000 keys x 200 endpoints (~7 min)
    python benchmarks/run.py --quick    # smoke run: smaller year, shorter windows (~1.5 min)
    python benchmarks/run.py --only startup,watch --workdir /tmp/ut-bench   # some sections

Sections (see BENCHMARKS.md for what each figure means):

  storage  ingest of the year against raw executemany, range queries, one poll's
           write (benchmarks/ingest.py's code); leaves the year database behind
  startup  cold start to first frame of ``usage-top --no-poll --db <year>`` against
           a bare Textual app with the same widgets (goal <= 1.1x)
  memory   peak RSS of that process once the year is on screen (goal <= 100 MB)
  tables   key and endpoint tables at 1k/10k/100k rows in the running app
           (goal <= 150 ms per operation at 100k)
  watch    bytes/s, bytes per poll, the floor and CPU in a 120x36 pty, against
           ``htop -d 50``: unchanged data and --no-poll (<= 1/3 of htop's bytes/s,
           CPU <= 0.3%); changing data for every provider at 5 s (<= 1.5 KB a
           poll, <= 0.8x htop, CPU <= 1%) and at the default interval (<= 60 B/s,
           CPU <= 0.5%); the repaint trace; the requests each poller made
  accounts the overview of 20 accounts polling simulators in a process of their own
           (benchmarks/accounts.py): first frame with the stored data against the
           bare app's (<= 1.1x), and at the default interval bytes/s (<= 60 B/s),
           bytes a poll against the floor, CPU (<= 0.5%), the repaint trace

The machine may be noisy: every comparison runs its candidates alternately or at
the same time, and the figures are medians; read the ratios.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ingest  # noqa: E402  (benchmarks/ingest.py)
import yeardb  # noqa: E402

SECTIONS = ("storage", "startup", "memory", "tables", "watch", "accounts")

STARTUP_GOAL = 1.1
RSS_GOAL_MB = 100.0
TABLE_GOAL_MS = 150.0
VIEWER_BYTES_FRACTION = 1 / 3
"""Unchanged data and ``--no-poll``: bytes/s against htop's."""
VIEWER_CPU_PERCENT = 0.3
"""``--no-poll``; unchanged data polled at 5 s has the 5 s budget."""
FAST_BYTES_PER_POLL = 1500
"""Changing data at a 5 s interval."""
FAST_BYTES_FRACTION = 0.8
FAST_CPU_PERCENT = 1.0
DEFAULT_BYTES_PER_S = 60
"""Changing data at the default interval."""
DEFAULT_CPU_PERCENT = 0.5


class Report:
    """Prints as it goes and keeps the goal verdicts for the summary."""

    def __init__(self) -> None:
        self.verdicts: list[tuple[str, str, str, bool | None]] = []
        self.data: dict[str, object] = {}

    def section(self, title: str) -> None:
        print(f"\n== {title}", flush=True)

    def line(self, text: str = "") -> None:
        print(text, flush=True)

    def goal(self, name: str, measured: str, goal: str, passed: bool | None) -> None:
        self.verdicts.append((name, measured, goal, passed))
        verdict = {True: "PASS", False: "MISS", None: "n/a"}[passed]
        print(f"  {name:<50}{measured:>14}   goal {goal:<14} {verdict}", flush=True)


def machine() -> dict[str, str]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import textual

    htop = ""
    if shutil.which("htop"):
        htop = subprocess.run(["htop", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "cpu": model or platform.processor() or "unknown",
        "python": platform.python_version(),
        "textual": getattr(textual, "__version__", "?"),
        "sqlite": __import__("sqlite3").sqlite_version,
        "htop": htop,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


# ----------------------------------------------------------------------- storage


def run_storage(report: Report, workdir: Path, size: ingest.Size) -> Path:
    """ingest.py's three benchmarks on the year; returns the year database."""
    report.section(f"4. Storage: {size.days} days x {size.keys:,} keys x {size.endpoints} endpoints, "
                   f"{size.drilled_keys} drilled-down keys ({size.rows:,} rows)")
    last_day = yeardb.anchor_to_today(size)
    started = time.perf_counter()
    data = ingest.build_dataset(size)
    report.line(f"  building the PollResult objects (untimed): {time.perf_counter() - started:.1f} s")
    gc.freeze()
    ingest_dir = workdir / "ingest"
    ingest_dir.mkdir(parents=True, exist_ok=True)
    report.line(f"  ingest, {size.ingest_runs} run(s) of each path, alternating:")
    lines, store_path = ingest.bench_ingest(ingest_dir, size, data)
    for text in lines:
        report.line("  " + text)
    keys = data.keys
    del data
    gc.unfreeze()
    gc.collect()
    from usage_top.store import Store

    with Store(store_path) as store:
        report.line(f"  range queries ending on the last day, median of {size.query_runs}:")
        query_lines = ingest.bench_queries(store, size, keys)
        for text in query_lines:
            report.line("  " + text)
        poll_lines = ingest.bench_poll_write(store, size, keys)
        for text in poll_lines:
            report.line("  " + text)
    for text in (*lines[-1:], *query_lines, *poll_lines):
        passed = text.rstrip().endswith("PASS")
        name = text[:44].strip()
        measured = text[44:56].strip()
        goal = text.split("goal", 1)[1].rsplit(None, 1)[0].strip()
        report.verdicts.append((f"storage: {name}", measured, goal, passed))
    year = workdir / yeardb.db_name(size, last_day)
    for stale in workdir.glob(year.name + "*"):
        stale.unlink()
    store_path.rename(year)
    for leftover in ingest_dir.glob("*.db*"):
        leftover.unlink()
    report.data["storage"] = {"lines": lines + query_lines + poll_lines}
    return year


# ----------------------------------------------------------------------- startup


def run_startup(report: Report, year: Path, runs: int) -> None:
    from startup import bench_startup

    report.section(f"1. Cold start to first frame, 120x36 pty, {runs} alternating runs (+1 warm-up)")
    result = bench_startup(year, runs)
    for failure in result.failures:
        report.line(f"  failed run: {failure}")
    if not result.bare_frame:
        report.goal("start-up", "no runs", f"<= {STARTUP_GOAL}x", False)
        return
    med = statistics.median
    report.line(f"  bare Textual app, same widgets, first frame   {ms(med(result.bare_frame)):>9}")
    report.line(f"  usage-top --no-poll, first frame               {ms(med(result.app_frame)):>9}")
    report.line(f"  usage-top --no-poll, first frame with data     {ms(med(result.app_data)):>9}")
    report.line(f"  CPU used by then: bare {ms(med(result.bare_frame_cpu))}, usage-top "
                f"{ms(med(result.app_data_cpu))} = {result.cpu_ratio:.2f}x")
    report.goal("start-up: usage-top data / bare frame", f"{result.ratio:.2f}x", f"<= {STARTUP_GOAL}x",
                result.ratio <= STARTUP_GOAL)
    report.data["startup"] = {
        "bare_frame_s": result.bare_frame, "app_frame_s": result.app_frame,
        "app_data_s": result.app_data, "ratio": result.ratio,
        "bare_frame_cpu_s": result.bare_frame_cpu, "app_data_cpu_s": result.app_data_cpu,
        "cpu_ratio": result.cpu_ratio,
    }


# ------------------------------------------------------------------------ memory


def run_memory(report: Report, year: Path, runs: int) -> None:
    from memory import MemoryResult, bench_memory

    report.section(f"4b. Peak RSS with the year on screen (--no-poll), median of {runs}")
    result = bench_memory(year, runs)
    for failure in result.failures:
        report.line(f"  failed run: {failure}")
    peak = MemoryResult.mib(result.app_peak)
    report.line(f"  bare Textual app, same widgets: peak {MemoryResult.mib(result.bare_peak):.1f} MiB")
    report.line(f"  usage-top: resident {MemoryResult.mib(result.app_now):.1f} MiB, peak {peak:.1f} MiB")
    report.goal("peak RSS, usage-top --no-poll on the year", f"{peak:.1f} MiB", f"<= {RSS_GOAL_MB:.0f} MB",
                peak * 1.048576 <= RSS_GOAL_MB)
    report.data["memory"] = {"app_peak_kib": result.app_peak, "app_now_kib": result.app_now,
                             "bare_peak_kib": result.bare_peak}


# ------------------------------------------------------------------------ tables


def run_tables(report: Report, quick: bool) -> None:
    report.section("3. Tables in the running app (headless, 120x36): median ms per operation")
    command = [sys.executable, str(HERE / "tables.py"), "--sizes", "1000,10000,100000",
               "--repeats", "3" if quick else "5"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        report.line(f"  failed\n{done.stderr[-2000:]}")
        return
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    from tables import OPS

    report.line(f"  {'table':<10}{'rows':>8}  " + "".join(f"{op:>13}" for op in OPS))
    for record in records:
        cells = "".join(f"{statistics.median(record[op]) * 1000:>10.1f} ms" for op in OPS)
        report.line(f"  {record['table']:<10}{record['rows']:>8}  {cells}")
        if record["rows"] == 100_000:
            worst = max(statistics.median(record[op]) for op in OPS)
            report.goal(f"tables: {record['table']}, 100k rows, worst op", ms(worst),
                        f"<= {TABLE_GOAL_MS:.0f} ms", worst * 1000 <= TABLE_GOAL_MS)
    report.data["tables"] = records


# ------------------------------------------------------------------------- watch


def run_watch(report: Report, year: Path, window: float, warmup: float, trace_dir: Path) -> None:
    from watch import bench_watch, repaints

    report.section(f"2. Watching in a 120x36 pty: {window:.0f} s window after {warmup:.0f} s "
                   f"warm-up, all at once")
    results = bench_watch(year, window, warmup, trace_dir=trace_dir)
    htop = next((r for r in results if r.name.startswith("htop") and not r.error), None)
    report.line(f"  {'program':<52}{'B/s':>7} {'vs htop':>8}{'CPU':>8}  {'B/poll':>7} "
                f"{'floor B/poll':>12}  note")
    for result in results:
        if result.error:
            report.line(f"  {result.name:<52} error: {result.error}")
            continue
        ratio = f"{result.bytes_per_s / htop.bytes_per_s:6.2f}x" if htop and htop.bytes_per_s else ""
        per_poll = f"{result.bytes_per_poll:7.0f}" if result.bytes_per_poll is not None else " " * 7
        floor = ""
        if result.floor is not None:
            span = result.window[1] - result.window[0]
            floor = (f"{result.floor.bytes / result.polls:12.0f}" if result.polls
                     else f"{result.floor.bytes / span:9.0f}/s ")
        report.line(f"  {result.name:<52}{result.bytes_per_s:>7.0f} {ratio:>8}"
                    f"{result.cpu_percent:>7.2f}%  {per_poll} {floor:>12}  {result.note}")
    for result in results:
        if result.error or result.trace is None:
            continue
        per = result.interval if {"fast", "default"} & set(result.goals) else None
        top = repaints(result, per)[:8]
        if top:
            unit = f"per poll ({result.interval:g} s)" if per else "per second"
            floor = ""
            if result.floor is not None and result.polls:
                floor = (f"; floor {result.floor.cells / result.polls:.0f} changed cells in "
                         f"{result.floor.runs / result.polls:.0f} runs per poll")
            report.line(f"  what repaints, {result.name} (requests, cells {unit}){floor}:")
            for name, calls, cells in top:
                report.line(f"    {name:<40}{calls:>7.2f} {cells:>8.0f} cells")
    report.line("  the monitor's own requests (its poll log):")
    report.line(f"    {'program':<52}{'polls':>6}{'req/poll':>9}{'every':>8}{'req/min':>8}"
                f"{'req/hour':>9}{'req/day':>9}")
    for result in results:
        found = result.footprint
        if found is None:
            continue
        report.line(f"    {result.name:<52}{found.polls:>6}{found.per_poll:>9.1f}{found.every:>7.0f}s"
                    f"{found.per_minute:>8.1f}{found.per_hour:>9.0f}{found.per_hour * 24:>9.0f}")
        guidance = VENDOR_GUIDANCE.get(result.provider)
        if guidance is not None:
            limit, what = guidance
            report.goal(f"requests: {result.name.removeprefix('usage-top, ')}",
                        f"{found.per_minute:.1f}/min", what, found.per_minute <= limit)
    _watch_goals(report, results, htop)
    report.data["watch"] = [
        {"name": r.name, "bytes_per_s": r.bytes_per_s, "cpu_percent": r.cpu_percent, "error": r.error,
         "polls": r.polls, "bytes_per_poll": r.bytes_per_poll,
         "floor": r.floor.__dict__ if r.floor else None,
         "footprint": r.footprint.__dict__ if r.footprint else None,
         "repaints": repaints(r)} for r in results
    ]


VENDOR_GUIDANCE = {
    # provider: (requests a minute at most, the goal as printed). Anthropic asks for
    # one poll a minute: checked on the interval between polls (_watch_goals).
    "lusha": (5.0, "<= 5/min"),  # 5 a minute on its usage endpoint
}


def _watch_goals(report: Report, results: list, htop) -> None:
    for result in results:
        if result.error:
            continue
        short = result.name.removeprefix("usage-top").strip(" ,")
        if {"viewer", "unchanged"} & set(result.goals):
            if htop:
                limit = htop.bytes_per_s * VIEWER_BYTES_FRACTION
                report.goal(f"bytes/s: {short}", f"{result.bytes_per_s:.0f} B/s", f"<= {limit:.0f} B/s",
                            result.bytes_per_s <= limit)
            cpu = VIEWER_CPU_PERCENT if "viewer" in result.goals else FAST_CPU_PERCENT
            report.goal(f"CPU: {short}", f"{result.cpu_percent:.2f}%", f"<= {cpu}%",
                        result.cpu_percent <= cpu)
        if "fast" in result.goals:
            per_poll = result.bytes_per_poll
            if per_poll is not None:
                report.goal(f"B/poll: {short}", f"{per_poll:.0f} B", f"<= {FAST_BYTES_PER_POLL} B",
                            per_poll <= FAST_BYTES_PER_POLL)
            if htop and result.interval <= 5:
                limit = htop.bytes_per_s * FAST_BYTES_FRACTION
                report.goal(f"bytes/s: {short}", f"{result.bytes_per_s:.0f} B/s", f"<= {limit:.0f} B/s",
                            result.bytes_per_s <= limit)
            report.goal(f"CPU: {short}", f"{result.cpu_percent:.2f}%", f"<= {FAST_CPU_PERCENT}%",
                        result.cpu_percent <= FAST_CPU_PERCENT)
        if "default" in result.goals:
            report.goal(f"bytes/s: {short}", f"{result.bytes_per_s:.0f} B/s", f"<= {DEFAULT_BYTES_PER_S} B/s",
                        result.bytes_per_s <= DEFAULT_BYTES_PER_S)
            report.goal(f"CPU: {short}", f"{result.cpu_percent:.2f}%", f"<= {DEFAULT_CPU_PERCENT}%",
                        result.cpu_percent <= DEFAULT_CPU_PERCENT)
        if result.provider == "anthropic" and result.footprint and result.footprint.every:
            report.goal(f"poll interval: {short}", f"{result.footprint.every:.0f} s", ">= 60 s",
                        result.footprint.every >= 59.5)


# ---------------------------------------------------------------------- accounts


ACCOUNTS = 20


def run_accounts(report: Report, quick: bool, trace_dir: Path) -> None:
    from accounts import bench_accounts, report_lines

    runs, window = (2, 60.0) if quick else (4, 120.0)
    report.section(f"5. The overview of {ACCOUNTS} accounts (simulators in a process of their "
                   f"own), 120x36 pty: start-up ({runs} alternating runs), watching "
                   f"({window:.0f} s window after 20 s warm-up)")
    result = bench_accounts(ACCOUNTS, runs, window, trace_dir=trace_dir)
    for text in report_lines(result):
        report.line("  " + text)
    variant = result.variants[0]
    if variant.data and result.bare_frame:
        ratio = statistics.median(variant.data) / statistics.median(result.bare_frame)
        report.goal(f"start-up: overview of {ACCOUNTS}, data / bare frame", f"{ratio:.2f}x",
                    f"<= {STARTUP_GOAL}x", ratio <= STARTUP_GOAL)
    for watched, _ in result.watched:
        if watched.error:
            continue
        report.goal(f"bytes/s: overview of {ACCOUNTS}, default interval",
                    f"{watched.bytes_per_s:.0f} B/s", f"<= {DEFAULT_BYTES_PER_S} B/s",
                    watched.bytes_per_s <= DEFAULT_BYTES_PER_S)
        report.goal(f"CPU: overview of {ACCOUNTS}, default interval", f"{watched.cpu_percent:.2f}%",
                    f"<= {DEFAULT_CPU_PERCENT}%", watched.cpu_percent <= DEFAULT_CPU_PERCENT)
    report.data["accounts"] = {
        "bare_frame_s": result.bare_frame, "bare_cpu_s": result.bare_cpu,
        "frame_s": variant.frame, "data_s": variant.data, "cpu_s": variant.cpu,
        "watch": [{"bytes_per_s": w.bytes_per_s, "cpu_percent": w.cpu_percent, "polls": w.polls,
                   "bytes_per_poll": w.bytes_per_poll, "floor": w.floor.__dict__ if w.floor else None,
                   "repaints": repainted} for w, repainted in result.watched if not w.error],
    }


# -------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--quick", action="store_true", help="a ~1.5 minute smoke run")
    parser.add_argument("--only", help=f"comma-separated sections of {','.join(SECTIONS)}")
    parser.add_argument("--workdir", type=Path,
                        help="keep the year database (and traces) here; reused when storage is skipped")
    parser.add_argument("--ingest-runs", type=int, help="ingest runs per path (default 1)")
    parser.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = parser.parse_args()
    sections = SECTIONS if not args.only else tuple(s.strip() for s in args.only.split(","))
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    size = yeardb.QUICK_YEAR if args.quick else yeardb.FULL_YEAR
    if args.ingest_runs:
        size = ingest.Size(**{**size.__dict__, "ingest_runs": args.ingest_runs})

    report = Report()
    info = machine()
    report.data["machine"] = info
    print(f"usage-top benchmarks ({'quick' if args.quick else 'full'}) on {info['date']}")
    print(f"  {info['nproc']} CPUs, {info['cpu']}; Python {info['python']}, Textual {info['textual']}, "
          f"SQLite {info['sqlite']}; {info['htop']}; load average {info['load']}")
    started = time.perf_counter()

    temporary = None
    if args.workdir is None:
        temporary = tempfile.TemporaryDirectory(prefix="usage-top-bench-")
        workdir = Path(temporary.name)
    else:
        workdir = args.workdir
        workdir.mkdir(parents=True, exist_ok=True)
    try:
        from startup import compiled_bytecode

        compiled_bytecode()
        year = None
        if "storage" in sections:
            year = run_storage(report, workdir, size)
        needs_year = {"startup", "memory", "watch"} & set(sections)
        if needs_year and year is None:
            report.section("The year database (cached, or built untimed)")
            year = yeardb.year_db(workdir, size)
        if "startup" in sections:
            run_startup(report, year, runs=4 if args.quick else 10)
        if "memory" in sections:
            run_memory(report, year, runs=2 if args.quick else 3)
        if "tables" in sections:
            run_tables(report, args.quick)
        if "watch" in sections:
            trace_dir = workdir / "traces"
            trace_dir.mkdir(exist_ok=True)
            # Warm-up: the demo's first poll backfills a month and raises its alerts,
            # whose toasts last 15 s. A minute-long window holds one turn of the
            # minute, when ages and countdowns shown in minutes change, and two polls
            # at the default interval.
            run_watch(report, year, window=60 if args.quick else 120, warmup=20,
                      trace_dir=trace_dir)
        if "accounts" in sections:
            trace_dir = workdir / "traces"
            trace_dir.mkdir(exist_ok=True)
            run_accounts(report, args.quick, trace_dir)
    finally:
        if temporary is not None:
            temporary.cleanup()

    info_end = " ".join(f"{x:.2f}" for x in os.getloadavg())
    report.section(f"Summary ({time.perf_counter() - started:.0f} s; load average at the end {info_end})")
    for name, measured, goal, passed in report.verdicts:
        verdict = {True: "PASS", False: "MISS", None: "n/a"}[passed]
        print(f"  {name:<58}{measured:>14}   {goal:<14} {verdict}")
    if args.json:
        report.data["verdicts"] = report.verdicts
        args.json.write_text(json.dumps(report.data, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
