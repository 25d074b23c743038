"""What a new user types and meets on the command line: the short key form the screens
show, output paths that cannot be written, exit codes as the README gives them, and
reports that fit an 80-column terminal. Through ``main`` against the simulator on
loopback and a real SQLite file."""

from __future__ import annotations

import datetime as dt
import json
import re
import select
import subprocess
import sys

import pytest

from usage_top.commands.cli import main
from usage_top.commands.keys import KeyNotFound, resolve_key
from usage_top.domain.format import short_key

from .conftest import FROZEN

YESTERDAY = (FROZEN.date() - dt.timedelta(days=1)).isoformat()


def _run(capsys, clock, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


def _one_line(err: str) -> str:
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("usage-top: "), err
    return lines[0]


# --- the short key form -----------------------------------------------------------


def test_report_with_the_short_key_is_that_keys_report(settings, sim, clock, capsys):
    key = sim.spike_key
    code, whole, err = _run(capsys, clock, "report", "--json", "--range", "30d", "--key", key)
    assert code == 0, err
    code, short, err = _run(capsys, clock, "report", "--json", "--range", "30d",
                            "--key", short_key(key))
    assert code == 0, err
    whole, short = json.loads(whole), json.loads(short)
    assert short["key"] == key
    assert short["totals"] == whole["totals"] and short["totals"]["requests"] > 0


def test_export_with_the_short_key_exports_that_key(settings, sim, clock, capsys):
    key = sim.spike_key
    code, out, err = _run(capsys, clock, "export", "--since", YESTERDAY, "--format", "json",
                          "--key", short_key(key))
    assert code == 0, err
    document = json.loads(out)
    assert document["meta"]["key"] == key and document["meta"]["complete"] is True
    assert document["rows"] and {row["key"] for row in document["rows"]} == {key}


@pytest.mark.parametrize("command", [["report"], ["export", "--since", YESTERDAY]])
def test_an_unknown_key_is_a_one_line_error_not_a_report_of_zeros(settings, clock, capsys,
                                                                  command):
    code, out, err = _run(capsys, clock, *command, "--key", "z••••zzz")
    assert code == 2 and out == ""
    assert "'z••••zzz' matches no known API key" in _one_line(err)


def test_a_short_form_two_keys_share_is_ambiguous():
    known = {"6••••f58": "6••••f58", "6••••••••f58": "6••••••••f58", "0••••••••a11": "ci"}
    assert resolve_key("ci", known) == "0••••••••a11"
    assert resolve_key("6••••f58", known) == "6••••f58"  # the whole masked key wins
    with pytest.raises(KeyNotFound, match="ambiguous"):
        resolve_key("6••••f58", {"6••••••••••f58": "a", "6••••••••••••f58": "b"})


# --- export paths -------------------------------------------------------------------


def test_export_into_a_missing_directory_names_the_path(settings, clock, capsys, tmp_path):
    target = tmp_path / "nodir" / "x.csv"
    code, out, err = _run(capsys, clock, "export", "--since", YESTERDAY, "-o", str(target))
    assert code == 2 and out == ""
    line = _one_line(err)
    assert str(target) in line and "does not exist" in line


def test_export_onto_a_directory_names_the_path(settings, clock, capsys, tmp_path):
    code, out, err = _run(capsys, clock, "export", "--since", YESTERDAY, "-o", str(tmp_path))
    assert code == 2 and out == ""
    line = _one_line(err)
    assert str(tmp_path) in line and "is a directory" in line


# --- exit codes against the README ----------------------------------------------------


@pytest.mark.parametrize("command", [["report"], ["report", "--json"], ["collect", "--once"],
                                     ["export", "--since", YESTERDAY]])
def test_a_rejected_key_exits_2_from_every_command(settings, monkeypatch, clock, capsys,
                                                   command):
    monkeypatch.setenv("PUBRIO_API_KEY", "not-the-key")
    code, _, err = _run(capsys, clock, *command)
    assert code == 2, err
    assert "401" in err and "not-the-key" not in err


def test_a_rejected_key_exits_2_even_with_stored_data(settings, monkeypatch, clock, capsys):
    assert _run(capsys, clock, "report")[0] == 0
    monkeypatch.setenv("PUBRIO_API_KEY", "not-the-key")
    code, out, err = _run(capsys, clock, "report")
    assert code == 2 and "401" in err
    assert "Top keys" in out  # the stored data is still shown


def test_an_export_with_an_unreachable_api_and_nothing_stored_exits_3(isolated_env, monkeypatch,
                                                                     clock, capsys):
    monkeypatch.setenv("PUBRIO_API_KEY", "pk_whatever")
    code, _, err = _run(capsys, clock, "export", "--since", YESTERDAY, "--base-url", "http://127.0.0.1:9",
                        "--db", str(isolated_env / "x.db"))
    assert code == 3, err
    assert "Traceback" not in err and "internal error" not in err


# --- the report at 80 columns -----------------------------------------------------------


@pytest.mark.parametrize("provider", ["pubrio", "openai", "anthropic"])
def test_the_report_at_80_columns_cuts_no_key_and_no_figure(isolated_env, clock, capsys,
                                                            monkeypatch, provider):
    monkeypatch.setenv("COLUMNS", "80")
    demo = ["--demo", "--provider", provider]
    code, report, err = _run(capsys, clock, "report", "--json", *demo)
    assert code == 0, err
    code, out, _ = _run(capsys, clock, "report", *demo)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 80
    figures = [cell for line in out.splitlines() if line.startswith("│")
               for cell in line.split("│")[2:]]
    assert figures and not any("…" in cell for cell in figures)  # no figure cut
    document = json.loads(report)
    for row in document["by_key"][:10]:  # named as the dashboard names it, never cut
        name = row.get("name")  # Pubrio's keys have none
        assert (name.split(" (")[0] if name and name != row["key"] else row["key"]) in out
    primary, form = {"pubrio": ("credits", "{:,}"), "openai": ("cost", "${:,.2f}"),
                     "anthropic": ("cost", "${:,.2f}")}[provider]
    for row in document[f"by_{document['dimension']}"][:10]:
        assert row[primary] is None or form.format(row[primary]) in out


# --- the simulator's try line -------------------------------------------------------------


def test_the_sim_try_line_on_every_interface_is_one_the_client_accepts(isolated_env, capsys,
                                                                       monkeypatch):
    proc = subprocess.Popen(
        [sys.executable, "-m", "usage_top", "sim", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        assert ready, "the simulator printed nothing within 20 s"
        proc.stdout.readline()
        try_line = proc.stdout.readline()
        match = re.search(r"PUBRIO_API_KEY=(\S+) usage-top (.*)$", try_line)
        assert match, try_line
        monkeypatch.setenv("PUBRIO_API_KEY", match.group(1))  # as the try line sets it
        code, out, err = _run(capsys, None, "report", *match.group(2).split())
        assert code == 0, err
        assert "Top keys" in out
    finally:
        proc.kill()
        proc.wait(timeout=5)
        proc.stdout.close()
        proc.stderr.close()


# --- the basics: version, help, options where they apply, a viewer's database -------------


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert re.fullmatch(r"usage-top \S+\n", capsys.readouterr().out)


@pytest.mark.parametrize("command", ["report", "export", "collect", "serve", "check", "sim"])
def test_every_command_describes_itself_in_its_help(capsys, command):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    description = out.split("\n\n")[1]
    assert not description.startswith(("options:", "positional")), out


@pytest.mark.parametrize("command", [["report"], ["export", "--since", YESTERDAY]])
def test_one_shot_commands_take_no_interval(isolated_env, clock, capsys, command):
    code, _, err = _run(capsys, clock, *command, "--interval", "60")
    assert code == 2 and "unrecognized arguments: --interval" in _one_line(err)


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_an_interval_that_is_no_number_says_so(isolated_env, clock, capsys, value):
    code, _, err = _run(capsys, clock, "collect", "--once", "--interval", value)
    assert code == 2 and _one_line(err) == (
        f"usage-top: bad configuration: interval must be a number of seconds between 5 and "
        f"86400, not '{value}' (from --interval)")


@pytest.mark.parametrize("command", [["report"], ["export", "--since", YESTERDAY]])
def test_an_interval_before_a_one_shot_command_is_refused(isolated_env, clock, capsys, command):
    code, _, err = _run(capsys, clock, "--interval", "60", *command)
    assert code == 2 and _one_line(err) == (
        f"usage-top: --interval does not apply to {command[0]}: it polls once")


def test_a_viewer_of_a_missing_database_says_so_and_creates_nothing(isolated_env, clock, capsys):
    missing = isolated_env / "typo.db"
    code, out, err = _run(capsys, clock, "--no-poll", "--demo", "--db", str(missing))
    assert code == 2 and out == ""
    assert f"no database at {isolated_env / 'typo'}" in _one_line(err)
    assert not list(isolated_env.glob("typo*"))
