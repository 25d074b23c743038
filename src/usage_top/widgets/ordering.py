"""The display order of a table's rows: a column's values read once, then sorted.

At 100,000 rows a sort is bound by memory, not by Python: the number objects a
column's values are lie scattered among the rows they were read from, and a sort
compares each of them a dozen times. Copied into an ``array`` first (machine numbers
side by side, turned back into number objects next to each other as the sort reads
them), a column of figures sorts in about two thirds of the time, copy included.
Values that are not all ints or all floats (text, dates, an absent figure's None)
are sorted as read.

The order is the one ``Cell.value``, ``(value is None, value)``, gives: stable
(ties keep the order the rows came in), None above every value.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Sequence
from typing import Any

_TYPECODES = {int: "q", float: "d"}
"""The array type for a column whose first value is of this type."""


def compact(values: list[Any]) -> Sequence[Any]:
    """``values`` as an array where the first is an int or a float and the rest fit it
    (a float column's ints too), else ``values`` themselves."""
    typecode = _TYPECODES.get(type(values[0])) if values else None
    if typecode is not None:
        try:
            return array(typecode, values)
        except (TypeError, OverflowError):
            pass
    return values


def in_order(values: list[Any], descending: bool) -> bool:
    """Whether ``values`` are already in the sort order (with None among them, never).

    Comparing a sorted copy with the values is the fastest check when they are sorted
    (one run, type-specialised comparisons: a few ms at 100,000 values), so it runs
    only when the first values are in order (otherwise it is a sort).
    """
    compare = operator.ge if descending else operator.le
    try:
        if not all(map(compare, values[:100], values[1:101])):
            return False
        return sorted(values, reverse=descending) == values
    except TypeError:  # None against a number
        return False


def sort_positions(positions: Sequence[int], values: list[Any], descending: bool) -> list[int]:
    """``positions`` in the order of ``values[position]``: stable, None above all."""
    # A copy of every value is worth it only for a good part of them (not after a filter).
    keys = compact(values) if 4 * len(positions) > len(values) else values
    try:
        return sorted(positions, key=keys.__getitem__, reverse=descending)
    except TypeError:  # None among them (another type would fail here again, as it should)
        absent = [position for position in positions if values[position] is None]
        present = [position for position in positions if values[position] is not None]
        present.sort(key=values.__getitem__, reverse=descending)
        return absent + present if descending else present + absent
