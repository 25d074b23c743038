"""Resident memory of the dashboard with a year of data loaded, against the bare app.

``usage-top --no-poll --db <year>`` runs in a 120x36 pseudo-terminal until its
first frame shows the stored data, settles for a second, and then its
``/proc/<pid>/status`` is read: ``VmHWM`` (the peak resident set so far, the
goal's figure) and ``VmRSS`` (resident now). The bare app is measured the same
way, for what Python and Textual alone take.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ptyrun import PtyProcess
from startup import DATA_MARKER, FRAME_MARKER, HERE, bench_env, usage_top_argv


@dataclass
class MemoryResult:
    app_peak: list[int] = field(default_factory=list)
    app_now: list[int] = field(default_factory=list)
    bare_peak: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @staticmethod
    def mib(values: list[int]) -> float:
        return statistics.median(values) / 1024 if values else float("nan")


def rss_after_frame(argv: list[str], env: dict[str, str], marker: bytes, settle: float) -> tuple[int, int]:
    with PtyProcess(argv, env=env) as proc:
        if proc.wait_for(marker, 30) is None:
            raise RuntimeError(f"no {marker!r} from {' '.join(argv[-3:])}: {proc.output()[-300:]!r}")
        time.sleep(settle)
        return proc.rss_kib()


def bench_memory(year_db: Path, runs: int, settle: float = 1.0) -> MemoryResult:
    result = MemoryResult()
    with tempfile.TemporaryDirectory(prefix="usage-top-rss-") as home:
        env = bench_env(Path(home))
        app = usage_top_argv("--no-poll", "--db", str(year_db))
        bare = [sys.executable, str(HERE / "bare_app.py")]
        for _ in range(runs):
            try:
                now, peak = rss_after_frame(app, env, DATA_MARKER, settle)
                result.app_now.append(now)
                result.app_peak.append(peak)
                result.bare_peak.append(rss_after_frame(bare, env, FRAME_MARKER, settle)[1])
            except RuntimeError as exc:
                result.failures.append(str(exc))
    return result
