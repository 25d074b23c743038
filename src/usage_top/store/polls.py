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

from usage_top.store.codec import ts_from_db, ts_to_db

Outcome = Literal["ok", "error"]


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


def insert_poll(db: sqlite3.Connection, poll: PollRecord) -> PollRecord:
    """Store ``poll`` and return it with its id."""
    cursor = db.execute(
        "INSERT INTO poll (started_at, finished_at, outcome, latency_ms, error, requests) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (ts_to_db(poll.started_at), ts_to_db(poll.finished_at), poll.outcome,
         poll.latency_ms, poll.error, poll.requests),
    )
    return replace(poll, id=cursor.lastrowid)


def last_poll(db: sqlite3.Connection) -> PollRecord | None:
    return _first(db, "SELECT * FROM poll ORDER BY id DESC LIMIT 1")


def last_success(db: sqlite3.Connection) -> PollRecord | None:
    return _first(db, "SELECT * FROM poll WHERE outcome = 'ok' ORDER BY id DESC LIMIT 1")


def _first(db: sqlite3.Connection, sql: str) -> PollRecord | None:
    cursor = db.execute(sql)
    row = cursor.fetchone()
    if row is None:
        return None
    row = dict(zip((column[0] for column in cursor.description), row, strict=True))
    return PollRecord(
        started_at=ts_from_db(row["started_at"]),
        finished_at=ts_from_db(row["finished_at"]),
        outcome=row["outcome"],
        error=row["error"],
        requests=row["requests"],
        id=row["id"],
    )


@dataclass(frozen=True)
class Footprint:
    """The requests usage-top itself sent to the vendor (retries included), from the
    poll log: what the monitor costs against the vendor's rate limits."""

    last_poll: int | None
    """Requests of the latest poll; None before the first."""
    polls_hour: int
    requests_hour: int
    polls_day: int
    requests_day: int


DAY_OF_POLLS = 86_400 // 5 + 1
"""The most polls a day can hold (the shortest interval is 5 s): how far back from
the newest poll the log is read, so the cost does not grow with its age."""


def footprint(db: sqlite3.Connection, now: dt.datetime) -> Footprint:
    """The poll log's requests in the hour and the day before ``now``."""
    hour, day = ts_to_db(now - dt.timedelta(hours=1)), ts_to_db(now - dt.timedelta(days=1))
    recent = db.execute(
        "SELECT requests, started_at FROM poll ORDER BY id DESC LIMIT ?", [DAY_OF_POLLS]
    ).fetchall()
    in_hour = [requests for requests, started in recent if started >= hour]
    in_day = [requests for requests, started in recent if started >= day]
    return Footprint(recent[0][0] if recent else None, len(in_hour), sum(in_hour),
                     len(in_day), sum(in_day))
