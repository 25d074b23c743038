"""Bytes written to the terminal and CPU while watching, against htop, side by side.

Every program runs at the same time in its own 120x36 pseudo-terminal (so all see
the same machine load), starts, settles for a warm-up (the demo's first poll
backfills a month), then is watched for a window: bytes read from the pty master
per second, and CPU time (user + system, all threads) per second of wall time,
as a percentage of one core.

- ``htop -d 50``: htop redrawing every 5 s, the reference (goal: usage-top with
  unchanged data writes at most a third of htop's bytes per second);
- unchanged data: ``usage-top --demo --interval 5`` with the simulator's clock
  frozen (every poll returns the same figures; the app's clock runs), and
  ``usage-top --no-poll --interval 5`` on the stored year (re-read every 5 s);
- changing data: ``usage-top --demo --interval 5`` (live simulator);
- the bare app of the start-up benchmark, idle: what Textual itself costs;
- experiments on unchanged data, to see what the bytes are, each adding a fix to
  the one before: the tables on ``VirtualTable``; scope cards, header and
  statics repainted only when what they show changed; no "polling…" flicker;
  no once-a-second header tick (see ``watch_app.py``).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ptyrun import PtyProcess
from startup import bench_env, usage_top_argv

HERE = Path(__file__).resolve().parent
COLUMNS, ROWS = 120, 36


@dataclass
class Program:
    name: str
    argv: list[str]
    marker: bytes
    stop_keys: bytes | None = b"q"
    note: str = ""


@dataclass
class WatchResult:
    name: str
    bytes_per_s: float
    cpu_percent: float
    note: str = ""
    error: str = ""
    window: tuple[float, float] = (0.0, 0.0)
    trace: Path | None = None


def repaints(result: WatchResult) -> list[tuple[str, float, float]]:
    """From a trace: (widget, repaint requests per second, cells per second) in the window."""
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
    span = end - start
    return sorted(((name, calls[name] / span, cells[name] / span) for name in calls),
                  key=lambda item: -item[2])


def programs(year_db: Path, interval: int = 5, experiments: bool = True) -> list[Program]:
    wrapper = [sys.executable, str(HERE / "watch_app.py")]
    demo = ["--demo", "--interval", str(interval)]
    read_only = ["--no-poll", "--db", str(year_db), "--interval", str(interval)]
    listed = [
        Program("htop -d 50", ["htop", "-d", "50"], b"Load average", stop_keys=b"q"),
        Program("usage-top demo, unchanged data", [*wrapper, "--frozen-sim", "--", *demo], b"usage-top",
                note="simulator clock frozen"),
        Program("usage-top --no-poll, unchanged data", usage_top_argv(*read_only),
                b"usage-top", note="year DB re-read every 5 s"),
        Program("usage-top demo, changing data", usage_top_argv(*demo), b"usage-top",
                note="live simulator"),
        Program("bare Textual app, same widgets, idle", [sys.executable, str(HERE / "bare_app.py")],
                b"usage-top", note="Textual's own floor"),
    ]
    if experiments:
        fixes = [*wrapper, "--frozen-sim", "--virtual-tables"]
        listed += [
            Program("  experiment: unchanged, tables on VirtualTable", [*fixes, "--", *demo],
                    b"usage-top"),
            Program("  experiment: + repaint cards, header, statics on change",
                    [*fixes, "--repaint-on-change", "ScopeCard,StatusBar", "--quiet-statics",
                     "--", *demo], b"usage-top"),
            Program("  experiment: + no 'polling…' flicker",
                    [*fixes, "--repaint-on-change", "ScopeCard,StatusBar", "--quiet-statics",
                     "--no-polling-flicker", "--", *demo], b"usage-top"),
            Program("  experiment: + no per-second header tick",
                    [*fixes, "--repaint-on-change", "ScopeCard,StatusBar", "--quiet-statics",
                     "--no-polling-flicker", "--quiet-header", "--", *demo], b"usage-top"),
            Program("  experiment: --no-poll, all the fixes above",
                    [*wrapper, "--virtual-tables", "--repaint-on-change", "ScopeCard,StatusBar",
                     "--quiet-statics", "--quiet-header", "--", *read_only], b"usage-top"),
            Program("  experiment: + re-read only when the database changed",
                    [*wrapper, "--virtual-tables", "--repaint-on-change", "ScopeCard,StatusBar",
                     "--quiet-statics", "--quiet-header", "--skip-unchanged-db", "--", *read_only],
                    b"usage-top"),
        ]
    return listed


def bench_watch(year_db: Path, window: float, warmup: float, experiments: bool = True,
                trace_dir: Path | None = None) -> list[WatchResult]:
    results: list[WatchResult] = []
    listed = programs(year_db, experiments=experiments)
    if shutil.which("htop") is None:
        results.append(WatchResult("htop -d 50", 0, 0, error="htop not installed (apt-get install htop)"))
        listed = listed[1:]
    with tempfile.TemporaryDirectory(prefix="usage-top-watch-") as home:
        running: list[tuple[Program, PtyProcess]] = []
        traces: dict[str, Path] = {}
        for index, program in enumerate(listed):
            # Each its own XDG dirs: the demos must not share one demo.db.
            env = bench_env(Path(home) / str(index))
            argv = list(program.argv)
            if trace_dir is not None and argv[1:2] == [str(HERE / "watch_app.py")]:
                traces[program.name] = trace_dir / f"trace-{index}.json"
                argv[2:2] = ["--trace", str(traces[program.name])]
            running.append((program, PtyProcess(argv, columns=COLUMNS, rows=ROWS, env=env)))
        try:
            for program, proc in running:
                if proc.wait_for(program.marker, 30) is None:
                    results.append(WatchResult(program.name, 0, 0, error=f"no first frame: "
                                               f"{proc.output()[-300:]!r}"))
            time.sleep(warmup)
            start = time.perf_counter()
            cpu_start = {id(proc): proc.cpu_seconds() for _, proc in running if proc.proc.poll() is None}
            time.sleep(window)
            end = time.perf_counter()
            for program, proc in running:
                if any(r.name == program.name for r in results):
                    continue
                if proc.proc.poll() is not None:
                    results.append(WatchResult(program.name, 0, 0, error=f"exited {proc.proc.returncode}"))
                    continue
                used = proc.cpu_seconds() - cpu_start[id(proc)]
                sent = proc.bytes_between(start, end)
                results.append(WatchResult(program.name, sent / (end - start),
                                           100 * used / (end - start), program.note,
                                           window=(start, end), trace=traces.get(program.name)))
        finally:
            for program, proc in running:
                proc.stop(program.stop_keys)
    order = [p.name for p in programs(year_db, experiments=experiments)]
    results.sort(key=lambda r: order.index(r.name) if r.name in order else len(order))
    return results
