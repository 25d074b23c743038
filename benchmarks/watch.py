"""Bytes written to the terminal and CPU while watching, against htop, side by side.

Every program runs at the same time in its own 120x36 pseudo-terminal (so all see
the same machine load), starts, settles for a warm-up (the first poll backfills a
month), then is watched for a window: bytes read from the pty master per second
and per poll, and CPU time (user + system, all threads) per second of wall time,
as a percentage of one core.

- ``htop -d 50``: htop redrawing every 5 s, the reference;
- unchanged data: ``usage-top --interval 5`` polling a simulator whose clock is
  frozen (``sim_server.py --frozen``, its own process: every poll returns the
  same figures, the app's clock runs), and ``usage-top --no-poll --interval 5``
  on the stored year;
- changing data, for every provider: ``usage-top --provider P`` at ``--interval
  5`` and at the default interval, polling that vendor's demo simulator (the one
  ``--demo --provider P`` serves, same seed) from a process of its own, so the
  CPU is usage-top's alone; a vendor's minimum interval (Lusha 12 s, Anthropic
  60 s) stretches the 5 s;
- the bare app of the start-up benchmark, idle: what Textual itself costs.

The polling runs go through ``watch_app.py --trace``, which counts which widgets
asked to be repainted, and every program's output is replayed through a VT
emulator for its *floor* (``floor.py``): the changed characters plus the cursor
moves, what a perfect redraw would send. Each polling program's own database
says how many requests it made (the ``poll`` table): its footprint.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from floor import Floor, measure_floor
from ptyrun import PtyProcess
from startup import bench_env, usage_top_argv

HERE = Path(__file__).resolve().parent
COLUMNS, ROWS = 120, 36
PROVIDERS = ("pubrio", "openai", "anthropic", "lusha")
DEFAULT_INTERVAL = 30.0
"""``Settings.interval``'s default."""


@dataclass
class Program:
    name: str
    argv: list[str]
    marker: bytes
    stop_keys: bytes | None = b"q"
    note: str = ""
    goals: tuple[str, ...] = ()
    """The budgets this program is held to: 'viewer' (``--no-poll``), 'unchanged'
    (polling unchanged data at 5 s), 'fast' (changing data at 5 s) or 'default'
    (changing data at the default interval)."""
    simulator: str = ""
    """'frozen' or 'live': polls a simulator of its own, started first."""
    provider: str = "pubrio"
    interval: float = 5.0
    trace: bool = False
    pythonpath: str = ""
    """Where usage-top is imported from (a worktree's ``src``: *before*), else the tree's."""
    kind: str = ""
    """What ``--only`` selects it by: 'htop', 'unchanged', 'viewer', 'bare' or the provider."""


@dataclass
class Footprint:
    """The requests a polling usage-top made, from its own poll log."""

    polls: int
    requests: int
    per_poll: float
    """Median requests of a poll after the first (which backfills)."""
    every: float
    """Median seconds between polls."""

    @property
    def per_hour(self) -> float:
        return self.per_poll * 3600 / self.every if self.every else 0.0

    @property
    def per_minute(self) -> float:
        return self.per_hour / 60


@dataclass
class WatchResult:
    name: str
    bytes_per_s: float
    cpu_percent: float
    note: str = ""
    error: str = ""
    window: tuple[float, float] = (0.0, 0.0)
    trace: Path | None = None
    polls: int = 0
    """Polls that started in the window."""
    floor: Floor | None = None
    writes: int = 0
    """Reads from the pty in the window: about one per frame the program wrote."""
    footprint: Footprint | None = None
    goals: tuple[str, ...] = ()
    provider: str = ""
    interval: float = 0.0

    @property
    def bytes_per_poll(self) -> float | None:
        span = self.window[1] - self.window[0]
        return self.bytes_per_s * span / self.polls if self.polls else None


def repaints(result: WatchResult, per: float | None = None) -> list[tuple[str, float, float]]:
    """From a trace: (widget, repaint requests, cells) per second in the window, or per
    ``per`` seconds (a poll's interval)."""
    import json

    if result.trace is None or not result.trace.exists():
        return []
    start, end = result.window
    calls: dict[str, int] = {}
    cells: dict[str, int] = {}
    for at, name, area in json.loads(result.trace.read_text()):
        if start <= at < end:
            calls[name] = calls.get(name, 0) + 1
            cells[name] = cells.get(name, 0) + area
    span = (end - start) / (per or 1.0)
    return sorted(((name, calls[name] / span, cells[name] / span) for name in calls),
                  key=lambda item: -item[2])


