"""Opening the database file: checks first, then connection settings, then migrations.

One collector process writes while TUI viewers read the same file, so the file
is in WAL mode (readers never block the writer nor each other) and every
connection waits up to ``busy_timeout`` for a lock instead of failing at once.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from . import schema
from .errors import StoreError, sqlite_errors

BUSY_TIMEOUT_MS = 5000
#: A passive checkpoint runs at commit once the WAL holds this many pages (~4 MB).
WAL_AUTOCHECKPOINT_PAGES = 1000
#: After a checkpoint resets the WAL, the file is truncated back to this size.
JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024

#: Page cache per connection: a 30-day query over every key stays in memory.
CACHE_KIB = 32 * 1024

_SETTINGS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}",
    f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT_BYTES}",
    "PRAGMA temp_store = MEMORY",
    f"PRAGMA cache_size = -{CACHE_KIB}",
)


def open_database(path: Path) -> sqlite_utils.Database:
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
    with sqlite_errors(path):
        conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        with sqlite_errors(path):
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            schema.check_compatible(conn, path)
            for setting in _SETTINGS:
                conn.execute(setting)
            schema.migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return sqlite_utils.Database(conn)
