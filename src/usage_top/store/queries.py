"""The usage questions the dashboard and the CLI ask, answered as model objects.

Ranges are inclusive dates. ``key`` is a masked key, or None for the whole
account. Every query reads one table of the grain it needs (see ``schema``), so
a 30-day range touches at most a few tens of thousands of narrow rows, and only
the value slots of the measures the file holds (``slots``).

Figures are dicts by measure id. A measure with no stored value over a range is
absent (SQL's ``sum`` of nothing but NULLs is NULL), never 0. Shares are not
computed here: the views compute them against the totals.
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from collections.abc import Iterable, Sequence
from operator import itemgetter

from usage_top.domain.model import DayFigures, Usage

from usage_top.store.codec import (
    day_from_db,
    day_to_db,
    optional_ts_from_micros,
    ts_from_db,
)
from usage_top.store.slots import Slots

_ABSENT = -math.inf
"""Where an absent figure sorts: below every value."""


def measures(conn: sqlite3.Connection) -> tuple[str, ...]:
    """The measure ids the file holds figures for, in slot order."""
    return Slots.read(conn).measures


def totals(
    conn: sqlite3.Connection, start: dt.date, end: dt.date, key: str | None = None
) -> dict[str, float]:
    """The range's figures; 0.0 for every known measure when nothing is stored in it."""
    slots = Slots.read(conn)
    rows, params = _rows_in_range("day_total" if key is None else "day_key", key, start, end)
    count, *sums = conn.execute(f"SELECT count(*){slots.sums} FROM {rows}", params).fetchone()
    return slots.figures(sums) if count else slots.zeros()


def daily_series(
    conn: sqlite3.Connection, start: dt.date, end: dt.date, key: str | None = None
) -> list[DayFigures]:
    """One day's figures per day of the range, zero where nothing was recorded."""
    slots = Slots.read(conn)
    rows, params = _rows_in_range("day_total" if key is None else "day_key", key, start, end)
    recorded = {day: values for day, *values in
                conn.execute(f"SELECT day{slots.columns} FROM {rows}", params)}
    return _zero_filled(slots, recorded, start, end)


def item_breakdown(
    conn: sqlite3.Connection,
    kind: str,
    start: dt.date,
    end: dt.date,
    key: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Usage]:
    """The figures of each item of dimension ``kind`` over the range (one key's when
    given), biggest first by ``order_by`` (measure ids; the slot order by default)."""
    slots = Slots.read(conn)
    rows, params = _rows_in_range("day_item" if key is None else "day_key_item", key, start, end)
    found = conn.execute(
        f"""
        SELECT i.ident, i.name{slots.prefixed("t")}
        FROM (SELECT item_id{slots.sums} FROM {rows} GROUP BY item_id) AS t
        JOIN item AS i ON i.id = t.item_id
        WHERE i.kind = ?
        """,
        (*params, kind),
    ).fetchall()
    _rank(found, slots.ranked(order_by), 2, 0)
    return [Usage(ident, name, slots.figures(values)) for ident, name, *values in found]


def item_series(
    conn: sqlite3.Connection,
    kind: str,
    item: str,
    start: dt.date,
    end: dt.date,
    key: str | None = None,
) -> list[DayFigures]:
    """One item's figures per day (of one key when given), zero-filled."""
    slots = Slots.read(conn)
    table = "day_item" if key is None else "day_key_item"
    rows, params = _rows_in_range(table, key, start, end)
    recorded = {
        day: values
        for day, *values in conn.execute(
            f"SELECT day{slots.columns} FROM {rows}"
            " AND item_id = (SELECT id FROM item WHERE kind = ? AND ident = ?)",
            (*params, kind, item),
        )
    }
    return _zero_filled(slots, recorded, start, end)


