"""The fault matrix (see faults_table.py) against the collector and ``usage-top report``.

Every case runs the real code over a loopback socket into a real SQLite file: a
good poll first, then the fault, then recovery. For each: no exception escapes,
the error is one line that says what happened, the last good data stays (and
``report`` marks it stale), the server saw no more requests than the retry policy
allows and never sooner than the backoff or ``Retry-After`` it asked for, and the
next poll after the server recovers is whole again.

The collector runs every case; ``report`` runs one case of each kind in CI
(``faults_table.CORE``: it polls through the same collector) and every case with
``USAGE_TOP_SOAK=1``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from usage_top.commands.cli import main
from usage_top.pipeline.collector import Collector
from usage_top.domain.periods import HISTORY_DAYS
from usage_top.providers.http import ApiClient
from usage_top.providers.pubrio import AUTH_HEADER, PubrioProvider
from usage_top.sim import DEMO_API_KEY, Faults, Simulator
from usage_top.store import Store

from .conftest import FROZEN
from .faults_table import (
    CASES,
    SCALE,
    TIMEOUT,
    Case,
    Restartable,
    ScaledTime,
    attempts_gaps,
    build_history,
    case_ids,
    check_backoff,
    client_options,
    one_line,
    scale_runtime_client,
    tui_cases,
)

TODAY = FROZEN.date()
FIRST_DAY = TODAY - dt.timedelta(days=HISTORY_DAYS - 1)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """One good poll at FROZEN (31 days backfilled): each test starts from a copy."""
    path = tmp_path_factory.mktemp("history") / "usage.db"
    build_history(path, FROZEN)
    return path


@pytest.fixture
def stored(history, isolated_env):
    """A copy of the history database, where ``settings``/``report`` expect it."""
    path = isolated_env / "usage.db"
    shutil.copyfile(history, path)
    with Store(path) as store:
        yield store


@pytest.fixture
def server(clock):
    server = Restartable(Simulator(seed=7, clock=clock, tz="UTC"))
    yield server
    server.close()


def snapshot(store) -> dict:
    """Every figure the store shows for the history window."""
    return {
        "totals": [store.totals(FIRST_DAY + dt.timedelta(days=n), FIRST_DAY + dt.timedelta(days=n))
                   for n in range(HISTORY_DAYS)],
        "keys": store.key_breakdown(FIRST_DAY, TODAY),
        "endpoints": store.item_breakdown("endpoint", FIRST_DAY, TODAY),
        "scopes": store.latest_scopes(),
    }


def check_requests(case: Case, sim: Simulator, since: int, scaled: ScaledTime) -> int:
    """The server saw as many requests as the retry policy allows, spaced as it asked,
    and the client slept the backoff between them."""
    seen = len(sim.requests) - since
    low, high = case.requests
    assert low <= seen <= high, f"{case.id}: the server saw {seen} requests"
    gaps = attempts_gaps(sim, since)
    if case.gap:
        assert gaps and min(gaps) >= case.gap, f"{case.id}: retried after {min(gaps):.2f} s"
    check_backoff(case, scaled.slept)
    return seen


def check_hold(case: Case, sim: Simulator, mark: int) -> None:
    """After a Retry-After beyond the cap, the next poll still waits (the capped time)."""
    if case.hold:
        waited = (sim.requests[mark].time - sim.requests[mark - 1].time) * SCALE
        assert waited >= case.hold, f"{case.id}: next poll came {waited:.0f} s later"


# --- the collector ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=case_ids())
async def test_collector_fault_matrix(case: Case, server, stored, clock):
    store = stored  # one good poll at FROZEN, 31 days of history
    scaled = ScaledTime()
    async with ApiClient(server.url, {AUTH_HEADER: DEMO_API_KEY}, **client_options(scaled)) as client:
        collector = Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC, clock=clock,
                              interval=30)
        before, good = snapshot(store), store.last_success()
        assert good.started_at == FROZEN

        clock.advance(seconds=30)
        server.apply(case)  # (building a canned body asks the simulator: count after)
        since = len(server.sim.requests)
        outcome = await collector.poll_once()  # never raises, whatever the server does
        seen = check_requests(case, server.sim, since, scaled)
        waits = ", ".join(f"{wait:.2f}" for wait in sorted(scaled.slept)[-4:])
        print(f"\n  {case.id}: the server saw {seen} requests; longest client waits: {waits}",
              end="")  # the figures of RELIABILITY.md (pytest -s)
        if case.fails and outcome.partial:  # a fault on one path costs that part only
            error = one_line(outcome.error)
            assert all(fragment in error for fragment in case.says), error
            assert not outcome.needs_user and store.last_poll().outcome == "ok"
            after = snapshot(store)
            if "scopes" in outcome.stale:  # the failed part's figures: the last good ones
                assert after["scopes"] == before["scopes"] and after["scopes"]
            if "days" in outcome.stale:
                assert after["totals"] == before["totals"]
            assert outcome.stale != {"scopes", "days"}  # the rest landed, live
        elif case.fails:
            error = one_line(outcome.error)
            assert all(fragment in error for fragment in case.says), error
            assert not outcome.needs_user  # transient or vendor-side: keep polling
            assert snapshot(store) == before  # the last good data, untouched
            assert store.last_success() == good
            last = store.last_poll()
            assert last.outcome == "error" and last.error == outcome.error
        else:
            assert outcome.ok, outcome.error
            case.accepted(store, server.sim)

        # Recovery: the next poll after the server recovers is whole again.
        server.recover()
        clock.advance(seconds=30)
        mark = len(server.sim.requests)
        outcome = await collector.poll_once()
        assert outcome.ok, outcome.error
        check_hold(case, server.sim, mark)
        assert store.last_success().started_at == clock()
        fresh = snapshot(store)
        assert fresh["totals"][:-1] == before["totals"][:-1]  # past days never changed
        assert len(fresh["scopes"]) == 6 and fresh["keys"]


async def test_a_fault_that_clears_within_the_retries_costs_no_poll(server, store, clock):
    """Two 503s then success: the poll succeeds, after backoffs the server can see."""
    scaled = ScaledTime()
    async with ApiClient(server.url, {AUTH_HEADER: DEMO_API_KEY}, **client_options(scaled)) as client:
        collector = Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC, clock=clock)
        server.sim.set_faults(Faults(status=503, count=2, paths=("/profile/usage",)))
        outcome = await collector.poll_once()
        assert outcome.ok and store.has_data()
        assert server.sim.request_count("/profile/usage") == 3
        assert len(gaps := attempts_gaps(server.sim, 0, "/profile/usage")) == 2
        assert gaps[0] >= 0.5 * 0.75 and gaps[1] >= 1.0 * 0.75  # 0.5 s, then 1 s, less jitter


# --- usage-top report ---------------------------------------------------------------


@pytest.fixture
def report_env(server, isolated_env, monkeypatch):
    """``report`` against the restartable simulator, its client on scaled time."""
    scaled = ScaledTime()
    monkeypatch.setenv("PUBRIO_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("PUBRIO_BASE_URL", server.url)
    monkeypatch.setenv("USAGE_TOP_DB", str(isolated_env / "usage.db"))
    monkeypatch.setenv("USAGE_TOP_TIMEOUT", str(TIMEOUT))
    scale_runtime_client(monkeypatch, scaled)
    server.scaled = scaled
    return server


def _report(capsys, clock) -> tuple[int, dict | None, str]:
    code = main(["report", "--json"], clock=clock)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, (json.loads(out) if out else None), err


@pytest.mark.parametrize("case", tui_cases(), ids=lambda case: case.id)
def test_report_fault_matrix(case: Case, report_env, isolated_env, history, capsys, clock):
    server = report_env
    shutil.copyfile(history, isolated_env / "usage.db")
    clock.advance(seconds=30)
    code, good, err = _report(capsys, clock)
    assert code == 0 and err == "" and good["stale"] is False

    clock.advance(minutes=5)
    server.apply(case)
    since = len(server.sim.requests)
    server.scaled.slept.clear()
    code, report, err = _report(capsys, clock)
    check_requests(case.as_one_shot(), server.sim, since, server.scaled)
    assert code == 0  # stored data to show: a report, not a failure
    if case.fails and report["failed_parts"] and report["data_as_of"] != good["data_as_of"]:
        line = one_line(err.removesuffix("\n"))  # one part failed: named, the rest live
        assert line.startswith("usage-top: some parts failed: ") and line.endswith("marked stale")
        assert report["stale"] is True
        error = one_line(report["error"])
        assert all(fragment in error for fragment in case.says), error
    elif case.fails:
        line = one_line(err.removesuffix("\n"))
        assert line.startswith("usage-top: ") and line.endswith("showing stored data from 5m ago")
        assert report["stale"] is True
        error = one_line(report["error"])
        assert all(fragment in error for fragment in case.says), error
        assert report["totals"] == good["totals"] and report["by_key"] == good["by_key"]
    else:
        assert err == "" and report["stale"] is False

    server.recover()
    clock.advance(minutes=5)
    code, report, err = _report(capsys, clock)
    assert code == 0 and err == "" and report["stale"] is False and report["error"] is None


@pytest.mark.parametrize("case", [c for c in CASES if c.id in ("429", "503", "refused",
                                                               "invalid-json")],
                         ids=lambda c: c.id)
def test_report_with_no_stored_data_exits_3_in_one_line(case: Case, report_env, capsys, clock):
    report_env.apply(case)
    code, report, err = _report(capsys, clock)
    assert code == 3 and report is None
    line = one_line(err.removesuffix("\n"))
    assert line.startswith("usage-top: ") and all(f in line for f in case.says), line
