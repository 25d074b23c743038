"""Measure value slots: which measure each ``m0``..``m7`` column holds, and the SQL to read them.

Every per-grain table stores figures in the same eight nullable REAL slots (see
``schema``); the ``measure`` table maps a slot to the measure id it holds. Slots
are never freed, so a slot never changes meaning once assigned. Queries read the
slots in use only: a file of two measures pays for two columns, not eight.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from operator import ge, methodcaller

from usage_top.domain.measures import Figures

from usage_top.store.errors import StoreError
from usage_top.store.migration_v5 import SLOTS


@dataclass(frozen=True)
class Slots:
    """The measures a file holds, in slot order, and their columns."""

    measures: tuple[str, ...]
    numbers: tuple[int, ...]
    """The slot of each measure, in the same order."""

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> Slots:
        return _slots(tuple(conn.execute("SELECT slot, id FROM measure ORDER BY slot")))

    def slot(self, measure: str) -> int | None:
        try:
            return self.numbers[self.measures.index(measure)]
        except ValueError:
            return None

    @property
    def columns(self) -> str:
        """``, m0, m1``: the slot columns, each after a comma ('' when there are none)."""
        return _columns(self.numbers, "")

    def prefixed(self, table: str) -> str:
        """``, d.m0, d.m1``: the columns of a table alias."""
        return _columns(self.numbers, f"{table}.")

    @property
    def sums(self) -> str:
        """``, sum(m0) AS m0, sum(m1) AS m1``."""
        return "".join(f", sum(m{n}) AS m{n}" for n in self.numbers)

    def figures(self, values: Sequence[float | None]) -> dict[str, float]:
        """The measures whose value is stored (not NULL), from values in slot order."""
        if None in values:
            return {measure: value for measure, value in zip(self.measures, values)
                    if value is not None}
        return dict(zip(self.measures, values))

    def zeros(self) -> dict[str, float]:
        """0.0 for every measure the file knows: the figures of a day without a row."""
        return dict.fromkeys(self.measures, 0.0)

    def ranked(self, order_by: Sequence[str] | None) -> tuple[int, ...]:
        """Indexes into a row's values of the measures to sort by (unknown ones skipped)."""
        order = self.measures if order_by is None else order_by
        return tuple(self.measures.index(m) for m in dict.fromkeys(order) if m in self.measures)


@cache
def _slots(rows: tuple[tuple[int, str], ...]) -> Slots:
    return Slots(tuple(measure for _, measure in rows), tuple(slot for slot, _ in rows))


@cache
def _columns(numbers: tuple[int, ...], prefix: str) -> str:
    return "".join(f", {prefix}m{n}" for n in numbers)


_keys = methodcaller("keys")


class SlotAssigner:
    """The slots of the measures a store writes, assigning free ones to new measures.

    A new measure gets the lowest free slot inside the caller's write transaction,
    after re-reading the table (another process may have assigned it meanwhile).
    The cache must be dropped when that transaction rolls back: ``forget``.
    """

    def __init__(self) -> None:
        self._slots: dict[str, int] = {}
        self.current = Slots((), ())

    def ensure(
        self, conn: sqlite3.Connection, all_figures: Callable[[], Iterable[Figures]]
    ) -> Slots:
        """Make sure every measure of the figures ``all_figures()`` yields has a slot;
        the slots after that.

        The check runs in C (``map`` of ``>=`` over key views): a backfill's hundreds
        of thousands of figures cost a few milliseconds. Only when a measure is new are
        the figures gone through again, in Python.
        """
        if all(map(partial(ge, self._slots.keys()), map(_keys, all_figures()))):
            return self.current
        for figures in all_figures():
            for measure in figures:
                if measure not in self._slots:
                    self._assign(conn, measure)
        return self.current

    def _assign(self, conn: sqlite3.Connection, measure: str) -> None:
        self._load(conn)
        if measure in self._slots:
            return
        free = sorted(set(range(SLOTS)) - set(self._slots.values()))
        if not free:
            raise StoreError(
                f"cannot store measure {measure!r}: the file already holds {SLOTS} measures"
                f" ({', '.join(self._slots)})"
            )
        conn.execute("INSERT INTO measure (slot, id) VALUES (?, ?)", (free[0], measure))
        self._load(conn)

    def _load(self, conn: sqlite3.Connection) -> None:
        self.current = Slots.read(conn)
        self._slots = dict(zip(self.current.measures, self.current.numbers))

    def forget(self) -> None:
        self._slots = {}
        self.current = Slots((), ())
