"""The questions the dashboard and the CLI ask, answered as model objects.

Ranges are inclusive dates. ``key`` is a masked key, or None for the whole
account. Every query reads one table of the grain it needs (see ``schema``), so
a 30-day range touches at most a few tens of thousands of narrow rows.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from typing import Literal

from pydantic import TypeAdapter

from usage_top.domain.model import (
    Billing,
    DailyPoint,
    EndpointUsage,
    KeyUsage,
    Period,
    ScopeUsage,
    Totals,
)

from usage_top.store.codec import (
    day_from_db,
    day_to_db,
    optional_ts_from_db,
    optional_ts_from_micros,
    ts_from_db,
    ts_to_db,
)

_KEY_USAGES = TypeAdapter(list[KeyUsage])
"""Validates a whole breakdown of keys at once (see ``_key_usages``)."""

#: What a ``fetch`` row records: a single-day breakdown of all keys, the account
#: daily series, or one key's daily series.
FetchKind = Literal["breakdown", "daily", "key_daily"]


def latest_scopes(conn: sqlite3.Connection) -> list[tuple[ScopeUsage, dt.datetime]]:
    """The latest reading of each scope and period, with when it was fetched."""
    rows = conn.execute(
        """
        SELECT r.scope, r.period, r.fetched_at, r.used, r."limit", r.rate_limit,
               r.refreshed_at, r.resets_at
        FROM scope AS s
        JOIN scope_reading AS r ON r.scope = s.scope AND r.period = s.period
        WHERE r.fetched_at = (SELECT max(fetched_at) FROM scope_reading
                              WHERE scope = s.scope AND period = s.period)
        ORDER BY r.scope, r.period
        """
    )
    return [
        (
            ScopeUsage(
                scope=scope,
                period=Period(period),
                used=used,
                limit=limit,
                rate_limit_per_minute=rate_limit,
                refreshed_at=optional_ts_from_db(refreshed_at),
                resets_at=optional_ts_from_db(resets_at),
            ),
            ts_from_db(fetched_at),
        )
        for scope, period, fetched_at, used, limit, rate_limit, refreshed_at, resets_at in rows
    ]


def scope_history(
    conn: sqlite3.Connection, scope: str, period: Period | str, since: dt.datetime
) -> list[tuple[dt.datetime, int]]:
    """Every reading of one scope since ``since``, oldest first."""
    rows = conn.execute(
        "SELECT fetched_at, used FROM scope_reading"
        " WHERE scope = ? AND period = ? AND fetched_at >= ? ORDER BY fetched_at",
        (scope, Period(period).value, ts_to_db(since)),
    )
    return [(ts_from_db(fetched_at), used) for fetched_at, used in rows]


def daily_series(
    conn: sqlite3.Connection, start: dt.date, end: dt.date, key: str | None = None
) -> list[DailyPoint]:
    """One point per day of the range, zero where nothing was recorded."""
    rows, params = _rows_in_range("day_total" if key is None else "day_key", key, start, end)
    recorded = {
        day: (requests, credits)
        for day, requests, credits in conn.execute(
            f"SELECT day, requests, credits FROM {rows}", params
        )
    }
    return _zero_filled(recorded, start, end)


def _zero_filled(recorded: dict[int, tuple[int, float]], start: dt.date, end: dt.date) -> list[DailyPoint]:
    points = []
    for day in range(day_to_db(start), day_to_db(end) + 1):
        requests, credits = recorded.get(day, (0, 0.0))
        points.append(DailyPoint(day=day_from_db(day), requests=requests, credits=credits))
    return points


def endpoint_breakdown(
    conn: sqlite3.Connection, start: dt.date, end: dt.date, key: str | None = None
) -> list[EndpointUsage]:
    """Requests and credits per endpoint, biggest first, with shares of the range total."""
    rows, params = _rows_in_range(
        "day_endpoint" if key is None else "day_key_endpoint", key, start, end
    )
    found = conn.execute(
        f"""
        SELECT e.slug, e.name, t.requests, t.credits
        FROM (SELECT endpoint_id, sum(requests) AS requests, sum(credits) AS credits
              FROM {rows} GROUP BY endpoint_id) AS t
        JOIN endpoint AS e ON e.id = t.endpoint_id
        ORDER BY t.credits DESC, t.requests DESC, e.slug
        """,
        params,
    ).fetchall()
    all_requests, all_credits = _sums(found, 2, 3)
    return [
        EndpointUsage(
            slug=slug,
            name=name,
            requests=requests,
            credits=credits,
            percent_of_requests=_percent(requests, all_requests),
            percent_of_credits=_percent(credits, all_credits),
        )
        for slug, name, requests, credits in found
    ]


def endpoint_series(
    conn: sqlite3.Connection, slug: str, start: dt.date, end: dt.date, key: str | None = None
) -> list[DailyPoint]:
    """One endpoint's requests and credits per day (of one key when given), zero-filled."""
    table = "day_endpoint" if key is None else "day_key_endpoint"
    rows, params = _rows_in_range(table, key, start, end)
    recorded = {
        day: (requests, credits)
        for day, requests, credits in conn.execute(
            f"SELECT day, requests, credits FROM {rows}"
            " AND endpoint_id = (SELECT id FROM endpoint WHERE slug = ?)",
            (*params, slug),
        )
    }
    return _zero_filled(recorded, start, end)


