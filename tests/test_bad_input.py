"""Bad configuration and flags: each is one line on stderr and exit code 2, for every command.

A table of what users get wrong (in the config file, the environment, or on the
command line), run through ``main`` for ``report``, ``collect --once`` and the
dashboard (``--no-poll``, which fails before the full-screen app starts). The
ones test_cli.py and test_config.py already run are not repeated here; these are
the ones found by probing: a key pasted with a line break, non-finite numbers, a
host with a space, a port out of range, a directory as the database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from usage_top.commands.cli import main
from usage_top.config import load_settings

from .faults_table import one_line

COMMANDS = [["report"], ["collect", "--once"], ["--no-poll"]]

FILES = [
    ('api_key = "pk_live_abc\\ndef"', "api_key: contains a line break"),
    ('api_key = "pk_live_clé"', "api_key: contains a line break, a control or a non-ASCII"),
    ('api_key = "pk\\u001b[31mred"', "api_key: contains a line break"),
    ("api_key = 12345", "api_key"),
    ("interval = inf", "interval"),
    ("interval = nan", "interval"),
    ("interval = 1e9", "interval"),
    ("timeout = -inf", "timeout"),
    ("red = nan", "red"),
    ('base_url = "https://exa mple.com"', "not a valid host name"),
    ('base_url = "https://api.pubrio.com:99999"', "invalid port"),
    ('base_url = "https://api.pubrio.com:port"', "invalid port"),
    ('base_url = "https://"', "is not an http(s) URL"),
    ('base_url = "http://0.0.0.0:8765"', "base_url"),  # every interface is not loopback
    ('base_url = "http://127.0.0.1@evil.example"', "base_url"),
    ('timezone = ""', "timezone"),
    ('db = ""', "is a directory"),
]

ENVIRONMENT = [
    ("PUBRIO_API_KEY", "pk_live_abc\ndef", "api_key: contains a line break"),
    ("PUBRIO_API_KEY", "pk\tlive", "pasted) (from PUBRIO_API_KEY)"),
    ("USAGE_TOP_INTERVAL", "inf", "interval"),
    ("USAGE_TOP_TIMEOUT", "nan", "timeout"),
    ("PUBRIO_BASE_URL", "https://api.pubrio.com:-1", "BASE_URL"),
]

FLAGS = [
    (["--interval", "inf"], "interval"),
    (["--interval", "nan"], "interval"),
    (["--interval", "1e308"], "interval"),
    (["--base-url", "https://exa mple.com"], "not a valid host name"),
    (["--base-url", "https://api.pubrio.com:70000"], "invalid port"),
    (["--timezone", ""], "timezone"),
    (["--db", ""], "is a directory"),
    (["--db", "/proc/no/such/dir/usage.db"], "cannot create"),
    (["--config", "/"], "no such config file"),
]


@pytest.fixture(autouse=True)
def _no_dashboard(monkeypatch):
    """A bad configuration must never reach the full-screen app."""
    from usage_top.tui import app

    def refuse(runtime):
        raise AssertionError("the dashboard started with a bad configuration")

    monkeypatch.setattr(app, "run_dashboard", refuse)


def _refused(capsys, clock, argv: list[str], says: str) -> None:
    code = main(argv, clock=clock)
    out, err = capsys.readouterr()
    assert code == 2 and out == "", (argv, code, err)
    line = one_line(err.removesuffix("\n"))
    assert line.startswith("usage-top: ") and says.lower() in line.lower(), line


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(("text", "says"), FILES, ids=[t for t, _ in FILES])
def test_bad_config_files(command, text, says, isolated_env: Path, capsys, clock):
    path = isolated_env / "config.toml"
    path.write_text(text + "\n")
    path.chmod(0o600)
    _refused(capsys, clock, [*command, "--config", str(path)], says)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(("name", "value", "says"), ENVIRONMENT,
                         ids=[f"{n}={v!r}" for n, v, _ in ENVIRONMENT])
def test_bad_environment(command, name, value, says, isolated_env, monkeypatch, capsys, clock):
    monkeypatch.setenv(name, value)
    _refused(capsys, clock, command, says)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize(("flags", "says"), FLAGS, ids=[" ".join(f) for f, _ in FLAGS])
def test_bad_flags(command, flags, says, isolated_env, capsys, clock):
    if "--no-poll" in command and says == "cannot create":
        says = "no database at"  # a viewer never creates a database: it says none is there
    _refused(capsys, clock, [*command, *flags], says)


def test_a_key_with_the_pasted_newline_is_taken_without_it(isolated_env, monkeypatch):
    monkeypatch.setenv("PUBRIO_API_KEY", "  pk_live_abc\n")
    assert load_settings().api_key.get_secret_value() == "pk_live_abc"


def test_a_refused_key_is_never_echoed(isolated_env, monkeypatch, capsys, clock):
    key = "pk_live_SECRET\nrest"
    monkeypatch.setenv("PUBRIO_API_KEY", key)
    assert main(["report"], clock=clock) == 2
    out, err = capsys.readouterr()
    assert "SECRET" not in out + err and "rest" not in err
