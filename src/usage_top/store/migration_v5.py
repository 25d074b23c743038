"""Migration 5: figures in measure slots, endpoints as dimension items, scopes with
their label, unit and order, readings as REAL (see ``schema`` for why the tables
look the way they do).

Where a column changes type the table is rebuilt: created under a new name, filled
with ``INSERT ... SELECT``, the old one dropped, the new one renamed. Children are
dropped before their parents, so the foreign keys hold throughout. It runs in the
single transaction of ``schema.migrate``, like every migration.
"""

from __future__ import annotations

SLOTS = 8
"""Value slots per row: the most measures one file can hold."""

_SLOT_COLUMNS = ", ".join(f"m{slot} REAL" for slot in range(SLOTS))
_SLOT_NAMES = ", ".join(f"m{slot}" for slot in range(SLOTS))

# Whether a v4 file holds any figures: only then does it know its two measures (a new
# file gets its measures from its first ingest, in the order the provider reports them).
_V4_HAS_FIGURES = (
    "EXISTS (SELECT 1 FROM day_total) OR EXISTS (SELECT 1 FROM day_key)"
    " OR EXISTS (SELECT 1 FROM day_endpoint) OR EXISTS (SELECT 1 FROM day_key_endpoint)"
    " OR EXISTS (SELECT 1 FROM endpoint_key_range)"
)

