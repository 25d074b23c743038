"""Alert events and the per-scope alert state, as the store keeps them.

The engine that decides when an event fires lives in ``usage_top.alerts`` (which
re-exports :class:`AlertEvent`); this module only reads and writes rows, inside
the transaction the caller holds, so that two processes evaluating the same
readings (a dashboard and a headless collector) cannot both record an event.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from usage_top.domain.model import ScopeUsage

from usage_top.store.codec import (
    day_to_db,
    optional_ts_from_db,
    optional_ts_to_db,
    ts_from_db,
    ts_to_db,
)
from usage_top.store.readings import latest_scopes
from usage_top.store.slots import Slots

EventKind = Literal["threshold", "anomaly"]
EventLevel = Literal["amber", "red", "normal"]
EventState = Literal["raised", "cleared"]


class AlertEvent(BaseModel):
    """One recorded alert event.

    ``scope`` is a scope name (``api.daily``) for threshold events and
    ``key:<masked key>`` for anomalies. ``level`` is the scope's level *after*
    the event: the level raised, or the level it fell back to when cleared
    (``normal``, or ``amber`` when a red alert clears to amber). ``snoozed`` is
    True when the scope was acknowledged at the time: the event is recorded but
    neither notified (toast, bell) nor passed to the command hook.
    """

    model_config = ConfigDict(frozen=True)

    id: int | None = None
    at: dt.datetime
    kind: EventKind
    scope: str
    level: EventLevel
    state: EventState
    percent: float | None = None
    used: float | None = None
    limit: float | None = None
    message: str
    snoozed: bool = False


@dataclass(frozen=True)
class AlertState:
    """Where one scope stands, as of the last reading the engine evaluated."""

    scope: str
    level: EventLevel
    since: dt.datetime
    fetched_at: dt.datetime
    used: float
    resets_at: dt.datetime | None


@dataclass(frozen=True)
class Snooze:
    """A scope acknowledged until ``until``; events above ``level`` still notify."""

    scope: str
    until: dt.datetime
    level: EventLevel


_EVENT_COLUMNS = 'id, at, kind, scope, level, state, percent, used, "limit", message, snoozed'


def _event(row: tuple) -> AlertEvent:
    id_, at, kind, scope, level, state, percent, used, limit, message, snoozed = row
    return AlertEvent(id=id_, at=ts_from_db(at), kind=kind, scope=scope, level=level, state=state,
                      percent=percent, used=used, limit=limit, message=message,
                      snoozed=bool(snoozed))


def insert_event(
    conn: sqlite3.Connection, event: AlertEvent, day: dt.date | None = None
) -> AlertEvent | None:
    """Record ``event`` and return it with its id.

    ``day`` is given for anomalies: one event per key and day, so a second one
    for the same day is ignored and None is returned.
    """
    cursor = conn.execute(
        "INSERT INTO alert_event"
        ' (at, kind, scope, level, state, percent, used, "limit", message, snoozed, day)'
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (ts_to_db(event.at), event.kind, event.scope, event.level, event.state, event.percent,
         event.used, event.limit, event.message, int(event.snoozed),
         None if day is None else day_to_db(day)),
    )
    if cursor.rowcount == 0:
        return None
    return event.model_copy(update={"id": cursor.lastrowid})


def events(conn: sqlite3.Connection, limit: int = 200, after: int | None = None) -> list[AlertEvent]:
    """The latest ``limit`` events, newest first; only those with an id above ``after``."""
    rows = conn.execute(
        f"SELECT {_EVENT_COLUMNS} FROM alert_event WHERE id > ? ORDER BY id DESC LIMIT ?",
        (after if after is not None else 0, limit),
    )
    return [_event(row) for row in rows]


def states(conn: sqlite3.Connection) -> dict[str, AlertState]:
    rows = conn.execute(
        "SELECT scope, level, since, fetched_at, used, resets_at FROM alert_state"
    )
    return {
        scope: AlertState(scope, level, ts_from_db(since), ts_from_db(fetched_at), used,
                          optional_ts_from_db(resets_at))
        for scope, level, since, fetched_at, used, resets_at in rows
    }


def put_state(conn: sqlite3.Connection, state: AlertState) -> None:
    conn.execute(
        "INSERT INTO alert_state (scope, level, since, fetched_at, used, resets_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (scope) DO UPDATE SET"
        " level = excluded.level, since = excluded.since, fetched_at = excluded.fetched_at,"
        " used = excluded.used, resets_at = excluded.resets_at",
        (state.scope, state.level, ts_to_db(state.since), ts_to_db(state.fetched_at), state.used,
         optional_ts_to_db(state.resets_at)),
    )


def active_alerts(conn: sqlite3.Connection) -> dict[str, str]:
    """Scope -> ``amber`` or ``red`` for every threshold alert currently raised."""
    return dict(conn.execute(
        "SELECT scope, level FROM alert_state WHERE level != 'normal' ORDER BY scope"
    ))


def snoozes(conn: sqlite3.Connection) -> dict[str, Snooze]:
    rows = conn.execute("SELECT scope, until, level FROM alert_snooze")
    return {scope: Snooze(scope, ts_from_db(until), level) for scope, until, level in rows}


def put_snooze(conn: sqlite3.Connection, snooze: Snooze) -> None:
    conn.execute(
        "INSERT INTO alert_snooze (scope, until, level) VALUES (?, ?, ?)"
        " ON CONFLICT (scope) DO UPDATE SET until = excluded.until, level = excluded.level",
        (snooze.scope, ts_to_db(snooze.until), snooze.level),
    )


def key_day_values(
    conn: sqlite3.Connection, measure: str, start: dt.date, end: dt.date
) -> dict[str, dict[dt.date, float]]:
    """One measure's figure per masked key and day over ``start..end`` (the anomaly
    finder's input); days without a row, or without that figure, are absent."""
    slot = Slots.read(conn).slot(measure)
    if slot is None:
        return {}
    rows = conn.execute(
        f"SELECT k.masked, d.day, d.m{slot} FROM day_key AS d JOIN key AS k ON k.id = d.key_id"
        f" WHERE d.day BETWEEN ? AND ? AND d.m{slot} IS NOT NULL",
        (day_to_db(start), day_to_db(end)),
    )
    found: dict[str, dict[dt.date, float]] = {}
    for masked, day, value in rows:
        found.setdefault(masked, {})[dt.date.fromordinal(day)] = value
    return found


class AlertTransaction:
    """What the alert engine may do inside one write transaction of the store."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def latest_scopes(self) -> list[tuple[ScopeUsage, dt.datetime]]:
        return latest_scopes(self.conn)

    def states(self) -> dict[str, AlertState]:
        return states(self.conn)

    def put_state(self, state: AlertState) -> None:
        put_state(self.conn, state)

    def snoozes(self) -> dict[str, Snooze]:
        return snoozes(self.conn)

    def put_snooze(self, snooze: Snooze) -> None:
        put_snooze(self.conn, snooze)

    def insert_event(self, event: AlertEvent, day: dt.date | None = None) -> AlertEvent | None:
        return insert_event(self.conn, event, day)

    def key_day_values(
        self, measure: str, start: dt.date, end: dt.date
    ) -> dict[str, dict[dt.date, float]]:
        return key_day_values(self.conn, measure, start, end)


__all__ = ["AlertEvent", "AlertState", "AlertTransaction", "Snooze"]
