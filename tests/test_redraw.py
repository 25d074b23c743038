"""Which cells of a line are repainted when what it shows changes (``widgets.redraw``)."""

from __future__ import annotations

from rich.text import Text

from usage_top.widgets.redraw import changed_span


def test_only_the_changed_characters_of_a_line():
    before, after = Text("updated 14:37:05 · every 5s"), Text("updated 14:37:10 · every 5s")
    assert changed_span(before, after, 40) == (14, 16)


def test_a_style_change_counts_and_a_shorter_line_clears_its_old_end():
    before, after = Text("abc def"), Text("abc def")
    after.stylize("bold", 4, 5)
    assert changed_span(before, after, 40) == (4, 5)
    assert changed_span(Text("123,456 credits"), Text("99 credits"), 40) == (0, 15)


def test_the_whole_line_for_wide_characters_or_another_alignment():
    assert changed_span(Text("日本 1"), Text("日本 2"), 40) == (0, 40)
    assert changed_span(Text("a", justify="right"), Text("b", justify="right"), 40) == (0, 40)


def test_the_same_cells_drawn_from_other_spans_repaint_nothing():
    split = Text("ab")
    split.stylize("bold", 0, 1)
    split.stylize("bold", 1, 2)
    whole = Text("ab")
    whole.stylize("bold", 0, 2)
    assert changed_span(split, whole, 40) == (0, 0)
