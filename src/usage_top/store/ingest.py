"""Writing a ``PollResult`` into the tables, inside a transaction the caller holds.

Each source replaces the figures of the days it covers: a single-day breakdown
replaces that day's per-key rows (a key that vanished is gone), its total and its
per-item rows (of every dimension); the account daily series replaces its range's
totals and per-item rows; a key's daily series replaces that key's per-item rows
in its range; an item's keys replace that item's key rows for that one range.
Deleting the covered rows and inserting the new ones makes ingest idempotent.
Rows are written with ``executemany`` of plain tuples, the fastest path the
sqlite3 module offers; figures go to the slots of their measures (``slots``),
and a measure a row does not report is stored as NULL.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from itertools import chain
from operator import attrgetter

from usage_top.domain.measures import Figures
from usage_top.domain.model import (
    Billing,
    Breakdown,
    DailyUsage,
    ItemDaily,
    ItemKeys,
    KeyDaily,
    PollResult,
    ScopeUsage,
)

from usage_top.store.codec import day_to_db, optional_ts_to_db, optional_ts_to_micros, ts_to_db
from usage_top.store.queries import RANGE_ITEM
from usage_top.store.slots import SlotAssigner, Slots

Row = tuple[object, ...]

_PUT_SCOPE = """
    INSERT INTO scope (scope, period, label, unit_kind, unit_name, measure, position)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (scope, period) DO UPDATE SET
        label = excluded.label, unit_kind = excluded.unit_kind, unit_name = excluded.unit_name,
        measure = excluded.measure, position = excluded.position"""
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


@cache
def _put(table: str, lead: tuple[str, ...], numbers: tuple[int, ...]) -> str:
    """Insert a row, replacing one of the same primary key (every slot is rewritten)."""
    columns = ", ".join((*lead, *(f"m{n}" for n in numbers)))
    marks = ", ".join("?" * (len(lead) + len(numbers)))
    return f"INSERT OR REPLACE INTO {table} ({columns}) VALUES ({marks})"


@cache
def _raise(table: str, lead: tuple[str, ...], numbers: tuple[int, ...]) -> str:
    """Insert a row, or raise one of the same primary key slot by slot to the larger
    value (absent stays absent only where both are)."""
    insert = _put(table, lead, numbers).replace("INSERT OR REPLACE", "INSERT")
    if not numbers:
        return f"{insert} ON CONFLICT DO NOTHING"
    updates = ", ".join(f"m{n} = max(coalesce(m{n}, excluded.m{n}), coalesce(excluded.m{n}, m{n}))"
                        for n in numbers)
    return f"{insert} ON CONFLICT ({', '.join(lead)}) DO UPDATE SET {updates}"


@cache
def _add(table: str, lead: tuple[str, ...], numbers: tuple[int, ...]) -> str:
    """Insert a row, adding to one of the same primary key slot by slot.

    Within one fetch, rows of the same item and day are added up: several kinds of
    usage the vendor did not assign all arrive with the ident '' and are one item
    here. Absent plus absent stays absent (NULL); absent plus a value is the value.
    """
    insert = _put(table, lead, numbers).replace("INSERT OR REPLACE", "INSERT")
    if not numbers:
        return f"{insert} ON CONFLICT DO NOTHING"
    updates = ", ".join(f"m{n} = coalesce(m{n} + excluded.m{n}, m{n}, excluded.m{n})"
                        for n in numbers)
    return f"{insert} ON CONFLICT ({', '.join(lead)}) DO UPDATE SET {updates}"


class Interner:
    """Row ids of masked keys and dimension items, and the measures' slots, cached for
    the life of a store.

    An id never changes once assigned (these rows are never deleted), so the
    cache only has to be dropped when a transaction that may have added rows is
    rolled back: call ``forget`` then.
    """

    def __init__(self) -> None:
        self._keys: dict[str, tuple[int, str | None]] = {}
        self._items: dict[tuple[str, str], tuple[int, str]] = {}
        self.slots = SlotAssigner()

    def key_id(self, conn: sqlite3.Connection, masked: str, name: str | None = None) -> int:
        """The key's id. ``name``: its display name as the vendor gives it now (stored
        when it differs from the masked key), or None when the source does not say."""
        stored = name if name and name != masked else None
        known = self._keys.get(masked)
        if known is not None and (name is None or known[1] == stored):
            return known[0]
        if name is None:
            conn.execute("INSERT INTO key (masked) VALUES (?) ON CONFLICT DO NOTHING", (masked,))
        else:
            conn.execute(
                "INSERT INTO key (masked, name) VALUES (?, ?)"
                " ON CONFLICT (masked) DO UPDATE SET name = excluded.name",
                (masked, stored),
            )
        key_id, stored = conn.execute(
            "SELECT id, name FROM key WHERE masked = ?", (masked,)
        ).fetchone()
        self._keys[masked] = (key_id, stored)
        return key_id

    def item_id(self, conn: sqlite3.Connection, kind: str, ident: str, name: str | None) -> int:
        """The item's id; its display name is updated when the vendor renames it (None:
        the source does not say, keep the stored one, or the ident for a new item)."""
        known = self._items.get((kind, ident))
        if known is not None and (name is None or known[1] == name):
            return known[0]
        if name is None:
            conn.execute("INSERT INTO item (kind, ident, name) VALUES (?, ?, ?)"
                         " ON CONFLICT DO NOTHING", (kind, ident, ident))
        else:
            conn.execute("INSERT INTO item (kind, ident, name) VALUES (?, ?, ?)"
                         " ON CONFLICT (kind, ident) DO UPDATE SET name = excluded.name",
                         (kind, ident, name))
        item_id, stored = conn.execute(
            "SELECT id, name FROM item WHERE kind = ? AND ident = ?", (kind, ident)
        ).fetchone()
        self._items[(kind, ident)] = (item_id, stored)
        return item_id

    def forget(self) -> None:
        self._keys.clear()
        self._items.clear()
        self.slots.forget()


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
    for item_keys in result.item_keys:
        write_item_keys(conn, ids, item_keys, fetched_at)
    for breakdown in result.range_keys:  # a range's own key list: the keys of all usage
        write_item_keys(conn, ids, ItemKeys(*RANGE_ITEM, breakdown), fetched_at)
    if result.billing is not None:
        write_billing(conn, result.billing, fetched_at)


def write_scopes(conn: sqlite3.Connection, scopes: Iterable[ScopeUsage], fetched_at: str) -> None:
    """Keep every reading (burn rates are computed from the history); each scope's
    label, unit, measure and place are the latest poll's."""
    scopes = tuple(scopes)
    conn.executemany(
        _PUT_SCOPE,
        [
            (scope.scope, scope.period.value, scope.label, scope.unit.kind.value,
             scope.unit.name, scope.measure, position)
            for position, scope in enumerate(scopes)
        ],
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
    """Replace one day's per-key and per-item figures and its total."""
    if breakdown.start != breakdown.end:
        raise ValueError(
            f"a day breakdown must cover one day, not {breakdown.start}..{breakdown.end}"
        )
    slots = ids.slots.ensure(conn, _breakdown_figures(breakdown))
    day = day_to_db(breakdown.start)
    conn.execute("DELETE FROM day_key WHERE day = ?", (day,))
    conn.executemany(
        _put("day_key", ("day", "key_id", "last_used"), slots.numbers),
        [
            (day, ids.key_id(conn, usage.id, usage.name), optional_ts_to_micros(usage.last_used),
             *map(usage.figures.get, slots.measures))
            for usage in breakdown.by_key
        ],
    )
    conn.execute(_put("day_total", ("day",), slots.numbers),
                 (day, *map(breakdown.totals.get, slots.measures)))
    conn.execute("DELETE FROM day_item WHERE day = ?", (day,))
    conn.executemany(
        _add("day_item", ("day", "item_id"), slots.numbers),
        [
            (day, ids.item_id(conn, kind, usage.id, usage.name),
             *map(usage.figures.get, slots.measures))
            for kind, rows in breakdown.by_dimension.items()
            for usage in rows
        ],
    )
    _mark_fetched(conn, "breakdown", "", day, day, fetched_at)


def write_account_daily(
    conn: sqlite3.Connection, ids: Interner, daily: DailyUsage, fetched_at: str
) -> None:
    """Replace the range's account totals and per-item figures."""
    slots = ids.slots.ensure(conn, _daily_figures(daily))
    first, last = day_to_db(daily.start), day_to_db(daily.end)
    conn.execute("DELETE FROM day_total WHERE day BETWEEN ? AND ?", (first, last))
    conn.executemany(
        _put("day_total", ("day",), slots.numbers),
        [(point.day.toordinal(), *map(point.figures.get, slots.measures))
         for point in daily.series],
    )
    conn.execute("DELETE FROM day_item WHERE day BETWEEN ? AND ?", (first, last))
    conn.executemany(_add("day_item", ("day", "item_id"), slots.numbers),
                     item_rows(conn, ids, slots, daily.by_dimension))
    _mark_fetched(conn, "daily", "", first, last, fetched_at)


def write_key_daily(
    conn: sqlite3.Connection, ids: Interner, key_daily: KeyDaily, fetched_at: str
) -> None:
    """Replace one key's per-item figures in the range.

    Per-key daily figures come from the single-day breakdowns, which also carry
    ``last_used``; the key's own series only raises them (``KeyDaily.own_days``)
    where a vendor's per-day top keys left the key out or short.
    """
    daily = key_daily.daily
    slots = ids.slots.ensure(conn, _daily_figures(daily) if key_daily.own_days
                             else _items_figures(daily.by_dimension))
    key_id = ids.key_id(conn, key_daily.key)
    if key_daily.own_days:
        conn.executemany(_raise("day_key", ("day", "key_id"), slots.numbers),
                         [(day_to_db(point.day), key_id, *map(point.figures.get, slots.measures))
                          for point in daily.series])
    first, last = day_to_db(daily.start), day_to_db(daily.end)
    conn.execute(
        "DELETE FROM day_key_item WHERE key_id = ? AND day BETWEEN ? AND ?",
        (key_id, first, last),
    )
    conn.executemany(_add("day_key_item", ("key_id", "day", "item_id"), slots.numbers),
                     item_rows(conn, ids, slots, daily.by_dimension, key_id))
    _mark_fetched(conn, "key_daily", key_daily.key, first, last, fetched_at)


def write_item_keys(
    conn: sqlite3.Connection, ids: Interner, item_keys: ItemKeys, fetched_at: str
) -> None:
    """Replace the keys of one item over one range."""
    breakdown = item_keys.breakdown
    slots = ids.slots.ensure(conn, lambda: map(_FIGURES, breakdown.by_key))
    name = next((row.name for row in breakdown.by_dimension.get(item_keys.kind, ())
                 if row.id == item_keys.item), None)
    span = (ids.item_id(conn, item_keys.kind, item_keys.item, name),
            day_to_db(breakdown.start), day_to_db(breakdown.end))
    conn.execute(
        "DELETE FROM item_key_range WHERE item_id = ? AND first_day = ? AND last_day = ?",
        span,
    )
    conn.executemany(
        _put("item_key_range", ("item_id", "first_day", "last_day", "key_id", "last_used"),
             slots.numbers),
        [
            (*span, ids.key_id(conn, usage.id, usage.name),
             optional_ts_to_micros(usage.last_used), *map(usage.figures.get, slots.measures))
            for usage in breakdown.by_key
        ],
    )
    conn.execute(
        "INSERT INTO item_range_fetch VALUES (?, ?, ?, ?)"
        " ON CONFLICT DO UPDATE SET fetched_at = excluded.fetched_at",
        (*span, fetched_at),
    )


def write_billing(conn: sqlite3.Connection, billing: Billing, fetched_at: str) -> None:
    conn.execute(
        "INSERT INTO billing VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            fetched_at, billing.plan, billing.balance, billing.topup, billing.cycle_allowance,
            None if billing.cycle_start is None else day_to_db(billing.cycle_start),
            None if billing.cycle_end is None else day_to_db(billing.cycle_end),
            json.dumps(dict(billing.prices), sort_keys=True),
        ),
    )


