"""Command line: the dashboard (default), ``report``, ``collect``, ``check`` and ``sim``.

Every failure a user can cause or meet (a bad flag, a bad config, an unreadable
database, an unreachable API) ends in one line on stderr and a documented exit
code, never a traceback: 0 ok, 2 usage or configuration error, 3 API unreachable
with no stored data to show. ``check`` is the exception: it follows the
Nagios/Icinga plugin convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, the last
one for every error including a bad flag) and reports on standard output.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from usage_top.commands.listen import ListenError, check_host, split_address
from usage_top.config import ConfigError, Settings, file_warning, load_settings
from usage_top.crash import crash_line
from usage_top.domain.clock import Clock, utc_now
from usage_top.domain.format import utc_text
from usage_top.domain.periods import Range
from usage_top.providers import registry
from usage_top import startup
from usage_top.commands import accounts
from usage_top.store.errors import StoreError

if TYPE_CHECKING:
    from usage_top.oncall.check import CheckResult
    from usage_top.pipeline.collector import PollOutcome
    from usage_top.pipeline.runtime import Runtime

EXIT_OK, EXIT_USAGE, EXIT_UNREACHABLE = 0, 2, 3
EXIT_BROKEN_PIPE = 141
"""As a shell reports a command its reader left (128 + SIGPIPE)."""
CHECK_DEADLINE = 30.0
"""Seconds ``check`` may spend polling (the HTTP client retries with backoff)."""
ONE_SHOT_WAIT = 5.0
"""The longest wait a server may ask for (a 429's ``Retry-After``) that ``report``,
``export`` and ``check`` sit through: longer, they answer at once from what is stored
and say when to try again, where the dashboard and ``collect`` wait up to two minutes."""


class UsageError(Exception):
    """A bad command line, reported in one line with exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see usage-top --help)")


def _common_options(polls: bool = True) -> argparse.ArgumentParser:
    """Options accepted before or after the command (``usage-top report --demo``);
    ``--interval`` only where polls repeat (not on the one-shot commands)."""
    common = _Parser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument("--demo", action="store_true", help="run on the built-in simulator")
    common.add_argument("--provider", choices=registry.names(),
                        help=f"the vendor (default {registry.DEFAULT})")
    common.add_argument("--db", type=Path, help="SQLite database file (default: XDG data dir)")
    common.add_argument("--config", type=Path, help="config file (default: XDG config dir)")
    common.add_argument("--base-url", help="vendor API base URL (https, or http on loopback)")
    if polls:
        common.add_argument("--interval",  # checked by the settings: one message, its source
                            help="seconds between polls (min 5, default 30)")
    common.add_argument("--timezone", help="workspace timezone, IANA name (default UTC)")
    common.add_argument("--account", help="one configured account ([accounts.NAME]); report "
                        "and export need it when several are configured")
    common.add_argument("--redact", action="store_true",
                        help="share-safe: account, key, project and email names as pseudonyms")
    return common


