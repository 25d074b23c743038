"""N configured accounts: their configuration, their simulators, the overview's figures (#14, #17).

    python benchmarks/accounts.py 20 > /tmp/accounts.toml    # 20 demo accounts (--demo)
    python benchmarks/accounts.py serve 20                   # their simulators, one process
    python benchmarks/accounts.py bench 20 [--before SRC]    # the overview's figures
    python benchmarks/run.py --only accounts                 # the same, as run.py's section

The first form writes twenty ``[accounts.*]`` tables cycling through the
providers; with ``--demo`` each one runs on its own in-process simulator (no key
needed), its own database file. ``serve`` runs one simulator per account (seeded
apart: the accounts differ) in threads of this one process and prints the
configuration that points each account at its own (``base_url``; the key in
the vendor's demo key's variable ``key_env``, never in the file), so a
usage-top polling them pays for its own CPU only, as against a real vendor.

``bench`` measures, in 120x36 pseudo-terminals, what the overview of N accounts
costs (each program its own XDG directories and simulator process, the
accounts' files filled first by ``collect --once``):

- *start-up*: from the spawn until the first frame shows the stored data (a
  budget row's worst scope, "Budget monthly"), against the bare app's first frame,
  alternating run after run; and the CPU used by then;
- *watching*: at the default interval, after a warm-up, bytes/s, bytes per poll
  (the polls of every account that started in the window), the floor, CPU and the
  repaint trace (``watch_app.py --trace``).

``--before SRC`` runs, side by side with the current tree, the same programs on
another source tree (``git worktree add /tmp/wt <commit>``, ``--before /tmp/wt/src``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from usage_top.providers import registry

HERE = Path(__file__).resolve().parent
DATA_MARKER = b"Budget monthly"
"""The worst scope of the OpenAI and Anthropic rows (their budget): drawn once it is read from the stored spend."""


def key_env(provider: str) -> str:
    """The variable the benchmark's configuration reads a provider's demo key from."""
    return f"BENCH_{provider.upper()}_KEY"


def account_names(count: int) -> list[tuple[str, str]]:
    """(account name, provider) of ``count`` accounts, the providers taken in turn."""
    names = registry.names()
    return [(f"{names[index % len(names)]}-{index + 1:02d}", names[index % len(names)])
            for index in range(count)]


def accounts_toml(count: int, base_urls: list[str] | None = None) -> str:
    """``count`` account tables named ``<provider>-<n>``; with ``base_urls``, each
    pointed at its own simulator, its key read from ``key_env(provider)``."""
    tables = []
    for index, (name, provider) in enumerate(account_names(count)):
        table = f'[accounts.{name}]\nprovider = "{provider}"\n'
        budgets = registry.DEMO_ACCOUNTS.get(provider, {}).get("budgets")
        if budgets:  # as the demo's: a vendor without limits gets a scope to fill
            table += f"budgets = {{ {', '.join(f'{k} = {v}' for k, v in budgets.items())} }}\n"
        if base_urls is not None:
            table += f'base_url = "{base_urls[index]}"\nkey_env = "{key_env(provider)}"\n'
        tables.append(table)
    return "\n".join(tables)


def serve(count: int) -> None:
    """One seeded simulator per account, each on a loopback port of its own, served from
    threads of this process; prints their configuration, then ``# serving``."""
    from usage_top.sim.demos import demo_api
    from usage_top.sim.server import SimServer

    urls = []
    for index, (_, provider) in enumerate(account_names(count)):
        api = demo_api(provider, seed=7 + index)
        server = SimServer(api.simulator).start()
        urls.append(server.url + api.prefix)
    print(accounts_toml(count, urls), "\n# serving", sep="", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.pause()


def demo_keys() -> dict[str, str]:
    """Each provider's demo key in its ``key_env`` variable."""
    from usage_top.sim.demos import demo_api

    return {key_env(name): demo_api(name).key for name in registry.names()}


@dataclass
class Variant:
    """One usage-top under test: its source tree (None: the installed one) and its
    own simulators, configuration and files."""

    name: str
    src: str | None
    home: Path
    env: dict[str, str] = field(default_factory=dict)
    config: Path | None = None
    server: subprocess.Popen | None = None
    frame: list[float] = field(default_factory=list)
    data: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def argv(self, *args: str) -> list[str]:
        """``python -m usage_top`` on its configuration: each tree's own entry point (the
        installed script imports the installed tree's)."""
        return [sys.executable, "-m", "usage_top", "--config", str(self.config), *args]

    def databases(self) -> list[Path]:
        return sorted((Path(self.env["XDG_DATA_HOME"]) / "usage-top").glob("usage-*.db"))


def _start(variant: Variant, count: int) -> None:
    """Its simulators (a process of their own), configuration, environment, and the
    accounts' files filled by one ``collect --once``."""
    from startup import bench_env

    variant.server = subprocess.Popen([sys.executable, __file__, "serve", str(count)],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines = []
    for line in variant.server.stdout:
        if line.startswith("# serving"):
            break
        lines.append(line)
    variant.config = variant.home / "accounts.toml"
    variant.home.mkdir(parents=True, exist_ok=True)
    variant.config.write_text("".join(lines))
    variant.env = {**bench_env(variant.home), **demo_keys()}
    if variant.src:
        variant.env["PYTHONPATH"] = variant.src
    subprocess.run(variant.argv("collect", "--once"), env=variant.env, check=True,
                   capture_output=True, timeout=300)


def _stop(variant: Variant) -> None:
    if variant.server is not None:
        variant.server.terminate()
        variant.server.wait()


@dataclass
class AccountsResult:
    count: int
    bare_frame: list[float]
    bare_cpu: list[float]
    variants: list[Variant]
    watched: list
    """(watch.WatchResult, its repaint trace: (widget, requests, cells) per second), a
    variant each."""
    failures: list[str]


def bench_accounts(count: int = 20, runs: int = 4, window: float = 120.0, warmup: float = 20.0,
                   trace_dir: Path | None = None, before: str | None = None) -> AccountsResult:
    from startup import FRAME_MARKER, compiled_bytecode, run_once

    failures: list[str] = []
    bare_frame: list[float] = []
    bare_cpu: list[float] = []
    with tempfile.TemporaryDirectory(prefix="usage-top-accounts-") as home:
        variants = [Variant("usage-top", None, Path(home) / "after")]
        if before:
            variants.append(Variant("before", before, Path(home) / "before"))
        try:
            for variant in variants:
                compiled_bytecode(variant.src)
                _start(variant, count)
            bare = [sys.executable, str(HERE / "bare_app.py")]
            for run in range(1 + runs):  # the first run fills the page cache
                for variant in variants:
                    try:
                        (frame, data), cpu = run_once(variant.argv(), variant.env,
                                                      (FRAME_MARKER, DATA_MARKER))
                    except RuntimeError as exc:
                        failures.append(f"{variant.name}: {exc}")
                        continue
                    if run:
                        variant.frame.append(frame)
                        variant.data.append(data)
                        variant.cpu.append(cpu)
                try:
                    (frame,), cpu = run_once(bare, variants[0].env, (FRAME_MARKER,))
                except RuntimeError as exc:
                    failures.append(f"bare app: {exc}")
                    continue
                if run:
                    bare_frame.append(frame)
                    bare_cpu.append(cpu)
            watched = _watch(variants, window, warmup, trace_dir)
        finally:
            for variant in variants:
                _stop(variant)
    return AccountsResult(count, bare_frame, bare_cpu, variants, watched, failures)


def _watch(variants: list[Variant], window: float, warmup: float, trace_dir: Path | None) -> list:
    """Every variant's overview at the default interval, all at once."""
    from floor import measure_floor
    from ptyrun import PtyProcess
    from watch import COLUMNS, ROWS, WatchResult, footprint, repaints

    running = []
    for variant in variants:
        trace = (trace_dir or variant.home) / f"trace-accounts-{variant.name}.json"
        argv = [sys.executable, str(HERE / "watch_app.py"), "--trace", str(trace), "--",
                "--config", str(variant.config)]
        running.append((variant, trace, PtyProcess(argv, columns=COLUMNS, rows=ROWS,
                                                   env=variant.env)))
    results = []
    try:
        for variant, _, proc in running:
            proc.wait_for(DATA_MARKER, 60)
        time.sleep(warmup)
        start, since = time.perf_counter(), dt.datetime.now(dt.UTC)
        cpu = {variant.name: proc.cpu_seconds() for variant, _, proc in running}
        time.sleep(window)
        end, until = time.perf_counter(), dt.datetime.now(dt.UTC)
        for variant, trace, proc in running:
            if proc.proc.poll() is not None:
                results.append(WatchResult(variant.name, 0, 0, error=f"exited {proc.proc.returncode}"))
                continue
            used = proc.cpu_seconds() - cpu[variant.name]
            polls = sum(footprint(db, since)[1] - footprint(db, until)[1]
                        for db in variant.databases())
            results.append(WatchResult(
                f"{variant.name}, {len(variant.databases())} accounts, default interval",
                proc.bytes_between(start, end) / (end - start), 100 * used / (end - start),
                window=(start, end), trace=trace, polls=polls,
                floor=measure_floor(proc.chunks, start, end, COLUMNS, ROWS),
                goals=("default",), interval=30.0))
    finally:
        for _, _, proc in running:
            proc.stop(b"q")  # each writes its trace as it exits
    return [(result, repaints(result)) for result in results]


def report_lines(result: AccountsResult) -> list[str]:
    """The figures as run.py prints them (each variant beside the others)."""
    med = statistics.median
    lines = [f"bare Textual app, first frame                    {med(result.bare_frame) * 1000:>7.0f} ms"
             f" (CPU {med(result.bare_cpu) * 1000:.0f} ms)"]
    for variant in result.variants:
        if not variant.data:
            continue
        lines.append(
            f"{variant.name + ', first frame':<49}{med(variant.frame) * 1000:>7.0f} ms; with "
            f"data {med(variant.data) * 1000:.0f} ms = {med(variant.data) / med(result.bare_frame):.2f}x"
            f" (CPU {med(variant.cpu) * 1000:.0f} ms = {med(variant.cpu) / med(result.bare_cpu):.2f}x)")
    for watched, repainted in result.watched:
        if watched.error:
            lines.append(f"{watched.name}: {watched.error}")
            continue
        floor = watched.floor
        per_poll = f"{watched.bytes_per_poll:.0f} B a poll" if watched.polls else "no poll"
        floor_text = (f", floor {floor.bytes / watched.polls:.0f} B a poll ({floor.bytes / (watched.window[1] - watched.window[0]):.0f} B/s)"
                      if floor is not None and watched.polls else "")
        lines.append(f"{watched.name}: {watched.bytes_per_s:.0f} B/s, {watched.polls} polls, "
                     f"{per_poll}{floor_text}, CPU {watched.cpu_percent:.2f}%")
        span = watched.window[1] - watched.window[0]
        lines.append(f"  what repaints (requests, cells per second over {span:.0f} s):")
        for name, calls, cells in repainted[:8]:
            lines.append(f"    {name:<40}{calls:>7.2f} {cells:>8.0f} cells")
    lines += [f"failed run: {failure}" for failure in result.failures]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__)
    parser.add_argument("what", nargs="?", default="toml", choices=("toml", "serve", "bench"))
    parser.add_argument("count", nargs="?", type=int, default=20)
    parser.add_argument("--runs", type=int, default=4, help="start-up runs (bench)")
    parser.add_argument("--window", type=float, default=120.0, help="seconds watched (bench)")
    parser.add_argument("--before", help="another source tree, measured side by side (bench)")
    argv = sys.argv[1:]
    args = parser.parse_args(argv if argv[:1] in (["toml"], ["serve"], ["bench"]) else ["toml", *argv])
    if args.what == "serve":
        serve(args.count)
    elif args.what == "bench":
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        result = bench_accounts(args.count, args.runs, args.window, before=args.before)
        print("\n".join(report_lines(result)))
        print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    else:
        sys.stdout.write(accounts_toml(args.count))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
