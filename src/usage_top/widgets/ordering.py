"""The display order of a table's rows: a column's values read once, then sorted.

At 100,000 rows a sort is bound by memory, not by Python: the number objects a
column's values are lie scattered among the rows they were read from, and a sort
compares each of them a dozen times. Kept in an ``array`` instead (machine numbers
side by side, turned back into number objects next to each other as the sort reads
them), a column of figures sorts in about half the time, and the garbage
collector, which walks every list of a young generation item by item, never walks
them. Values that are not all ints or all floats (text, dates, an absent figure's
None) stay a list.

The order is the one ``Cell.value``, ``(value is None, value)``, gives: stable
(ties keep the order the rows came in), None above every value.
"""

from __future__ import annotations

import operator
from array import array
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any

_TYPECODES = {int: "q", float: "d"}
"""The array type for a column whose first value is of this type."""


def column_values(read: Callable[[], Iterable[Any]], first: Any) -> Sequence[Any]:
    """A column's values, from ``read`` (which reads them afresh at each call): an array
    where ``first`` (a value of the column) is an int or a float and the rest fit it
    (a float column's ints too), else a list, read again (text, dates, a None among
    numbers)."""
    typecode = _TYPECODES.get(type(first))
    if typecode is not None:
        try:
            return array(typecode, read())
        except (TypeError, OverflowError):
            pass
    return list(read())


def in_order(values: Sequence[Any], descending: bool) -> bool:
    """Whether ``values`` are already in the sort order (with None among them, never).

    An array is compared neighbour by neighbour (each value is made once, next to the
    previous); a list is compared with a sorted copy, which for sorted values is one
    run of type-specialised comparisons, faster than a Python comparison per pair.
    """
    compare = operator.ge if descending else operator.le
    try:
        if isinstance(values, array):
            return all(map(compare, values, islice(values, 1, None)))
        if not all(map(compare, values[:100], values[1:101])):
            return False  # out of order early: not worth a sorted copy
        return sorted(values, reverse=descending) == values
    except TypeError:  # None against a number
        return False


def sort_positions(positions: Sequence[int], values: Sequence[Any], descending: bool) -> list[int]:
    """``positions`` in the order of ``values[position]``: stable, None above all."""
    try:
        return sorted(positions, key=values.__getitem__, reverse=descending)
    except TypeError:  # None among them (another type would fail here again, as it should)
        absent = [position for position in positions if values[position] is None]
        present = [position for position in positions if values[position] is not None]
        present.sort(key=values.__getitem__, reverse=descending)
        return absent + present if descending else present + absent