def build_parser() -> argparse.ArgumentParser:
    common, one_shot = _common_options(), _common_options(polls=False)
    parser = _Parser(
        prog="usage-top",
        description="htop for your API quota: live API usage, limits and spend in the terminal.",
        parents=[common],
        epilog="The API key is read from the vendor's variable ("
        + ", ".join(registry.vendor(name).key_env for name in registry.names())
        + "), USAGE_TOP_API_KEY or the config file, never from flags. "
        "With no key configured, usage-top runs on its built-in simulator.",
    )
    parser.add_argument("--version", action=_VersionAction)
    parser.add_argument("--no-poll", dest="poll", action="store_false", default=argparse.SUPPRESS,
                        help="only read the database (another usage-top collects)")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser)

    report = commands.add_parser(
        "report", parents=[one_shot], help="poll once and print a report",
        description="Poll once and print the scopes, the top items and the top keys of a range "
        "(or everything as JSON); with the API unreachable, the stored data and its age.")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.add_argument("--range", choices=[r.value for r in Range], default="7d",
                        help="date range (default 7d)")
    report.add_argument("--key", help="only this masked API key, e.g. 0••••f39")

    export = commands.add_parser(
        "export", parents=[one_shot],
        description="Write daily usage per key and item, with each day's timezone and UTC "
        "bounds, as CSV or JSON; days already stored are not fetched again.",
        help="daily usage per key and endpoint (at most 60 days) as CSV or JSON",
    )
    export.add_argument("--since", required=True, type=_date, help="first day, YYYY-MM-DD")
    export.add_argument("--until", type=_date, help="last day, YYYY-MM-DD (default today)")
    export.add_argument("--format", choices=("csv", "json"), default="csv", help="default csv")
    export.add_argument("--key", help="only this masked API key")
    export.add_argument("--output", "-o", type=_output_path,
                        help="file to write (default, or '-': standard output)")

    collect = commands.add_parser(
        "collect", parents=[common],
        description="Poll into the database until stopped (Ctrl+C, SIGTERM), headless, with "
        "alert events and the alert command; each poll and event is one line on stderr.",
        help="poll into the database, headless (alert events and the alert command included)")
    collect.add_argument("--once", action="store_true", help="poll once and exit")
    collect.add_argument("--metrics", metavar="HOST:PORT",
                         help="serve Prometheus metrics of every account's database there, "
                         "labelled by account (loopback only unless --allow-remote), "
                         "e.g. 127.0.0.1:9464")
    collect.add_argument("--metrics-top", type=_count, default=20, metavar="N",
                         help="keys and items per range in the metrics, the rest summed as "
                         "'other' (default 20)")
    collect.add_argument("--allow-remote", action="store_true",
                         help="let --metrics bind an address other machines can reach")

    serve = commands.add_parser(
        "serve", parents=[common],
        help="the dashboard in a web browser (textual-serve), reading the collector's database",
        description="Serve the dashboard to web browsers: each tab runs its own dashboard on "
        "the database that 'usage-top collect' fills (read only: tabs never poll the vendor). "
        "It has no authentication: keep it on loopback behind an SSH tunnel, or an "
        "authenticating proxy.")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--public-url", help="the URL browsers reach it at, behind a proxy "
                       "(default http://HOST:PORT)")
    serve.add_argument("--allow-remote", action="store_true",
                       help="let --host be an address other machines can reach")

    check = commands.add_parser(
        "check", parents=[one_shot],
        help="poll once and exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (for cron, Nagios, Icinga)",
        description="Poll once and judge every scope against its thresholds, as a Nagios/Icinga "
        "plugin: prints one line (status, summary, performance data) and exits 0 OK, 1 WARNING, "
        "2 CRITICAL, or 3 UNKNOWN when usage-top cannot tell: the API unreachable or refusing the "
        "key, and also a bad flag or configuration (unlike the other commands, which exit 2 for "
        "those).",
    )
    check.add_argument("--warn", type=_percent, metavar="PERCENT",
                       help="warning threshold for every scope (default: each scope's amber)")
    check.add_argument("--crit", type=_percent, metavar="PERCENT",
                       help="critical threshold for every scope (default: each scope's red)")
    check.add_argument("--json", action="store_true",
                       help="print JSON: each scope's state, usage, projection and ETA")
    check.add_argument("--deadline", type=_seconds, default=CHECK_DEADLINE, metavar="SECONDS",
                       help=f"UNKNOWN if the poll (retries included) takes longer "
                       f"(default {CHECK_DEADLINE:g}; keep it under the monitor's own timeout)")

    sim = commands.add_parser(
        "sim", help="serve the demo's API simulator on a loopback port",
        description="Serve a seeded simulator of a vendor's usage API (the one the demo runs "
        "on) over HTTP, to point usage-top or curl at; it prints the URL and the API key.")
    sim.add_argument("--provider", choices=registry.names(), default=registry.DEFAULT,
                     help=f"whose API to simulate (default {registry.DEFAULT})")
    sim.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks one)")
    sim.add_argument("--seed", type=int, default=7, help="data seed (default 7)")
    sim.add_argument("--timezone", default="UTC", help="workspace timezone of the simulated account")
    sim.add_argument("--keys", type=int, default=36, help="number of API keys (default 36)")
    return parser


