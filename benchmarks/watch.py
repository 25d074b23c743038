"""Bytes written to the terminal and CPU while watching, against htop, side by side.

Every program runs at the same time in its own 120x36 pseudo-terminal (so all see
the same machine load), starts, settles for a warm-up (the first poll backfills a
month), then is watched for a window: bytes read from the pty master per second,
and CPU time (user + system, all threads) per second of wall time, as a
percentage of one core.

- ``htop -d 50``: htop redrawing every 5 s, the reference (goal: usage-top with
  unchanged data writes at most a third of htop's bytes per second);
- unchanged data: ``usage-top --interval 5`` polling a simulator whose clock is
  frozen (``sim_server.py --frozen``, its own process: every poll returns the
  same figures, the app's clock runs), and ``usage-top --no-poll --interval 5``
  on the stored year;
- changing data: ``usage-top --interval 5`` polling a live simulator;
- ``usage-top --demo``: the one-command demo, whose CPU includes the simulator
  it serves from a thread of its own process (no goal);
- the bare app of the start-up benchmark, idle: what Textual itself costs.

The frozen run goes through ``watch_app.py --trace``, which counts which widgets
asked to be repainted, to see what the bytes are.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
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
    goals: tuple[str, ...] = ()
    """'bytes' and/or 'cpu': the budgets this program is held to."""
    simulator: str = ""
    """'frozen' or 'live': polls a simulator of its own, started first."""


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


def programs(year_db: Path, interval: int = 5) -> list[Program]:
    every = ["--interval", str(interval)]
    read_only = ["--no-poll", "--db", str(year_db), *every]
    return [
        Program("htop -d 50", ["htop", "-d", "50"], b"Load average", stop_keys=b"q"),
        Program("usage-top, unchanged data",
                [sys.executable, str(HERE / "watch_app.py"), "--", *every], b"usage-top",
                note="polling a frozen simulator", goals=("bytes", "cpu"), simulator="frozen"),
        Program("usage-top --no-poll, unchanged data", usage_top_argv(*read_only),
                b"usage-top", note="the year DB", goals=("bytes", "cpu")),
        Program("usage-top, changing data", usage_top_argv(*every), b"usage-top",
                note="polling a live simulator", goals=("cpu",), simulator="live"),
        Program("usage-top --demo, changing data", usage_top_argv("--demo", *every), b"usage-top",
                note="simulator in-process"),
        Program("bare Textual app, same widgets, idle", [sys.executable, str(HERE / "bare_app.py")],
                b"usage-top", note="Textual's own floor"),
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_simulator(kind: str, env: dict[str, str]) -> subprocess.Popen:
    """A simulator process for one program; points ``env`` at it."""
    port = free_port()
    argv = [sys.executable, str(HERE / "sim_server.py"), "--port", str(port)]
    server = subprocess.Popen([*argv, "--frozen"] if kind == "frozen" else argv,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    server.stdout.readline()  # "simulator on port N": listening
    env.update(PUBRIO_API_KEY="sim-demo-key", PUBRIO_BASE_URL=f"http://127.0.0.1:{port}")
    return server


def bench_watch(year_db: Path, window: float, warmup: float,
                trace_dir: Path | None = None) -> list[WatchResult]:
    results: list[WatchResult] = []
    listed = programs(year_db)
    if shutil.which("htop") is None:
        results.append(WatchResult("htop -d 50", 0, 0, error="htop not installed (apt-get install htop)"))
        listed = listed[1:]
    with tempfile.TemporaryDirectory(prefix="usage-top-watch-") as home:
        running: list[tuple[Program, PtyProcess]] = []
        servers: list[subprocess.Popen] = []
        traces: dict[str, Path] = {}
        for index, program in enumerate(listed):
            # Each its own XDG dirs: no two share a database.
            env = bench_env(Path(home) / str(index))
            if program.simulator:
                servers.append(start_simulator(program.simulator, env))
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
            for server in servers:
                server.terminate()
                server.wait()
    order = [p.name for p in programs(year_db)]
    results.sort(key=lambda r: order.index(r.name) if r.name in order else len(order))
    return results