def item_keys(
    conn: sqlite3.Connection,
    names: KeyNames,
    kind: str,
    item: str,
    start: dt.date,
    end: dt.date,
    order_by: Sequence[str] | None = None,
) -> tuple[list[Usage], dt.datetime] | None:
    """The keys that used an item over exactly this range, and when that was fetched;
    None if it never was."""
    slots = Slots.read(conn)
    span = (kind, item, day_to_db(start), day_to_db(end))
    fetched = conn.execute(
        "SELECT f.item_id, f.fetched_at FROM item_range_fetch AS f"
        " JOIN item AS i ON i.id = f.item_id"
        " WHERE i.kind = ? AND i.ident = ? AND f.first_day = ? AND f.last_day = ?",
        span,
    ).fetchone()
    if fetched is None:
        return None
    item_id, fetched_at = fetched
    rows = conn.execute(
        f"SELECT key_id, last_used{slots.columns} FROM item_key_range"
        " WHERE item_id = ? AND first_day = ? AND last_day = ?",
        (item_id, *span[2:]),
    ).fetchall()
    return _key_usages(conn, names, slots, rows, order_by), ts_from_db(fetched_at)


def key_breakdown(
    conn: sqlite3.Connection,
    names: KeyNames,
    start: dt.date,
    end: dt.date,
    limit: int | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Usage]:
    """The figures and last use of each key, biggest first by ``order_by``.

    This is the heaviest query (one row per key per day of the range): it reads
    the covering index ``day_key_by_key`` in key order, so grouping needs no sort.
    ``limit`` keeps only the biggest keys (as a vendor's top 100 does), which saves
    building a row per hidden key.

    Where the range's own key list was fetched (``PollResult.range_keys``), each
    key's figure is the larger of it and the per-day sum: both only ever fall short
    of the truth (a vendor's per-day top 100 leaves a key out on some days; the
    range's list was fetched a while ago), so the larger is the closer.
    """
    slots = Slots.read(conn)
    days = (day_to_db(start), day_to_db(end))
    rows = conn.execute(
        f"SELECT key_id, max(last_used){slots.sums} FROM day_key"
        " WHERE day BETWEEN ? AND ? GROUP BY key_id",
        days,
    ).fetchall()
    # NOT INDEXED: the few items are scanned, not looked up in their unique index, which
    # only writes use (a damaged one is found before the first write, test_migrations)
    listed = conn.execute(
        f"SELECT key_id, last_used{slots.columns} FROM item_key_range"
        " WHERE item_id = (SELECT id FROM item NOT INDEXED WHERE kind = ? AND ident = ?)"
        " AND first_day = ? AND last_day = ?",
        (*RANGE_ITEM, *days),
    ).fetchall()
    if listed:
        rows = _larger(rows, listed)
    return _key_usages(conn, names, slots, rows, order_by, limit)


RANGE_ITEM = ("", "")
"""The (kind, ident) a range's own key list is kept under in ``item_key_range`` (no
dimension has the kind '')."""


def range_keys(
    conn: sqlite3.Connection, names: KeyNames, start: dt.date, end: dt.date
) -> tuple[list[Usage], dt.datetime] | None:
    """The range's own key list and when it was fetched; None if it never was."""
    return item_keys(conn, names, *RANGE_ITEM, start, end)


def _larger(rows: list[tuple], others: list[tuple]) -> list[tuple]:
    """``(key_id, last_used, *values)`` rows of two sources merged by key: each value
    (and the last use) the larger of the two, a value absent from one the other's."""
    merged = {row[0]: list(row) for row in rows}
    for row in others:
        seen = merged.setdefault(row[0], list(row))
        for index, value in enumerate(row[1:], 1):
            if value is not None and (seen[index] is None or value > seen[index]):
                seen[index] = value
    return [tuple(row) for row in merged.values()]