class _VersionAction(argparse.Action):
    """``--version``: the installed version, looked up only when asked (finding it scans
    the installed packages' metadata, which every other start would pay for nothing)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the version and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"usage-top {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("usage-top")
    except PackageNotFoundError:  # run from a source tree that is not installed
        return "unknown"


def _number_in(low: float, high: float, what: str, bounds: str):
    """An argparse type: a number with ``low < value <= high``, else a one-line error."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {what}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a {what}")
        if not low < value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not {bounds}")
        return value

    return parse


_seconds = _number_in(0, 3600, "number of seconds", "between 0 and 3600 seconds")


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number from 1 to 1000")
    return int(text)
_percent = _number_in(0, 1000, "number", "a percentage above 0")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


_ONE_SHOT = ("report", "export", "check")
"""Commands that poll once: ``--interval`` means nothing to them."""


def _settings(args: argparse.Namespace) -> Settings:
    if args.command in _ONE_SHOT and hasattr(args, "interval"):  # given before the command
        raise UsageError(f"--interval does not apply to {args.command}: it polls once")
    flags = {name: getattr(args, name, None) for name in
             ("provider", "demo", "db", "base_url", "interval", "timezone", "poll", "redact")}
    return load_settings(getattr(args, "config", None), **flags)


def _reject_key_flags(argv: list[str]) -> None:
    for arg in argv:
        if arg.split("=", 1)[0] in ("--api-key", "--apikey", "--token"):
            raise UsageError(
                "API keys are not accepted on the command line (other users can see argv): "
                "set PUBRIO_API_KEY or api_key in the config file"
            )


_VALUE_OPTIONS = ("--db", "--config", "--base-url", "--interval", "--timezone", "--account")


