"""The poll service: poll, alerts, hooks, as the dashboard and ``collect`` run them.

Real code throughout: the Pubrio adapter over a loopback socket to the simulator,
a real SQLite file, the real alert engine and alert command (``/bin/sh``), frozen
time. Failures after the fetch are real ones too: a second connection holding
the write lock, a command that exits non-zero. Each must come back as the
poll's error, never as an exception, and the next poll must run as usual.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from usage_top.config import Settings
from usage_top.oncall.alerts import AlertEngine
from usage_top.oncall.hooks import CommandHook
from usage_top.pipeline.collector import Collector
from usage_top.store import Store
from usage_top.pipeline.runtime import Runtime, db_path
from usage_top.pipeline.service import PollReport, PollService
from usage_top.providers.http import ApiClient
from usage_top.providers.pubrio import AUTH_HEADER, PubrioProvider
from usage_top.providers.pubrio_capabilities import CAPABILITIES
from usage_top.sim import Faults

from .conftest import no_sleep

LOW = {"amber": 1.0, "red": 2.0}
"""Thresholds every scope of the simulated workspace is above: the first poll raises."""


@pytest.fixture
def engine(store, clock, provider, isolated_env) -> AlertEngine:
    return AlertEngine(store, Settings(**LOW), clock, capabilities=provider.capabilities)


def _service(collector: Collector, engine: AlertEngine, command: str | None = None) -> PollService:
    return PollService(collector, engine, CommandHook(command, timeout=10) if command else None)


def _raised(report: PollReport) -> list[str]:
    return [event.scope for event in report.events if event.state == "raised"]


async def test_a_poll_records_events_and_runs_the_command_for_each(
    collector, engine, store, isolated_env: Path
):
    calls = isolated_env / "calls"
    service = _service(collector, engine, f'echo "$USAGE_TOP_EVENT_SCOPE" >> "{calls}"')

    report = await service.poll()

    assert report.ok, report.outcome.error
    assert report.outcome.requests == 32 and store.last_poll().outcome == "ok"
    assert _raised(report) and [event.id for event in report.events] == sorted(
        event.id for event in report.events)
    assert calls.read_text().split() == [event.scope for event in report.events]
    assert [event.id for event in store.events()][::-1] == [event.id for event in report.events]


async def test_a_failed_poll_runs_no_alerts(collector, engine, store, sim, isolated_env: Path):
    calls = isolated_env / "calls"
    sim.set_faults(Faults(status=503))
    service = _service(collector, engine, f'echo ran >> "{calls}"')

    report = await service.poll()

    assert not report.ok and "503" in report.outcome.error and report.events == ()
    assert store.events() == [] and not calls.exists()


async def test_a_failing_alert_command_is_said_beside_live_figures_and_polling_goes_on(
    collector, engine, store, clock
):
    service = _service(collector, engine, "echo 'pager unreachable' >&2; exit 3")

    report = await service.poll()

    assert report.ok and not report.outcome.needs_user  # the figures landed: live
    alert_error = report.outcome.alert_error
    assert alert_error.startswith("alert command failed with exit code 3: pager unreachable")
    assert f"and {len(report.events) - 1} more" in alert_error  # every command ran
    assert "alerts failed: alert command failed" in report.outcome.log_text
    assert _raised(report)  # recorded all the same...
    assert store.last_success() is not None and store.has_data()  # ...after the figures landed

    clock.advance(seconds=30)
    again = await service.poll()
    assert again.ok and again.events == ()  # nothing new to announce: nothing failed
    assert store.last_poll().started_at == clock()


class _LockedBy:
    """The engine, meeting a write lock another process took just as the alerts run."""

    def __init__(self, engine: AlertEngine, path: Path) -> None:
        self.engine = engine
        self.other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.locked = True

    def evaluate(self):
        if not self.locked:
            return self.engine.evaluate()
        self.other.execute("BEGIN IMMEDIATE")
        try:
            return self.engine.evaluate()
        finally:
            self.other.execute("ROLLBACK")


async def test_a_locked_database_in_the_alert_step_is_said_and_polling_goes_on(
    collector, engine, store, clock
):
    alerts = _LockedBy(engine, store.path)
    service = PollService(collector, alerts)

    report = await service.poll()  # the engine waits out the busy timeout, then gives up

    assert report.ok and not report.outcome.needs_user and report.events == ()  # figures live
    alert_error = report.outcome.alert_error
    assert alert_error.startswith("alerts not evaluated: database: ")
    assert "locked" in alert_error and "\n" not in alert_error
    assert store.last_success() is not None and store.events() == []

    alerts.locked = False  # the other process is done
    clock.advance(seconds=30)
    again = await service.poll()
    assert again.ok and _raised(again)  # the readings are evaluated on the next poll
    alerts.other.close()


async def test_run_polls_until_stopped_and_a_stop_cuts_the_wait_short(provider, store, clock, engine):
    service = PollService(Collector(provider, store, tz=dt.UTC, clock=clock, interval=0.01), engine)
    stop, fourth = asyncio.Event(), asyncio.Event()
    reports: list[PollReport] = []

    def on_report(report: PollReport) -> None:
        reports.append(report)
        if len(reports) == 4:
            service.collector.interval = 3600  # the wait that follows would last an hour...
            fourth.set()

    task = asyncio.create_task(service.run(stop, on_report))
    await asyncio.wait_for(fourth.wait(), timeout=30)
    stop.set()
    assert await asyncio.wait_for(task, timeout=30) is None  # ...but a stop ends it

    assert [report.outcome.requests for report in reports] == [32, 2, 2, 2]
    assert all(report.ok for report in reports) and _raised(reports[0])


async def test_run_stops_on_an_error_the_user_must_fix(sim_server, store, clock, engine):
    async with ApiClient(sim_server.url, {AUTH_HEADER: "pk_wrong_key_0000"}, sleep=no_sleep) as client:
        service = PollService(Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC,
                                        clock=clock), engine)
        reports: list[PollReport] = []
        fatal = await asyncio.wait_for(service.run(asyncio.Event(), reports.append), timeout=30)

    assert fatal is not None and fatal.outcome.needs_user and "401" in fatal.outcome.error
    assert reports == [fatal]


# --- the runtime builds it ----------------------------------------------------------


async def test_the_runtime_builds_the_service_with_the_configured_command(
    settings, clock, isolated_env: Path
):
    calls = isolated_env / "calls"
    settings = settings.model_copy(update={**LOW, "alert_command": f'echo x >> "{calls}"'})

    async with Runtime.open(settings, clock) as runtime:
        assert runtime.capabilities is CAPABILITIES and runtime.service.alerts is runtime.alerts
        report = await runtime.service.poll()

    assert report.ok and _raised(report)
    assert len(calls.read_text().split()) == len([e for e in report.events if not e.snoozed])


async def test_a_runtime_that_does_not_poll_builds_its_provider_on_first_use(settings, clock):
    settings = settings.model_copy(update={"poll": False})
    Store(db_path(settings)).close()  # a viewer opens the database a collector made

    async with Runtime.open(settings, clock) as runtime:
        provider = runtime.collector.provider
        assert (provider.name, provider.capabilities, provider.requests_made) == ("pubrio", CAPABILITIES, 0)
        outcome = await runtime.collector.poll_once()  # builds it now
        assert outcome.ok and provider.requests_made == outcome.requests == 32


def test_an_unknown_provider_is_refused_in_one_line(settings, clock):
    settings = settings.model_construct(**{**dict(settings), "provider": "acme"})

    with pytest.raises(ValueError, match=r"^unknown provider 'acme' \(known: pubrio, openai, anthropic, lusha\)$"):
        Runtime.open(settings, clock)