def item_rows(
    conn: sqlite3.Connection,
    ids: Interner,
    slots: Slots,
    by_dimension: Mapping[str, Iterable[ItemDaily]],
    *lead: int,
) -> list[Row]:
    """``(*lead, day, item_id, *values)`` rows of per-item series.

    Days with no figure other than 0 are skipped: a vendor's stacked series
    repeats every item on every day, mostly as zeros, and the range was cleared
    before, so a missing row reads as zero.
    """
    rows: list[Row] = []
    measures = slots.measures  # (and day_to_db inlined: these are the most numerous rows)
    for kind, items in by_dimension.items():
        for series in items:
            item_id = ids.item_id(conn, kind, series.id, series.name)
            rows.extend(
                (*lead, point.day.toordinal(), item_id, *map(point.figures.get, measures))
                for point in series.series
                if any(point.figures.values())
            )
    return rows


_FIGURES = attrgetter("figures")
_SERIES = attrgetter("series")


def _breakdown_figures(breakdown: Breakdown) -> Callable[[], Iterable[Figures]]:
    return lambda: chain((breakdown.totals,), map(_FIGURES, breakdown.by_key),
                         map(_FIGURES, chain.from_iterable(breakdown.by_dimension.values())))


def _daily_figures(daily: DailyUsage) -> Callable[[], Iterable[Figures]]:
    items = _items_figures(daily.by_dimension)
    return lambda: chain(map(_FIGURES, daily.series), items())


def _items_figures(
    by_dimension: Mapping[str, Iterable[ItemDaily]],
) -> Callable[[], Iterable[Figures]]:
    return lambda: map(_FIGURES, chain.from_iterable(
        map(_SERIES, chain.from_iterable(by_dimension.values()))))


def _mark_fetched(
    conn: sqlite3.Connection, kind: str, key: str, first: int, last: int, fetched_at: str
) -> None:
    conn.executemany(_PUT_FETCH, [(kind, key, day, fetched_at) for day in range(first, last + 1)])

