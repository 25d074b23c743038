"""One poll as the dashboard and ``usage-top collect`` both run it: poll, alerts, hooks.

``PollService.poll`` fetches through the collector; when the poll landed, it
evaluates the alert thresholds and anomalies on the new readings (recording
events) and runs the hook for each event that is not snoozed. It never raises:
a failure after the fetch (a database locked by another process, an alert
command that exits non-zero, a bug) becomes the outcome's ``alert_error``, so
the caller shows it beside live figures and polling goes on. A poll's figures are stored before
alerts run, so a failing alert step costs the alerts only.

The alert step blocks (SQLite, the hook's subprocess, bounded by its timeout),
so it runs in a worker thread, off the event loop the dashboard draws from.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from usage_top.crash import write_crash_log
from usage_top.pipeline.collector import Collector, PollOutcome
from usage_top.store import StoreError

if TYPE_CHECKING:
    from usage_top.config import Settings
    from usage_top.store.events import AlertEvent

Hook = Callable[["AlertEvent"], "str | None"]
"""Announces one event (the alert command); returns its failure in one line, or None."""


class Alerts(Protocol):
    """The alert engine as the service uses it (``oncall.alerts.AlertEngine``, built
    without a hook: the service runs the hook and hears how it went)."""

    def evaluate(self) -> list[AlertEvent]: ...


@dataclass(frozen=True)
class PollReport:
    """One poll and what it set off.

    ``outcome.error`` holds the poll's error; ``outcome.alert_error`` the alert step's
    when the poll landed but its alerts or hooks failed (the figures are live, the
    next poll tries the alerts again)."""

    outcome: PollOutcome
    events: tuple[AlertEvent, ...] = ()
    """Events the poll's readings caused, snoozed ones included (flagged), oldest first."""

    @property
    def ok(self) -> bool:
        return self.outcome.ok


class PollService:
    """Poll, then alerts, then hooks; shared by every front end that polls."""

    def __init__(self, collector: Collector, alerts: Alerts, hook: Hook | None = None) -> None:
        self.collector = collector
        self.alerts = alerts
        self.hook = hook

    @classmethod
    def from_settings(cls, collector: Collector, settings: Settings) -> PollService:
        """The service with the configured alert command, on the collector's store and clock."""
        from usage_top.oncall.alerts import AlertEngine
        from usage_top.oncall.hooks import CommandHook

        alerts = AlertEngine(collector.store, settings, collector.clock, capabilities=collector.capabilities)
        command = settings.alert_command
        hook = CommandHook(command, settings.alert_timeout, account=settings.account,
                           secrets=settings.secret_variables) if command else None
        return cls(collector, alerts, hook)

    async def poll(self) -> PollReport:
        """One poll and its alerts. Never raises."""
        outcome = await self.collector.poll_once()
        if not outcome.landed:
            return PollReport(outcome)
        events, error = await asyncio.to_thread(self._alert)  # a partial poll's parts count too
        if error is not None:
            outcome = dataclasses.replace(outcome, alert_error=error)
        return PollReport(outcome, events)

    async def run(
        self, stop: asyncio.Event, on_report: Callable[[PollReport], object] | None = None
    ) -> PollReport | None:
        """Poll every ``collector.interval`` seconds (longer where the vendor asked to
        wait: ``Collector.next_wait``) until ``stop`` is set; polls never overlap.

        Stops early, returning that poll, on an error retrying cannot fix (a rejected
        key, a plan without API access, a wrong base URL): the user must act.
        """
        while not stop.is_set():
            report = await self.poll()
            if on_report is not None:
                on_report(report)
            if report.outcome.needs_user:
                return report
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.collector.next_wait(report.outcome))
            except TimeoutError:
                pass
        return None

    def _alert(self) -> tuple[tuple[AlertEvent, ...], str | None]:
        """Evaluate, then run the hook for each event not snoozed; the events and the
        first failure, if any (every hook still runs)."""
        try:
            events = tuple(sorted(self.alerts.evaluate(), key=lambda event: event.id or 0))
        except Exception as exc:
            return (), f"alerts not evaluated: {_failure(exc)}"
        failures = [failure for event in events if not event.snoozed
                    if (failure := self._announce(event)) is not None]
        if not failures:
            return events, None
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        return events, f"{failures[0]}{more}"

    def _announce(self, event: AlertEvent) -> str | None:
        if self.hook is None:
            return None
        try:
            failure = self.hook(event)
        except Exception as exc:  # a hook must never stop the monitor
            return f"alert hook failed: {_failure(exc)}"
        return failure if isinstance(failure, str) else None


def _failure(exc: Exception) -> str:
    """One line for an exception: a store error says itself; a bug points at crash.log."""
    if isinstance(exc, StoreError):
        return f"database: {exc}"
    return f"internal error ({type(exc).__name__}); details in {write_crash_log(exc)}"
