"""Several accounts: their config, one file each, and collect/check/report over them.

Two real simulators on loopback, each an account of its own: ``live`` is healthy,
``broken`` refuses its key (HTTP 401), so a failing account can be shown to cost
that account only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from usage_top.commands.cli import main
from usage_top.config import ConfigError, load_settings
from usage_top.pipeline.runtime import db_path
from usage_top.sim import DEMO_API_KEY, SimServer, Simulator
from usage_top.store import Store

from .conftest import FROZEN

WRONG_KEY = "pk_live_wrongwrongwrong0000"


@pytest.fixture
def second_server(clock):
    with SimServer(Simulator(seed=11, clock=clock, tz="UTC")).start() as server:
        yield server


@pytest.fixture
def two_accounts(isolated_env: Path, sim_server, second_server, monkeypatch) -> Path:
    """A config with two Pubrio accounts, each on its own simulator, keys in variables."""
    monkeypatch.setenv("LIVE_KEY", DEMO_API_KEY)
    monkeypatch.setenv("BROKEN_KEY", WRONG_KEY)
    path = isolated_env / "accounts.toml"
    path.write_text(
        f'[accounts.live]\nkey_env = "LIVE_KEY"\nbase_url = "{sim_server.url}"\n\n'
        f'[accounts.broken]\nkey_env = "BROKEN_KEY"\nbase_url = "{second_server.url}"\n'
        'amber = 50\n')
    return path


def _run(capsys, clock, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


# --- config ----------------------------------------------------------------------


def test_each_account_gets_the_top_level_settings_under_its_own(two_accounts):
    settings = load_settings(two_accounts)
    accounts = settings.account_settings()
    assert list(accounts) == ["live", "broken"]
    live, broken = accounts["live"], accounts["broken"]
    assert live.api_key.get_secret_value() == DEMO_API_KEY
    assert broken.api_key.get_secret_value() == WRONG_KEY
    assert (live.amber, broken.amber) == (75.0, 50.0)
    assert live.account == "live" and not live.simulated


def test_an_account_never_inherits_the_top_level_key_base_url_or_budgets(
        isolated_env, monkeypatch):
    """The file's and usage-top's variables' top-level base URL, key and budgets are the
    single account's: an account without its own gets none of them (a Pubrio account
    once got the base URL set for OpenAI, and would have sent its key there). Its
    vendor's own variable (``OPENAI_BASE_URL``) still applies to that vendor's accounts."""
    monkeypatch.setenv("A_KEY", "sk-admin-aaaa")
    monkeypatch.setenv("B_KEY", DEMO_API_KEY)
    monkeypatch.setenv("USAGE_TOP_API_KEY", "top-level-key-0000")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://openai-proxy.example.com/v1")
    path = isolated_env / "accounts.toml"
    path.write_text('provider = "openai"\nbase_url = "https://top.example.com/v1"\n'
                    'budgets = { org = 100 }\n\n'
                    '[accounts.a]\nkey_env = "A_KEY"\n\n'
                    '[accounts.b]\nprovider = "pubrio"\nkey_env = "B_KEY"\n\n'
                    '[accounts.c]\nprovider = "pubrio"\nkey_env = "B_KEY"\n'
                    'base_url = "https://own.example.com"\nbudgets = { org = 7 }\n')
    accounts = load_settings(path).account_settings()
    a, b, c = accounts["a"], accounts["b"], accounts["c"]
    assert (a.provider, b.provider) == ("openai", "pubrio")
    assert a.base_url == "https://openai-proxy.example.com/v1"  # its vendor's variable
    assert b.base_url is None and not b.budgets and not a.budgets
    assert (c.base_url, c.budgets) == ("https://own.example.com", {"org": 7.0})
    keys = {name: account.api_key.get_secret_value() for name, account in accounts.items()}
    assert keys == {"a": "sk-admin-aaaa", "b": DEMO_API_KEY, "c": DEMO_API_KEY}


def test_a_single_account_config_is_the_account_default(isolated_env, monkeypatch):
    monkeypatch.setenv("PUBRIO_API_KEY", DEMO_API_KEY)
    settings = load_settings()
    assert list(settings.account_settings()) == ["default"]
    assert settings.account_settings()["default"] is settings
    assert db_path(settings).name == "usage.db"


def test_one_database_file_per_account(two_accounts, isolated_env):
    accounts = load_settings(two_accounts).account_settings()
    paths = {name: db_path(account) for name, account in accounts.items()}
    assert paths["live"].name == "usage-live.db" and paths["broken"].name == "usage-broken.db"


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ('[accounts.prod]\nprovider = "nope"\n', "accounts.prod.provider: unknown provider"),
        ('[accounts.prod]\ninterval = 2\nkey_env = "LIVE_KEY"\n', "accounts.prod.interval"),
        ('[accounts.prod]\ncolour = "red"\n', "accounts.prod.colour: unknown setting"),
        ('[accounts.prod]\nkey_env = "NOT_SET_ANYWHERE"\n', "accounts.prod.key_env: no API key"),
        ('[accounts.prod]\nkey_env = "LIVE_KEY"\namber = 95\n',
         "accounts.prod: amber (95) must be below red (90)"),
        ('[accounts."Prod X"]\n', "'Prod X' is not an account name"),
    ],
)
def test_a_bad_account_is_one_line_naming_it_and_the_field_exit_2(
        isolated_env, monkeypatch, capsys, clock, table, says):
    monkeypatch.setenv("LIVE_KEY", DEMO_API_KEY)
    path = isolated_env / "bad.toml"
    path.write_text(table)
    with pytest.raises(ConfigError, match="bad configuration"):
        load_settings(path)
    code, out, err = _run(capsys, clock, "report", "--config", str(path))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err and "Traceback" not in err


def test_a_key_written_in_an_account_table_is_warned_about(isolated_env, sim_server, capsys,
                                                           clock):
    path = isolated_env / "config.toml"
    path.write_text(f'[accounts.one]\napi_key = "{DEMO_API_KEY}"\nbase_url = "{sim_server.url}"\n')
    path.chmod(0o644)
    code, out, err = _run(capsys, clock, "report", "--json", "--config", str(path))
    assert code == 0
    assert "holds an API key and is readable by other users" in err
    assert json.loads(out)["simulated"] is False


def test_the_demo_with_nothing_configured_has_three_accounts(isolated_env):
    fleet = load_settings(demo=True).fleet()
    assert [(name, s.provider, s.simulated) for name, s in fleet.items()] == [
        ("pubrio", "pubrio", True), ("openai", "openai", True), ("anthropic", "anthropic", True)]
    assert list(load_settings(demo=True, provider="openai").fleet()) == ["default"]


# --- one collector, check, report over two simulators, one failing ----------------


def test_collect_once_polls_both_and_the_failing_one_costs_only_itself(
        two_accounts, isolated_env, capsys, clock):
    code, out, err = _run(capsys, clock, "collect", "--once", "--config", str(two_accounts))
    assert code == 2  # the broken account's key needs the user
    lines = err.splitlines()
    assert "2026-11-18T14:37:00Z live: poll ok (32 requests)" in lines
    (broken,) = [line for line in lines if " broken: poll " in line]
    assert "error" in broken and "401" in broken and WRONG_KEY not in err
    # the variable its key is read from, not the vendor's PUBRIO_API_KEY
    assert "check BROKEN_KEY or the config file" in broken and "PUBRIO_API_KEY" not in broken
    data = isolated_env / "data" / "usage-top"
    with Store(data / "usage-live.db") as live:
        assert live.last_success() is not None and len(live.latest_scopes()) == 6
    with Store(data / "usage-broken.db") as failed:
        assert failed.last_success() is None and failed.last_poll().outcome == "error"


def test_check_names_both_accounts_and_the_worst_state_wins(two_accounts, capsys, clock):
    code, out, err = _run(capsys, clock, "check", "--config", str(two_accounts))
    assert code == 2, out  # live has a scope past red (CRITICAL) beats broken's UNKNOWN
    (line,) = out.splitlines()
    assert line.startswith("USAGE CRITICAL - live CRITICAL: ")
    assert "; broken UNKNOWN: " in line and "401" in line and "check BROKEN_KEY" in line
    assert "'live/api.hourly'=" in line and "'broken/" not in line


def test_check_json_and_account_narrowing(two_accounts, capsys, clock):
    code, out, _ = _run(capsys, clock, "check", "--json", "--config", str(two_accounts))
    document = json.loads(out)
    assert document["status"] == "CRITICAL" and document["exit_code"] == 2 == code
    assert document["accounts"]["broken"]["status"] == "UNKNOWN"
    assert document["accounts"]["live"]["scopes"]

    code, out, _ = _run(capsys, clock, "check", "--account", "broken", "--config",
                        str(two_accounts))
    assert code == 3 and out.startswith("USAGE UNKNOWN - ") and "live" not in out


def test_check_with_an_unknown_account_is_unknown(two_accounts, capsys, clock):
    code, out, _ = _run(capsys, clock, "check", "--account", "nope", "--config", str(two_accounts))
    assert code == 3 and "no account 'nope' (configured: live, broken)" in out


def test_report_needs_an_account_when_several_are_configured(two_accounts, capsys, clock):
    code, out, err = _run(capsys, clock, "report", "--config", str(two_accounts))
    assert code == 2 and out == ""
    assert "several accounts are configured (live, broken): choose one with --account" in err

    code, out, err = _run(capsys, clock, "report", "--json", "--account", "live", "--config",
                          str(two_accounts))
    assert code == 0, err
    report = json.loads(out)
    assert report["generated_at"] == "2026-11-18T14:37:00Z" and report["scopes"]


def test_export_reads_the_named_account(two_accounts, capsys, clock):
    code, out, err = _run(capsys, clock, "export", "--account", "live", "--since",
                          str(FROZEN.date()), "--format", "json", "--config", str(two_accounts))
    assert code == 0, err
    assert json.loads(out)["rows"]


# --- viewers (--no-poll), metrics and the web view over several accounts ---------


def test_a_viewer_of_several_accounts_reads_every_file_and_asks_no_vendor(
        two_accounts, sim_server, second_server, capsys, clock):
    import asyncio

    from usage_top.pipeline.fleet import Fleet
    from usage_top.tui.app import accounts_app

    assert _run(capsys, clock, "collect", "--once", "--config", str(two_accounts))[0] == 2
    asked = sim_server.sim.request_count() + second_server.sim.request_count()

    async def view() -> dict:
        fleet = Fleet.open(load_settings(two_accounts, poll=False).fleet(), clock)
        app = accounts_app(fleet)
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            assert app.collector is None and all(
                fleet[name].sim_server is None for name in fleet)
            return {row.name: row for row in app.screen.view.rows}

    rows = asyncio.run(view())
    assert set(rows) == {"live", "broken"}
    assert rows["live"].updated == clock.now and rows["live"].error is None
    assert rows["live"].worst is not None and rows["live"].today is not None
    assert rows["broken"].updated is None and "401" in rows["broken"].error  # its file says so
    assert sim_server.sim.request_count() + second_server.sim.request_count() == asked


def test_a_demo_viewer_starts_no_simulator(isolated_env, clock):
    """The three demo accounts' files, written by a polling run, read by a viewer."""
    import asyncio

    from usage_top.pipeline.fleet import Fleet

    async def poll_once() -> None:
        async with Fleet.open(load_settings(demo=True).fleet(), clock, sim_clock=clock) as fleet:
            await asyncio.gather(*(fleet[name].service.poll() for name in fleet))

    asyncio.run(poll_once())
    viewer = Fleet.open(load_settings(demo=True, poll=False).fleet(), clock)
    try:
        assert list(viewer) == ["pubrio", "openai", "anthropic"]
        assert all(viewer[name].sim_server is None for name in viewer)
        assert all(viewer[name].store.last_success() is not None for name in viewer)
    finally:
        for name in viewer:
            viewer[name].close_now()


