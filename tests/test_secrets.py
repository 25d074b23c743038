"""The API key goes to the vendor and nowhere else.

The simulator here accepts a distinctive key (``KEY``); usage-top runs on it
through every path (report, collect, the dashboard with its drilldowns, billing,
exports, a server that echoes the key back in its errors, a crash) with logging at
DEBUG, and every output is searched for the key and for any 8-character piece of
it: stdout, stderr, log records, the database with its ``-wal`` and ``-shm`` (read
while the store is open, then after), exports, ``crash.log``, error messages, and
the text of every screen visited.

(What is covered elsewhere: ``--api-key``/``--token`` refused, test_cli.py; the key
out of ``repr``/``model_dump``, https-only-unless-loopback and the warning for a
config file others can read, test_config.py; redaction of vendor text,
test_http_client.py.)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from usage_top.commands import report as report_module
from usage_top.commands.cli import main
from usage_top.pipeline.collector import Collector
from usage_top.config import Settings
from usage_top.crash import crash_log_path
from usage_top.providers.http import ApiClient
from usage_top.providers.pubrio import AUTH_HEADER, PubrioProvider
from usage_top.sim import Faults, SimServer, Simulator
from usage_top.store import Store
from usage_top.tui.app import UsageTopApp
from usage_top.widgets.tables import KeyTable

from .conftest import no_sleep
from .tui.conftest import settle

KEY = "pk_live_7Hq2ZxR9mWc4TnB8vLs6KdY3"
"""Distinctive: any 8 characters of it found anywhere is a leak."""
PIECES = {KEY[i:i + 8] for i in range(len(KEY) - 7)}


def leaks(text: str | bytes) -> list[str]:
    """The pieces of KEY in ``text`` (the whole key included)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return sorted(piece for piece in PIECES if piece in text)


def files_text(*roots: Path) -> dict[str, bytes]:
    """Every file under ``roots`` (the database, its -wal and -shm, exports, logs)."""
    found = {}
    for root in roots:
        for path in (root.rglob("*") if root.is_dir() else [root]):
            if path.is_file():
                found[str(path)] = path.read_bytes()
    return found


def assert_no_leak(where: str, text: str | bytes) -> None:
    assert not leaks(text), f"the key leaked into {where}: {leaks(text)}"


@pytest.fixture
def keyed_sim(clock):
    sim = Simulator(seed=7, clock=clock, tz="UTC", api_key=KEY)
    with SimServer(sim).start() as server:
        yield sim, server


@pytest.fixture
def keyed_env(keyed_sim, isolated_env, monkeypatch, caplog):
    from .faults_table import ScaledTime, scale_runtime_client

    scale_runtime_client(monkeypatch, ScaledTime())  # seconds of backoff cost milliseconds
    sim, server = keyed_sim
    monkeypatch.setenv("PUBRIO_API_KEY", KEY)
    monkeypatch.setenv("PUBRIO_BASE_URL", server.url)
    monkeypatch.setenv("USAGE_TOP_DB", str(isolated_env / "data" / "usage.db"))
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    return sim, isolated_env


def _echo(status: int) -> Faults:
    """A vendor that echoes the request's key in its error body, in several shapes."""
    body = json.dumps({"error": f"bad request from {KEY}", "message": f"key={KEY[:12]}…",
                       "request": {"headers": {AUTH_HEADER: KEY}}})
    return Faults(status=status, body=body)


def test_cli_paths_leak_nothing(keyed_env, capsys, caplog, clock):
    sim, root = keyed_env
    outputs = []
    for argv, faults in [
        (["report", "--json"], None),
        (["report"], None),
        (["report", "--key", sim.key_names[0]], None),
        (["collect", "--once"], None),
        (["report", "--json"], _echo(500)),  # stale report, error quoting the vendor
        (["report"], _echo(400)),
        (["collect", "--once"], _echo(403)),
        (["report", "--json"], Faults(status=429, retry_after="3600")),
    ]:
        sim.set_faults(faults or Faults())
        clock.advance(minutes=1)
        code = main(argv, clock=clock)
        out, err = capsys.readouterr()
        assert code in (0, 2), (argv, code, err)
        outputs.append((argv, out, err))
    sim.set_faults(Faults())
    assert any("[redacted]" in err for _, _, err in outputs)  # the echo was there, and cut
    for argv, out, err in outputs:
        assert_no_leak(f"stdout of {argv}", out)
        assert_no_leak(f"stderr of {argv}", err)
    assert caplog.records, "DEBUG logging was on"
    assert_no_leak("log records", caplog.text)
    for path, data in files_text(root).items():  # database (closed), state, config
        assert_no_leak(path, data)


async def test_collector_store_files_while_open_leak_nothing(keyed_sim, isolated_env, clock, caplog):
    """The -wal and -shm are read while the store is open (before any checkpoint)."""
    caplog.set_level(logging.DEBUG)
    sim, server = keyed_sim
    db = isolated_env / "usage.db"
    with Store(db) as store:
        async with ApiClient(server.url, {AUTH_HEADER: KEY}, sleep=no_sleep) as client:
            collector = Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC, clock=clock)
            assert (await collector.poll_once()).ok
            sim.set_faults(_echo(502))
            failed = await collector.poll_once()
            assert not failed.ok and "[redacted]" in failed.error
            assert_no_leak("the poll's error", failed.error)
            sim.set_faults(Faults())
            start = clock().date() - dt.timedelta(days=6)
            assert (await collector.fetch_key(sim.key_names[0], start, clock().date())).ok
            assert (await collector.fetch_billing()).ok
            assert_no_leak("repr of the client", repr(client))
        files = files_text(*db.parent.glob("usage.db*"))
        assert any(name.endswith("-wal") for name in files)
        for path, data in files.items():
            assert_no_leak(path, data)
    assert_no_leak("log records", caplog.text)


