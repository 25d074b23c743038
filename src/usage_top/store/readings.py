"""Scope readings, billing readings and fetch bookkeeping, as the store keeps them."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Literal

from usage_top.domain.measures import Unit, UnitKind
from usage_top.domain.model import Billing, Period, ScopeUsage

from usage_top.store.codec import (
    day_from_db,
    day_to_db,
    optional_ts_from_db,
    ts_from_db,
    ts_to_db,
)

#: What a ``fetch`` row records: a single-day breakdown of all keys, the account
#: daily series, or one key's daily series.
FetchKind = Literal["breakdown", "daily", "key_daily"]


def latest_scopes(conn: sqlite3.Connection) -> list[tuple[ScopeUsage, dt.datetime]]:
    """The latest reading of each scope and period, with when it was fetched, in the
    order the provider gave them (in the last poll that read each)."""
    rows = conn.execute(
        """
        SELECT s.scope, s.period, s.label, s.unit_kind, s.unit_name, s.measure,
               r.fetched_at, r.used, r."limit", r.rate_limit, r.refreshed_at, r.resets_at
        FROM scope AS s
        JOIN scope_reading AS r ON r.scope = s.scope AND r.period = s.period
        WHERE r.fetched_at = (SELECT max(fetched_at) FROM scope_reading
                              WHERE scope = s.scope AND period = s.period)
        ORDER BY s.position, s.scope, s.period
        """
    )
    return [
        (
            ScopeUsage(
                scope=scope,
                period=Period(period),
                used=used,
                unit=Unit(UnitKind(unit_kind), unit_name),
                label=label,
                limit=limit,
                rate_limit_per_minute=rate_limit,
                refreshed_at=optional_ts_from_db(refreshed_at),
                resets_at=optional_ts_from_db(resets_at),
                measure=measure,
            ),
            ts_from_db(fetched_at),
        )
        for (scope, period, label, unit_kind, unit_name, measure,
             fetched_at, used, limit, rate_limit, refreshed_at, resets_at) in rows
    ]


def scope_history(
    conn: sqlite3.Connection, name: str, since: dt.datetime
) -> list[tuple[dt.datetime, float]]:
    """Every reading of one scope (``name`` as ``ScopeUsage.name``: 'api.daily') since
    ``since``, oldest first."""
    scope, _, period = name.rpartition(".")
    rows = conn.execute(
        "SELECT fetched_at, used FROM scope_reading"
        " WHERE scope = ? AND period = ? AND fetched_at >= ? ORDER BY fetched_at",
        (scope, period, ts_to_db(since)),
    )
    return [(ts_from_db(fetched_at), used) for fetched_at, used in rows]


def latest_billing(conn: sqlite3.Connection) -> tuple[Billing, dt.datetime] | None:
    row = conn.execute(
        "SELECT fetched_at, plan, balance, topup, cycle_allowance, cycle_start, cycle_end,"
        " prices FROM billing ORDER BY fetched_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    fetched_at, plan, balance, topup, allowance, cycle_start, cycle_end, prices = row
    billing = Billing(
        plan=plan,
        balance=balance,
        topup=topup,
        cycle_allowance=allowance,
        cycle_start=None if cycle_start is None else day_from_db(cycle_start),
        cycle_end=None if cycle_end is None else day_from_db(cycle_end),
        prices=json.loads(prices),
    )
    return billing, ts_from_db(fetched_at)


def fetched_days(
    conn: sqlite3.Connection, kind: FetchKind, key: str | None, start: dt.date, end: dt.date
) -> dict[dt.date, dt.datetime]:
    """When each day of the range was last fetched, for days that ever were.

    ``key`` is the masked key for 'key_daily' and None (or '') otherwise. The
    collector skips past days already fetched after they settled; the UI says how
    old a figure is.
    """
    rows = conn.execute(
        "SELECT day, fetched_at FROM fetch WHERE kind = ? AND key = ? AND day BETWEEN ? AND ?",
        (kind, key or "", day_to_db(start), day_to_db(end)),
    )
    return {day_from_db(day): ts_from_db(fetched_at) for day, fetched_at in rows}


def has_data(conn: sqlite3.Connection) -> bool:
    """Whether any poll has stored figures yet (False on a fresh database)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM fetch) OR EXISTS (SELECT 1 FROM scope_reading)"
        " OR EXISTS (SELECT 1 FROM billing)"
    ).fetchone()
    return bool(row[0])
