"""Cold start to first frame, in a 120x36 pseudo-terminal, against a bare Textual app.

Each run starts a new process (interpreter start-up and imports included) and
times, from just before the spawn, until the terminal shows:

- *frame*: the first frame, i.e. the status bar's ``usage-top`` is on screen
  (both apps draw it in their first frame);
- *data*: for usage-top, the first frame showing the stored year (an endpoint
  name of the synthetic data, ``Endpoint 0…``, is in the endpoint table).

The programs alternate, run after run, so all see the same machine load. The
figure that the goal (<= 1.1x) applies to is usage-top's *data* time over the
bare app's *frame* time: what a user waits for against what any Textual app
with these widgets costs. Beside it, the CPU time (user + system) each process
had used when its marker appeared: on a loaded machine a process waits for a
core for a share of its wall time that varies from run to run, so the CPU ratio
is the steadier reading of the work each start does.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ptyrun import PtyProcess

HERE = Path(__file__).resolve().parent
FRAME_MARKER = b"usage-top"
DATA_MARKER = b"Endpoint 0"
TIMEOUT = 30.0


def usage_top_argv(*args: str) -> list[str]:
    """The installed ``usage-top`` script next to this interpreter (what a user runs)."""
    script = Path(sys.executable).with_name("usage-top")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "usage_top", *args]


def compiled_bytecode(src: str | None = None) -> None:
    """usage-top's modules (those under ``src``, else the installed ones) compiled to
    bytecode first, as a wheel's install does: where PYTHONDONTWRITEBYTECODE is set (this
    machine's shell sets it) an editable install would otherwise compile its 60-odd
    modules from source on every start, some 160 ms the bare app (a handful of them)
    does not pay."""
    import compileall

    if src is None:
        import usage_top

        package = Path(usage_top.__file__).parent
    else:
        package = Path(src) / "usage_top"
    compileall.compile_dir(package, quiet=1)


def bench_env(home: Path) -> dict[str, str]:
    """A user with an account (so no simulator starts) and nothing else configured."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("USAGE_TOP_", "PUBRIO_", "TEXTUAL", "NO_COLOR"))}
    env.update(
        PUBRIO_API_KEY="bench-key-never-sent",  # --no-poll: no request is made
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
    )
    return env


@dataclass
class StartupResult:
    app_frame: list[float] = field(default_factory=list)
    app_data: list[float] = field(default_factory=list)
    bare_frame: list[float] = field(default_factory=list)
    app_data_cpu: list[float] = field(default_factory=list)
    bare_frame_cpu: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(self.app_data) / statistics.median(self.bare_frame)

    @property
    def cpu_ratio(self) -> float:
        return statistics.median(self.app_data_cpu) / statistics.median(self.bare_frame_cpu)


def run_once(argv: list[str], env: dict[str, str],
             markers: tuple[bytes, ...]) -> tuple[list[float | None], float]:
    """The time each marker appeared, and the CPU seconds used when the last did."""
    with PtyProcess(argv, env=env) as proc:
        times = [proc.wait_for(marker, TIMEOUT) for marker in markers]
        cpu = proc.cpu_seconds()
        if None in times:
            tail = proc.output()[-600:]
            raise RuntimeError(f"{' '.join(argv[-3:])}: no {markers} within {TIMEOUT:.0f}s; "
                               f"exit {proc.proc.poll()}; output tail {tail!r}")
    return times, cpu


def bench_startup(year_db: Path, runs: int, warmup: int = 1) -> StartupResult:
    result = StartupResult()
    with tempfile.TemporaryDirectory(prefix="usage-top-start-") as home:
        env = bench_env(Path(home))
        args = ("--no-poll", "--db", str(year_db))
        app = usage_top_argv(*args)
        bare = [sys.executable, str(HERE / "bare_app.py")]
        for run in range(warmup + runs):
            try:
                (frame, data), app_cpu = run_once(app, env, (FRAME_MARKER, DATA_MARKER))
                (bare_frame,), bare_cpu = run_once(bare, env, (FRAME_MARKER,))
            except RuntimeError as exc:
                result.failures.append(str(exc))
                continue
            if run >= warmup:  # the first run fills the page cache
                result.app_frame.append(frame)
                result.app_data.append(data)
                result.bare_frame.append(bare_frame)
                result.app_data_cpu.append(app_cpu)
                result.bare_frame_cpu.append(bare_cpu)
    return result