def endpoint_keys(
    conn: sqlite3.Connection, names: KeyNames, slug: str, start: dt.date, end: dt.date
) -> tuple[list[KeyUsage], dt.datetime] | None:
    """The keys that called an endpoint over exactly this range, and when that was
    fetched; None if it never was."""
    span = (slug, day_to_db(start), day_to_db(end))
    fetched = conn.execute(
        "SELECT f.fetched_at FROM endpoint_range_fetch AS f JOIN endpoint AS e ON e.id = f.endpoint_id"
        " WHERE e.slug = ? AND f.first_day = ? AND f.last_day = ?",
        span,
    ).fetchone()
    if fetched is None:
        return None
    rows = conn.execute(
        "SELECT r.key_id, r.requests, r.credits, r.last_used FROM endpoint_key_range AS r"
        " JOIN endpoint AS e ON e.id = r.endpoint_id"
        " WHERE e.slug = ? AND r.first_day = ? AND r.last_day = ?",
        span,
    ).fetchall()
    return _key_usages(conn, names, rows), ts_from_db(fetched[0])


def latest_billing(conn: sqlite3.Connection) -> tuple[Billing, dt.datetime] | None:
    row = conn.execute(
        "SELECT fetched_at, plan, credit_balance, topup_credit, cycle_allowance, last_refill,"
        " next_refill, credit_costs FROM billing ORDER BY fetched_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    fetched_at, plan, balance, topup, allowance, last_refill, next_refill, costs = row
    billing = Billing(
        plan=plan,
        credit_balance=balance,
        topup_credit=topup,
        cycle_allowance=allowance,
        last_refill=None if last_refill is None else day_from_db(last_refill),
        next_refill=None if next_refill is None else day_from_db(next_refill),
        credit_costs=json.loads(costs),
    )
    return billing, ts_from_db(fetched_at)


def key_endpoint_days(
    conn: sqlite3.Connection, start: dt.date, end: dt.date, key: str | None = None
) -> list[tuple[dt.date, str, str, str, int, float]]:
    """(day, key, endpoint slug, endpoint name, requests, credits) of every key (or one)
    with drilled-down per-endpoint figures in the range, by day, key and endpoint."""
    where, params = "d.day BETWEEN ? AND ?", [day_to_db(start), day_to_db(end)]
    if key is not None:
        where = "d.key_id = (SELECT id FROM key WHERE masked = ?) AND " + where
        params.insert(0, key)
    rows = conn.execute(
        "SELECT d.day, k.masked, e.slug, e.name, d.requests, d.credits"
        " FROM day_key_endpoint AS d"
        " JOIN key AS k ON k.id = d.key_id JOIN endpoint AS e ON e.id = d.endpoint_id"
        f" WHERE {where} ORDER BY d.day, k.masked, e.slug",
        params,
    )
    return [(day_from_db(day), *rest) for day, *rest in rows]


class KeyNames:
    """The masked key of each key id, read from the ``key`` table when needed.

    Key rows are never deleted, so an id never changes meaning and a name once
    read never goes stale; the table is read again only when an unknown id shows
    up. This spares the by-key query a join and a sort in SQL, which cost more
    than doing both in Python on its thousand-odd result rows.
    """

    def __init__(self) -> None:
        self._names: dict[int, str] = {}

    def of(self, conn: sqlite3.Connection, key_ids: Iterable[int]) -> dict[int, str]:
        if not self._names.keys() >= set(key_ids):
            self._names = dict(conn.execute("SELECT id, masked FROM key"))
        return self._names


def key_breakdown(
    conn: sqlite3.Connection,
    names: KeyNames,
    start: dt.date,
    end: dt.date,
    limit: int | None = None,
) -> list[KeyUsage]:
    """Requests, credits and last use per key, biggest first, with shares of the range total.

    This is the heaviest query (one row per key per day of the range): it reads
    the covering index ``day_key_by_key`` in key order, so grouping needs no sort.
    ``limit`` keeps only the biggest keys (as the vendor's top 100 does); the
    shares stay relative to all keys. It saves building a model per hidden key,
    which costs about as much as the SQL for a week of a thousand keys.
    """
    rows = conn.execute(
        "SELECT key_id, sum(requests), sum(credits), max(last_used) FROM day_key"
        " WHERE day BETWEEN ? AND ? GROUP BY key_id",
        (day_to_db(start), day_to_db(end)),
    ).fetchall()
    return _key_usages(conn, names, rows, limit)


def _key_usages(
    conn: sqlite3.Connection, names: KeyNames, rows: list[tuple], limit: int | None = None
) -> list[KeyUsage]:
    """``(key_id, requests, credits, last_used)`` rows as models, biggest first, with shares.

    The models are validated in one call, from a list of dicts: a quarter faster than a
    call per model, whose Python overhead is most of the cost of building a thousand.
    """
    masked = names.of(conn, (row[0] for row in rows))
    rows.sort(key=lambda row: (-row[2], -row[1], masked[row[0]]))
    all_requests, all_credits = _sums(rows, 1, 2)
    return _KEY_USAGES.validate_python([
        {
            "key": masked[key_id],
            "requests": requests,
            "credits": credits,
            "last_used": optional_ts_from_micros(last_used),
            "percent_of_requests": _percent(requests, all_requests),
            "percent_of_credits": _percent(credits, all_credits),
        }
        for key_id, requests, credits, last_used in rows[:limit]
    ])


def totals(
    conn: sqlite3.Connection, start: dt.date, end: dt.date, key: str | None = None
) -> Totals:
    rows, params = _rows_in_range("day_total" if key is None else "day_key", key, start, end)
    requests, credits = conn.execute(
        f"SELECT sum(requests), sum(credits) FROM {rows}", params
    ).fetchone()
    return Totals(requests=requests or 0, credits=credits or 0.0)


def fetched_days(
    conn: sqlite3.Connection, kind: FetchKind, key: str | None, start: dt.date, end: dt.date
) -> dict[dt.date, dt.datetime]:
    """When each day of the range was last fetched, for days that ever were.

    ``key`` is the masked key for 'key_daily' and None (or '') otherwise. The
    collector skips past days already fetched after they ended; the UI says how
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
    ).fetchone()
    return bool(row[0])


def _rows_in_range(
    table: str, key: str | None, start: dt.date, end: dt.date
) -> tuple[str, tuple[object, ...]]:
    """``table WHERE ...`` selecting the range, and one key's rows when ``key`` is given."""
    days = (day_to_db(start), day_to_db(end))
    if key is None:
        return f"{table} WHERE day BETWEEN ? AND ?", days
    return (
        f"{table} WHERE key_id = (SELECT id FROM key WHERE masked = ?) AND day BETWEEN ? AND ?",
        (key, *days),
    )


def _sums(rows: list[tuple], requests_at: int, credits_at: int) -> tuple[int, float]:
    return sum(row[requests_at] for row in rows), sum(row[credits_at] for row in rows)


def _percent(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0
