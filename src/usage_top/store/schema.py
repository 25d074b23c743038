"""The database schema, as an ordered list of migrations, and the checks run on open.

``PRAGMA user_version`` holds the number of migrations applied; ``PRAGMA
application_id`` marks the file as usage-top's, so that another program's SQLite
file is refused rather than having our tables added to it.

Why the tables look the way they do:

* Each figure is stored at the grain it is fetched and queried at (per key per
  day, per dimension item per day, per key per item per day, account per day), so
  no query aggregates more of the large key x item table than one key's rows.
* Figures are values of measures (requests, credits, cost, tokens...). Each
  per-grain table has eight numbered value slots ``m0``..``m7``; the ``measure``
  table says which measure id a slot holds, and the store gives a new measure the
  first free slot when it first ingests one. A value the vendor does not report
  is NULL (one byte of record header, no body). The slots are REAL, which SQLite
  writes as integers when they are whole, so counts stay small on disk; queries
  read only the slots in use.
* Days are integer ordinals and keys and dimension items are interned as small
  integer ids, which keeps the big tables narrow. An item is a thing usage is
  grouped by: its ``kind`` is the dimension ("endpoint", "model"), its ``ident``
  the vendor's id for it ('' for usage the vendor did not assign).
* The per-day tables are WITHOUT ROWID: the primary key *is* the b-tree, so a
  range scan reads the rows themselves, and each row is stored once rather than
  in a rowid table plus a primary-key index.
* ``day_key_by_key`` exists because every per-key query ranges over days for one
  key, while the primary key is ordered by day so that a single day's rows (the
  unit a breakdown replaces) are contiguous.
* ``scope`` lists the distinct (scope, period) pairs with their label, unit and
  the order the provider gave them in, so that "latest reading of each scope" is
  a handful of index seeks instead of a scan of every reading.

The DDL is SQL rather than sqlite-utils' ``create_table`` because that cannot
express WITHOUT ROWID tables. Where a migration changes a column's type it
rebuilds the table (create the new one, ``INSERT ... SELECT``, drop, rename), as
SQLite cannot alter a column; children are dropped before their parents, so the
foreign keys hold throughout.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from usage_top.store.errors import StoreError
from usage_top.store.migration_v5 import V5

APPLICATION_ID = 0x75736774  # "usgt"

_V1 = (
    """CREATE TABLE key (
        id INTEGER PRIMARY KEY,
        masked TEXT NOT NULL UNIQUE
    ) STRICT""",
    """CREATE TABLE endpoint (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,  -- '' for requests the vendor did not map
        name TEXT NOT NULL
    ) STRICT""",
    """CREATE TABLE day_total (
        day INTEGER PRIMARY KEY,
        requests INTEGER NOT NULL,
        credits REAL NOT NULL
    ) STRICT""",
    """CREATE TABLE day_key (
        day INTEGER NOT NULL,
        key_id INTEGER NOT NULL REFERENCES key (id),
        requests INTEGER NOT NULL,
        credits REAL NOT NULL,
        last_used INTEGER,  -- microseconds since the Unix epoch (see codec)
        PRIMARY KEY (day, key_id)
    ) WITHOUT ROWID, STRICT""",
    """CREATE INDEX day_key_by_key
        ON day_key (key_id, day, requests, credits, last_used)""",
    """CREATE TABLE day_endpoint (
        day INTEGER NOT NULL,
        endpoint_id INTEGER NOT NULL REFERENCES endpoint (id),
        requests INTEGER NOT NULL,
        credits REAL NOT NULL,
        PRIMARY KEY (day, endpoint_id)
    ) WITHOUT ROWID, STRICT""",
    """CREATE TABLE day_key_endpoint (
        key_id INTEGER NOT NULL REFERENCES key (id),
        day INTEGER NOT NULL,
        endpoint_id INTEGER NOT NULL REFERENCES endpoint (id),
        requests INTEGER NOT NULL,
        credits REAL NOT NULL,
        PRIMARY KEY (key_id, day, endpoint_id)
    ) WITHOUT ROWID, STRICT""",
    """CREATE TABLE scope (
        scope TEXT NOT NULL,
        period TEXT NOT NULL,
        PRIMARY KEY (scope, period)
    ) WITHOUT ROWID, STRICT""",
    """CREATE TABLE scope_reading (
        scope TEXT NOT NULL,
        period TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        used INTEGER NOT NULL,
        "limit" INTEGER,
        rate_limit INTEGER,
        refreshed_at TEXT,
        resets_at TEXT,
        PRIMARY KEY (scope, period, fetched_at),
        FOREIGN KEY (scope, period) REFERENCES scope (scope, period)
    ) WITHOUT ROWID, STRICT""",
    """CREATE TABLE fetch (
        kind TEXT NOT NULL CHECK (kind IN ('breakdown', 'daily', 'key_daily')),
        key TEXT NOT NULL,  -- the masked key for 'key_daily', else ''
        day INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (kind, key, day)
    ) WITHOUT ROWID, STRICT""",
    """CREATE TABLE poll (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'error')),
        latency_ms INTEGER NOT NULL,
        error TEXT,
        requests INTEGER NOT NULL
    ) STRICT""",
    "CREATE INDEX poll_by_outcome ON poll (outcome, id)",
)

_V2 = (
    # The keys that called one endpoint over a range, as the vendor's breakdown
    # with a log-type filter reports them: a range aggregate, cached per range
    # (per-day figures would cost a request per day).
    """CREATE TABLE endpoint_key_range (
        endpoint_id INTEGER NOT NULL REFERENCES endpoint (id),
        first_day INTEGER NOT NULL,
        last_day INTEGER NOT NULL,
        key_id INTEGER NOT NULL REFERENCES key (id),
        requests INTEGER NOT NULL,
        credits REAL NOT NULL,
        last_used INTEGER,
        PRIMARY KEY (endpoint_id, first_day, last_day, key_id)
    ) WITHOUT ROWID, STRICT""",
    """CREATE TABLE endpoint_range_fetch (
        endpoint_id INTEGER NOT NULL REFERENCES endpoint (id),
        first_day INTEGER NOT NULL,
        last_day INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (endpoint_id, first_day, last_day)
    ) WITHOUT ROWID, STRICT""",
)

_V3 = (
    # Every profile reading: balance, top-up and the billing cycle's dates.
    """CREATE TABLE billing (
        fetched_at TEXT PRIMARY KEY,
        plan TEXT,
        credit_balance REAL,
        topup_credit REAL,
        cycle_allowance REAL,
        last_refill INTEGER,
        next_refill INTEGER,
        credit_costs TEXT NOT NULL  -- JSON object: slug -> credits per call
    ) STRICT""",
)

_V4 = (
    # Alert events (threshold crossings and anomalies), newest by id. ``day`` is
    # set for anomalies only: one event per key and workspace day.
    """CREATE TABLE alert_event (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('threshold', 'anomaly')),
        scope TEXT NOT NULL,  -- 'api.daily', or 'key:<masked>' for anomalies
        level TEXT NOT NULL CHECK (level IN ('normal', 'amber', 'red')),
        state TEXT NOT NULL CHECK (state IN ('raised', 'cleared')),
        percent REAL,
        used INTEGER,
        "limit" INTEGER,
        message TEXT NOT NULL,
        snoozed INTEGER NOT NULL DEFAULT 0,
        day INTEGER
    ) STRICT""",
    """CREATE UNIQUE INDEX alert_event_anomaly_once_a_day
        ON alert_event (scope, day) WHERE kind = 'anomaly'""",
    # Each scope's alert level as of the last reading evaluated: the hysteresis
    # state, shared by every process that evaluates (and kept across restarts).
    """CREATE TABLE alert_state (
        scope TEXT PRIMARY KEY,
        level TEXT NOT NULL CHECK (level IN ('normal', 'amber', 'red')),
        since TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        used INTEGER NOT NULL,
        resets_at TEXT
    ) WITHOUT ROWID, STRICT""",
    # Acknowledged scopes: their events are recorded but not notified until
    # ``until``, unless they escalate above ``level``.
    """CREATE TABLE alert_snooze (
        scope TEXT PRIMARY KEY,
        until TEXT NOT NULL,
        level TEXT NOT NULL CHECK (level IN ('normal', 'amber', 'red'))
    ) WITHOUT ROWID, STRICT""",
)

#: Migration N (1-based) brings the schema from version N-1 to version N.
MIGRATIONS: tuple[tuple[str, ...], ...] = (_V1, _V2, _V3, _V4, V5)
SCHEMA_VERSION = len(MIGRATIONS)


def check_compatible(db: sqlite3.Connection, path: Path) -> int:
    """Return the file's schema version, refusing files usage-top must not touch.

    Only reads: on a file that is not SQLite the first read raises, before
    anything has been written to it.
    """
    version = db.execute("PRAGMA user_version").fetchone()[0]
    app_id = db.execute("PRAGMA application_id").fetchone()[0]
    if app_id != APPLICATION_ID and (app_id or version or _has_tables(db)):
        raise StoreError(f"{path} is an SQLite database of another program; it was left untouched")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer usage-top "
            f"(schema v{version} > v{SCHEMA_VERSION}); upgrade usage-top"
        )
    return version


def _has_tables(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").fetchone() is not None


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Apply the missing migrations in one write transaction.

    The version is read again under the write lock, because another process may
    have migrated the file between our first look and taking the lock.
    """
    if check_compatible(db, path) == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = check_compatible(db, path)
        for migration in MIGRATIONS[version:]:
            for statement in migration:
                db.execute(statement)
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
