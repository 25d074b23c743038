"""--redact over several accounts: no real name survives in the overview, any account's
screens, toasts and exports, nor in ``check`` over every account, ``report --account``
and ``export --account``; and a key has the same pseudonym in the dashboard and the report.

Three accounts with names of their own (Pubrio, OpenAI, Anthropic), each on its
vendor's simulator over loopback, frozen time; the names that must not show are read
from each account's real SQLite file after the dashboard polled it.
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from usage_top.commands.cli import main
from usage_top.commands.export import exports_dir
from usage_top.config import load_settings
from usage_top.pipeline.fleet import Fleet
from usage_top.tui.app import accounts_app
from usage_top.tui.dashboard import DashboardScreen
from usage_top.tui.overview import AccountTable, OverviewScreen
from usage_top.widgets.status_bar import StatusBar

from ..test_redact import leaks, real_names
from .conftest import settle

ACCOUNTS = ("acme-prod", "globex-ml", "initech-labs")
CONFIG = """
[accounts.acme-prod]
provider = "pubrio"

[accounts.globex-ml]
provider = "openai"
budgets = { org = 450.0 }

[accounts.initech-labs]
provider = "anthropic"
budgets = { org = 4000.0 }
"""
SCREENS = (["tab", "e"], ["y"], ["enter"], ["escape", "v"], ["escape", "K"], ["escape", "b"],
           ["escape", "R"], ["escape", "u"], ["y"])
"""On each account's dashboard: export a pane, copy a row, drill in, the events, the key
picker, billing, reconciliation, the scope screen and its incident line."""


@pytest.fixture
def three_accounts(isolated_env, monkeypatch):
    """The configuration of three named accounts, run on the demo's simulators."""
    for name in ("OPENAI_ADMIN_KEY", "ANTHROPIC_ADMIN_KEY", "USAGE_TOP_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    path = isolated_env / "config" / "usage-top" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text(CONFIG)
    return path


def _names(app) -> set[str]:
    """Every account's name and its file's keys and private items (projects, workspaces)."""
    names = set(ACCOUNTS)
    for runtime in app.fleet.runtimes.values():
        private = tuple(d.kind for d in runtime.capabilities.dimensions if d.private)
        names |= real_names(runtime.store, private) | {runtime.account}
    return names - {"demo workspace", "demo organisation"}  # the simulators' own, not the user's


async def _press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_no_real_name_in_the_overview_any_account_or_any_command(
        three_accounts, clock, capsys, size):
    app = accounts_app(Fleet.open(load_settings(demo=True, redact=True).fleet(), clock,
                                  sim_clock=clock))
    shown: list[str] = []
    toasts: list[str] = []
    headers: list[str] = []

    def look() -> None:
        shown.append(app.export_screenshot())
        toasts.extend(f"{n.title} {n.message}" for n in app._notifications)
        # the header's own line: at 80 columns a pile of toasts can cover it on screen
        headers.extend(str(bar.render()) for bar in app.screen.query(StatusBar))

    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(pilot)
        look()
        assert isinstance(app.screen, OverviewScreen)
        await _press(pilot, "y")  # the account row under the cursor, as an incident line
        assert re.fullmatch(r"14:37Z \w+/account-[123] \S+ .+", app.clipboard), app.clipboard
        look()
        table = app.screen.query_one(AccountTable)
        rows = [table.coordinate_to_cell_key((row, 0)).row_key.value for row in range(3)]
        assert sorted(rows) == ["account-1", "account-2", "account-3"]
        for index in range(3):
            table = app.screen.query_one(AccountTable)
            table.move_cursor(row=index)
            await _press(pilot, "enter")
            number = int(rows[index].removeprefix("account-"))  # its place in the config
            assert isinstance(app.screen, DashboardScreen) and app.current == ACCOUNTS[number - 1]
            look()
            for keys in SCREENS:
                await _press(pilot, *keys)
                look()
            while not isinstance(app.screen, OverviewScreen):
                await _press(pilot, "escape")
        names = _names(app)
        tui_keys = {name: {key: app.account_reader(name).redactor.alias("key", key)
                           for key in app.fleet[name].store.keys()} for name in ACCOUNTS}

    outputs = {}
    for argv in (["check"], ["check", "--json"], ["collect", "--once"],
                 *(["report", "--account", name, *more] for name in ACCOUNTS
                   for more in ([], ["--json", "--range", "30d"])),
                 *(["report", "--account", name, "--json", "--range", "30d", "--no-redact"]
                   for name in ACCOUNTS),
                 *(["export", "--account", name, "--since", "2026-11-12", "--format", form]
                   for name in ACCOUNTS for form in ("csv", "json"))):
        flags = [] if "--no-redact" in argv else ["--redact"]
        args = [argv[0], "--demo", *flags, *(arg for arg in argv[1:] if arg != "--no-redact")]
        code = await asyncio.to_thread(main, args, clock)  # it runs its own event loop
        out, err = capsys.readouterr()
        assert code in ((0, 1, 2) if argv[0] == "check" else (0,)), (argv, out, err)
        outputs[" ".join(argv)] = out + err

    exported = [path.read_text() for path in exports_dir().glob("*")]
    assert len(exported) >= 3 and any("Copied" in toast for toast in toasts)
    plain = [text for argv, text in outputs.items() if "--no-redact" in argv]
    for text in (*shown, *toasts, *exported,
                 *(text for argv, text in outputs.items() if "--no-redact" not in argv)):
        assert leaks(text, names) == []
    for text in plain:  # the names looked for are the ones the outputs would show
        assert leaks(text, names), text[:300]
    assert len(headers) > len(shown) / 2 and all("REDACTED" in line for line in headers)
    summary = json.loads(outputs["check --json"])["summary"]
    assert all(f"account-{n} " in summary for n in (1, 2, 3)), summary
    for number, name in enumerate(ACCOUNTS, 1):  # the dashboard's key-07 is the report's key-07
        report = json.loads(outputs[f"report --account {name} --json --range 30d"])
        real = json.loads(outputs[f"report --account {name} --json --range 30d --no-redact"])
        assert report["account"] == f"account-{number}"
        ids = [row["key"] for row in report["by_key"]]
        assert ids and ids == [tui_keys[name][row["key"]] for row in real["by_key"]]