def _command_of(argv: list[str]) -> str | None:
    """The command word of ``argv`` (skipping the common options and their values),
    known before parsing so that ``check`` can report even a bad flag as UNKNOWN."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in _VALUE_OPTIONS:
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def main(argv: list[str] | None = None, clock: Clock | None = None) -> int:
    """Run usage-top; ``clock`` lets tests freeze time for the app and the simulator."""
    try:
        code = _main(sys.argv[1:] if argv is None else argv, clock)
        sys.stdout.flush()  # here, where a reader gone is caught, not at exit
        return code
    except BrokenPipeError:  # `usage-top check | head`: the reader left; nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _main(argv: list[str], clock: Clock | None) -> int:
    if _command_of(argv) == "check":
        return _main_check(argv, clock)
    try:
        _reject_key_flags(argv)
        args = build_parser().parse_args(argv)
        if args.command == "sim":
            startup.release()
            return _run_sim(args)
        settings = _settings(args)
        if args.command is not None:  # the dashboard's comes after its first frame
            startup.release()
        warning = file_warning(getattr(args, "config", None) or _config_path())
        if warning:
            print(warning, file=sys.stderr)
        account = getattr(args, "account", None)
        if args.command in ("report", "export"):
            settings = accounts.one_account(settings, account)
        if args.command == "report":
            return asyncio.run(_report(settings, clock, Range(args.range), args.key, args.json))
        if args.command == "collect":
            metrics = _metrics_address(args)
            watched = accounts.watched(settings, account)
            if len(watched) > 1:
                return asyncio.run(accounts.collect(watched, clock, args.once, metrics,
                                                    args.metrics_top))
            settings = next(iter(watched.values()))
            return asyncio.run(_collect(settings, clock, args.once, metrics, args.metrics_top))
        if args.command == "serve":
            from usage_top.commands.serve import serve

            return serve(settings, args)
        if args.command == "export":
            return asyncio.run(_export(settings, clock, args))
        if args.command == "check":  # pragma: no cover - routed by _main_check
            return _main_check(argv, clock)
        if len(settings.fleet()) > 1:
            return accounts.dashboard(settings, clock, account)
        return _dashboard(accounts.one_account(settings, account), clock)
    except (UsageError, ConfigError, StoreError, ListenError, accounts.AccountError) as exc:
        print(f"usage-top: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise  # main's, not a bug
    except Exception as exc:  # a bug: one line for the user, the traceback to a file
        print(crash_line(exc), file=sys.stderr)
        return 1


def _metrics_address(args: argparse.Namespace) -> tuple[str, int] | None:
    """``--metrics HOST:PORT`` checked before anything is opened; None without it."""
    if args.metrics is None:
        if args.allow_remote:
            raise UsageError("--allow-remote only applies with --metrics")
        return None
    host, port = split_address(args.metrics)
    return check_host(host, args.allow_remote, "--metrics"), port


def _console():
    """Rich's console for the report, whose reader leaving is main's BrokenPipeError (Rich
    would exit 1, the code of a failure)."""
    from rich.console import Console

    class ReportConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError

    return ReportConsole()


def _output_path(text: str) -> Path | None:
    """``-o -`` is standard output, as for most tools (None: no file)."""
    return None if text == "-" else Path(text)


def _config_path() -> Path:
    from usage_top.config import default_config_path

    return Path(os.environ.get("USAGE_TOP_CONFIG") or default_config_path())


def _open_runtime(settings: Settings, clock: Clock | None, max_wait: float | None = None) -> Runtime:
    """The run's store, provider and collector; ``async with`` it to close them.
    ``max_wait``: ``Runtime.open``'s (one-shot commands: ``ONE_SHOT_WAIT``)."""
    from usage_top.pipeline.runtime import Runtime

    return Runtime.open(settings, clock or utc_now, sim_clock=clock, max_wait=max_wait)


async def _report(
    settings: Settings, clock: Clock | None, range_: Range, key: str | None, as_json: bool
) -> int:
    from usage_top.commands.report import build_report, range_dates, render_json, render_text
    from usage_top.domain.format import age_text

    async with _open_runtime(settings, clock, ONE_SHOT_WAIT) as runtime:
        outcome = await runtime.collector.poll_once()
        last = runtime.store.last_success()
        if not outcome.ok and last is None:
            print(f"usage-top: {outcome.error}", file=sys.stderr)
            return EXIT_USAGE if outcome.needs_user else EXIT_UNREACHABLE
        if key:
            key = _resolve_key(runtime, key)
            if outcome.landed:
                fetched = await runtime.collector.fetch_key(key, *range_dates(runtime, range_))
                outcome = outcome if fetched.ok else fetched
        elif outcome.landed:  # keys beyond a day's top counted over the whole range
            fetched = await runtime.collector.fetch_range_keys(*range_dates(runtime, range_))
            outcome = outcome if fetched.ok else fetched
        if outcome.partial:  # exit 0: the rest is live; the warning and the JSON name the parts
            print(f"usage-top: some parts failed: {outcome.error}; their stored figures are "
                  f"shown, marked stale", file=sys.stderr)
        elif not outcome.ok:
            age = age_text((runtime.now() - last.finished_at).total_seconds())
            print(f"usage-top: {outcome.error}; showing stored data from {age} ago", file=sys.stderr)
        report = build_report(runtime, range_, key, outcome.error, outcome.failed)
        if as_json:
            print(render_json(report))
        else:
            render_text(report, _console(), settings.tz)
        return EXIT_USAGE if outcome.needs_user else EXIT_OK  # a rejected key needs the user


