"""The command line: exit codes, one-line errors, and what each command leaves behind.

Commands run in-process through ``main(argv, clock=...)`` against the simulator on
a loopback socket and a real SQLite file; a few run as real processes to prove
the exit code and the absence of a traceback from the outside.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from usage_top.commands.cli import main
from usage_top.domain.periods import HISTORY_DAYS
from usage_top.sim import DEMO_API_KEY
from usage_top.store import Store

from .conftest import FROZEN

FAKE_KEY = "pk_live_Q7zW3xV9SECRETfakeKEY4242"
"""A distinctive key the simulator refuses (401); it must never be echoed or stored."""


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash log, if a bug ever produced one, lands in tmp, not in the developer's home."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def _run(capsys, clock, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(err: str) -> str:
    """The single stderr line of a failure (and proof there is only one, and no traceback)."""
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1 and err.endswith("\n"), err
    assert lines[0].startswith("usage-top: "), err
    return lines[0]


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a child process: none of the developer's usage-top settings."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("PUBRIO_", "USAGE_TOP_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"), **extra)
    return env


# --- bad command lines and configurations -------------------------------------


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["report", "--bogus"], "unrecognized arguments"),
        (["frobnicate"], "invalid choice"),
        (["--interval", "1"], "interval"),
        (["report", "--interval", "4"], "interval"),
        (["report", "--interval", "often"], "--interval"),
        (["report", "--range", "yesterday"], "--range"),
        (["report", "--timezone", "Mars/Olympus_Mons"], "timezone"),
        (["--api-key", "x"], "API keys are not accepted on the command line"),
        (["report", "--api-key=x"], "API keys are not accepted on the command line"),
        (["collect", "--token", "x"], "API keys are not accepted on the command line"),
        (["--base-url", "http://example.com"], "base_url"),
        (["report", "--base-url", "ftp://127.0.0.1"], "base_url"),
        (["sim", "--port", "99999"], "--port"),
        (["sim", "--port", "-1"], "--port"),
        (["sim", "--timezone", "Nowhere/Town"], "timezone"),
        (["sim", "--keys", "0"], "keys"),
    ],
)
def test_bad_flags_exit_2_with_one_line(isolated_env, capsys, clock, argv, says):
    code, out, err = _run(capsys, clock, *argv)
    assert code == 2
    assert says in _one_line_error(err)
    assert out == ""


def test_api_key_flag_is_refused_without_echoing_the_key(isolated_env, capsys, clock):
    code, out, err = _run(capsys, clock, "report", "--api-key", FAKE_KEY)
    assert code == 2 and "argv" in _one_line_error(err)
    assert FAKE_KEY not in err + out


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("interval = [", "not valid TOML"),
        ("interval = 2\n", "interval"),
        ("amber = 95\n", "amber"),
        ("shiny = true\n", "shiny: unknown setting"),
        ('base_url = "http://api.example.com"\n', "base_url"),
    ],
)
def test_bad_config_file_exits_2_with_one_line(isolated_env, capsys, clock, text, says):
    path = isolated_env / "bad.toml"
    path.write_text(text)
    code, out, err = _run(capsys, clock, "report", "--config", str(path))
    assert code == 2 and says in _one_line_error(err) and out == ""


@pytest.mark.parametrize("command", [["report"], ["collect", "--once"], ["report", "--demo"]])
def test_corrupt_database_exits_2_and_is_left_untouched(settings, isolated_env, capsys, clock,
                                                        command):
    db = isolated_env / "corrupt.db"
    garbage = bytes(range(256)) * 64 + b"not a usage-top database"
    db.write_bytes(garbage)

    code, out, err = _run(capsys, clock, *command, "--db", str(db))

    assert code == 2
    line = _one_line_error(err)
    assert str(db) in line and "untouched" in line
    assert db.read_bytes() == garbage
    assert sorted(p.name for p in isolated_env.iterdir() if p.name.startswith("corrupt")) == [
        "corrupt.db"
    ]


# --- commands that work ----------------------------------------------------------


def test_collect_once_against_the_simulator(settings, sim, capsys, clock):
    code, out, err = _run(capsys, clock, "collect", "--once")

    assert code == 0 and out == ""
    poll, *alerts = err.splitlines()
    assert poll == "2026-11-18T14:37:00Z poll ok (32 requests)"
    assert all(line.startswith("2026-11-18T14:37:00Z alert ") for line in alerts)  # see test_hooks
    assert sim.request_count() == HISTORY_DAYS + 1
    with Store(settings.db) as store:
        assert store.last_success() is not None
        assert store.totals(FROZEN.date(), FROZEN.date())["requests"] > 0
        assert len(store.latest_scopes()) == 6


def test_collect_once_with_a_wrong_key_exits_2(settings, monkeypatch, capsys, clock):
    monkeypatch.setenv("PUBRIO_API_KEY", FAKE_KEY)
    code, out, err = _run(capsys, clock, "collect", "--once")
    assert code == 2  # a configuration problem, like report's: retrying will not fix it
    assert len(err.splitlines()) == 1 and "poll error" in err and "401" in err
    assert FAKE_KEY not in err


def test_report_demo_json(isolated_env, capsys, clock):
    code, out, err = _run(capsys, clock, "report", "--demo", "--json", "--range", "30d")

    assert code == 0, err
    assert err == ""
    report = json.loads(out)
    assert report["simulated"] is True and report["stale"] is False
    assert report["account"] == "demo workspace"
    assert report["generated_at"] == "2026-11-18T14:37:00Z"
    assert report["range"]["end"] == "2026-11-18"
    assert report["totals"]["requests"] > 0 and report["totals"]["credits"] > 0
    assert report["by_key"] and report["by_endpoint"] and report["scopes"]
    # A demo keeps its data apart from a real account's database.
    data_dir = isolated_env / "data" / "usage-top"
    assert (data_dir / "demo.db").exists() and not (data_dir / "usage.db").exists()


def test_a_world_readable_config_with_a_key_is_warned_about(isolated_env, sim_server, capsys,
                                                            clock):
    path = isolated_env / "config.toml"
    path.write_text(f'api_key = "{DEMO_API_KEY}"\nbase_url = "{sim_server.url}"\n')
    path.chmod(0o644)
    code, out, err = _run(capsys, clock, "report", "--json", "--config", str(path),
                          "--db", str(isolated_env / "u.db"))
    assert code == 0
    assert err.splitlines() == [
        f"warning: {path} holds an API key and is readable by other users (chmod 600 it)"
    ]
    assert json.loads(out)["simulated"] is False


# --- secrets ----------------------------------------------------------------------


def _db_bytes(path: Path) -> bytes:
    files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    assert path in files
    return b"".join(p.read_bytes() for p in files)  # the db, -wal and -shm if any


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_the_key_is_never_printed_or_stored(settings, monkeypatch, capsys, clock, json_flag):
    db = settings.db

    # A wrong key: refused by the API (401).
    monkeypatch.setenv("PUBRIO_API_KEY", FAKE_KEY)
    code, out, err = _run(capsys, clock, "report", *json_flag)
    assert code == 2 and "401" in err
    code2, out2, err2 = _run(capsys, clock, "collect", "--once")
    assert code2 == 2
    for text in (out, err, out2, err2):
        assert FAKE_KEY not in text
    assert FAKE_KEY.encode() not in _db_bytes(db)

    # The right key: a full report, data stored.
    monkeypatch.setenv("PUBRIO_API_KEY", DEMO_API_KEY)
    code, out, err = _run(capsys, clock, "report", *json_flag)
    assert code == 0 and out
    assert DEMO_API_KEY not in out and DEMO_API_KEY not in err
    stored = _db_bytes(db)
    assert len(stored) > 10_000  # the figures are there...
    assert DEMO_API_KEY.encode() not in stored and FAKE_KEY.encode() not in stored  # ...the key not


# --- real processes -----------------------------------------------------------------


def test_help_from_a_real_process(tmp_path):
    result = subprocess.run([sys.executable, "-m", "usage_top", "--help"], capture_output=True,
                            text=True, env=_clean_env(tmp_path), timeout=30)
    assert result.returncode == 0
    assert "usage-top" in result.stdout and "PUBRIO_API_KEY" in result.stdout
    assert "report" in result.stdout and "collect" in result.stdout
    assert result.stderr == ""


def test_bad_flag_from_a_real_process(tmp_path):
    result = subprocess.run([sys.executable, "-m", "usage_top", "report", "--range", "yesterday"],
                            capture_output=True, text=True, env=_clean_env(tmp_path), timeout=30)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "--range" in _one_line_error(result.stderr)


def test_sim_serves_until_interrupted(tmp_path):
    proc = subprocess.Popen(  # Ctrl+C as in a terminal, even where pytest runs in the background
        [sys.executable, "-m", "usage_top", "sim", "--port", "0"],  # (SIGINT ignored, inherited)
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_clean_env(tmp_path),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        assert ready, "the simulator printed nothing within 20 s"
        first = proc.stdout.readline()
        match = re.search(r"on (http://127\.0\.0\.1:(\d+)) ", first)
        assert match and int(match.group(2)) > 0, first
        url = match.group(1)

        answer = httpx.post(f"{url}/profile/usage", json={},
                            headers={"pubrio-api-key": DEMO_API_KEY}, timeout=5)
        assert answer.status_code == 200 and answer.json()["data"]["api_monthly_usage"] > 0
        refused = httpx.post(f"{url}/profile/usage", json={},
                             headers={"pubrio-api-key": FAKE_KEY}, timeout=5)
        assert refused.status_code == 401

        proc.send_signal(signal.SIGINT)  # Ctrl+C: a clean stop
        assert proc.wait(timeout=10) == 0
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
        proc.stdout.close()
        proc.stderr.close()


@pytest.mark.parametrize("command", [["check", "--demo", "--json"], ["report", "--demo", "--json"],
                                     ["report", "--demo", "--range", "30d"]])
def test_a_reader_that_leaves_is_no_error(tmp_path, command):
    """``usage-top check | head``: the reader closes the pipe; no traceback, no crash log,
    the shell's code for a command whose reader left."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run([sys.executable, "-m", "usage_top", *command], stdout=write,
                              stderr=subprocess.PIPE, env=_clean_env(tmp_path), timeout=120)
    finally:
        os.close(write)
    assert done.returncode == 141, done.stderr.decode()
    assert done.stderr.decode() == ""
    assert not (tmp_path / "state").exists() or not any((tmp_path / "state").rglob("crash*"))


def test_export_to_dash_writes_standard_output(tmp_path, capsys, clock, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, clock, "export", "--demo", "--since", FROZEN.date().isoformat(),
                          "-o", "-")
    assert code == 0, err
    header, *rows = out.splitlines()
    assert header.startswith("day,timezone,") and rows
    assert not (tmp_path / "-").exists()
