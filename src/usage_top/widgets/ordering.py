"""The display order of a table's rows: a column's values read once, then sorted; the
rows a substring filter keeps, found in one text.

At 100,000 rows a sort is bound by memory, not by Python: the number objects a
column's values are lie scattered among the rows they were read from, and a sort
compares each of them a dozen times. Copied into an ``array`` first (machine numbers
side by side, turned back into number objects next to each other as the sort reads
them), a column of figures sorts in about two thirds of the time, copy included.
Values that are not all ints or all floats (text, dates, an absent figure's None)
are sorted as read.

The order is the one ``Cell.value``, ``(value is None, value)``, gives: stable
(ties keep the order the rows came in), None above every value.

A column's numbers are kept as an ``array`` (``compact``) once read: a young list of
100,000 numbers is walked by each of the garbage collector's next passes (every number
read, ~10-20 ms each); an array of machine numbers is not walked at all.
"""

from __future__ import annotations

import operator
import sys
from array import array
from collections.abc import Sequence
from itertools import compress, repeat
from typing import Any

_TYPECODES = {int: "q", float: "d"}
"""The array type for a column whose first value is of this type."""


def compact(values: Sequence[Any]) -> Sequence[Any]:
    """``values`` as an array where the first is an int or a float and the rest fit it
    (a float column's ints too), else ``values`` themselves (an array as it is)."""
    if isinstance(values, array):
        return values
    typecode = _TYPECODES.get(type(values[0])) if values else None
    if typecode is not None:
        try:
            return array(typecode, values)
        except (TypeError, OverflowError):
            pass
    return values


def in_order(values: Sequence[Any], descending: bool) -> bool:
    """Whether ``values`` (a list or an array) are already in the sort order (with None
    among them, never).

    Comparing a sorted copy with the values is the fastest check when they are sorted
    (one run, type-specialised comparisons: a few ms at 100,000 values), so it runs
    only when the first values are in order (otherwise it is a sort).
    """
    compare = operator.ge if descending else operator.le
    try:
        if not all(map(compare, values[:100], values[1:101])):
            return False
        ordered = sorted(values, reverse=descending)
        return ordered == values if isinstance(values, list) else array(values.typecode, ordered) == values
    except TypeError:  # None against a number
        return False


def sort_positions(positions: Sequence[int], values: Sequence[Any], descending: bool) -> list[int]:
    """``positions`` in the order of ``values[position]``: stable, None above all.

    A list, not an array: copying 100,000 sorted positions into one costs about what the
    garbage collector's walks of the list cost, and only those that happen while it is
    young."""
    # A copy of every value is worth it only for a good part of them (not after a filter).
    keys = compact(values) if 4 * len(positions) > len(values) else values
    try:
        return sorted(positions, key=keys.__getitem__, reverse=descending)
    except TypeError:  # None among them (another type would fail here again, as it should)
        absent = [position for position in positions if values[position] is None]
        present = [position for position in positions if values[position] is not None]
        present.sort(key=values.__getitem__, reverse=descending)
        return absent + present if descending else present + absent


def rows_containing(text: str, needle: str) -> array:
    """The lines (counted from 0) of ``text`` that contain ``needle`` (which has no
    line break).

    One search through the whole text per match, the line breaks between matches counted
    in C: a few microseconds a match. Where most lines match, the text is split and each
    line searched instead (one pass in C too, cheaper than a step per match).
    """
    if 8 * text.count(needle) > text.count("\n") + 1:
        hits = map(operator.contains, text.split("\n"), repeat(needle))
        return array("q", compress(range(sys.maxsize), hits))
    lines, line, start = array("q"), 0, 0
    while (hit := text.find(needle, start)) >= 0:
        line += text.count("\n", start, hit)
        lines.append(line)
        start = text.find("\n", hit) + 1
        if not start:
            break
        line += 1
    return lines