async def _collect(settings: Settings, clock: Clock | None, once: bool,
                   metrics: tuple[str, int] | None = None, top: int = 20) -> int:
    """Poll through the poll service (poll, alerts, alert command) and log each poll and
    each event as one line on stderr, as the dashboard shows and toasts them; with
    ``metrics``, serve the database's Prometheus metrics meanwhile."""
    from usage_top.oncall.alerts import event_line
    from usage_top.pipeline.service import PollReport, PollService
    from usage_top.views.redact import runtime_reader

    async with _open_runtime(settings, clock) as runtime:
        hook = _logged_hook(settings, runtime.now)
        service = PollService(runtime.collector, runtime.alerts, hook)
        exporter = _metrics_server([runtime], metrics, top) if metrics else None
        shown = runtime_reader(runtime).redactor.text  # --redact: pseudonyms in the log

        def log(report: PollReport) -> None:
            outcome = report.outcome
            if exporter is not None:
                exporter.observe(settings.account, outcome)
            _log(shown(f"{utc_text(outcome.finished_at)} poll {outcome.log_text} "
                       f"({outcome.requests} requests)"))
            for event in report.events:
                _log(shown(event_line(event)))

        try:
            if once:
                report = await service.poll()
                log(report)
                return _exit_code(report.outcome)
            fatal = await service.run(_stop_on_signals(), on_report=log)
            return EXIT_USAGE if fatal else EXIT_OK
        finally:
            if exporter is not None:
                await exporter.aclose()


