"""Anthropic's and Lusha's errors as ``report`` and ``check`` say them: the exit code and
one line naming the cause, through the real CLI against each vendor's simulator over
loopback (its fault injection, or the demo keys its accounts refuse). The dashboard's
banner for the same errors is ``tui/test_vendor_errors_ui.py``."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import pytest

from usage_top.commands.cli import main
from usage_top.providers import http
from usage_top.sim import Faults
from usage_top.sim.anthropic import ANTHROPIC_STANDARD_KEY
from usage_top.sim.demos import demo_api
from usage_top.sim.lusha.api import LUSHA_GDPR_KEY, LUSHA_INACTIVE_KEY, LUSHA_NO_V3_KEY
from usage_top.sim.server import SimServer

from .conftest import FROZEN, no_sleep


@dataclass(frozen=True)
class Case:
    """One vendor error: how the simulator is made to answer it, what the user is told."""

    id: str
    provider: str
    says: tuple[str, ...]
    """Fragments of the one line, in order of importance."""
    report_exit: int
    faults: Faults | None = None
    key: str | None = None
    """A key the simulated vendor refuses (None: the demo account's own key)."""


CASES = [
    Case("anthropic-401", "anthropic", ("HTTP 401", "organisation admin key", "ANTHROPIC_ADMIN_KEY"), 2,
         faults=Faults(status=401)),
    Case("anthropic-401-ordinary-key", "anthropic",
         ("HTTP 401", "does not start with sk-ant-admin"), 2, key=ANTHROPIC_STANDARD_KEY),
    Case("anthropic-403", "anthropic", ("HTTP 403", "organisation admin key"), 2,
         faults=Faults(status=403)),
    # retry-after beyond what the client waits (2 min): said, not waited for
    Case("anthropic-429", "anthropic", ("HTTP 429", "try again in 5 min", "Rate limited"), 3,
         faults=Faults(status=429, retry_after="300")),
    Case("anthropic-529", "anthropic", ("HTTP 529", "5 attempts", "Overloaded"), 3,
         faults=Faults(status=529)),
    Case("lusha-401", "lusha", ("HTTP 401", "LUSHA_API_KEY"), 2, key="not-a-lusha-key"),
    Case("lusha-403-inactive", "lusha", ("HTTP 403", "Your account is not active"), 2,
         key=LUSHA_INACTIVE_KEY),
    Case("lusha-403-no-v3", "lusha", ("HTTP 403", "V3 API access is not enabled"), 2,
         key=LUSHA_NO_V3_KEY),
    Case("lusha-451", "lusha", ("HTTP 451", "GDPR"), 2, key=LUSHA_GDPR_KEY),
    Case("lusha-429", "lusha", ("HTTP 429", "3 attempts", "Too Many Requests"), 3,
         faults=Faults(status=429)),
    Case("lusha-503", "lusha", ("HTTP 503", "3 attempts", "Service Unavailable"), 3,
         faults=Faults(status=503)),
]


@pytest.fixture
def vendor(isolated_env, monkeypatch):
    """``vendor(case)`` → the CLI flags for that case's simulator, faults installed, key
    set; the CLI's client retries without waiting (the retries still go over the wire)."""
    monkeypatch.setattr(http, "ApiClient", functools.partial(http.ApiClient, sleep=no_sleep))
    servers = []

    def start(case: Case) -> tuple[list[str], object]:
        api = demo_api(case.provider, clock=lambda: FROZEN)
        server = SimServer(api.simulator).start()
        servers.append(server)
        if case.faults is not None:
            api.simulator.set_faults(case.faults)
        monkeypatch.setenv("USAGE_TOP_API_KEY", case.key or api.key)
        flags = ["--provider", case.provider, "--base-url", server.url + api.prefix,
                 "--db", str(isolated_env / "usage.db")]
        return flags, api.simulator

    yield start
    for server in servers:
        server.stop()


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=lambda: FROZEN)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_report_exits_with_one_line_naming_the_cause(vendor, capsys, case):
    flags, _ = vendor(case)
    code, out, err = _run(capsys, "report", *flags)
    assert code == case.report_exit, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert all(fragment in lines[0] for fragment in case.says), lines[0]
    assert (case.key or "sk-ant-admin01-sim") not in err  # the key itself is never said


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_check_is_unknown_with_the_same_line(vendor, capsys, case):
    flags, _ = vendor(case)
    code, out, _ = _run(capsys, "check", *flags)
    assert code == 3
    assert out.startswith("USAGE UNKNOWN - ") and out.count("\n") == 1, out
    assert all(fragment in out for fragment in case.says), out


def test_a_429_and_a_529_that_pass_are_retried_and_the_report_is_live(vendor, capsys):
    """One 429 with retry-after, then one 529 (overloaded, retried like a 503): the report
    still comes, live, exit 0; the simulator saw the retried requests."""
    case = Case("anthropic-once", "anthropic", (), 0, faults=Faults(status=429, retry_after="1", count=1))
    flags, simulator = vendor(case)
    assert _run(capsys, "report", *flags)[0] == 0
    statuses = [request.status for request in simulator.requests]
    assert statuses.count(429) == 1 and statuses.count(200) >= 3
    simulator.set_faults(Faults(status=529, count=1))
    code, out, err = _run(capsys, "report", "--json", *flags)
    assert code == 0 and err == "", err
    assert '"stale": false' in out
    assert [request.status for request in simulator.requests].count(529) == 1


@pytest.mark.parametrize("provider", ["pubrio", "openai", "anthropic", "lusha"])
def test_a_rejected_key_names_the_accounts_own_variable(provider, isolated_env, monkeypatch, capsys):
    """An account whose key is in its own ``key_env``: a 401 tells the user to check
    that variable, not the vendor's (which may not even be set)."""
    from usage_top.providers import registry

    api = demo_api(provider, clock=lambda: FROZEN)
    api.simulator.faults = Faults(status=401)
    vendor_variable = registry.vendor(provider).key_env
    with SimServer(api.simulator).start() as server:
        config = isolated_env / "accounts.toml"
        config.write_text(f'[accounts.prod]\nprovider = "{provider}"\nkey_env = "PROD_{provider.upper()}_KEY"\n'
                          f'base_url = "{server.url + api.prefix}"\n')
        monkeypatch.setenv(f"PROD_{provider.upper()}_KEY", api.key)
        monkeypatch.delenv(vendor_variable, raising=False)
        code = main(["check", "--config", str(config)], clock=lambda: FROZEN)
    out = capsys.readouterr().out
    assert code == 3, out
    assert f"check PROD_{provider.upper()}_KEY or the config file" in out
    assert vendor_variable not in out


@pytest.mark.parametrize("command", ["report", "check", "export"])
def test_a_one_shot_command_does_not_sit_out_a_long_retry_after(vendor, capsys, command):
    """A lasting 429 asking for a minute: ``report``, ``check`` and ``export`` answer at
    once, each request tried once, and say when to try again (the dashboard and
    ``collect`` sit out up to two minutes before each retry)."""
    case = Case("anthropic-429-minute", "anthropic", (), 3,
                faults=Faults(status=429, retry_after="60"))
    flags, simulator = vendor(case)
    more = ["--since", "2026-11-10"] if command == "export" else []
    code, out, err = _run(capsys, command, *flags, *more)
    assert "(HTTP 429): try again in 60 s" in out + err and code != 0  # one attempt
    assert not [request for request in simulator.requests if request.status != 429]
