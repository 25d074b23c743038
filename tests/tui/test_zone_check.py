"""A configured timezone behind the workspace's is noticed (#19): the simulator's
workspace is in Singapore (UTC+8) while usage-top is set to UTC, so its zone-less
last-use stamps read 8 hours in the future. The dashboard says so once, in a toast;
`report` says it above its tables and in its JSON."""

from __future__ import annotations

import json

import pytest

from usage_top.commands.cli import main
from usage_top.sim import DEMO_API_KEY
from usage_top.sim import Simulator

from .conftest import settle

SIZE = (120, 36)


@pytest.fixture
def sim(clock) -> Simulator:
    return Simulator(seed=7, clock=clock, tz="Asia/Singapore")


def _zone_toasts(app) -> list[str]:
    return [str(n.message) for n in app._notifications if str(n.message).startswith("Timezone:")]


async def test_the_dashboard_says_once_that_the_zone_looks_wrong(make_app, clock):
    async with make_app().run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        (note,) = _zone_toasts(pilot.app)
        assert "in the future read as UTC" in note and "Set `timezone`" in note
        pilot.app.clear_notifications()
        clock.advance(minutes=1)
        await pilot.press("r")
        await settle(pilot)
        assert not _zone_toasts(pilot.app)  # said once a session


def test_report_says_it_in_text_and_json(settings, clock, capsys):
    assert main(["report"], clock=clock) == 0
    text = capsys.readouterr().out
    assert "Timezone: a key's last use is" in text
    assert main(["report", "--json"], clock=clock) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["timezone_note"].startswith("Timezone: a key's last use is 7h")


def test_check_says_it_on_stderr_and_keeps_its_one_line(settings, clock, capsys):
    main(["check"], clock=clock)
    out, err = capsys.readouterr()
    assert out.startswith("USAGE ") and out.count("\n") == 1
    assert err.startswith("usage-top: Timezone: a key's last use is 7h")


@pytest.mark.parametrize("form", [[], ["--json"]])
def test_check_of_several_accounts_names_the_account_it_is_said_of(
        isolated_env, sim_server, clock, capsys, monkeypatch, form):
    """Only the account whose workspace is in Singapore while its config says UTC."""
    monkeypatch.setenv("SG_KEY", DEMO_API_KEY)
    config = isolated_env / "accounts.toml"
    config.write_text(f'[accounts.sg]\nkey_env = "SG_KEY"\nbase_url = "{sim_server.url}"\n\n'
                      f'[accounts.local]\nkey_env = "SG_KEY"\nbase_url = "{sim_server.url}"\n'
                      'timezone = "Asia/Singapore"\n')
    main(["check", "--config", str(config), *form], clock=clock)
    out, err = capsys.readouterr()
    assert "sg" in out and "local" in out
    notes = [line for line in err.splitlines() if "Timezone" in line]
    assert len(notes) == 1 and notes[0].startswith("usage-top: sg: Timezone: a key's last use")


def test_nothing_is_said_when_the_zones_agree(settings, clock, capsys, monkeypatch):
    monkeypatch.setenv("USAGE_TOP_TIMEZONE", "Asia/Singapore")
    assert main(["report", "--json"], clock=clock) == 0
    assert json.loads(capsys.readouterr().out)["timezone_note"] is None
    main(["check"], clock=clock)
    assert "Timezone" not in capsys.readouterr().err
