"""``usage-top report``: its figures equal the simulator's HTTP answers for the same range and key."""

from __future__ import annotations

import json

import httpx
import pytest

from usage_top.commands.cli import main
from usage_top.domain.periods import Range
from usage_top.sim import DEMO_API_KEY, Faults

from .conftest import FROZEN


def _sim_breakdown(server, start: str, end: str, key: str | None = None) -> dict:
    body = {"start_date": start, "end_date": end}
    if key:
        body["keys"] = [key]
    response = httpx.post(f"{server.url}/api_keys/usage/breakdown", json=body,
                          headers={"pubrio-api-key": DEMO_API_KEY})
    response.raise_for_status()
    return response.json()["data"]


def _run_report(capsys, clock, *args: str) -> tuple[int, dict | str, str]:
    code = main(["report", *args], clock=clock)
    out, err = capsys.readouterr()
    return code, (json.loads(out) if "--json" in args and out else out), err


def _by_name(rows: list[dict], field: str) -> dict:
    return {row[field]: row for row in rows}


@pytest.mark.parametrize("range_", [r.value for r in Range])
def test_report_json_equals_the_simulator(settings, sim_server, clock, capsys, range_):
    code, report, err = _run_report(capsys, clock, "--json", "--range", range_)
    assert code == 0, err
    start, end = Range(range_).dates(FROZEN.date())
    assert report["range"]["start"] == start.isoformat() and report["range"]["end"] == end.isoformat()
    expected = _sim_breakdown(sim_server, start.isoformat(), end.isoformat())

    assert report["totals"] == expected["totals"]
    keys = _by_name(report["by_key"], "key")
    assert set(keys) == {row["name"] for row in expected["by_key"]}
    for row in expected["by_key"]:
        mine = keys[row["name"]]
        assert (mine["requests"], mine["credits"]) == (row["requests"], row["credits"])
        assert mine["percent_of_credits"] == pytest.approx(row["percent_of_credits"], abs=0.001)
        assert mine["percent_of_requests"] == pytest.approx(row["percent_of_requests"], abs=0.001)
    endpoints = _by_name(report["by_endpoint"], "id")  # the vendor's slug
    assert set(endpoints) == {row["slug"] for row in expected["by_endpoint"]}
    for row in expected["by_endpoint"]:
        mine = endpoints[row["slug"]]
        assert (mine["requests"], mine["credits"]) == (row["requests"], row["credits"])
        assert mine["cost_per_call"] == pytest.approx(row["cost_per_call"], abs=0.005)
    assert report["stale"] is False and report["error"] is None


def test_report_json_counts_its_own_requests(settings, sim, sim_server, clock, capsys):
    """The report's own poll is in the poll log, and every request it sent counted."""
    code, report, err = _run_report(capsys, clock, "--json")
    assert code == 0, err
    sent = len(sim.requests)
    assert sent > 0
    once = {"polls": 1, "sent": sent}
    assert report["footprint"] == {"last_poll": sent, "last_hour": once, "last_day": once}


def test_report_for_one_key_equals_the_simulator(settings, sim_server, clock, capsys):
    start, end = Range.DAYS30.dates(FROZEN.date())
    busiest = _sim_breakdown(sim_server, start.isoformat(), end.isoformat())["by_key"][0]["name"]
    code, report, err = _run_report(capsys, clock, "--json", "--range", "30d", "--key", busiest)
    assert code == 0, err
    expected = _sim_breakdown(sim_server, start.isoformat(), end.isoformat(), key=busiest)
    assert report["key"] == busiest
    assert report["totals"] == expected["totals"]
    assert [(r["key"], r["requests"], r["credits"]) for r in report["by_key"]] == [
        (r["name"], r["requests"], r["credits"]) for r in expected["by_key"]
    ]
    endpoints = _by_name(report["by_endpoint"], "id")
    assert {slug: (r["requests"], r["credits"]) for slug, r in endpoints.items()} == {
        r["slug"]: (r["requests"], r["credits"]) for r in expected["by_endpoint"]
    }


def test_report_scopes_equal_profile_usage(settings, sim_server, clock, capsys):
    code, report, _ = _run_report(capsys, clock, "--json")
    assert code == 0
    profile = httpx.post(f"{sim_server.url}/profile/usage", json={},
                         headers={"pubrio-api-key": DEMO_API_KEY}).json()["data"]
    scopes = {(s["scope"], s["period"]): s for s in report["scopes"]}
    for period in ("monthly", "daily", "hourly"):
        assert scopes[("api", period)]["used"] == profile[f"api_{period}_usage"]
        assert scopes[("api", period)]["limit"] == profile[f"total_max_api_{period}_query"]
        assert scopes[("api", period)]["rate_limit_per_minute"] == 300
    levels = {period: scopes[("api", period)]["level"] for period in ("monthly", "daily", "hourly")}
    assert levels == {"monthly": "normal", "daily": "amber", "hourly": "red"}


def test_text_report_is_readable(settings, clock, capsys):
    code, out, _ = _run_report(capsys, clock, "--range", "today")
    assert code == 0
    assert "Scopes" in out and "Top endpoints" in out and "Top keys" in out
    assert "api monthly" in out.lower()


def test_unreachable_api_with_no_data_exits_3(isolated_env, monkeypatch, capsys, clock):
    monkeypatch.setenv("PUBRIO_API_KEY", DEMO_API_KEY)
    code = main(["report", "--base-url", "http://127.0.0.1:9", "--db", str(isolated_env / "x.db")],
                clock=clock)
    _, err = capsys.readouterr()
    assert code == 3
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_falls_back_to_stored_data_and_says_how_old(settings, sim, clock, capsys):
    assert main(["report", "--json"], clock=clock) == 0
    capsys.readouterr()
    clock.advance(minutes=5)
    sim.set_faults(Faults(status=503, count=-1))
    code, report, err = _run_report(capsys, clock, "--json")
    assert code == 0
    assert report["stale"] is True and "503" in report["error"]
    assert "showing stored data from 5m ago" in err
    assert report["totals"]["requests"] > 0


def test_wrong_key_is_a_one_line_error_with_exit_2(settings, monkeypatch, capsys, clock):
    monkeypatch.setenv("PUBRIO_API_KEY", "not-the-key")
    code = main(["report"], clock=clock)
    _, err = capsys.readouterr()
    assert code == 2
    assert err.count("\n") == 1 and "HTTP 401" in err and "not-the-key" not in err