def _metrics_server(runtimes: list[Runtime], address: tuple[str, int], top: int):
    """The metrics server of these accounts on ``address`` (a one-line usage error if
    it cannot bind)."""
    from usage_top.exporter.serving import MetricsServer

    host, port = address
    try:
        server = MetricsServer(runtimes, host, port, top)
    except OSError as exc:
        raise UsageError(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from None
    _log(f"metrics on http://{host}:{server.port}/metrics")
    return server


def _resolve_key(runtime: Runtime, given: str) -> str:
    """The stored key ``--key`` names (its short form works); else a usage error."""
    from usage_top.commands.keys import KeyNotFound, resolve_key

    try:
        return resolve_key(given, runtime.store.keys())
    except KeyNotFound as exc:
        raise UsageError(str(exc)) from None


def _logged_hook(settings: Settings, now: Clock):
    """The alert command, each failure logged on its own line as it happens (so a
    failing command leaves the poll's outcome alone: the poll landed); None without one."""
    from usage_top.oncall.hooks import CommandHook

    if not settings.alert_command:
        return None
    command = CommandHook(settings.alert_command, settings.alert_timeout,
                          on_error=lambda error: _log(f"{utc_text(now())} {error}"))

    def hook(event) -> None:
        command(event)

    return hook


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _stop_on_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM: ``collect`` finishes its poll and exits."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _exit_code(outcome) -> int:
    if outcome.landed:  # a partial poll landed: its failed parts are logged, polling goes on
        return EXIT_OK
    return EXIT_USAGE if outcome.needs_user else EXIT_UNREACHABLE


def _main_check(argv: list[str], clock: Clock | None) -> int:
    """``check``: every failure, a bad flag included, is UNKNOWN (3) on standard output."""
    from usage_top.oncall.check import EXIT_CODES, UNKNOWN, CheckUsageError, summary, to_json, unknown

    now = (clock or utc_now)()
    as_json = "--json" in argv

    def fail(error: str) -> int:
        result = unknown(now, error)
        print(to_json(result) if as_json else summary(result), flush=True)
        return EXIT_CODES[UNKNOWN]

    try:
        _reject_key_flags(argv)
        args = build_parser().parse_args(argv)
        settings = _settings(args)
        startup.release()
        warning = file_warning(getattr(args, "config", None) or _config_path())
        if warning:
            print(warning, file=sys.stderr)
        watched = accounts.watched(settings, getattr(args, "account", None))
        if len(watched) > 1:
            return asyncio.run(accounts.check(watched, clock, args.warn, args.crit, args.json,
                                              args.deadline))
        settings = next(iter(watched.values()))
        return asyncio.run(_check(settings, clock, args.warn, args.crit, args.json, args.deadline))
    except (UsageError, ConfigError, CheckUsageError, accounts.AccountError) as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise  # main's, not a bug
    except Exception as exc:  # a bug: UNKNOWN (1 would read as WARNING), the traceback to a file
        return fail(crash_line(exc))


async def _check(
    settings: Settings, clock: Clock | None, warn: float | None, crit: float | None, as_json: bool,
    deadline: float = CHECK_DEADLINE,
) -> int:
    from usage_top.oncall.check import summary, to_json

    async with _open_runtime(settings, clock, ONE_SHOT_WAIT) as runtime:
        result = await _judge(runtime, settings, warn, crit, deadline)
        print(to_json(result) if as_json else summary(result), flush=True)
        _say_zone_note(runtime, settings)
        return result.exit_code


def _say_zone_note(runtime: Runtime, settings: Settings, account: str = "") -> None:
    """The note ``report`` prints when the data contradicts the configured timezone, on
    stderr: a person running ``check`` reads it, the monitoring system's one line on
    stdout stays one line. ``account``: whose data it is, where several were checked."""
    from usage_top.store import StoreError
    from usage_top.views.zone_check import zone_mismatch

    try:
        note = zone_mismatch(runtime.store, runtime.capabilities, settings.tz, runtime.now())
    except StoreError:
        return
    if note:
        print(f"usage-top: {account + ': ' if account else ''}{note}", file=sys.stderr)


async def _judge(runtime: Runtime, settings: Settings, warn: float | None, crit: float | None,
                 deadline: float) -> CheckResult:
    """One account's fresh poll (within ``deadline``) judged: its check result."""
    import dataclasses

    from usage_top.domain.parts import SCOPES
    from usage_top.oncall.check import evaluate, unknown
    from usage_top.views.redact import runtime_reader

    if warn is not None and crit is not None and warn >= crit:
        raise UsageError(f"--warn ({warn:g}) must be below --crit ({crit:g})")
    try:
        outcome = await asyncio.wait_for(runtime.collector.poll_once(), timeout=deadline)
    except TimeoutError:
        outcome = None
    now = runtime.now()
    if outcome is None:
        return unknown(now, f"no answer from the API within {deadline:g}s")
    reader = runtime_reader(runtime)
    if outcome.ok or (outcome.partial and SCOPES not in outcome.stale):
        result = evaluate(reader, settings, now, warn, crit)
        if outcome.partial:  # the scopes are live: judge them, and name what is missing
            result = dataclasses.replace(result, missing=reader.redactor.text(outcome.error))
        return result
    # stale scope readings: UNKNOWN, named
    return unknown(now, reader.redactor.text(outcome.error) or "poll failed")


async def _export(settings: Settings, clock: Clock | None, args: argparse.Namespace) -> int:
    """Fetch what the range needs (cached days are not fetched again), then write it."""
    from usage_top.commands.export import MAX_EXPORT_DAYS, daily_columns, daily_rows
    from usage_top.domain.periods import local_today
    from usage_top.views.redact import runtime_reader
    from usage_top.views.serialise import estimates_json, render, units_json

    async with _open_runtime(settings, clock, ONE_SHOT_WAIT) as runtime:
        capabilities, now = runtime.capabilities, runtime.now()
        zone = capabilities.day_zone(settings.tz)
        until = args.until or local_today(now, zone)
        if args.since > until:
            raise UsageError(f"--since {args.since} is after --until {until}")
        if (until - args.since).days + 1 > MAX_EXPORT_DAYS:
            raise UsageError(f"at most {MAX_EXPORT_DAYS} days per export (asked for "
                             f"{(until - args.since).days + 1})")
        if args.output:
            _check_writable(args.output)  # before spending requests on the fetch
        failed, key = await _fetch_for_export(runtime, args.since, until, args.key)
        reader = runtime_reader(runtime)
        rows = daily_rows(reader, capabilities, args.since, until, zone, key)
        error = failed.error if failed else None
        if failed and not rows:
            print(f"usage-top: {error}", file=sys.stderr)
            return _exit_code(failed)
        if error:
            print(f"usage-top: {error}; exporting what is stored", file=sys.stderr)
        dimension = capabilities.dimension
        meta = {"since": args.since.isoformat(), "until": until.isoformat(), "timezone": str(zone),
                "key": reader.redactor.text(key), "exported_at_utc": utc_text(now),
                "complete": error is None,
                "dimension": dimension.kind if dimension else None,
                "units": units_json(capabilities), "estimates": estimates_json(capabilities)}
        text = render(rows, daily_columns(capabilities), args.format, meta)
        if args.output:
            try:
                args.output.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
            print(f"wrote {len(rows)} rows to {args.output}", file=sys.stderr)
        else:
            sys.stdout.write(text)
        return EXIT_USAGE if failed and failed.needs_user else EXIT_OK


def _check_writable(path: Path) -> None:
    """A one-line usage error for an output path that cannot be written."""
    if path.is_dir():
        raise UsageError(f"cannot write {path}: it is a directory (give a file name)")
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"cannot write {path}: the directory {parent} does not exist")


