"""The commands over several accounts: which accounts a run covers, ``collect`` and
``check`` across all of them, the dashboard with the overview.

``report`` and ``export`` read one account (``--account``, or the only one);
``collect``, ``check`` and the dashboard cover every configured account
(``--account`` narrows them to one). Each account runs on its own runtime, so a
slow or failing one never holds the others up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from usage_top.config import Settings
from usage_top.domain.clock import Clock, utc_now
from usage_top.domain.format import utc_text

if TYPE_CHECKING:
    from usage_top.oncall.check import CheckResult
    from usage_top.pipeline.service import PollReport


class AccountError(Exception):
    """``--account`` names no configured account, or one is needed: one line."""


def watched(settings: Settings, account: str | None) -> dict[str, Settings]:
    """The accounts ``collect`` and ``check`` cover: every configured one, or the one
    ``--account`` names (one of the demo's accounts too). With nothing configured,
    the one simulated account, as before: the three-account demo is the dashboard's."""
    if account is None:
        return settings.account_settings()
    accounts = settings.fleet()
    if account not in accounts:
        raise AccountError(f"no account {account!r} (configured: {', '.join(accounts)})")
    return {account: accounts[account]}


def one_account(settings: Settings, account: str | None) -> Settings:
    """The account ``report`` and ``export`` read: ``--account``'s, or the only one."""
    if account is not None:
        return watched(settings, account)[account]
    accounts = settings.account_settings()
    if len(accounts) > 1:
        raise AccountError(f"several accounts are configured ({', '.join(accounts)}): "
                           "choose one with --account")
    return next(iter(accounts.values()))


async def collect(accounts: dict[str, Settings], clock: Clock | None, once: bool,
                  metrics: tuple[str, int] | None = None, top: int = 20) -> int:
    """``collect`` over several accounts: each polled on its own loop, every poll and
    event logged as one line naming its account; with ``metrics``, every account's
    Prometheus metrics on that one address meanwhile. Exit 0, or with ``--once`` the
    worst account's code (2 a key or setting to fix, 3 unreachable); polling goes on
    while one account at least can still be polled."""
    from usage_top.commands.cli import (EXIT_OK, EXIT_USAGE, _exit_code, _log, _metrics_server,
                                        _stop_on_signals)
    from usage_top.oncall.alerts import event_line
    from usage_top.pipeline.fleet import Fleet
    from usage_top.views.redact import runtime_reader, shown_account

    exporter = None
    shown: dict[str, tuple[str, Callable[[str], str]]] = {}
    """Each account's name in the log and its text as ``--redact`` has them (pseudonyms)."""

    def log(name: str, report: PollReport) -> None:
        outcome = report.outcome
        if exporter is not None:
            exporter.observe(name, outcome)
        alias, say = shown[name]
        _log(say(f"{utc_text(outcome.finished_at)} {alias}: poll {outcome.log_text} "
                 f"({outcome.requests} requests)"))
        for event in report.events:
            _log(say(f"{alias}: {event_line(event)}"))

    async with Fleet.open(accounts, clock or utc_now, sim_clock=clock) as fleet:
        shown.update({name: (shown_account(accounts[name]), runtime_reader(fleet[name]).redactor.text)
                      for name in fleet})
        if metrics:
            exporter = _metrics_server(list(fleet.runtimes.values()), metrics, top)
        try:
            if once:
                names = list(fleet)
                reports = await asyncio.gather(*(fleet[name].service.poll() for name in names))
                for name, report in zip(names, reports):
                    log(name, report)
                codes = {_exit_code(report.outcome) for report in reports}
                return EXIT_USAGE if EXIT_USAGE in codes else max(codes)
            stopped = await fleet.run(_stop_on_signals(), log)
            for name, report in stopped.items():
                alias, say = shown[name]
                _log(say(f"{alias}: polling stopped ({report.outcome.error}): fix it and "
                         "restart collect"))
            return EXIT_USAGE if stopped else EXIT_OK
        finally:
            if exporter is not None:
                await exporter.aclose()


async def check(accounts: dict[str, Settings], clock: Clock | None, warn: float | None,
                crit: float | None, as_json: bool, deadline: float) -> int:
    """``check`` over several accounts, polled side by side (each within ``deadline``):
    the worst state wins; every account is named, with its scopes' performance data."""
    from usage_top.commands.cli import ONE_SHOT_WAIT, _judge, _say_zone_note
    from usage_top.oncall.check import accounts_json, accounts_summary, worst, EXIT_CODES
    from usage_top.pipeline.fleet import Fleet
    from usage_top.views.redact import shown_account

    async with Fleet.open(accounts, clock or utc_now, sim_clock=clock,
                          max_wait=ONE_SHOT_WAIT) as fleet:
        names = list(fleet)
        judged: list[CheckResult] = await asyncio.gather(*(
            _judge(fleet[name], fleet[name].settings, warn, crit, deadline) for name in names))
        results = {shown_account(accounts[name]): result for name, result in zip(names, judged)}
        print(accounts_json(results) if as_json else accounts_summary(results), flush=True)
        for name in names:
            _say_zone_note(fleet[name], fleet[name].settings, shown_account(accounts[name]))
    return EXIT_CODES[worst(result.status for result in results.values())]


def dashboard(settings: Settings, clock: Clock | None, start: str | None) -> int:
    """The overview of every account (``start``: open on that one's dashboard; ``Esc``
    still leads back to the overview)."""
    from usage_top.pipeline.fleet import Fleet
    from usage_top.tui.app import run_accounts

    accounts = settings.fleet()
    watched(settings, start)  # an unknown --account fails here
    # The overview's first frame is drawn from the files: providers and simulators after it.
    fleet = Fleet.open(accounts, clock or utc_now, sim_clock=clock, connect=False)
    return run_accounts(fleet, start)
