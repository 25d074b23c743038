"""Threshold alerts with hysteresis, anomaly events, and acknowledgement (snooze).

Call :meth:`AlertEngine.evaluate` after each successful poll. It compares every
scope's latest reading with that scope's thresholds and the scope's alert state,
records an event for each change and runs the hook for each new event.

* An event fires once per crossing: normal -> amber, amber -> red (normal -> red
  in one poll is one ``red`` event). ``level`` is the scope's level after the event.
* A raised alert clears only when usage falls ``clear_margin`` percentage points
  below the threshold (red at 90 with a margin of 5 holds down to 85; below it
  the scope falls back to amber or normal, one ``cleared`` event), or when the
  period resets (a later ``resets_at`` than the state's): then a ``cleared``
  event says "period reset". Usage moving inside the margin fires nothing.
* The state lives in the store and is read and written in the same transaction
  as the events, so a dashboard and a headless collector on one database never
  record an event twice, and a restart does not fire again.
* Anomalies (see ``anomaly``): one ``anomaly`` event per key per day (in the
  provider's calendar), scope ``key:<masked key>``, level ``amber``, on the
  provider's primary measure.
* Scope names, units and figures are the provider's: a message writes used and
  limit as the scope's unit does ("3,602 of 4,440", "$81.20 of $100.00").
* Acknowledging a scope snoozes it: its events are still recorded (and shown in
  the events list) but marked ``snoozed``, not passed to the hook, and should not
  be toasted. A snooze taken while a scope is amber lets an escalation to red
  through; one taken at red, or with nothing raised, silences everything.

No Textual here.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from usage_top.config import Settings
from usage_top.domain.capabilities import Capabilities
from usage_top.domain.clock import Clock
from usage_top.domain.format import utc_text
from usage_top.domain.model import ScopeUsage
from usage_top.domain.periods import local_today
from usage_top.oncall.anomaly import baseline_range, find_anomalies
from usage_top.oncall.hooks import CommandHook
from usage_top.store import Store
from usage_top.store.events import AlertEvent, AlertState, AlertTransaction, EventLevel, Snooze
from usage_top.views.scopes import level

__all__ = ["AlertEngine", "AlertEvent", "event_line"]

log = logging.getLogger(__name__)

_RANK: dict[str, int] = {"normal": 0, "amber": 1, "red": 2}

Hook = Callable[[AlertEvent], object]


class AlertEngine:
    """Decides, records and announces alert events for one store.

    ``capabilities`` are the provider's: the anomaly is taken on its primary
    measure, in its calendar (see ``Capabilities.day_zone``).
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        clock: Clock,
        hook: Hook | None = None,
        *,
        capabilities: Capabilities,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.hook = hook
        self.capabilities = capabilities

    @classmethod
    def from_settings(
        cls,
        store: Store,
        settings: Settings,
        clock: Clock,
        *,
        capabilities: Capabilities,
        on_hook_error: Callable[[str], None] | None = None,
    ) -> AlertEngine:
        """An engine whose hook is the configured ``alert_command`` (if any)."""
        hook = None
        if settings.alert_command:
            hook = CommandHook(settings.alert_command, settings.alert_timeout, on_error=on_hook_error)
        return cls(store, settings, clock, hook, capabilities=capabilities)

    def evaluate(self) -> list[AlertEvent]:
        """Record the events the latest readings cause and run the hook for each one that
        is not snoozed; return every new event (snoozed ones included, flagged).

        Runs the hook synchronously (each run is bounded by ``alert_timeout``): in a
        UI, call this from a worker thread."""
        now = self.clock()
        with self.store.alert_transaction() as tx:
            snoozes = tx.snoozes()
            states = tx.states()
            new: list[AlertEvent] = []
            for usage, fetched_at in tx.latest_scopes():
                new += self._thresholds(tx, usage, fetched_at, states.get(usage.name), snoozes, now)
            new += self._anomalies(tx, snoozes, now)
        for event in new:
            if self.hook is not None and not event.snoozed:
                try:
                    self.hook(event)
                except Exception as exc:  # a hook must never stop the monitor
                    log.warning("alert hook failed: %s: %s", type(exc).__name__, exc)
        return new

    def acknowledge(self, scope: str, minutes: float | None = None) -> dt.datetime:
        """Snooze ``scope``'s alerts for ``minutes`` (default ``snooze_minutes``); return
        until when. ``minutes <= 0`` ends a snooze."""
        minutes = self.settings.snooze_minutes if minutes is None else minutes
        until = self.clock() + dt.timedelta(minutes=max(0.0, minutes))
        with self.store.alert_transaction() as tx:
            state = tx.states().get(scope)
            held: EventLevel = "amber" if state is not None and state.level == "amber" else "red"
            tx.put_snooze(Snooze(scope, until, held))
        return until

    def snoozed_until(self, scope: str) -> dt.datetime | None:
        """Until when ``scope`` is acknowledged, or None if it is not (any more)."""
        until = self.store.snoozes().get(scope)
        return until if until is not None and until > self.clock() else None

    # Deciding

    def _thresholds(
        self,
        tx: AlertTransaction,
        usage: ScopeUsage,
        fetched_at: dt.datetime,
        state: AlertState | None,
        snoozes: dict[str, Snooze],
        now: dt.datetime,
    ) -> list[AlertEvent]:
        percent = usage.percent
        if percent is None or (state is not None and fetched_at < state.fetched_at):
            return []
        name = usage.name
        amber, red = self.settings.thresholds_for(name)
        margin = self.settings.clear_margin
        current: str = state.level if state is not None else "normal"
        decided: list[tuple[str, str, str]] = []  # (state, level, message)

        reset = (state is not None and state.resets_at is not None and usage.resets_at is not None
                 and usage.resets_at > state.resets_at)
        if reset and current != "normal":
            decided.append(("cleared", "normal",
                            f"{name} {current} cleared: period reset, {percent:.1f}% now"))
            current = "normal"
        raw = level(percent, amber, red).value
        if _RANK[raw] > _RANK[current]:
            threshold = red if raw == "red" else amber
            unit = usage.unit
            message = (f"{name} {raw}: {percent:.1f}% ({unit.text(usage.used)} of "
                       f"{unit.text(usage.limit)}), threshold {threshold:g}%")
            decided.append(("raised", raw, message))
            current = raw
        elif _RANK[raw] < _RANK[current]:
            held = level(percent, amber - margin, red - margin).value
            if _RANK[held] < _RANK[current]:
                below = (red if current == "red" else amber) - margin
                message = f"{name} {current} cleared: {percent:.1f}% (below {below:g}%), now {held}"
                decided.append(("cleared", held, message))
                current = held

        since = state.since if state is not None and not decided else now
        tx.put_state(AlertState(name, current, since, fetched_at, usage.used, usage.resets_at))
        events = []
        for event_state, event_level, message in decided:
            event = AlertEvent(
                at=now, kind="threshold", scope=name, level=event_level, state=event_state,
                percent=round(percent, 2), used=usage.used, limit=usage.limit, message=message,
                snoozed=_snoozed(snoozes.get(name), event_state, event_level, now),
            )
            events.append(tx.insert_event(event))
        return events

    def _anomalies(
        self, tx: AlertTransaction, snoozes: dict[str, Snooze], now: dt.datetime
    ) -> list[AlertEvent]:
        measure = self.capabilities.measure(self.capabilities.per_key().primary)
        today = local_today(now, self.capabilities.day_zone(self.settings.tz))
        first, _ = baseline_range(today)
        values = tx.key_day_values(measure.id, first, today)
        found = find_anomalies(values, today, self.settings.anomaly_multiple)
        events = []
        for key, (spent, median) in found.items():
            scope = f"key:{key}"
            event = AlertEvent(
                at=now, kind="anomaly", scope=scope, level="amber", state="raised", used=spent,
                message=f"key {key}: {measure.labelled(measure.unit.with_name(spent), spent)} today, "
                f"{spent / median:.1f}x its 7-day median of {measure.cell(median)}",
                snoozed=_snoozed(snoozes.get(scope), "raised", "amber", now),
            )
            stored = tx.insert_event(event, day=today)
            if stored is not None:
                events.append(stored)
        return events


def _snoozed(snooze: Snooze | None, state: str, event_level: str, now: dt.datetime) -> bool:
    if snooze is None or now >= snooze.until:
        return False
    return state == "cleared" or _RANK[event_level] <= _RANK[snooze.level]


def event_line(event: AlertEvent) -> str:
    """One line for a log or stderr: time, what and the message."""
    stamp = utc_text(event.at)
    snoozed = " (snoozed)" if event.snoozed else ""
    return f"{stamp} alert {event.kind} {event.scope} {event.level} {event.state}{snoozed}: {event.message}"
