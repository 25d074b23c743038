"""Which cells of a line are repainted when what it shows changes (``widgets.redraw``)."""

from __future__ import annotations

import io
import re

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from textual.app import App, ComposeResult

from usage_top.widgets.redraw import RedrawOnChange, changed_spans, cropped

from .tui.test_tui_faults import screen_text


def test_only_the_changed_characters_of_a_line():
    before, after = Text("updated 14:37:05 · every 5s"), Text("updated 14:37:10 · every 5s")
    assert changed_spans(before, after, 40) == [(14, 16)]


def test_a_style_change_counts_and_a_shorter_line_clears_its_old_end():
    before, after = Text("abc def"), Text("abc def")
    after.stylize("bold", 4, 5)
    assert changed_spans(before, after, 40) == [(4, 5)]
    assert changed_spans(Text("123,456 credits"), Text("99 credits"), 40) == [(0, 15)]


def test_changes_far_apart_are_repainted_apart_and_near_ones_together():
    """A row's figure and its age, 30 cells apart, are two writes; two digits of one
    figure with one equal digit between them are one."""
    before = Text("prod   1,204 credits" + " " * 20 + "2m ago")
    after = Text("prod   1,284 credits" + " " * 20 + "1m ago")
    assert changed_spans(before, after, 80) == [(10, 11), (40, 41)]
    assert changed_spans(Text("1,204"), Text("2,234"), 80) == [(0, 4)]


def test_the_whole_line_for_wide_characters_or_another_alignment():
    assert changed_spans(Text("日本 1"), Text("日本 2"), 40) == [(0, 40)]
    assert changed_spans(Text("a", justify="right"), Text("b", justify="right"), 40) == [(0, 40)]


def test_the_same_cells_drawn_from_other_spans_repaint_nothing():
    split = Text("ab")
    split.stylize("bold", 0, 1)
    split.stylize("bold", 1, 2)
    whole = Text("ab")
    whole.stylize("bold", 0, 2)
    assert changed_spans(split, whole, 40) == []


CONSOLE = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor", width=120)
_TOKEN = re.compile(r"\x1b\[(\d+);(\d+)H|\x1b\[([0-9;]*)m|(\n)|(.)", re.S)


def screen_after(output: str) -> dict[tuple[int, int], tuple[str, str]]:
    """The cells a terminal output writes: (row, column) -> (character, its style as one
    SGR, as Textual writes it: attributes, colour, background). The style carries over
    from one SGR to the next, as in a terminal."""
    cells, y, x = {}, 0, 0
    attributes: set[str] = set()
    colors = {"38": "", "48": ""}
    for move_y, move_x, style, newline, char in _TOKEN.findall(output):
        if move_y:
            y, x = int(move_y) - 1, int(move_x) - 1
        elif newline:
            y, x = y + 1, 0
        elif char:
            sgr = [*sorted(attributes, key=int), *filter(None, colors.values())]
            cells[(y, x)] = (char, ";".join(sgr))
            x += cell_len(char)
        else:
            codes = style.split(";") if style else ["0"]
            while codes:
                code = codes.pop(0)
                if code == "0":
                    attributes.clear()
                    colors = {"38": "", "48": ""}
                elif code in ("38", "48"):  # 38;2;r;g;b or 38;5;n
                    size = 4 if codes[0] == "2" else 2
                    colors[code] = ";".join([code, *codes[:size]])
                    del codes[:size]
                elif code in ("39", "49"):
                    colors[{"39": "38", "49": "48"}[code]] = ""
                elif 30 <= int(code) <= 37 or 90 <= int(code) <= 97:
                    colors["38"] = code
                elif 40 <= int(code) <= 47 or 100 <= int(code) <= 107:
                    colors["48"] = code
                else:
                    attributes.add(code)
    return cells


HEADER = Strip([Segment(" ", Style(bgcolor="red")), Segment("usage-top", Style(bold=True)),
                Segment(" " * 55, Style(bgcolor="red")), Segment("updated 17:36:21", Style(color="blue"))])