async def _fetch_for_export(
    runtime: Runtime, since: dt.date, until: dt.date, key: str | None
) -> tuple[PollOutcome | None, str | None]:
    """Days (to learn the keys), then each key's per-item series: the first failed
    outcome, if any, and the stored key ``key`` names (a usage error if none)."""
    collector = runtime.collector
    outcome = await collector.ensure_days(since, until)
    if key and (outcome.ok or runtime.store.keys()):
        key = _resolve_key(runtime, key)
    if not outcome.ok:
        return outcome, key
    keys = [key] if key else [row.id for row in runtime.store.key_breakdown(since, until)]
    for masked in keys:
        outcome = await collector.fetch_key(masked, since, until)
        if not outcome.ok:
            return outcome, key
    return None, key


def _run_sim(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfoNotFoundError

    from usage_top.sim import SimServer
    from usage_top.sim.demos import demo_api

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535, not {args.port}")
    try:
        vendor = registry.vendor(args.provider)
        api = demo_api(vendor.name, tz=args.timezone, seed=args.seed, keys=args.keys)
        server = SimServer(api.simulator, host=args.host, port=args.port)
    except ZoneInfoNotFoundError:
        raise UsageError(
            f"unknown timezone {args.timezone!r} (use an IANA name such as Europe/Paris)"
        ) from None
    except (OSError, ValueError, OverflowError) as exc:
        raise UsageError(f"cannot start the simulator: {exc}") from None
    url = server.url + api.prefix
    print(f"{vendor.name} simulator on {url} (API key: {api.key}); Ctrl+C stops it", flush=True)
    local, note = _client_url(server.url)
    print(f"  try: {vendor.key_env}={api.key} usage-top --provider {vendor.name} "
          f"--base-url {local + api.prefix}", flush=True)
    if note:
        print(f"  {note}", flush=True)
    server.serve_forever()
    return EXIT_OK


def _client_url(url: str) -> tuple[str, str | None]:
    """The base URL a client on this machine can use for the simulator at ``url`` (usage-top
    takes plain http only on loopback), and a note when it differs from the bound one."""
    import ipaddress
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = (parts.hostname or "").strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url, None
    if address.is_loopback:
        return url, None
    loopback = "[::1]" if address.version == 6 else "127.0.0.1"
    if address.is_unspecified:
        return f"http://{loopback}:{parts.port}", None
    return (f"http://{loopback}:{parts.port}",
            f"usage-top takes plain http only on loopback: tunnel to it "
            f"(ssh -L {parts.port}:{host}:{parts.port} this-host) and use the URL above")


def _dashboard(settings: Settings, clock: Clock | None) -> int:
    runtime = _open_runtime(settings, clock)
    from usage_top.tui.app import run_dashboard

    return run_dashboard(runtime)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