def min_interval(provider: str) -> float:
    from usage_top.providers import registry

    return registry.capabilities(provider).min_interval


def programs(year_db: Path, interval: int = 5) -> list[Program]:
    every = ["--interval", str(interval)]
    read_only = ["--no-poll", "--db", str(year_db), *every]
    traced = [sys.executable, str(HERE / "watch_app.py"), "--"]
    listed = [
        Program("htop -d 50", ["htop", "-d", "50"], b"Load average", stop_keys=b"q", kind="htop"),
        Program("usage-top, unchanged data", [*traced, *every], b"usage-top",
                note="polling a frozen simulator", goals=("unchanged",), simulator="frozen",
                trace=True, kind="unchanged"),
        Program("usage-top --no-poll, unchanged data", usage_top_argv(*read_only),
                b"usage-top", note="the year DB", goals=("viewer",), interval=0, kind="viewer"),
    ]
    for provider in PROVIDERS:
        fast = max(interval, min_interval(provider))
        slow = max(DEFAULT_INTERVAL, min_interval(provider))
        listed += [
            Program(f"usage-top, changing data, {provider}, {fast:g} s",
                    [*traced, "--provider", provider, *every], b"usage-top",
                    note="its demo simulator", goals=("fast",), simulator="live",
                    provider=provider, interval=fast, trace=True, kind=provider),
            Program(f"usage-top, changing data, {provider}, default {slow:g} s",
                    [*traced, "--provider", provider], b"usage-top",
                    note="its demo simulator", goals=("default",), simulator="live",
                    provider=provider, interval=slow, trace=True, kind=provider),
        ]
    listed.append(Program("bare Textual app, same widgets, idle",
                          [sys.executable, str(HERE / "bare_app.py")], b"usage-top",
                          note="Textual's own floor", interval=0, kind="bare"))
    return listed


def side_by_side(listed: list[Program], before: Path) -> list[Program]:
    """Each usage-top program twice, at the same time: as *after* (this tree) and as
    *before* (imported from ``before``, a worktree's ``src``), so both see the same load."""
    twins: list[Program] = []
    for program in listed:
        twins.append(program)
        if program.kind not in ("htop", "bare"):
            twins.append(replace(program, name=f"{program.name} [before]", pythonpath=str(before)))
    return twins


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_simulator(program: Program, env: dict[str, str]) -> subprocess.Popen:
    """A simulator process for one program; points ``env`` at it."""
    from usage_top.providers import registry

    port = free_port()
    argv = [sys.executable, str(HERE / "sim_server.py"), "--port", str(port),
            "--provider", program.provider]
    server = subprocess.Popen([*argv, "--frozen"] if program.simulator == "frozen" else argv,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    # "simulator on port N <base URL> <key>": listening
    *_, base_url, key = server.stdout.readline().decode().split()
    vendor = registry.vendor(program.provider)
    env.update({vendor.key_env: key, vendor.base_url_env: base_url})
    return server


def footprint(db: Path, since: dt.datetime) -> tuple[Footprint | None, int]:
    """(The poll log's footprint, the polls started after ``since``)."""
    if not db.exists():
        return None, 0
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute("SELECT started_at, requests FROM poll ORDER BY id").fetchall()
    if not rows:
        return None, 0
    starts = [dt.datetime.fromisoformat(at) for at, _ in rows]
    counts = [requests for _, requests in rows]
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:])]
    later = counts[1:] or counts
    found = Footprint(len(rows), sum(counts), statistics.median(later),
                      statistics.median(gaps) if gaps else 0.0)
    return found, sum(1 for at in starts if at >= since)


