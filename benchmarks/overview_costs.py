"""Where the overview of N accounts spends its CPU: thread time per step, in the running app.

    python benchmarks/overview_costs.py 20 [--window 120] [--warmup 20]

Runs the overview of N accounts (``accounts.py``'s configuration and simulators) in a
120x36 pseudo-terminal, with a few of the App's steps timed (``time.thread_time``
around each call: the alerts run in a worker thread, the rest on the event loop), and
prints, for the calls made in the window after the warm-up, each step's CPU, its
calls and its share of the process's CPU in the window. Steps nest (a refresh
includes its row reads), so the shares do not add up. The HTTP requests are
coroutines (their time spread over awaits) and are what is left.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

STEPS = (
    ("usage_top.tui.app", "UsageTopApp", "refresh_view"),
    ("usage_top.tui.app", "UsageTopApp", "_tick"),
    ("usage_top.tui.overview", "OverviewScreen", "_read"),
    ("usage_top.tui.overview", "OverviewScreen", "_show_rows"),
    ("usage_top.views.overview", "AccountRows", "read"),
    ("usage_top.pipeline.service", "PollService", "_alert"),
    ("usage_top.store.store", "Store", "ingest"),
)


def timed_app() -> None:
    """The child: usage-top with ``STEPS`` timed between SIGUSR1 and SIGUSR2 (the
    window), the totals written at exit to ``$OVERVIEW_COSTS`` as JSON."""
    import atexit
    import functools
    import importlib

    totals: dict[str, list[float]] = {}
    window = {"open": False}
    signal.signal(signal.SIGUSR1, lambda *_: window.update(open=True))
    signal.signal(signal.SIGUSR2, lambda *_: window.update(open=False))

    def timed(label, method):
        @functools.wraps(method)
        def call(*args, **kwargs):
            began = time.thread_time()
            try:
                return method(*args, **kwargs)
            finally:
                if window["open"]:
                    total = totals.setdefault(label, [0.0, 0])
                    total[0] += time.thread_time() - began
                    total[1] += 1
        return call

    for module, cls, name in STEPS:
        owner = getattr(importlib.import_module(module), cls)
        setattr(owner, name, timed(f"{cls}.{name}", getattr(owner, name)))

    def write() -> None:
        Path(os.environ["OVERVIEW_COSTS"]).write_text(json.dumps(totals))

    atexit.register(write)
    from usage_top.startup import main

    code = main()
    write()
    os._exit(code or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("--window", type=float, default=120.0)
    parser.add_argument("--warmup", type=float, default=20.0)
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    import accounts
    from ptyrun import PtyProcess
    from startup import compiled_bytecode

    compiled_bytecode()
    with tempfile.TemporaryDirectory(prefix="usage-top-costs-") as home:
        variant = accounts.Variant("usage-top", None, Path(home))
        accounts._start(variant, args.count)
        out = Path(home) / "costs.json"
        argv = [sys.executable, __file__, "--child", "--config", str(variant.config)]
        env = dict(variant.env, OVERVIEW_COSTS=str(out))
        try:
            with PtyProcess(argv, columns=120, rows=36, env=env) as proc:
                if proc.wait_for(accounts.DATA_MARKER, 60) is None:
                    raise SystemExit("the overview never showed its data")
                time.sleep(args.warmup)
                os.kill(proc.pid, signal.SIGUSR1)
                cpu = proc.cpu_seconds()
                time.sleep(args.window)
                cpu = proc.cpu_seconds() - cpu
                os.kill(proc.pid, signal.SIGUSR2)
                proc.stop(b"q", grace=10)
        finally:
            accounts._stop(variant)
        totals = json.loads(out.read_text())
    print(f"{args.count} accounts, {args.window:.0f} s after {args.warmup:.0f} s: process CPU "
          f"{cpu * 1000:.0f} ms ({cpu / args.window * 100:.2f}% of a core)")
    for label, (seconds, calls) in sorted(totals.items(), key=lambda item: -item[1][0]):
        print(f"  {label:28} {seconds * 1000:7.1f} ms  {calls:5d} calls  "
              f"{seconds / calls * 1000:6.2f} ms a call  {seconds / cpu * 100:4.1f}%")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.argv = ["usage-top", *sys.argv[2:]]
        timed_app()
    else:
        main()
