"""Threshold alerts: once per crossing, hysteresis, period resets, state kept in the store,
acknowledgement. The simulator is driven towards its limits over loopback; the
hysteresis cases that need usage to go down use synthetic readings in a real store."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest

from usage_top.oncall.alerts import AlertEngine, AlertEvent, event_line
from usage_top.config import Settings, Thresholds
from usage_top.domain.measures import REQUESTS
from usage_top.domain.model import Period, PollResult, ScopeUsage
from usage_top.store import Store
from usage_top.providers import registry
from usage_top.views.scopes import level

from .conftest import FROZEN

PUBRIO = registry.capabilities("pubrio")


def _settings(**values) -> Settings:
    return Settings(_env_file=None, **values)


def _reading(store: Store, at: dt.datetime, used: int, *, limit: int = 100,
             resets_at: dt.datetime | None = None, name: str = "api.hourly") -> None:
    scope, period = name.split(".")
    resets_at = resets_at or at.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    store.ingest(PollResult(fetched_at=at, scopes=(ScopeUsage(
        scope=scope, period=Period(period), used=used, unit=REQUESTS, limit=limit,
        resets_at=resets_at),)))


def _walk(store, engine, clock, used_series, **kwargs) -> list[list[tuple[str, str]]]:
    """One reading a minute; the (state, level) of the events each evaluation records."""
    seen = []
    for used in used_series:
        _reading(store, clock(), used, **kwargs)
        seen.append([(event.state, event.level) for event in engine.evaluate()])
        clock.advance(minutes=1)
    return seen


# --- the simulator driven towards its limits ---------------------------------------


def _expected_crossings(readings: list[tuple[dt.datetime, int]], limit: int) -> list[tuple[str, str]]:
    """Reference for usage that only grows within a period: a raise each time the level
    climbs past the highest level of the period, a clear at each reset."""
    expected, current, previous = [], "normal", None
    rank = {"normal": 0, "amber": 1, "red": 2}
    for _, used in readings:
        if previous is not None and used < previous:
            if current != "normal":
                expected.append(("cleared", "normal"))
            current = "normal"
        now = level(100 * used / limit).value
        if rank[now] > rank[current]:
            expected.append(("raised", now))
            current = now
        previous = used
    return expected


async def test_events_fire_once_per_crossing_as_the_simulator_climbs(settings, store, collector, clock):
    engine = AlertEngine(store, settings, clock, capabilities=PUBRIO)
    events: list[AlertEvent] = []
    for _ in range(125):  # 14:37 .. 16:41: two hourly resets, the daily scope turns red
        assert (await collector.poll_once()).ok
        events += [e for e in engine.evaluate() if e.kind == "threshold"]
        clock.advance(minutes=1)

    by_scope: dict[str, list[tuple[str, str]]] = {}
    for event in events:
        by_scope.setdefault(event.scope, []).append((event.state, event.level))
    since = FROZEN - dt.timedelta(minutes=1)
    for name in ("api.hourly", "api.daily", "api.monthly"):
        readings = store.scope_history(name, since)
        assert len(readings) == 125
        limit = next(u.limit for u, _ in store.latest_scopes() if u.name == name)
        assert by_scope.get(name, []) == _expected_crossings(readings, limit), name

    # Spelled out: the frozen start raises hourly red and daily amber once each; every hour
    # resets the hourly scope, which climbs through amber to red again.
    assert by_scope["api.hourly"] == [("raised", "red"), ("cleared", "normal"), ("raised", "amber"),
                                      ("raised", "red"), ("cleared", "normal"), ("raised", "amber"),
                                      ("raised", "red")]
    assert by_scope["api.daily"] == [("raised", "amber"), ("raised", "red")]
    assert "api.monthly" not in by_scope and not any(s.startswith("portal") for s in by_scope)
    resets = [e for e in events if e.state == "cleared"]
    assert [e.at.strftime("%H:%M") for e in resets] == ["15:00", "16:00"]
    assert all("period reset" in e.message for e in resets)
    assert store.active_alerts() == {"api.daily": "red", "api.hourly": "red"}
    # Recorded, newest first, with ids.
    recorded = [e for e in store.events() if e.kind == "threshold"]
    assert [e.id for e in recorded] == sorted((e.id for e in events), reverse=True)


async def test_a_restart_does_not_fire_again(settings, store, collector, clock):
    assert (await collector.poll_once()).ok
    first = AlertEngine(store, settings, clock, capabilities=PUBRIO).evaluate()
    assert {(e.scope, e.level) for e in first if e.kind == "threshold"} == {
        ("api.hourly", "red"), ("api.daily", "amber")}
    clock.advance(minutes=1)
    assert (await collector.poll_once()).ok
    with Store(store.path) as reopened:  # another process, or the next run
        assert AlertEngine(reopened, settings, clock, capabilities=PUBRIO).evaluate() == []
        assert reopened.active_alerts() == {"api.daily": "amber", "api.hourly": "red"}


async def test_two_processes_evaluating_the_same_readings_record_each_event_once(
        settings, store, collector, clock, sim):
    assert (await collector.poll_once()).ok
    results: list[list[AlertEvent]] = []
    start = threading.Barrier(4)

    def evaluate() -> None:
        with Store(store.path) as own:
            start.wait()
            results.append(AlertEngine(own, settings, clock, capabilities=PUBRIO).evaluate())

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(found) for found in results) == [0, 0, 0, 3]
    assert Counter((e.scope, e.state) for e in store.events()) == {
        ("api.hourly", "raised"): 1, ("api.daily", "raised"): 1, (f"key:{sim.spike_key}", "raised"): 1}


# --- hysteresis, with synthetic readings -------------------------------------------


def test_clears_only_a_margin_below_the_threshold(store, clock):
    engine = AlertEngine(store, _settings(), clock, capabilities=PUBRIO)  # amber 75, red 90, margin 5
    seen = _walk(store, engine, clock, [50, 76, 74, 71, 76, 91, 89, 86, 85, 84, 89, 80, 71, 70, 69, 72])
    assert seen == [
        [], [("raised", "amber")],
        [], [], [],                    # 74, 71: still amber (clears below 70); 76 again: no event
        [("raised", "red")],
        [], [], [],                    # 89, 86, 85: red holds down to 85
        [("cleared", "amber")],        # 84: back to amber, one event
        [], [], [], [],                # 89 is not red again (< 90); 80, 71, 70 hold amber
        [("cleared", "normal")],       # 69
        [],
    ]
    assert store.active_alerts() == {}


def test_a_drop_straight_to_normal_is_one_event_and_a_jump_to_red_is_one_event(store, clock):
    engine = AlertEngine(store, _settings(), clock, capabilities=PUBRIO)
    assert _walk(store, engine, clock, [10, 95, 30]) == [
        [], [("raised", "red")], [("cleared", "normal")]]


def test_the_period_reset_clears_even_within_the_margin(store, clock):
    engine = AlertEngine(store, _settings(), clock, capabilities=PUBRIO)
    hour = clock().replace(minute=58)
    clock.now = hour
    assert _walk(store, engine, clock, [92, 93]) == [[("raised", "red")], []]
    # 15:00: a new period whose usage is still high (a burst at the top of the hour).
    _reading(store, clock(), 88)
    events = engine.evaluate()
    assert [(e.state, e.level) for e in events] == [("cleared", "normal"), ("raised", "amber")]
    assert "period reset" in events[0].message
    assert store.active_alerts() == {"api.hourly": "amber"}


def test_per_scope_thresholds_and_margin_from_the_config(store, clock):
    settings = _settings(thresholds={"api.hourly": Thresholds(amber=80, red=95), "api": Thresholds(red=99)},
                         clear_margin=2)
    assert settings.thresholds_for("api.hourly") == (80, 95)
    assert settings.thresholds_for("api.daily") == (75, 99)
    assert settings.thresholds_for("portal.daily") == (75, 90)
    engine = AlertEngine(store, settings, clock, capabilities=PUBRIO)
    assert _walk(store, engine, clock, [79, 80, 94, 95, 93, 92]) == [
        [], [("raised", "amber")], [], [("raised", "red")], [], [("cleared", "amber")]]


def test_scopes_without_a_limit_never_alert(store, clock):
    engine = AlertEngine(store, _settings(), clock, capabilities=PUBRIO)
    store.ingest(PollResult(fetched_at=clock(), scopes=(
        ScopeUsage(scope="portal", period=Period.DAILY, used=10**6, unit=REQUESTS, limit=None),)))
    assert engine.evaluate() == []


def test_event_fields_and_line(store, clock):
    engine = AlertEngine(store, _settings(), clock, capabilities=PUBRIO)
    _reading(store, clock(), 93, limit=100)
    (event,) = engine.evaluate()
    assert event.model_dump(exclude={"id"}) == {
        "at": FROZEN, "kind": "threshold", "scope": "api.hourly", "level": "red",
        "state": "raised", "percent": 93.0, "used": 93, "limit": 100,
        "message": "api.hourly red: 93.0% (93 of 100), threshold 90%", "snoozed": False}
    assert store.events() == [event] and event.id is not None
    assert store.events(after=event.id) == []
    assert event_line(event) == ("2026-11-18T14:37:00Z alert threshold api.hourly red raised: "
                                 "api.hourly red: 93.0% (93 of 100), threshold 90%")


# --- acknowledgement -----------------------------------------------------------------


def test_a_snoozed_scope_records_events_without_running_the_hook(store, clock):
    hooked: list[AlertEvent] = []
    engine = AlertEngine(store, _settings(snooze_minutes=30), clock, hook=hooked.append,
                         capabilities=PUBRIO)
    assert _walk(store, engine, clock, [80]) == [[("raised", "amber")]]
    assert len(hooked) == 1

    until = engine.acknowledge("api.hourly")
    assert until == clock() + dt.timedelta(minutes=30)
    assert engine.snoozed_until("api.hourly") == until
    assert engine.snoozed_until("api.daily") is None

    _walk(store, engine, clock, [60, 80])  # amber clears and is raised again: snoozed
    assert [(e.state, e.snoozed) for e in store.events()[:2]] == [("raised", True), ("cleared", True)]
    assert len(hooked) == 1

    _walk(store, engine, clock, [95])  # acknowledged at amber: red still gets through
    assert hooked[-1].level == "red" and not hooked[-1].snoozed

    clock.advance(minutes=30)
    assert engine.snoozed_until("api.hourly") is None
    _walk(store, engine, clock, [10, 80])
    assert [e.snoozed for e in hooked[-2:]] == [False, False] and len(hooked) == 4


def test_acknowledging_at_red_silences_everything_until_it_ends(store, clock):
    hooked: list[AlertEvent] = []
    engine = AlertEngine(store, _settings(), clock, hook=hooked.append, capabilities=PUBRIO)
    _walk(store, engine, clock, [95])
    engine.acknowledge("api.hourly", minutes=10)
    _walk(store, engine, clock, [10, 95])
    assert len(hooked) == 1 and all(e.snoozed for e in store.events()[:2])
    engine.acknowledge("api.hourly", minutes=0)
    assert engine.snoozed_until("api.hourly") is None


def test_a_failing_hook_is_not_fatal(store, clock):
    def broken(event):
        raise RuntimeError("webhook down")

    engine = AlertEngine(store, _settings(), clock, hook=broken, capabilities=PUBRIO)
    assert _walk(store, engine, clock, [95]) == [[("raised", "red")]]
    assert store.active_alerts() == {"api.hourly": "red"}


@pytest.mark.parametrize("bad", [{"thresholds": {"api.weekly": {"red": 50}}},
                                 {"thresholds": {"api": {"amber": 95}}},
                                 {"thresholds": {"api.hourly": {"amber": 80, "red": 70}}},
                                 {"thresholds": {"api": {"orange": 5}}},
                                 {"clear_margin": -1}, {"anomaly_multiple": 1}])
def test_bad_alert_settings_are_refused(bad, isolated_env):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        _settings(**bad)


def test_the_alert_modules_do_not_import_textual():
    import json
    import subprocess
    import sys

    probe = ("import json, sys\n"
             "import usage_top.oncall.alerts, usage_top.oncall.projection, usage_top.oncall.anomaly, usage_top.oncall.hooks, "
             "usage_top.oncall.check\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "textual" not in json.loads(result.stdout)
