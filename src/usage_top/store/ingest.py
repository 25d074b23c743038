"""Writing a ``PollResult`` into the tables, inside a transaction the caller holds.

Each source replaces the figures of the days it covers: a single-day breakdown
replaces that day's per-key rows (a key that vanished is gone) and per-endpoint
rows; the account daily series replaces its range's totals and per-endpoint
rows; a key's daily series replaces that key's per-endpoint rows in its range.
Deleting the covered rows and inserting the new ones makes ingest idempotent.
Rows are written with ``executemany`` of plain tuples, the fastest path the
sqlite3 module offers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from usage_top.domain.model import (
    Billing,
    Breakdown,
    DailyUsage,
    EndpointDaily,
    EndpointKeys,
    KeyDaily,
    PollResult,
    ScopeUsage,
)

from usage_top.store.codec import day_to_db, optional_ts_to_db, optional_ts_to_micros, ts_to_db

Row = tuple[object, ...]

# Within one fetch, rows of the same endpoint and day are added up: several log
# types the vendor did not map all arrive with the slug '' and are one endpoint here.
_ADD_DAY_ENDPOINT = """
    INSERT INTO day_endpoint (day, endpoint_id, requests, credits) VALUES (?, ?, ?, ?)
    ON CONFLICT (day, endpoint_id) DO UPDATE SET
        requests = requests + excluded.requests, credits = credits + excluded.credits"""
_ADD_DAY_KEY_ENDPOINT = """
    INSERT INTO day_key_endpoint (key_id, day, endpoint_id, requests, credits)
    VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (key_id, day, endpoint_id) DO UPDATE SET
        requests = requests + excluded.requests, credits = credits + excluded.credits"""
_PUT_DAY_KEY = """
    INSERT INTO day_key (day, key_id, requests, credits, last_used) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (day, key_id) DO UPDATE SET
        requests = excluded.requests, credits = excluded.credits, last_used = excluded.last_used"""
_PUT_DAY_TOTAL = """
    INSERT INTO day_total (day, requests, credits) VALUES (?, ?, ?)
    ON CONFLICT (day) DO UPDATE SET requests = excluded.requests, credits = excluded.credits"""
_PUT_SCOPE_READING = """
    INSERT INTO scope_reading
        (scope, period, fetched_at, used, "limit", rate_limit, refreshed_at, resets_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (scope, period, fetched_at) DO UPDATE SET
        used = excluded.used, "limit" = excluded."limit", rate_limit = excluded.rate_limit,
        refreshed_at = excluded.refreshed_at, resets_at = excluded.resets_at"""
_PUT_FETCH = """
    INSERT INTO fetch (kind, key, day, fetched_at) VALUES (?, ?, ?, ?)
    ON CONFLICT (kind, key, day) DO UPDATE SET fetched_at = excluded.fetched_at"""


class Interner:
    """Row ids of masked keys and endpoint slugs, cached for the life of a store.

    An id never changes once assigned (these rows are never deleted), so the
    cache only has to be dropped when a transaction that may have added rows is
    rolled back: call ``forget`` then.
    """

    def __init__(self) -> None:
        self._keys: dict[str, int] = {}
        self._endpoints: dict[str, tuple[int, str]] = {}

    def key_id(self, conn: sqlite3.Connection, masked: str) -> int:
        if (known := self._keys.get(masked)) is not None:
            return known
        conn.execute("INSERT INTO key (masked) VALUES (?) ON CONFLICT DO NOTHING", (masked,))
        (key_id,) = conn.execute("SELECT id FROM key WHERE masked = ?", (masked,)).fetchone()
        self._keys[masked] = key_id
        return key_id

    def endpoint_id(self, conn: sqlite3.Connection, slug: str, name: str) -> int:
        """The endpoint's id; its display name is updated when the vendor renames it."""
        known = self._endpoints.get(slug)
        if known is not None and known[1] == name:
            return known[0]
        conn.execute(
            "INSERT INTO endpoint (slug, name) VALUES (?, ?)"
            " ON CONFLICT (slug) DO UPDATE SET name = excluded.name",
            (slug, name),
        )
        (endpoint_id,) = conn.execute("SELECT id FROM endpoint WHERE slug = ?", (slug,)).fetchone()
        self._endpoints[slug] = (endpoint_id, name)
        return endpoint_id

    def forget(self) -> None:
        self._keys.clear()
        self._endpoints.clear()


def write_result(conn: sqlite3.Connection, ids: Interner, result: PollResult) -> None:
    """Write everything one poll fetched; the caller holds the transaction."""
    fetched_at = ts_to_db(result.fetched_at)
    write_scopes(conn, result.scopes, fetched_at)
    for breakdown in result.day_breakdowns:
        write_day_breakdown(conn, ids, breakdown, fetched_at)
    if result.account_daily is not None:
        write_account_daily(conn, ids, result.account_daily, fetched_at)
    for key_daily in result.key_daily:
        write_key_daily(conn, ids, key_daily, fetched_at)
    for endpoint_keys in result.endpoint_keys:
        write_endpoint_keys(conn, ids, endpoint_keys, fetched_at)
    if result.billing is not None:
        write_billing(conn, result.billing, fetched_at)


def write_scopes(conn: sqlite3.Connection, scopes: Iterable[ScopeUsage], fetched_at: str) -> None:
    """Keep every reading: burn rates are computed from the history."""
    scopes = tuple(scopes)
    conn.executemany(
        "INSERT INTO scope (scope, period) VALUES (?, ?) ON CONFLICT DO NOTHING",
        {(scope.scope, scope.period.value) for scope in scopes},
    )
    conn.executemany(
        _PUT_SCOPE_READING,
        [
            (
                scope.scope,
                scope.period.value,
                fetched_at,
                scope.used,
                scope.limit,
                scope.rate_limit_per_minute,
                optional_ts_to_db(scope.refreshed_at),
                optional_ts_to_db(scope.resets_at),
            )
            for scope in scopes
        ],
    )


def write_day_breakdown(
    conn: sqlite3.Connection, ids: Interner, breakdown: Breakdown, fetched_at: str
) -> None:
    """Replace one day's per-key and per-endpoint figures and its total."""
    if breakdown.start != breakdown.end:
        raise ValueError(
            f"a day breakdown must cover one day, not {breakdown.start}..{breakdown.end}"
        )
    day = day_to_db(breakdown.start)
    conn.execute("DELETE FROM day_key WHERE day = ?", (day,))
    conn.executemany(
        _PUT_DAY_KEY,
        [
            (day, ids.key_id(conn, usage.key), usage.requests, usage.credits,
             optional_ts_to_micros(usage.last_used))
            for usage in breakdown.by_key
        ],
    )
    conn.execute(_PUT_DAY_TOTAL, (day, breakdown.totals.requests, breakdown.totals.credits))
    conn.execute("DELETE FROM day_endpoint WHERE day = ?", (day,))
    conn.executemany(
        _ADD_DAY_ENDPOINT,
        [
            (day, ids.endpoint_id(conn, usage.slug, usage.name), usage.requests, usage.credits)
            for usage in breakdown.by_endpoint
        ],
    )
    _mark_fetched(conn, "breakdown", "", day, day, fetched_at)


def write_account_daily(
    conn: sqlite3.Connection, ids: Interner, daily: DailyUsage, fetched_at: str
) -> None:
    """Replace the range's account totals and per-endpoint figures."""
    first, last = day_to_db(daily.start), day_to_db(daily.end)
    conn.execute("DELETE FROM day_total WHERE day BETWEEN ? AND ?", (first, last))
    conn.executemany(
        _PUT_DAY_TOTAL,
        [(day_to_db(point.day), point.requests, point.credits) for point in daily.series],
    )
    conn.execute("DELETE FROM day_endpoint WHERE day BETWEEN ? AND ?", (first, last))
    conn.executemany(_ADD_DAY_ENDPOINT, endpoint_rows(conn, ids, daily.by_endpoint))
    _mark_fetched(conn, "daily", "", first, last, fetched_at)


def write_key_daily(
    conn: sqlite3.Connection, ids: Interner, key_daily: KeyDaily, fetched_at: str
) -> None:
    """Replace one key's per-endpoint figures in the range.

    The key's own per-day series is not stored: per-key daily figures come from
    the single-day breakdowns, which also carry ``last_used``.
    """
    daily = key_daily.daily
    key_id = ids.key_id(conn, key_daily.key)
    first, last = day_to_db(daily.start), day_to_db(daily.end)
    conn.execute(
        "DELETE FROM day_key_endpoint WHERE key_id = ? AND day BETWEEN ? AND ?",
        (key_id, first, last),
    )
    conn.executemany(_ADD_DAY_KEY_ENDPOINT, endpoint_rows(conn, ids, daily.by_endpoint, key_id))
    _mark_fetched(conn, "key_daily", key_daily.key, first, last, fetched_at)


def write_endpoint_keys(
    conn: sqlite3.Connection, ids: Interner, endpoint_keys: EndpointKeys, fetched_at: str
) -> None:
    """Replace the keys of one endpoint over one range."""
    breakdown = endpoint_keys.breakdown
    name = next((row.name for row in breakdown.by_endpoint if row.slug == endpoint_keys.slug),
                endpoint_keys.slug)
    span = (ids.endpoint_id(conn, endpoint_keys.slug, name),
            day_to_db(breakdown.start), day_to_db(breakdown.end))
    conn.execute(
        "DELETE FROM endpoint_key_range WHERE endpoint_id = ? AND first_day = ? AND last_day = ?",
        span,
    )
    conn.executemany(
        "INSERT INTO endpoint_key_range VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (*span, ids.key_id(conn, usage.key), usage.requests, usage.credits,
             optional_ts_to_micros(usage.last_used))
            for usage in breakdown.by_key
        ],
    )
    conn.execute(
        "INSERT INTO endpoint_range_fetch VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO UPDATE SET fetched_at = excluded.fetched_at",
        (*span, fetched_at),
    )


