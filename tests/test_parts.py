"""Per-part outcomes from the outside: one failing endpoint costs its own figures only.

The simulator over a real loopback socket answers 404 on some paths (``Faults.paths``);
``report``, ``check`` and ``collect`` run in-process on a real SQLite file. The
figures expected are summed here from the simulator's raw breakdown answers.
"""

from __future__ import annotations

import datetime as dt
import json

from collections.abc import Iterator

import httpx
import pytest

from usage_top.commands.cli import main
from usage_top.sim import DEMO_API_KEY, Faults, SimServer, Simulator

from .conftest import FROZEN

BREAKDOWN = "/api_keys/usage/breakdown"
PROFILE_USAGE = "/profile/usage"
OTHER_PATHS = (PROFILE_USAGE, "/api_keys/usage/daily", "/profile")
"""Every Pubrio path but the breakdown: a server that serves the breakdown alone."""


def _run(capsys, clock, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


def _vendor_keys(sim_server, start: dt.date, end: dt.date) -> dict[str, float]:
    """Credits per key over a range, summed from the simulator's own per-day answers."""
    credits: dict[str, float] = {}
    day = start
    while day <= end:
        body = {"start_date": day.isoformat(), "end_date": day.isoformat()}
        answer = httpx.post(sim_server.url + BREAKDOWN, json=body,
                            headers={"pubrio-api-key": DEMO_API_KEY}).json()["data"]
        for row in answer["by_key"]:
            credits[row["name"]] = credits.get(row["name"], 0) + row["credits"]
        day += dt.timedelta(days=1)
    return credits


def test_report_against_a_server_with_only_the_breakdown(settings, sim, sim_server, capsys, clock):
    sim.set_faults(Faults(status=404, paths=OTHER_PATHS))
    code, out, err = _run(capsys, clock, "report", "--json", "--range", "7d")

    assert code == 0, err  # documented: 0 with a warning line naming the parts
    assert err.count("\n") == 1 and err.startswith("usage-top: some parts failed: scopes (/profile/usage)")
    assert "404" in err and "Traceback" not in err
    report = json.loads(out)
    assert report["failed_parts"] == [{"part": "scopes (/profile/usage)", "figures": "scopes",
                                       "error": report["failed_parts"][0]["error"], "day": None}]
    assert report["scopes"] == [] and report["stale"] is True
    today = FROZEN.date()
    sim.set_faults(Faults())
    expected = _vendor_keys(sim_server, today - dt.timedelta(days=6), today)
    assert {row["key"]: row["credits"] for row in report["by_key"]} == expected
    assert expected  # the breakdown is shown: the keys and their credits


def test_report_text_says_what_is_missing(settings, sim, capsys, clock):
    sim.set_faults(Faults(status=404, paths=OTHER_PATHS))
    code, out, err = _run(capsys, clock, "report")
    assert code == 0
    assert "Missing: scopes (/profile/usage): " in out and "Top keys" in out


def test_every_part_404_still_stops_with_one_line(settings, sim, capsys, clock):
    sim.set_faults(Faults(status=404))
    code, out, err = _run(capsys, clock, "report")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "404" in err and "some parts failed" not in err
    assert "check the base URL" in err  # every part 404: the base URL is wrong


def test_one_part_404_names_what_the_api_lacks_not_the_base_url(settings, sim, capsys, clock):
    sim.set_faults(Faults(status=404, paths=(PROFILE_USAGE,)))
    code, out, err = _run(capsys, clock, "report", "--json")
    assert code == 0
    error = json.loads(out)["failed_parts"][0]["error"]
    assert error.startswith("the API does not have this endpoint (HTTP 404), although the rest")
    assert "base URL" not in err and "base URL" not in error
    assert f"scopes ({PROFILE_USAGE}): the API does not have this endpoint" in err


async def test_on_demand_fetches_name_their_part(collector, sim):
    assert (await collector.poll_once()).ok  # the base URL is right
    key = sim.key_names[0]
    today = FROZEN.date()
    sim.set_faults(Faults(status=404, paths=("/api_keys/usage/daily",)))
    outcome = await collector.fetch_key(key, today, today)
    assert outcome.error.startswith("key drilldown (/api_keys/usage/daily): the API does not "
                                    "have this endpoint (HTTP 404)")
    assert not outcome.needs_user and "base URL" not in outcome.error  # polling goes on
    sim.set_faults(Faults(status=503, paths=("/profile",)))
    outcome = await collector.fetch_billing()
    assert outcome.error.startswith("billing (/profile): the API server is failing (HTTP 503")
    sim.set_faults(Faults(invalid_json=True, paths=(BREAKDOWN,)))
    outcome = await collector.fetch_item("endpoint", "people_search", today, today)
    assert outcome.error.startswith(f"endpoint drilldown ({BREAKDOWN}): the API returned invalid JSON")


def test_check_names_a_missing_part_and_judges_the_live_scopes(settings, sim, capsys, clock):
    sim.set_faults(Faults(status=404, paths=(BREAKDOWN,)))
    code, out, _ = _run(capsys, clock, "check")
    assert code in (0, 1, 2)  # the scopes landed: judged, not UNKNOWN
    assert f"missing: breakdown ({BREAKDOWN}), 31 of 31 days: " in out


def test_check_is_unknown_when_the_scopes_part_failed(settings, sim, capsys, clock):
    sim.set_faults(Faults(status=404, paths=(PROFILE_USAGE,)))
    code, out, _ = _run(capsys, clock, "check")
    assert code == 3 and out.startswith("USAGE UNKNOWN - scopes (/profile/usage): ")


def test_collect_logs_the_partial_poll_and_goes_on(settings, sim, capsys, clock):
    sim.set_faults(Faults(status=404, paths=(PROFILE_USAGE,)))
    code, _, err = _run(capsys, clock, "collect", "--once")
    first = err.splitlines()[0]
    assert "poll partial: scopes (/profile/usage): " in first and code == 0


# --- numbers that add up -------------------------------------------------------


@pytest.fixture
def busy(isolated_env, monkeypatch, clock) -> Iterator[tuple[Simulator, SimServer]]:
    """A workspace of 400 keys (more than 100 active a day) served on loopback, and
    usage-top's environment pointed at it."""
    sim = Simulator(seed=7, clock=clock, keys=400)
    with SimServer(sim).start() as server:
        monkeypatch.setenv("PUBRIO_API_KEY", DEMO_API_KEY)
        monkeypatch.setenv("PUBRIO_BASE_URL", server.url)
        monkeypatch.setenv("USAGE_TOP_DB", str(isolated_env / "usage.db"))
        yield sim, server


def _range_answer(server, start: dt.date, end: dt.date) -> dict:
    body = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    return httpx.post(server.url + BREAKDOWN, json=body,
                      headers={"pubrio-api-key": DEMO_API_KEY}).json()["data"]


def test_keys_over_a_range_come_from_one_request_over_it(busy, capsys, clock):
    sim, server = busy
    code, out, err = _run(capsys, clock, "report", "--json", "--range", "30d")
    assert code == 0, err
    # the poll's 31 single days, then the range once (its per-day lists fall short)
    assert sim.request_count(BREAKDOWN) == 31 + 1
    code, again, _ = _run(capsys, clock, "report", "--json", "--range", "30d")
    assert code == 0 and sim.request_count(BREAKDOWN) == 32 + 1  # today again; the range reused
    today = FROZEN.date()
    start = today - dt.timedelta(days=29)
    vendor = {row["name"]: row["credits"] for row in _range_answer(server, start, today)["by_key"]}
    per_day = _vendor_keys(server, start, today)
    undercounted = [key for key in vendor if per_day.get(key, 0) < vendor[key]]
    assert len(undercounted) > 10  # the case: keys outside some days' top 100
    for document in (out, again):
        shown = {row["key"]: row["credits"] for row in json.loads(document)["by_key"]}
        assert all(shown[key] == vendor[key] for key in vendor)  # each counted over the range


def test_one_key_outside_some_days_top_100_is_counted_whole(busy, capsys, clock):
    sim, server = busy
    today = FROZEN.date()
    start = today - dt.timedelta(days=29)
    per_day = _vendor_keys(server, start, today)
    whole = {row["name"]: row["credits"] for row in _range_answer(server, start, today)["by_key"]}
    key = next(key for key, credits in whole.items() if per_day.get(key, 0) < credits)
    code, out, err = _run(capsys, clock, "report", "--json", "--range", "30d", "--key", key)
    assert code == 0, err
    body = {"start_date": start.isoformat(), "end_date": today.isoformat(), "keys": [key]}
    mine = httpx.post(server.url + BREAKDOWN, json=body,
                      headers={"pubrio-api-key": DEMO_API_KEY}).json()["data"]["totals"]
    report = json.loads(out)
    assert report["totals"]["credits"] == mine["credits"] == whole[key] > per_day.get(key, 0)
    assert report["totals"]["requests"] == mine["requests"]
    assert report["by_key"][0]["credits"] == mine["credits"]  # from its own series (keys filter)


def test_keys_beyond_the_vendors_top_100_are_an_other_keys_row(busy, capsys, clock):
    sim, server = busy
    code, out, err = _run(capsys, clock, "report", "--json", "--range", "30d")
    assert code == 0, err
    code, text, _ = _run(capsys, clock, "report", "--range", "30d")
    today = FROZEN.date()
    start = today - dt.timedelta(days=29)
    vendor_total = sum(_range_answer(server, day, day)["totals"]["credits"]
                       for day in (start + dt.timedelta(days=n) for n in range(30)))
    report = json.loads(out)
    listed = sum(row["credits"] for row in report["by_key"])
    assert report["totals"]["credits"] == vendor_total and listed < vendor_total
    other = report["other_keys"]
    assert other["credits"] == vendor_total - listed > 0
    assert "top 100" in other["note"]
    shares = sum(row["percent_of_credits"] for row in report["by_key"]) + other["percent_of_credits"]
    assert abs(shares - 100) < 0.01  # shares are of the vendor's totals, the rest included
    assert "Other keys (not listed): " in " ".join(text.split())


def test_keys_that_add_up_have_no_other_row(settings, capsys, clock):
    code, out, _ = _run(capsys, clock, "report", "--json", "--range", "30d")
    assert code == 0 and json.loads(out)["other_keys"] is None
