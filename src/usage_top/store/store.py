"""``Store``: the one object the collector, the TUI and the CLI talk to.

A store owns one SQLite connection. Its methods may be called from several
threads (the TUI reads from a worker), so each call holds a lock for its
duration; each write is one short ``BEGIN IMMEDIATE`` transaction, so readers
in other processes see either all of a poll or none of it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from usage_top.domain.model import Billing, DayFigures, PollResult, ScopeUsage, Usage

from usage_top.store import events as alert_rows
from usage_top.store import polls, queries, readings
from usage_top.store.connection import (
    BUSY_TIMEOUT_MS,
    CHECKPOINT_BUSY_TIMEOUT_MS,
    WAL_TRUNCATE_BYTES,
    check_structure,
    open_database,
    open_read_only,
)
from usage_top.store.errors import StoreError, sqlite_errors
from usage_top.store.events import AlertEvent, AlertTransaction
from usage_top.store.ingest import Interner, write_result
from usage_top.store.paths import default_db_path
from usage_top.store.polls import Outcome, PollRecord
from usage_top.store.readings import FetchKind

#: An ingest that changes more rows than this (a backfill) refreshes the planner's
#: statistics: the by-key query only gets its fast plan (a skip-scan of
#: ``day_key_by_key``) once they show many days per key. With the connection's
#: ``analysis_limit`` this takes a few milliseconds even on a year of data.
_REANALYZE_AFTER_ROWS = 10_000
#: On close, wait at most this long for locks: closing must not hang the UI.
_CLOSE_BUSY_TIMEOUT_MS = 200


class Store:
    """Persists ``PollResult`` objects and answers the dashboard's queries."""

    def __init__(self, path: Path | str | None = None) -> None:
        """Open (creating it and its directory if needed) the database at ``path``,
        ``default_db_path()`` by default.

        Raises ``StoreError`` for a file that is not a usage-top database, is
        damaged, or was written by a newer usage-top; such a file is not modified.
        """
        self.path = Path(path) if path is not None else default_db_path()
        self._wal = Path(f"{self.path}-wal")
        self.read_only = False
        """The file cannot be written (read-only filesystem, no write permission): it is
        open for reading, and every write is refused in one line."""
        try:
            self._conn = open_database(self.path)
        except StoreError as exc:
            if not (self.path.is_file() and _unwritable(exc)):
                raise
            self._conn = open_read_only(self.path)
            self.read_only = True
        self._lock = threading.RLock()
        self._corrupt = False
        """Set once SQLite reports damage: from then on nothing is written to the file."""
        self._checked = False
        """Whether the file's structure was checked (before this store's first write)."""
        self._ids = Interner()
        self._key_names = queries.KeyNames()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Refresh the planner's statistics, fold the WAL into the file and close.

        Both steps are best effort: if another process holds the database (or
        it is damaged, which the query that met it has reported), they are left
        for a later close rather than making this one wait or fail.
        """
        with self._lock:
            try:
                if self._corrupt:
                    return  # (finally closes) no ANALYZE, no checkpoint into a damaged file
                self._conn.execute(f"PRAGMA busy_timeout = {_CLOSE_BUSY_TIMEOUT_MS}")
                self._conn.execute("PRAGMA optimize")
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass
            finally:
                self._conn.close()

    # Writing

    def ingest(self, result: PollResult, poll: PollRecord | None = None) -> PollRecord | None:
        """Store everything ``result`` holds in one transaction; idempotent.

        Pass the ``poll`` record to log it in the same transaction, so a reader
        never sees a successful poll whose figures are missing. Returns the
        stored poll record (with its id), if one was given.
        """
        with self._write() as conn:
            changes_before = conn.total_changes
            write_result(conn, self._ids, result)
            stored = polls.insert_poll(self._conn, poll) if poll is not None else None
            if conn.total_changes - changes_before > _REANALYZE_AFTER_ROWS:
                conn.execute("ANALYZE")
        return stored

    def record_poll(
        self,
        started_at: dt.datetime,
        finished_at: dt.datetime,
        outcome: Outcome,
        error: str | None = None,
        requests: int = 0,
    ) -> PollRecord:
        """Log a poll on its own, typically a failed one that fetched nothing."""
        poll = PollRecord(started_at, finished_at, outcome, error, requests)
        with self._write():
            return polls.insert_poll(self._conn, poll)

    @contextmanager
    def alert_transaction(self) -> Iterator[AlertTransaction]:
        """One write transaction for the alert engine: it reads the latest readings and
        the alert state and records events atomically, so that two processes
        evaluating the same readings never both record an event."""
        with self._write() as conn:
            yield AlertTransaction(conn)

    # Reading

    def events(self, limit: int = 200, after: int | None = None) -> list[AlertEvent]:
        """Recorded alert events, newest first; with ``after``, only those with a larger id
        (what a viewer has not shown yet)."""
        with self._read() as conn:
            return alert_rows.events(conn, limit, after)

    def active_alerts(self) -> dict[str, str]:
        """Scope name -> ``amber`` or ``red`` for each threshold alert currently raised."""
        with self._read() as conn:
            return alert_rows.active_alerts(conn)

    def snoozes(self) -> dict[str, dt.datetime]:
        """Scope -> until when it was acknowledged (past ones included)."""
        with self._read() as conn:
            return {scope: snooze.until for scope, snooze in alert_rows.snoozes(conn).items()}

    def key_day_values(
        self, measure: str, start: dt.date, end: dt.date
    ) -> dict[str, dict[dt.date, float]]:
        """One measure's figure per masked key and day over the range (days without it
        are absent): the anomaly finder's input."""
        with self._read() as conn:
            return alert_rows.key_day_values(conn, measure, start, end)

    def measures(self) -> tuple[str, ...]:
        """The measure ids the file holds figures for, in slot order."""
        with self._read() as conn:
            return queries.measures(conn)

    def latest_scopes(self) -> list[tuple[ScopeUsage, dt.datetime]]:
        """The latest reading of every scope, with when it was fetched, in the
        provider's order; labels and units as the provider wrote them."""
        with self._read() as conn:
            return readings.latest_scopes(conn)

    def scope_history(self, name: str, since: dt.datetime) -> list[tuple[dt.datetime, float]]:
        """Every reading of scope ``name`` ('api.daily') since ``since``, oldest first."""
        with self._read() as conn:
            return readings.scope_history(conn, name, since)

    def totals(self, start: dt.date, end: dt.date, key: str | None = None) -> dict[str, float]:
        """The range's figures by measure (of one key when given). A measure with no
        stored value in the range is absent; a range with nothing stored gives 0.0
        for every measure the file knows."""
        with self._read() as conn:
            return queries.totals(conn, start, end, key)

    def daily_series(
        self, start: dt.date, end: dt.date, key: str | None = None
    ) -> list[DayFigures]:
        """One entry per day of the range; a day without a row has 0.0 for every
        measure the file knows."""
        with self._read() as conn:
            return queries.daily_series(conn, start, end, key)

    def key_breakdown(
        self,
        start: dt.date,
        end: dt.date,
        limit: int | None = None,
        order_by: Sequence[str] | None = None,
    ) -> list[Usage]:
        """Each key's figures and last use over the range (id: the masked key, name:
        its display name), biggest first by ``order_by`` (measure ids, the slot order
        by default), ties by key; ``limit`` keeps the first ones."""
        with self._read() as conn:
            return queries.key_breakdown(conn, self._key_names, start, end, limit, order_by)

    def item_breakdown(
        self,
        kind: str,
        start: dt.date,
        end: dt.date,
        key: str | None = None,
        order_by: Sequence[str] | None = None,
    ) -> list[Usage]:
        """Each item of dimension ``kind`` (one key's usage of it when given), sorted
        as ``key_breakdown``, ties by item id."""
        with self._read() as conn:
            return queries.item_breakdown(conn, kind, start, end, key, order_by)

    def item_series(
        self, kind: str, item: str, start: dt.date, end: dt.date, key: str | None = None
    ) -> list[DayFigures]:
        with self._read() as conn:
            return queries.item_series(conn, kind, item, start, end, key)

    def item_keys(
        self,
        kind: str,
        item: str,
        start: dt.date,
        end: dt.date,
        order_by: Sequence[str] | None = None,
    ) -> tuple[list[Usage], dt.datetime] | None:
        """The keys that used one item over exactly this range and when that was
        fetched; None if it never was."""
        with self._read() as conn:
            return queries.item_keys(conn, self._key_names, kind, item, start, end, order_by)

    def range_keys(self, start: dt.date, end: dt.date) -> tuple[list[Usage], dt.datetime] | None:
        """The keys of the range as the vendor listed them for the whole range (one
        request), and when that was fetched; None if it never was. ``key_breakdown``
        already counts them."""
        with self._read() as conn:
            return queries.range_keys(conn, self._key_names, start, end)

    def key_item_days(
        self, start: dt.date, end: dt.date, key: str | None = None
    ) -> list[tuple[dt.date, str, str, str, str, dict[str, float]]]:
        """(day, key, item kind, item id, item name, figures) of the drilled-down keys
        (or one), by day, key, kind and item: the export's rows."""
        with self._read() as conn:
            return queries.key_item_days(conn, start, end, key)

    def keys(self) -> dict[str, str]:
        """Every key the file knows: masked key -> display name (the masked key when it
        has none), for resolving what a user typed (``--key``) to one key; in the order
        the file first saw them (``--redact`` numbers them so)."""
        with self._read() as conn:
            return {masked: name for masked, name in self._key_names.of(conn, ()).values()}

    def items(self, kind: str) -> dict[str, str]:
        """Every item of dimension ``kind`` the file knows: id -> name, in the order the
        file first saw them (``--redact`` numbers them so)."""
        with self._read() as conn:
            return dict(conn.execute("SELECT ident, name FROM item WHERE kind = ? ORDER BY id",
                                     (kind,)).fetchall())

    def latest_billing(self) -> tuple[Billing, dt.datetime] | None:
        with self._read() as conn:
            return readings.latest_billing(conn)

    def fetched_days(
        self, kind: FetchKind, key: str | None, start: dt.date, end: dt.date
    ) -> dict[dt.date, dt.datetime]:
        with self._read() as conn:
            return readings.fetched_days(conn, kind, key, start, end)

    def last_poll(self) -> PollRecord | None:
        with self._read():
            return polls.last_poll(self._conn)

    def last_success(self) -> PollRecord | None:
        with self._read():
            return polls.last_success(self._conn)

    def footprint(self, now: dt.datetime) -> polls.Footprint:
        """The requests usage-top made in the hour and the day before ``now``."""
        with self._read():
            return polls.footprint(self._conn, now)

    def has_data(self) -> bool:
        with self._read() as conn:
            return readings.has_data(conn)

    def data_version(self) -> int:
        """A number that changes when another connection commits to the file.

        A read-only dashboard polls it to re-read the store only when a collector
        wrote something, instead of re-running every query at each interval.
        """
        with self._read() as conn:
            return conn.execute("PRAGMA data_version").fetchone()[0]

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Answer every query inside the block from one state of the file.

        Each query alone always sees whole polls; several in a row (a screen
        refresh) can straddle a poll another process commits between them, and
        show today's total of one poll with the key rows of the next. Inside
        the block they all see the file as of the first one. Read-only, and
        keep it short: an open snapshot holds back the WAL checkpoint.
        """
        with self._lock, self._errors():
            self._conn.execute("BEGIN")
            try:
                yield
            finally:
                if self._conn.in_transaction:
                    self._conn.execute("COMMIT")

    # Plumbing

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """SQLite errors as StoreError; damage, once seen, stops all writing."""
        try:
            with sqlite_errors(self.path):
                yield
        except StoreError as exc:
            if exc.corrupt:
                self._corrupt = True
            raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, self._errors():
            yield self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction.

        Taking the write lock up front (waiting up to ``busy_timeout`` for it)
        means a transaction that reads before it writes cannot fail half-way
        with SQLITE_BUSY when another process wrote in between.
        """
        with self._lock, self._errors():
            if self._corrupt:
                raise StoreError(f"{self.path} is damaged; nothing more is written to it",
                                 corrupt=True)
            if self.read_only:
                raise StoreError(f"{self.path} cannot be written (read-only filesystem or no "
                                 "write permission): it is open for reading only")
            if not self._checked:
                check_structure(self._conn, self.path)
                self._checked = True
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
                self._key_names.forget()  # names this store just wrote
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self._ids.forget()
                raise
            self._bound_wal()

    def _bound_wal(self) -> None:
        """Empty the WAL once it outgrows ``WAL_TRUNCATE_BYTES`` (see connection.py).

        Best effort: a checkpoint that cannot finish in time leaves the WAL as it
        is, whole and valid, for the next write to try again.
        """
        try:
            if self._wal.stat().st_size <= WAL_TRUNCATE_BYTES:
                return
        except OSError:
            return
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {CHECKPOINT_BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error:
            pass
        finally:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def _unwritable(exc: StoreError) -> bool:
    """Whether opening failed because the file or its directory cannot be written (SQLite
    says "unable to open" when the WAL's files cannot be made, "readonly" for the file)."""
    text = str(exc)
    return "unable to open database file" in text or "readonly database" in text \
        or text.startswith("cannot create ")