def write_billing(conn: sqlite3.Connection, billing: Billing, fetched_at: str) -> None:
    conn.execute(
        "INSERT INTO billing VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            fetched_at, billing.plan, billing.credit_balance, billing.topup_credit,
            billing.cycle_allowance,
            None if billing.last_refill is None else day_to_db(billing.last_refill),
            None if billing.next_refill is None else day_to_db(billing.next_refill),
            json.dumps(billing.credit_costs, sort_keys=True),
        ),
    )


def endpoint_rows(
    conn: sqlite3.Connection,
    ids: Interner,
    by_endpoint: Iterable[EndpointDaily],
    *lead: int,
) -> list[Row]:
    """``(*lead, day, endpoint_id, requests, credits)`` rows of per-endpoint series.

    Days with neither requests nor credits are skipped: the vendor's stacked
    series repeats every endpoint on every day, mostly as zeros, and the range
    was cleared before, so a missing row reads as zero.
    """
    rows: list[Row] = []
    for series in by_endpoint:
        endpoint_id = ids.endpoint_id(conn, series.slug, series.name)
        rows.extend(
            (*lead, day_to_db(point.day), endpoint_id, point.requests, point.credits)
            for point in series.series
            if point.requests or point.credits
        )
    return rows


def _mark_fetched(
    conn: sqlite3.Connection, kind: str, key: str, first: int, last: int, fetched_at: str
) -> None:
    conn.executemany(_PUT_FETCH, [(kind, key, day, fetched_at) for day in range(first, last + 1)])