# Version 5: figures as measure slots, endpoints as dimension items, scopes with
# their label, unit and order, REAL readings. Every row of v4 is kept.
#
# Vendor knowledge, allowed here and nowhere else in the store: every file written
# by v1-v4 is Pubrio's, whose figures were requests (now slot 0) and credits (slot
# 1), whose items were endpoints (log-type slugs) and whose scopes were api and
# portal (labels "API" and "Portal", counted in requests; an api scope's figures
# are the keys' requests), listed monthly, daily, hourly, api first.
V5 = (
    f"""CREATE TABLE measure (
        slot INTEGER PRIMARY KEY CHECK (slot BETWEEN 0 AND {SLOTS - 1}),
        id TEXT NOT NULL UNIQUE
    ) STRICT""",
    f"INSERT INTO measure (slot, id) SELECT 0, 'requests' WHERE {_V4_HAS_FIGURES}",
    f"INSERT INTO measure (slot, id) SELECT 1, 'credits' WHERE {_V4_HAS_FIGURES}",
    "ALTER TABLE key ADD COLUMN name TEXT",  # the display name, when the vendor gives one
    """CREATE TABLE item (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,  -- the dimension: 'endpoint', 'model', 'project'...
        ident TEXT NOT NULL,  -- the vendor's id of the item, '' for unassigned usage
        name TEXT NOT NULL,
        UNIQUE (kind, ident)
    ) STRICT""",
    "INSERT INTO item (id, kind, ident, name) SELECT id, 'endpoint', slug, name FROM endpoint",
    # Per-day tables, rebuilt with value slots (old names are reused after the copy).
    f"""CREATE TABLE day_total_v5 (
        day INTEGER PRIMARY KEY,
        {_SLOT_COLUMNS}
    ) STRICT""",
    "INSERT INTO day_total_v5 (day, m0, m1) SELECT day, requests, credits FROM day_total",
    f"""CREATE TABLE day_key_v5 (
        day INTEGER NOT NULL,
        key_id INTEGER NOT NULL REFERENCES key (id),
        last_used INTEGER,  -- microseconds since the Unix epoch (see codec)
        {_SLOT_COLUMNS},
        PRIMARY KEY (day, key_id)
    ) WITHOUT ROWID, STRICT""",
    "INSERT INTO day_key_v5 (day, key_id, last_used, m0, m1)"
    " SELECT day, key_id, last_used, requests, credits FROM day_key",
    f"""CREATE TABLE day_item (
        day INTEGER NOT NULL,
        item_id INTEGER NOT NULL REFERENCES item (id),
        {_SLOT_COLUMNS},
        PRIMARY KEY (day, item_id)
    ) WITHOUT ROWID, STRICT""",
    "INSERT INTO day_item (day, item_id, m0, m1)"
    " SELECT day, endpoint_id, requests, credits FROM day_endpoint",
    f"""CREATE TABLE day_key_item (
        key_id INTEGER NOT NULL REFERENCES key (id),
        day INTEGER NOT NULL,
        item_id INTEGER NOT NULL REFERENCES item (id),
        {_SLOT_COLUMNS},
        PRIMARY KEY (key_id, day, item_id)
    ) WITHOUT ROWID, STRICT""",
    "INSERT INTO day_key_item (key_id, day, item_id, m0, m1)"
    " SELECT key_id, day, endpoint_id, requests, credits FROM day_key_endpoint",
    # The keys of one item over one range (the item drilldown), cached per range.
    f"""CREATE TABLE item_key_range (
        item_id INTEGER NOT NULL REFERENCES item (id),
        first_day INTEGER NOT NULL,
        last_day INTEGER NOT NULL,
        key_id INTEGER NOT NULL REFERENCES key (id),
        last_used INTEGER,
        {_SLOT_COLUMNS},
        PRIMARY KEY (item_id, first_day, last_day, key_id)
    ) WITHOUT ROWID, STRICT""",
    "INSERT INTO item_key_range (item_id, first_day, last_day, key_id, last_used, m0, m1)"
    " SELECT endpoint_id, first_day, last_day, key_id, last_used, requests, credits"
    " FROM endpoint_key_range",
    """CREATE TABLE item_range_fetch (
        item_id INTEGER NOT NULL REFERENCES item (id),
        first_day INTEGER NOT NULL,
        last_day INTEGER NOT NULL,
        fetched_at TEXT NOT NULL,
        PRIMARY KEY (item_id, first_day, last_day)
    ) WITHOUT ROWID, STRICT""",
    "INSERT INTO item_range_fetch SELECT * FROM endpoint_range_fetch",
    "DROP TABLE endpoint_range_fetch",
    "DROP TABLE endpoint_key_range",
    "DROP TABLE day_key_endpoint",
    "DROP TABLE day_endpoint",
    "DROP TABLE endpoint",
    "DROP TABLE day_key",  # and its index day_key_by_key
    "ALTER TABLE day_key_v5 RENAME TO day_key",
    f"CREATE INDEX day_key_by_key ON day_key (key_id, day, last_used, {_SLOT_NAMES})",
    "DROP TABLE day_total",
    "ALTER TABLE day_total_v5 RENAME TO day_total",
    # Scopes: label, unit, the measure keys' figures of it are read from, and the
    # provider's order; readings as REAL (a budget in dollars has cents).
    "ALTER TABLE scope ADD COLUMN label TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE scope ADD COLUMN unit_kind TEXT NOT NULL DEFAULT 'count'",
    "ALTER TABLE scope ADD COLUMN unit_name TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE scope ADD COLUMN measure TEXT",
    "ALTER TABLE scope ADD COLUMN position INTEGER NOT NULL DEFAULT 0",
    """UPDATE scope SET
        label = CASE scope WHEN 'api' THEN 'API' WHEN 'portal' THEN 'Portal' ELSE scope END,
        unit_kind = 'count',
        unit_name = 'requests',
        measure = CASE scope WHEN 'api' THEN 'requests' END,
        position = CASE scope WHEN 'api' THEN 0 WHEN 'portal' THEN 3 ELSE 6 END
            + CASE period WHEN 'monthly' THEN 0 WHEN 'daily' THEN 1 WHEN 'hourly' THEN 2
              ELSE 3 END""",
    """CREATE TABLE scope_reading_v5 (
        scope TEXT NOT NULL,
        period TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        used REAL NOT NULL,
        "limit" REAL,
        rate_limit REAL,
        refreshed_at TEXT,
        resets_at TEXT,
        PRIMARY KEY (scope, period, fetched_at),
        FOREIGN KEY (scope, period) REFERENCES scope (scope, period)
    ) WITHOUT ROWID, STRICT""",
    "INSERT INTO scope_reading_v5 SELECT * FROM scope_reading",
    "DROP TABLE scope_reading",
    "ALTER TABLE scope_reading_v5 RENAME TO scope_reading",
    # Billing in the provider's own terms: a balance, a top-up, the cycle's allowance
    # and dates, and a price per action (JSON).
    """CREATE TABLE billing_v5 (
        fetched_at TEXT PRIMARY KEY,
        plan TEXT,
        balance REAL,
        topup REAL,
        cycle_allowance REAL,
        cycle_start INTEGER,
        cycle_end INTEGER,
        prices TEXT NOT NULL  -- JSON object: action -> price, in the balance's unit
    ) STRICT""",
    "INSERT INTO billing_v5 SELECT * FROM billing",
    "DROP TABLE billing",
    "ALTER TABLE billing_v5 RENAME TO billing",
    # Alerts: figures as REAL.
    """CREATE TABLE alert_event_v5 (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('threshold', 'anomaly')),
        scope TEXT NOT NULL,  -- 'api.daily', or 'key:<masked>' for anomalies
        level TEXT NOT NULL CHECK (level IN ('normal', 'amber', 'red')),
        state TEXT NOT NULL CHECK (state IN ('raised', 'cleared')),
        percent REAL,
        used REAL,
        "limit" REAL,
        message TEXT NOT NULL,
        snoozed INTEGER NOT NULL DEFAULT 0,
        day INTEGER
    ) STRICT""",
    "INSERT INTO alert_event_v5 SELECT * FROM alert_event",
    "DROP TABLE alert_event",  # and its index
    "ALTER TABLE alert_event_v5 RENAME TO alert_event",
    """CREATE UNIQUE INDEX alert_event_anomaly_once_a_day
        ON alert_event (scope, day) WHERE kind = 'anomaly'""",
    """CREATE TABLE alert_state_v5 (
        scope TEXT PRIMARY KEY,
        level TEXT NOT NULL CHECK (level IN ('normal', 'amber', 'red')),
        since TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        used REAL NOT NULL,
        resets_at TEXT
    ) WITHOUT ROWID, STRICT""",
    "INSERT INTO alert_state_v5 SELECT * FROM alert_state",
    "DROP TABLE alert_state",
    "ALTER TABLE alert_state_v5 RENAME TO alert_state",
    # The rebuilt tables have no planner statistics: without them the by-key query
    # loses its skip-scan plan (see store.py). Sampled (analysis_limit): milliseconds.
    "ANALYZE",
)
