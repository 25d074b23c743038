"""Opening the database file: checks first, then connection settings, then migrations.

One collector process writes while TUI viewers read the same file, so the file
is in WAL mode (readers never block the writer nor each other) and every
connection waits up to ``busy_timeout`` for a lock instead of failing at once.
The store talks to a plain ``sqlite3`` connection: a wrapper library would cost
the dashboard's start-up its import (sqlite-utils brings click, pluggy and
dateutil) for the few statements it runs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from usage_top.store import schema
from usage_top.store.errors import StoreError, describe, sqlite_errors

BUSY_TIMEOUT_MS = 5000
#: A passive checkpoint runs at commit once the WAL holds this many pages (~4 MB),
#: which keeps the WAL bounded without paying for a checkpoint (and its fsyncs)
#: on every poll.
WAL_AUTOCHECKPOINT_PAGES = 1000
#: After a checkpoint resets the WAL, the file is truncated back to this size.
JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
#: The passive checkpoints above cannot reset the WAL while viewers keep
#: overlapping snapshots open (viewers that never pause): measured, it then grows
#: by ~1.5 MB/s under a fast writer, without end. Past this size, the writer
#: runs a TRUNCATE checkpoint, which waits for the snapshots older than the
#: last commit to end (new ones may start meanwhile) and empties the WAL.
WAL_TRUNCATE_BYTES = 16 * 1024 * 1024
#: How long that checkpoint may wait for old snapshots; if they outlast it,
#: the next write tries again (a viewer's snapshot lasts milliseconds).
CHECKPOINT_BUSY_TIMEOUT_MS = 1000
#: Before the first write to a file (a store's first ingest, or a migration), a file
#: up to this size gets ``PRAGMA quick_check``, so that a damaged file is reported
#: and left as it was rather than written over. Read-only viewers never pay for it.
#: It reads every page (~6 ms per MB); larger files skip it, and damage there is
#: reported when a query meets it (after which the store writes nothing).
QUICK_CHECK_MAX_BYTES = 32 * 1024 * 1024
#: Page cache per connection: a 30-day query over every key stays in memory.
CACHE_KIB = 32 * 1024
#: ANALYZE samples this many rows per index instead of reading them all, so
#: refreshing the planner's statistics stays fast on a large database.
ANALYSIS_LIMIT = 1000

_SQLITE_HEADER = b"SQLite format 3\x00"

_SETTINGS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}",
    f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT_BYTES}",
    "PRAGMA temp_store = MEMORY",
    f"PRAGMA cache_size = -{CACHE_KIB}",
    f"PRAGMA analysis_limit = {ANALYSIS_LIMIT}",
)


def open_database(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the usage-top database at ``path``.

    The connection is in autocommit mode (``isolation_level=None``) so that the
    store issues ``BEGIN IMMEDIATE`` itself, and may be used from another thread
    (the store serialises access with a lock). The file is only read until it is
    known to be a usage-top database of a version we understand, so a foreign or
    corrupt file is reported and never modified.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create {path.parent}: {exc.strerror}") from exc
    _refuse_non_sqlite(path)
    with sqlite_errors(path):
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        with sqlite_errors(path):
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if schema.check_compatible(conn, path) < schema.SCHEMA_VERSION:
                check_structure(conn, path)  # a migration is about to write
            for setting in _SETTINGS:
                conn.execute(setting)
            schema.migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn

def open_read_only(path: Path) -> sqlite3.Connection:
    """Open an existing usage-top database that cannot be written (a read-only filesystem,
    a file or directory without write permission), for reading only: no settings that
    write, no migration, ``query_only`` as a guard.

    ``mode=ro`` still sees a collector's commits; where SQLite cannot even set up the
    WAL's shared memory beside the file (a read-only filesystem), ``immutable=1`` reads
    the file as it stands, which nothing can be changing there.
    """
    uri = path.resolve().as_uri()
    failure: sqlite3.Error | None = None
    for query in ("mode=ro", "immutable=1"):
        conn = sqlite3.connect(f"{uri}?{query}", uri=True, check_same_thread=False,
                               isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            version = schema.check_compatible(conn, path)
            if version < schema.SCHEMA_VERSION:
                raise StoreError(f"{path} cannot be written and needs an upgrade (schema "
                                 f"v{version}): open it once where usage-top can write it")
            for setting in ("PRAGMA query_only = ON", "PRAGMA temp_store = MEMORY",
                            f"PRAGMA cache_size = -{CACHE_KIB}"):
                conn.execute(setting)
            return conn
        except sqlite3.Error as exc:
            conn.close()
            failure = exc
        except BaseException:
            conn.close()
            raise
    raise StoreError(describe(path, failure)) from failure


def check_structure(db: sqlite3.Connection, path: Path) -> None:
    """Refuse a damaged file before writing to it (only reads; see QUICK_CHECK_MAX_BYTES)."""
    try:
        size = path.stat().st_size
    except OSError:
        return
    if not size or size > QUICK_CHECK_MAX_BYTES:
        return
    problems = [row[0] for row in db.execute("PRAGMA quick_check(3)").fetchall()]
    if problems != ["ok"]:
        first = " ".join(" ".join(problems).split())[:120]
        raise StoreError(f"{path} is corrupt ({first}); it was left untouched", corrupt=True)


def _refuse_non_sqlite(path: Path) -> None:
    """Refuse a non-empty file that does not start with SQLite's header.

    SQLite itself takes some tiny files (a single byte, say) for an empty
    database and would then write a schema over them.
    """
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from exc
    if head and head != _SQLITE_HEADER:
        raise StoreError(f"{path} is not an SQLite database; it was left untouched")
