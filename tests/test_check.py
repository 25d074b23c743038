"""``usage-top check``: Nagios/Icinga exit codes (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN),
one line with performance data, and JSON. At the frozen time the simulator's api
scopes are ~62% monthly, ~81% daily and ~93% hourly."""

from __future__ import annotations

import functools
import json
import os
import re
import subprocess
import sys

import pytest

from usage_top.commands.cli import main
from usage_top.providers import http
from usage_top.sim import DEMO_API_KEY, Faults
from usage_top.store import Store

from .conftest import FROZEN, no_sleep


@pytest.fixture
def instant_retries(monkeypatch):
    """The CLI's HTTP client retries without waiting (the retries still go over the wire)."""
    monkeypatch.setattr(http, "ApiClient", functools.partial(http.ApiClient, sleep=no_sleep))


def _check(capsys, clock, *args: str) -> tuple[int, str, str]:
    code = main(["check", *args], clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


def _perf(line: str) -> dict[str, list[str]]:
    data = line.split(" | ", 1)[1]
    return {label: value.split(";") for label, value in re.findall(r"'([^']+)'=(\S+)", data)}


def test_critical_with_the_default_thresholds(settings, clock, capsys):
    code, out, err = _check(capsys, clock)
    assert code == 2, err
    assert out.count("\n") == 1
    assert out.startswith("USAGE CRITICAL - api.hourly 92.9% >= 90%, api.daily 81.1% >= 75% | ")
    perf = _perf(out)
    assert list(perf) == ["api.monthly", "api.daily", "api.hourly",
                          "portal.monthly", "portal.daily", "portal.hourly"]
    assert perf["api.daily"] == ["81.1%", "75", "90", "0", "100"]
    assert perf["api.hourly"][0] == "92.9%" and perf["api.monthly"][0] == "62.0%"


def test_exit_code_follows_the_thresholds(settings, clock, capsys):
    for flags, code, status in [
        (["--warn", "95", "--crit", "99"], 0, "OK"),
        (["--warn", "80", "--crit", "95"], 1, "WARNING"),
        (["--crit", "92"], 2, "CRITICAL"),
        (["--warn", "60", "--crit", "93"], 1, "WARNING"),
    ]:
        got, out, err = _check(capsys, clock, *flags)
        assert (got, out.split(" - ")[0]) == (code, f"USAGE {status}"), (flags, err)
        if status == "OK":
            assert out.startswith("USAGE OK - 6 scopes under their thresholds (highest api.hourly 92.9%)")
            assert _perf(out)["api.daily"][1:3] == ["95", "99"]


def test_per_scope_thresholds_from_the_config_file(settings, clock, capsys, tmp_path):
    config = tmp_path / "alerts.toml"
    config.write_text('[thresholds."api.hourly"]\namber = 80\nred = 95\n'
                      '[thresholds.api]\namber = 85\n', encoding="utf-8")
    code, out, _ = _check(capsys, clock, "--config", str(config))
    assert code == 1  # hourly 92.9 >= 80 but < 95; daily 81.1 < 85
    assert out.startswith("USAGE WARNING - api.hourly 92.9% >= 80% | ")
    assert _perf(out)["api.hourly"][1:3] == ["80", "95"] and _perf(out)["api.daily"][1:3] == ["85", "90"]


def test_unreachable_api_is_unknown(isolated_env, monkeypatch, clock, capsys, instant_retries):
    monkeypatch.setenv("PUBRIO_API_KEY", DEMO_API_KEY)
    code, out, _ = _check(capsys, clock, "--base-url", "http://127.0.0.1:9",
                          "--db", str(isolated_env / "x.db"))
    assert code == 3
    assert out.startswith("USAGE UNKNOWN - ") and out.count("\n") == 1


def test_api_errors_are_unknown_even_with_stored_data(settings, sim, clock, capsys, instant_retries):
    assert _check(capsys, clock)[0] == 2
    clock.advance(minutes=5)
    sim.set_faults(Faults(status=503, count=-1))
    code, out, _ = _check(capsys, clock, "--json")
    assert code == 3
    document = json.loads(out)
    assert document["status"] == "UNKNOWN" and document["exit_code"] == 3
    assert "503" in document["error"] and document["scopes"] == []


def test_a_rejected_key_is_unknown(settings, monkeypatch, clock, capsys):
    monkeypatch.setenv("PUBRIO_API_KEY", "not-the-key")
    code, out, _ = _check(capsys, clock)
    assert code == 3 and "401" in out and "not-the-key" not in out


@pytest.mark.parametrize(("argv", "says"), [
    (["check", "--bogus"], "unrecognized arguments"),
    (["check", "--warn", "lots"], "--warn"),
    (["check", "--warn", "90", "--crit", "80"], "--warn (90) must be below --crit (80)"),
    (["check", "--warn", "95"], "warn (95) must be below crit (90)"),
    (["check", "--interval", "1"], "interval"),
    (["--interval", "1", "check"], "interval"),
    (["check", "--api-key", "x"], "API keys are not accepted"),
])
def test_bad_flags_are_unknown_not_usage_errors(settings, clock, capsys, argv, says):
    code = main(argv, clock=clock)
    out, err = capsys.readouterr()
    assert code == 3, (out, err)
    assert out.startswith("USAGE UNKNOWN - ") and says in out and out.count("\n") == 1
    assert "Traceback" not in out + err


def test_a_bad_config_file_is_unknown(settings, clock, capsys, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[thresholds."api.weekly"]\nred = 50\n', encoding="utf-8")
    code, out, _ = _check(capsys, clock, "--config", str(config))
    assert code == 3 and "api.weekly" in out


def test_other_commands_keep_exit_2_for_usage_errors(settings, clock, capsys):
    assert main(["report", "--bogus"], clock=clock) == 2
    assert main(["--db", "check", "report", "--bogus"], clock=clock) == 2  # 'check' is a value here
    capsys.readouterr()


def test_json_shape_with_projections(settings, clock, capsys):
    assert _check(capsys, clock)[0] == 2
    clock.advance(minutes=10)
    code, out, _ = _check(capsys, clock, "--json")
    document = json.loads(out)
    assert code == 2 and document["status"] == "CRITICAL" and document["exit_code"] == 2
    assert document["checked_at"] == "2026-11-18T14:47:00Z" and document["error"] is None
    assert document["summary"].startswith("USAGE CRITICAL - ")
    assert document["first_to_run_out"] == "api.hourly"
    scopes = {scope["name"]: scope for scope in document["scopes"]}
    assert set(scopes) == {"api.monthly", "api.daily", "api.hourly",
                           "portal.monthly", "portal.daily", "portal.hourly"}
    hourly, daily = scopes["api.hourly"], scopes["api.daily"]
    assert set(hourly) == {"name", "scope", "period", "state", "used", "limit", "percent", "warn", "crit",
                           "fetched_at", "resets_at", "projection", "eta", "eta_seconds"}
    assert set(hourly["projection"]) == {"rate_per_hour", "projected_at_reset", "projected_percent",
                                         "limit_at"}
    assert hourly["state"] == "CRITICAL" and hourly["eta"] == "limit reached" and hourly["eta_seconds"] == 0
    assert hourly["resets_at"] == "2026-11-18T15:00:00Z"
    # api.daily by hand from the two stored readings, 10 minutes apart.
    with Store(settings.db) as store:
        (_, first), (_, last) = store.scope_history("api.daily", FROZEN)
    assert last == daily["used"]
    rate = (last - first) * 6
    assert daily["projection"]["rate_per_hour"] == pytest.approx(rate, abs=0.01)
    hours_left = (daily["limit"] - daily["used"]) / rate
    assert daily["eta_seconds"] == pytest.approx(hours_left * 3600, abs=1)
    assert daily["eta"].startswith("limit in ") and daily["state"] == "WARNING"
    assert daily["projection"]["projected_at_reset"] == pytest.approx(
        daily["used"] + rate * (24 - 14 - 47 / 60), abs=0.01)


def test_a_slow_api_is_unknown_after_the_deadline(settings, sim, clock, capsys):
    sim.set_faults(Faults(latency=1.5, count=1))
    code, out, _ = _check(capsys, clock, "--deadline", "0.3")
    assert code == 3 and out == "USAGE UNKNOWN - no answer from the API within 0.3s\n"


def _process(tmp_path, *argv: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("PUBRIO_", "USAGE_TOP_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"), **env_extra)
    return subprocess.run([sys.executable, "-m", "usage_top", "check", *argv],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def test_a_real_process_exits_with_the_plugin_code(tmp_path, sim_server):
    """From the outside: the exit code a monitor sees, and nothing but the plugin line."""
    result = _process(tmp_path, "--base-url", sim_server.url, PUBRIO_API_KEY=DEMO_API_KEY)
    assert result.returncode == 2, result
    assert result.stdout.startswith("USAGE CRITICAL - ") and result.stdout.count("\n") == 1
    assert result.stderr == ""
