"""The alert command: receives each event in USAGE_TOP_EVENT_* variables, never the API key;
bounded by a timeout; its failure is reported, never fatal. Real processes, real files."""

from __future__ import annotations

import json
import shlex
import sys
import time
from pathlib import Path

import pytest

from usage_top.commands.cli import main
from usage_top.oncall.hooks import CommandHook
from usage_top.sim import DEMO_API_KEY
from usage_top.store.events import AlertEvent

from .conftest import FROZEN

SECRET = "pk_live_hookSECRETkey0001"

DUMP = """
import json, os, sys
with open(sys.argv[1], "a", encoding="utf-8") as out:
    out.write(json.dumps(dict(os.environ)) + "\\n")
"""


@pytest.fixture
def dump(tmp_path: Path) -> tuple[str, Path]:
    """A command that appends its whole environment, as one JSON line, to a file."""
    script = tmp_path / "dump.py"
    script.write_text(DUMP, encoding="utf-8")
    out = tmp_path / "events.jsonl"
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {shlex.quote(str(out))}", out


def _received(out: Path) -> list[dict[str, str]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


EVENT = AlertEvent(id=7, at=FROZEN, kind="threshold", scope="api.daily", level="amber", state="raised",
                   percent=81.1234, used=3602, limit=4440,
                   message="api.daily amber: 81.1% (3,602 of 4,440), threshold 75%")


def test_the_command_receives_the_event_and_not_the_key(dump, monkeypatch):
    command, out = dump
    monkeypatch.setenv("PUBRIO_API_KEY", SECRET)
    monkeypatch.setenv("USAGE_TOP_API_KEY", SECRET)
    hook = CommandHook(command)
    assert hook(EVENT) is None and hook.last_error is None
    (env,) = _received(out)
    assert {name: value for name, value in env.items() if name.startswith("USAGE_TOP_EVENT_")} == {
        "USAGE_TOP_EVENT_ACCOUNT": "default",
        "USAGE_TOP_EVENT_ID": "7",
        "USAGE_TOP_EVENT_KIND": "threshold",
        "USAGE_TOP_EVENT_SCOPE": "api.daily",
        "USAGE_TOP_EVENT_LEVEL": "amber",
        "USAGE_TOP_EVENT_STATE": "raised",
        "USAGE_TOP_EVENT_PERCENT": "81.1",
        "USAGE_TOP_EVENT_USED": "3602",
        "USAGE_TOP_EVENT_LIMIT": "4440",
        "USAGE_TOP_EVENT_MESSAGE": "api.daily amber: 81.1% (3,602 of 4,440), threshold 75%",
        "USAGE_TOP_EVENT_AT": "2026-11-18T14:37:00Z",
    }
    assert SECRET not in json.dumps(env)
    assert env["PATH"]  # the rest of the environment is passed on


def test_the_command_is_told_the_account_and_never_gets_an_accounts_key(dump, monkeypatch):
    command, out = dump
    monkeypatch.setenv("PROD_OPENAI_KEY", SECRET)
    hook = CommandHook(command, account="prod", secrets=("PROD_OPENAI_KEY",))
    assert hook(EVENT) is None
    (env,) = _received(out)
    assert env["USAGE_TOP_EVENT_ACCOUNT"] == "prod"
    assert "PROD_OPENAI_KEY" not in env and SECRET not in json.dumps(env)


def test_unknown_figures_are_empty(dump):
    command, out = dump
    CommandHook(command)(EVENT.model_copy(update={"id": None, "percent": None, "used": None, "limit": None}))
    (env,) = _received(out)
    assert [env[f"USAGE_TOP_EVENT_{n}"] for n in ("ID", "PERCENT", "USED", "LIMIT")] == ["", "", "", ""]


def test_a_failing_command_is_reported_in_one_line(tmp_path):
    errors: list[str] = []
    hook = CommandHook("echo 'webhook said no' >&2; exit 4", on_error=errors.append)
    assert hook(EVENT) == "alert command failed with exit code 4: webhook said no"
    assert errors == [hook.last_error]
    assert CommandHook("/nonexistent/alert-command")(EVENT).startswith("alert command failed with exit code 127")


def test_a_hanging_command_is_killed_after_the_timeout(tmp_path):
    """Told by events, not by the time it took (a loaded machine may be slow): the hook
    returns before the command could finish, and its children never finish either."""
    marker = tmp_path / "survived"
    hook = CommandHook(f"sleep 1; touch {shlex.quote(str(marker))}", timeout=0.2)
    assert hook(EVENT) == "alert command timed out after 0.2s and was killed"
    assert not marker.exists()  # returned while the command still ran: it was cut short
    time.sleep(1.5)  # past the command's own end: only a kill keeps the marker away
    assert not marker.exists()  # the whole process group went, not just the shell


def test_headless_collect_fires_the_events_and_the_command(settings, clock, capsys, monkeypatch, dump, sim):
    command, out = dump
    monkeypatch.setenv("USAGE_TOP_ALERT_COMMAND", command)
    assert main(["collect", "--once"], clock=clock) == 0
    _, err = capsys.readouterr()
    received = [(e["USAGE_TOP_EVENT_KIND"], e["USAGE_TOP_EVENT_SCOPE"], e["USAGE_TOP_EVENT_LEVEL"],
                 e["USAGE_TOP_EVENT_STATE"]) for e in _received(out)]
    assert sorted(received) == [("anomaly", f"key:{sim.spike_key}", "amber", "raised"),
                                ("threshold", "api.daily", "amber", "raised"),
                                ("threshold", "api.hourly", "red", "raised")]
    alert_lines = [line for line in err.splitlines() if " alert " in line]
    assert len(alert_lines) == 3
    assert "2026-11-18T14:37:00Z alert threshold api.hourly red raised: api.hourly red: 92.9%" in err
    assert all(DEMO_API_KEY not in json.dumps(e) for e in _received(out))

    # The next run (another process, the same database) does not fire again.
    clock.advance(minutes=1)
    assert main(["collect", "--once"], clock=clock) == 0
    _, err = capsys.readouterr()
    assert " alert " not in err and len(_received(out)) == 3


def test_a_failing_command_does_not_stop_collect(settings, clock, capsys, monkeypatch):
    monkeypatch.setenv("USAGE_TOP_ALERT_COMMAND", "exit 9")
    assert main(["collect", "--once"], clock=clock) == 0
    _, err = capsys.readouterr()
    assert err.count("alert command failed with exit code 9") == 3
    assert "Traceback" not in err


def test_figures_are_written_as_the_vendor_wrote_them(dump):
    """Used and limit are floats in the store: whole ones lose their '.0', money keeps cents."""
    command, out = dump
    CommandHook(command)(EVENT.model_copy(update={"used": 3602.0, "limit": 81.25}))
    (env,) = _received(out)
    assert (env["USAGE_TOP_EVENT_USED"], env["USAGE_TOP_EVENT_LIMIT"]) == ("3602", "81.25")