def test_a_partial_update_is_written_from_its_first_changed_cell():
    """Textual writes the header from its left edge to the clock's changed digits; usage-top
    writes the digits."""
    update = ChopsUpdate([{0: HEADER}], [(0, 79, 81)], [[120]])
    assert screen_after(update.render_segments(CONSOLE))[(0, 0)] == (" ", "41")
    written = screen_after(cropped(update).render_segments(CONSOLE))
    assert written == {(0, 79): ("2", "34"), (0, 80): ("1", "34")}
    assert cropped(None) is None and cropped(Text("x")) == Text("x")
    card, right = Strip([Segment("┃", Style(color="red"))]), Strip([Segment("7/48", Style(bold=True))])
    beside = ChopsUpdate([{0: card, 1: right}], [(0, 0, 1)], [[1, 5]])
    assert cropped(beside).render_segments(CONSOLE) == "\x1b[1;1H\x1b[31m┃\x1b[0m"  # no move to 1;2


def test_neighbouring_segments_of_one_look_are_written_with_one_style():
    """Textual gives each cell's segment its own mouse metadata; the terminal sees one style."""
    red = Style(color="red")
    strip = Strip([Segment("8,281", red + Style.from_meta({"offset": (0, 0)})),
                   Segment("   ", red + Style.from_meta({"offset": (5, 0)})),
                   Segment("30,035", red + Style.from_meta({"offset": (8, 0)}))])
    update = ChopsUpdate([{0: strip}], [(0, 0, 14)], [[14]])
    written = cropped(update).render_segments(CONSOLE)
    assert written.count("\x1b[31m") == 1 and update.render_segments(CONSOLE).count("\x1b[31m") == 3
    assert screen_after(written) == screen_after(update.render_segments(CONSOLE))


def test_each_style_is_written_as_a_change_from_the_last():
    """A poll's changed figures on three lines, one look: the style once, each later run
    its cursor move and digits; a colour alone changes alone; an attribute that goes away
    resets first; the update ends in a reset."""
    figure = Style(color="#e0e0e0", bgcolor="#121212")
    chops = [{0: Strip([Segment("25,599", figure)])}, {0: Strip([Segment("30,992", figure)])},
             {0: Strip([Segment("93.7", Style(bold=True, color="#b93c5b", bgcolor="#121212"))])},
             {0: Strip([Segment("8s", Style(color="#a0a0a0", bgcolor="#121212"))])}]
    update = ChopsUpdate(chops, [(0, 0, 6), (1, 0, 6), (2, 0, 4), (3, 0, 2)], [[6], [6], [4], [2]])
    written = cropped(update).render_segments(CONSOLE)
    assert written == ("\x1b[1;1H\x1b[38;2;224;224;224;48;2;18;18;18m25,599\x1b[2;1H30,992"
                       "\x1b[3;1H\x1b[1;38;2;185;60;91m93.7"
                       "\x1b[4;1H\x1b[0;38;2;160;160;160;48;2;18;18;18m8s\x1b[0m")
    assert screen_after(written) == screen_after(update.render_segments(CONSOLE))
    assert len(written) < len(update.render_segments(CONSOLE)) * 0.7


_SEGMENTS = st.lists(
    st.tuples(st.text(alphabet="ab 日", min_size=1, max_size=6),
              st.sampled_from([None, "bold", "red", "reverse red on blue", "on blue", "#e0e0e0 on #121212"])),
    min_size=1, max_size=5)


@given(lines=st.lists(st.lists(_SEGMENTS, min_size=1, max_size=3), min_size=1, max_size=3),
       data=st.data())
