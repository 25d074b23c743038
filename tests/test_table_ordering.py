"""The tables' row order (widgets/ordering.py): the same order as sorting by
``Cell.value`` -- ``(value is None, value)``, stable -- whatever form the values take;
and the rows a substring filter keeps, found in their joined text."""

from __future__ import annotations

from array import array

from hypothesis import given
from hypothesis import strategies as st

from usage_top.widgets.ordering import compact, in_order, rows_containing, sort_positions

# Few distinct values, so that ties (which keep the order the rows came in) are common.
ints = st.integers(min_value=0, max_value=20)
floats = st.floats(min_value=0, max_value=20, allow_nan=False).map(lambda x: round(x, 1))
columns = st.one_of(
    st.lists(ints), st.lists(floats), st.lists(st.one_of(ints, floats)),
    st.lists(st.one_of(st.none(), ints)), st.lists(st.one_of(st.none(), floats)),
    st.lists(st.sampled_from(["a", "b", "B", "é", ""])),
)


def reference(values: list, descending: bool) -> list[int]:
    """Positions sorted as the table sorted them before ``ordering``: by Cell.value."""
    keyed = [(value is None, value) for value in values]
    return sorted(range(len(values)), key=keyed.__getitem__, reverse=descending)


@given(columns, st.booleans())
def test_sorts_as_cells_do_with_ties_in_the_given_order_and_none_above_all(values, descending):
    assert list(sort_positions(range(len(values)), values, descending)) == reference(values, descending)


@given(columns, st.booleans(), st.sampled_from([2, 3, 5, 9]))
def test_a_subset_of_positions_sorts_the_same(values, descending, step):
    kept = list(range(0, len(values), step))  # as after a filter
    expected = [p for p in reference(values, descending) if p % step == 0]
    assert list(sort_positions(kept, values, descending)) == expected


@given(columns, st.booleans())
def test_in_order_only_when_sorting_would_change_nothing(values, descending):
    """In order: the sort is skipped, so it must not have changed anything; and values
    without a None that are in order are seen to be (else every refresh would sort).
    The same of the values kept as machine numbers."""
    unchanged = reference(values, descending) == list(range(len(values)))
    for form in (values, compact(values)):
        if in_order(form, descending):
            assert unchanged
        elif None not in values:
            assert not unchanged


@given(st.lists(st.text(st.sampled_from("ab•A \0"), max_size=6)), st.text(st.sampled_from("ab•A"), min_size=1,
                                                                          max_size=3))
def test_the_lines_containing_a_needle_are_those_a_search_of_each_finds(lines, needle):
    """Few or most lines matching (both ways of searching), empty lines, the last line."""
    expected = [i for i, line in enumerate(lines) if needle in line]
    assert list(rows_containing("\n".join(lines), needle)) == (expected if lines else [])


def test_numbers_are_sorted_as_machine_numbers_and_the_rest_as_read():
    assert compact([3, 1, 2]) == array("q", [3, 1, 2])
    assert compact([1.5, 2, 0.5]) == array("d", [1.5, 2.0, 0.5])  # a float column's ints fit
    assert compact([1, 2.5]) == [1, 2.5]  # an int column with a float: as read
    assert compact([1, None]) == [1, None]
    assert compact([2**70, 1]) == [2**70, 1]  # too big for a machine int
    assert compact(["b", "a"]) == ["b", "a"] and compact([]) == []
