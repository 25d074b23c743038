"""The poll log: when the collector polled, how it went and how long it took.

The UI uses it to say "last updated 40 s ago" or "last 3 polls failed". The
error text is stored as the caller gives it; the caller must have removed any
API key from it (the collector's errors never include one).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass, replace
from typing import Literal

from .codec import ts_from_db, ts_to_db

Outcome = Literal["ok", "error"]

_COLUMNS = "id, started_at, finished_at, outcome, error, requests"


@dataclass(frozen=True)
class PollRecord:
    """One poll; ``id`` is None until the record has been stored."""

    started_at: dt.datetime
    finished_at: dt.datetime
    outcome: Outcome
    error: str | None = None
    requests: int = 0
    id: int | None = None

    def __post_init__(self) -> None:
        if self.outcome not in ("ok", "error"):
            raise ValueError(f"poll outcome must be 'ok' or 'error', not {self.outcome!r}")

    @property
    def latency_ms(self) -> int:
        return round((self.finished_at - self.started_at).total_seconds() * 1000)


def insert_poll(conn: sqlite3.Connection, poll: PollRecord) -> PollRecord:
    """Store ``poll`` and return it with its id."""
    cursor = conn.execute(
        "INSERT INTO poll (started_at, finished_at, outcome, latency_ms, error, requests)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (ts_to_db(poll.started_at), ts_to_db(poll.finished_at), poll.outcome,
         poll.latency_ms, poll.error, poll.requests),
    )
    return replace(poll, id=cursor.lastrowid)


def last_poll(conn: sqlite3.Connection) -> PollRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM poll ORDER BY id DESC LIMIT 1").fetchone()
    return _record(row)


def last_success(conn: sqlite3.Connection) -> PollRecord | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM poll WHERE outcome = 'ok' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return _record(row)


def _record(row: tuple | None) -> PollRecord | None:
    if row is None:
        return None
    poll_id, started_at, finished_at, outcome, error, requests = row
    return PollRecord(ts_from_db(started_at), ts_from_db(finished_at), outcome, error,
                      requests, poll_id)