def test_a_cropped_update_writes_the_same_cells_within_its_spans_and_none_outside(lines, data):
    """Against Textual's own output for any chops (wide characters included) and spans: every
    cell of a span Textual writes is written the same, and nothing else is written."""
    chops, ends, spans = [], [], []
    for y, line in enumerate(lines):
        row, x = {}, 0
        for segments in line:
            strip = Strip([Segment(text, Style.parse(style) if style else None) for text, style in segments])
            row[x] = strip
            x += strip.cell_length
        chops.append(row)
        ends.append([*list(row)[1:], x])
        x1 = data.draw(st.integers(0, x - 1))
        spans.append((y, x1, data.draw(st.integers(x1 + 1, x))))
    update = ChopsUpdate(chops, spans, ends)
    textual = screen_after(update.render_segments(CONSOLE))
    ours = screen_after(cropped(update).render_segments(CONSOLE))
    assert all(textual.get(cell) == value for cell, value in ours.items())
    assert all(ours[(y, x)] == textual[(y, x)]
               for y, x1, x2 in spans for x in range(x1, x2) if (y, x) in textual)


class Boxed(RedrawOnChange):
    DEFAULT_CSS = "Boxed { border: round white; height: 5; width: 30; }"

    def render(self) -> Text:
        return Text("figures")


async def test_a_new_subtitle_alone_repaints_only_the_bottom_border():
    """A card's 'stale 2h 31m' ticks every minute: one line, not the card; a new title
    repaints the whole card as Textual does."""

    class Demo(App[None]):
        def compose(self) -> ComposeResult:
            yield Boxed()

    async with Demo().run_test(size=(40, 8)) as pilot:
        box = pilot.app.query_one(Boxed)
        box.set_border("API daily", "stale 1m")
        await pilot.pause()
        asked: list[tuple] = []
        refresh = box.refresh
        box.refresh = lambda *regions, **options: asked.append(regions) or refresh(*regions, **options)
        box.set_border("API daily", "stale 2m")
        await pilot.pause()
        [(region,)] = asked  # one refresh, of one region:
        assert (region.width, region.height) == (30, 1)
        assert region.translate(box.content_offset).y == 4  # the bottom border (outer row 4)
        bottom = screen_text(pilot.app).splitlines()[4]
        assert "stale 2m" in bottom and "stale 1m" not in bottom
        box.set_border("API monthly", "stale 2m")
        await pilot.pause()
        assert asked[-1] == ()  # the whole widget
        assert "API monthly" in screen_text(pilot.app).splitlines()[0]


class Counted(RedrawOnChange):
    """Draws its ``figure`` in its component style, counting its renders."""

    COMPONENT_CLASSES = {"counted--figure"}
    DEFAULT_CSS = """
    Counted { height: 3; width: 30; }
    Counted > .counted--figure { color: red; }
    Counted.-calm > .counted--figure { color: green; }
    """
    renders = 0
    figure = "100"

    def render(self) -> Text:
        self.renders += 1
        return Text(self.figure, style=self.get_component_rich_style("counted--figure"))


class CountedApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Counted()


async def test_a_changed_line_is_rendered_once_and_painted_from_that_render():
    """The check renders the text to compare it with what is drawn; the paint it asks
    for draws that text: a second render (a chart's rows, a card's lines) was wasted."""

    async with CountedApp().run_test(size=(40, 5)) as pilot:
        widget = pilot.app.query_one(Counted)
        await pilot.pause()
        before = widget.renders
        widget.figure = "250"
        widget.redraw()
        await pilot.pause()
        assert widget.renders == before + 1
        assert screen_text(pilot.app).splitlines()[0].startswith("250")
        red = widget.get_component_rich_style("counted--figure").color
        widget.add_class("-calm")  # new styles: the text of the last check is not reused
        await pilot.pause()
        assert widget.renders == before + 2
        green = widget.get_component_rich_style("counted--figure").color
        assert green != red
        assert [segment.style.color for segment in widget.render_line(0) if segment.text.strip()] == [green]


async def test_new_styles_between_a_check_and_its_paint_are_painted():
    async with CountedApp().run_test(size=(40, 5)) as pilot:
        widget = pilot.app.query_one(Counted)
        await pilot.pause()
        widget.figure = "250"
        widget.redraw()
        widget.add_class("-calm")  # in the same handler: the check runs before the styles
        await pilot.pause()
        green = widget.get_component_rich_style("counted--figure").color
        assert [segment.style.color for segment in widget.render_line(0) if segment.text.strip()] == [green]