def screen_text(app) -> str:
    from .tui.test_tui_faults import screen_text as text

    return text(app)


async def test_dashboard_masks_the_key_and_writes_it_nowhere(keyed_sim, store, isolated_env, clock,
                                                              caplog):
    caplog.set_level(logging.DEBUG)
    sim, server = keyed_sim
    client = ApiClient(server.url, {AUTH_HEADER: KEY}, sleep=no_sleep, timeout=5)
    app = UsageTopApp(
        settings=Settings(api_key=KEY, base_url=server.url, interval=30), store=store,
        collector=Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC, clock=clock),
        capabilities=PubrioProvider.capabilities, account="api.example.com", clock=clock,
        on_close=client.aclose,
    )
    screens = {}
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screens["dashboard"] = screen_text(app)
        sim.set_faults(_echo(500))
        await pilot.press("r")
        await settle(pilot)
        screens["error banner"] = screen_text(app)
        assert "[redacted]" in app.last_outcome.error and "ERROR" in screens["error banner"]
        sim.set_faults(Faults())
        await pilot.press("K")
        await settle(pilot)
        screens["key picker"] = screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("e")  # export the endpoints table (CSV)
        await pilot.press("tab")
        await pilot.press("E")  # and the keys table (JSON)
        await settle(pilot)
        app.screen.query_one(KeyTable).focus()
        await pilot.press("enter")  # a key's drilldown
        await settle(pilot)
        screens["key drilldown"] = screen_text(app)
        await pilot.press("enter")  # one of its endpoints
        await settle(pilot)
        screens["endpoint drilldown"] = screen_text(app)
        await pilot.press("b")
        await settle(pilot)
        screens["billing"] = screen_text(app)
        # While the app runs, the database's -wal is there to be read.
        open_files = files_text(*store.path.parent.glob(store.path.name + "*"))
    for name, text in screens.items():
        assert_no_leak(f"the {name} screen", text)
    exports = files_text(isolated_env / "data" / "usage-top" / "exports")
    assert len(exports) >= 2
    for path, data in {**open_files, **exports}.items():
        assert_no_leak(path, data)
    assert_no_leak("log records", caplog.text)


# --- crashes ------------------------------------------------------------------------


def _bug_holding_the_key(runtime, *args, **kwargs):
    """A bug in a frame whose locals hold the key, as a traceback with locals would show."""
    secret = runtime.settings.api_key.get_secret_value()  # noqa: F841 - it is the point
    headers = {AUTH_HEADER: secret}  # noqa: F841
    raise RuntimeError("a bug while building the report")


def test_a_crash_in_the_cli_logs_a_traceback_without_the_key(keyed_env, capsys, monkeypatch,
                                                             clock):
    monkeypatch.setattr(report_module, "build_report", _bug_holding_the_key)
    code = main(["report"], clock=clock)
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1 and "internal error (RuntimeError)" in err
    log = crash_log_path().read_text()
    assert "a bug while building the report" in log and "_bug_holding_the_key" in log
    assert_no_leak("stderr", err)
    assert_no_leak("crash.log", log)


async def test_a_crash_in_the_dashboard_shows_one_line_without_the_key(keyed_sim, store, clock,
                                                                       isolated_env, monkeypatch,
                                                                       capsys):
    from usage_top.tui.dashboard import DashboardScreen

    sim, server = keyed_sim
    client = ApiClient(server.url, {AUTH_HEADER: KEY}, sleep=no_sleep, timeout=5)
    settings = Settings(api_key=KEY, base_url=server.url, interval=30)
    app = UsageTopApp(settings=settings, store=store,
                      collector=Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC,
                                          clock=clock),
                      capabilities=PubrioProvider.capabilities, account="api.example.com",
                      clock=clock, on_close=client.aclose)

    def crash(self, now):
        secret = self.app.settings.api_key.get_secret_value()  # noqa: F841
        raise RuntimeError("a bug while drawing")

    with pytest.raises(RuntimeError, match="a bug while drawing"):  # (run_test re-raises it)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(pilot)
            monkeypatch.setattr(DashboardScreen, "refresh_data", crash)
            await pilot.press("c")  # redraw: the bug fires
            await pilot.pause()
    out, err = capsys.readouterr()  # what the terminal shows once the app has gone
    shown = out + err
    assert "usage-top: internal error (RuntimeError); details in" in shown
    assert "Traceback" not in shown
    log = crash_log_path().read_text()
    assert "a bug while drawing" in log
    assert_no_leak("the exit message", shown)
    assert_no_leak("crash.log", log)


def test_the_key_is_not_in_a_collectors_command_line(keyed_sim, tmp_path):
    """``ps`` shows argv to every user: a running collector's holds no key."""
    _, server = keyed_sim
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PUBRIO_", "USAGE_TOP_"))}
    env.update(PUBRIO_API_KEY=KEY, PUBRIO_BASE_URL=server.url,
               USAGE_TOP_DB=str(tmp_path / "u.db"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"))
    proc = subprocess.Popen([sys.executable, "-m", "usage_top", "collect"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes()
        assert_no_leak("the command line", cmdline)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert_no_leak("stdout", out)
    assert_no_leak("stderr", err)