def bench_watch(year_db: Path, window: float, warmup: float, trace_dir: Path | None = None,
                only: set[str] | None = None, before: Path | None = None) -> list[WatchResult]:
    """``only``: the programs of those kinds (``Program.kind``); ``before``: each usage-top
    also run from that source tree (``side_by_side``)."""
    results: list[WatchResult] = []
    listed = [p for p in programs(year_db) if only is None or p.kind in only]
    if before is not None:
        listed = side_by_side(listed, before)
    if shutil.which("htop") is None and any(p.kind == "htop" for p in listed):
        results.append(WatchResult("htop -d 50", 0, 0, error="htop not installed (apt-get install htop)"))
        listed = [p for p in listed if p.kind != "htop"]
    with tempfile.TemporaryDirectory(prefix="usage-top-watch-") as home:
        running: list[tuple[Program, PtyProcess, Path]] = []
        servers: list[subprocess.Popen] = []
        traces: dict[str, Path] = {}
        for index, program in enumerate(listed):
            # Each its own XDG dirs: no two share a database.
            env = bench_env(Path(home) / str(index))
            if program.pythonpath:
                env["PYTHONPATH"] = program.pythonpath
            if program.simulator:
                servers.append(start_simulator(program, env))
            argv = list(program.argv)
            if trace_dir is not None and program.trace:
                traces[program.name] = trace_dir / f"trace-{index}.json"
                argv[2:2] = ["--trace", str(traces[program.name])]
            db = Path(env["XDG_DATA_HOME"]) / "usage-top" / "usage.db"
            running.append((program, PtyProcess(argv, columns=COLUMNS, rows=ROWS, env=env), db))
        try:
            for program, proc, _ in running:
                if proc.wait_for(program.marker, 30) is None:
                    results.append(WatchResult(program.name, 0, 0, error=f"no first frame: "
                                               f"{proc.output()[-300:]!r}"))
            time.sleep(warmup)
            start, since = time.perf_counter(), dt.datetime.now(dt.UTC)
            cpu_start = {id(proc): proc.cpu_seconds() for _, proc, _ in running
                         if proc.proc.poll() is None}
            time.sleep(window)
            end, until = time.perf_counter(), dt.datetime.now(dt.UTC)
            for program, proc, db in running:
                if any(r.name == program.name for r in results):
                    continue
                if proc.proc.poll() is not None:
                    results.append(WatchResult(program.name, 0, 0, error=f"exited {proc.proc.returncode}"))
                    continue
                used = proc.cpu_seconds() - cpu_start[id(proc)]
                sent = proc.bytes_between(start, end)
                found, polls = footprint(db, since) if program.simulator else (None, 0)
                if found is not None:  # those that started before the window closed
                    _, after = footprint(db, until)
                    polls -= after
                results.append(WatchResult(
                    program.name, sent / (end - start), 100 * used / (end - start), program.note,
                    window=(start, end), trace=traces.get(program.name), polls=polls,
                    floor=measure_floor(proc.chunks, start, end, COLUMNS, ROWS),
                    writes=sum(1 for at, _ in proc.chunks if start <= at < end), footprint=found, goals=program.goals, provider=program.provider,
                    interval=program.interval))
        finally:
            for program, proc, _ in running:
                proc.stop(program.stop_keys)
            for server in servers:
                server.terminate()
                server.wait()
    order = [p.name for p in listed]
    results.sort(key=lambda r: order.index(r.name) if r.name in order else len(order))
    return results


def main() -> None:
    """The watch section alone, optionally side by side with another source tree."""
    import argparse

    parser = argparse.ArgumentParser(description="bytes and CPU while watching (BENCHMARKS.md, 2)")
    parser.add_argument("--db", type=Path, required=True, help="the year database (run.py's storage)")
    parser.add_argument("--only", help="kinds, comma-separated: htop, unchanged, viewer, bare, "
                                       + ", ".join(PROVIDERS))
    parser.add_argument("--before", type=Path, help="also run every usage-top from this src "
                                                    "(a git worktree of the commit before)")
    parser.add_argument("--window", type=float, default=120)
    parser.add_argument("--warmup", type=float, default=20)
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    results = bench_watch(args.db, args.window, args.warmup, only=only, before=args.before)
    print(f"load average {load} at the start, {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"at the end; {args.window:.0f} s window after {args.warmup:.0f} s")
    print(f"{'program':<62}{'B/s':>7}{'CPU':>8}{'polls':>6}{'B/poll':>8}{'floor/poll':>11}{'writes/poll':>12}")
    for r in results:
        if r.error:
            print(f"{r.name:<62} error: {r.error}")
            continue
        per = (lambda value: f"{value / r.polls:.0f}") if r.polls else (lambda value: "")
        floor = per(r.floor.bytes) if r.floor else ""
        print(f"{r.name:<62}{r.bytes_per_s:>7.1f}{r.cpu_percent:>7.2f}%{r.polls:>6}"
              f"{per(r.bytes_per_s * (r.window[1] - r.window[0])):>8}{floor:>11}{per(r.writes):>12}")


if __name__ == "__main__":
    main()