def test_a_viewer_says_which_account_has_no_file(two_accounts, isolated_env, capsys, clock):
    assert _run(capsys, clock, "collect", "--once", "--config", str(two_accounts))[0] == 2
    missing = isolated_env / "data" / "usage-top" / "usage-broken.db"
    missing.unlink()
    code, out, err = _run(capsys, clock, "--no-poll", "--config", str(two_accounts))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("usage-top: account broken: no database at ")
    assert str(missing) in err and not missing.exists()  # named, and not created


def test_collect_metrics_labels_every_account(isolated_env, tmp_path):
    """``usage-top collect --metrics`` over two accounts, each on its own simulator over
    loopback (real time: the collector is another process), one refusing its key."""
    import httpx

    from tests.live import Process, clean_env, free_port, wait_for

    with SimServer(Simulator(seed=7, tz="UTC")).start() as live, \
            SimServer(Simulator(seed=11, tz="UTC")).start() as broken:
        config = tmp_path / "two.toml"
        config.write_text(
            f'[accounts.live]\nkey_env = "LIVE_KEY"\nbase_url = "{live.url}"\n\n'
            f'[accounts.broken]\nkey_env = "BROKEN_KEY"\nbase_url = "{broken.url}"\n')
        port = free_port()
        env = clean_env(tmp_path, LIVE_KEY=DEMO_API_KEY, BROKEN_KEY=WRONG_KEY)
        collector = Process.usage_top("collect", "--config", str(config), "--metrics",
                                      f"127.0.0.1:{port}", env=env, log_dir=tmp_path,
                                      name="collect")
        url = f"http://127.0.0.1:{port}/metrics"

        def both_polled() -> str | None:
            text = httpx.get(url, timeout=2).text
            return text if ('usage_top_last_success_timestamp_seconds{account="live"' in text
                            and 'account="broken",kind="auth"' in text) else None

        try:
            text = wait_for("both accounts' first polls in the metrics", both_polled)
        finally:
            code = collector.stop()
        assert code == 2, collector.output()[-2000:]  # stopped: broken's key needs the user
        assert "broken: polling stopped" in collector.output()
    from prometheus_client.parser import text_string_to_metric_families

    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    assert {sample.labels["account"] for sample in samples["usage_top_account_info"]} == {
        "live", "broken"}
    used = samples["usage_top_scope_used"]
    assert used and {sample.labels["account"] for sample in used} == {"live"}
    assert {sample.labels["account"]: sample.value
            for sample in samples["usage_top_account_readable"]} == {"live": 1, "broken": 1}
    assert DEMO_API_KEY not in text and WRONG_KEY not in text