def key_item_days(
    conn: sqlite3.Connection, start: dt.date, end: dt.date, key: str | None = None
) -> list[tuple[dt.date, str, str, str, str, dict[str, float]]]:
    """(day, key, item kind, item id, item name, figures) of every key (or one) with
    drilled-down per-item figures in the range, by day, key, kind and item."""
    slots = Slots.read(conn)
    where, params = "d.day BETWEEN ? AND ?", [day_to_db(start), day_to_db(end)]
    if key is not None:
        where = "d.key_id = (SELECT id FROM key WHERE masked = ?) AND " + where
        params.insert(0, key)
    rows = conn.execute(
        f"SELECT d.day, k.masked, i.kind, i.ident, i.name{slots.prefixed('d')}"
        " FROM day_key_item AS d"
        " JOIN key AS k ON k.id = d.key_id JOIN item AS i ON i.id = d.item_id"
        f" WHERE {where} ORDER BY d.day, k.masked, i.kind, i.ident",
        params,
    )
    return [(day_from_db(day), masked, kind, ident, name, slots.figures(values))
            for day, masked, kind, ident, name, *values in rows]


class KeyNames:
    """The masked key and display name of each key id, read from the ``key`` table
    when needed.

    Key rows are never deleted, so an id never changes meaning; a display name may
    change, so the table is read again when an unknown id shows up, when another
    connection committed (``PRAGMA data_version``), or after the store's own
    writes (``forget``). This spares the by-key query a join and a sort in SQL,
    which cost more than doing both in Python on its thousand-odd result rows.
    """

    def __init__(self) -> None:
        self._names: dict[int, tuple[str, str]] = {}
        self._version: int | None = None

    def of(self, conn: sqlite3.Connection, key_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """Key id -> (masked key, display name: the masked key when it has none)."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version or not self._names.keys() >= set(key_ids):
            self._names = {key_id: (masked, name or masked) for key_id, masked, name
                           in conn.execute("SELECT id, masked, name FROM key ORDER BY id")}
            self._version = version
        return self._names

    def forget(self) -> None:
        self._version = None


def _key_usages(
    conn: sqlite3.Connection,
    names: KeyNames,
    slots: Slots,
    rows: list[tuple],
    order_by: Sequence[str] | None,
    limit: int | None = None,
) -> list[Usage]:
    """``(key_id, last_used, *values)`` rows as key rows, biggest first, ties by key."""
    known = names.of(conn, (row[0] for row in rows))
    named = [(*known[key_id], last_used, *values) for key_id, last_used, *values in rows]
    _rank(named, slots.ranked(order_by), 3, 0)
    figures, from_micros = slots.figures, optional_ts_from_micros
    return [Usage(masked, name, figures(values), from_micros(last_used))
            for masked, name, last_used, *values in named[:limit]]


def _rank(rows: list, ranked: tuple[int, ...], first_value: int, ident: int) -> None:
    """Sort rows in place: biggest first by the values at ``first_value + i`` for each
    ``i`` of ``ranked`` (absent values last), then by the id at ``ident``.

    Two stable sorts with C key functions (by id, then by the values in reverse)
    cost a fraction of one sort with a Python key; only when an absent value had
    to be compared does it fall back to the latter.
    """
    rows.sort(key=itemgetter(ident))
    if not ranked:
        return
    columns = [first_value + i for i in ranked]
    try:
        rows.sort(key=itemgetter(*columns), reverse=True)
    except TypeError:  # None compared with a number
        rows.sort(key=itemgetter(ident))
        rows.sort(key=lambda row: tuple(_ABSENT if row[c] is None else row[c] for c in columns),
                  reverse=True)


def _zero_filled(
    slots: Slots, recorded: dict[int, list], start: dt.date, end: dt.date
) -> list[DayFigures]:
    zeros = slots.zeros()
    points = []
    for day in range(day_to_db(start), day_to_db(end) + 1):
        values = recorded.get(day)
        figures = dict(zeros) if values is None else slots.figures(values)
        points.append(DayFigures(day_from_db(day), figures))
    return points


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
