"""Repaint a widget only where what it draws changed.

usage-top stays open all day, often over SSH: every repaint is bytes on the
wire. Textual repaints a widget whenever one of its reactives is set, even to
an equal value, and repaints the whole widget. The header and the scope cards
are given new inputs at every poll and every clock tick, and most of the time
they draw exactly what they drew before, or change one line (a countdown).
Within a changed line only the cells from the first to the last that differ are
repainted: "updated 14:37:05" becoming "14:37:10" costs two cells, not the line.
Textual 8.2.8 itself writes each repainted line from the widget's left edge to
the last changed cell; ``cropped`` makes it write from the first (the App passes
every partial update through it).
"""

from __future__ import annotations

from functools import lru_cache

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console, RenderableType
from rich.control import Control
from rich.style import Style
from rich.text import Text
from textual._compositor import ChopsUpdate
from textual.geometry import Region, Size
from textual.strip import SGR_STYLES, Strip
from textual.visual import Visual, visualize
from textual.widget import Widget


class RedrawOnChange(Widget):
    """A widget whose inputs are non-repainting reactives (``repaint=False``).

    Their watchers call ``redraw()``; once the current handler is done (all the
    inputs of one update set), the widget renders its text and repaints only the
    lines that differ from the last check. Border titles go through
    ``set_border`` and classes through ``set_class``, which leave equal values alone.
    """

    _drawn: list[Text] | None = None
    _redraw_pending = False
    _border: tuple[str, str] | None = None
    _checked: tuple[Size, Text] | None = None
    """What the last check rendered, and at which size: the paint it asks for draws it
    rather than rendering the widget a second time (a chart's render is most of its cost)."""

    def redraw(self) -> None:
        """Check, after the current handler, whether anything drawn changed."""
        if not self._redraw_pending:
            self._redraw_pending = True
            self.call_next(self._repaint_changed_lines)

    def update_frame(self) -> None:
        """Set border titles and classes from the inputs (before the text is compared)."""

    def set_border(self, title: str, subtitle: str) -> None:
        """Border title and subtitle. Textual repaints the whole widget on every set; a
        new subtitle alone (a card's "stale 2h 31m" ticking) repaints the bottom line."""
        if self._border == (title, subtitle):
            return
        subtitle_only = self._border is not None and self._border[0] == title
        self._border = (title, subtitle)
        width, height = self.outer_size
        if not subtitle_only or not height:
            self.border_title, self.border_subtitle = title, subtitle
            return
        # What Textual's border_subtitle setter stores (8.2.8), without its full refresh;
        # a refresh's regions are relative to the content.
        self._border_subtitle = self.render_str(subtitle).expand_tabs(4).split()[0]
        left, top = self.content_offset
        self.refresh(Region(-left, height - 1 - top, width, 1))

    def on_resize(self) -> None:
        """What it draws at the new size is what the next check compares with (a new
        card, laid out after its first check, was repainted whole again at the next
        change). Textual may have painted the widget at that size before this event,
        with older inputs (a header saying "polling…" when the poll's error came between
        that paint and this event), so it is repainted now with the inputs it compares."""
        self._drawn = self._lines()
        self.refresh()

    def _lines(self) -> list[Text] | None:
        rendered = self.render()
        if not isinstance(rendered, Text):
            return None
        self._checked = (self.size, rendered)
        return rendered.split("\n", allow_blank=True)

    def _render(self) -> Visual:
        """Textual's render, from the last check's text while nothing changed since
        (the same size, no new inputs, no new styles)."""
        checked, self._checked = self._checked, None
        if checked is not None and checked[0] == self.size and not self._redraw_pending:
            self._layout_cache.setdefault(
                "_render.visual", visualize(self, checked[1], markup=self._render_markup))
        return super()._render()

    def notify_style_update(self) -> None:
        self._checked = None  # a new theme or class: the text's styles are not those any more
        super().notify_style_update()

    def _repaint_changed_lines(self) -> None:
        self._redraw_pending = False
        self.update_frame()
        lines = self._lines()
        previous, self._drawn = self._drawn, lines
        if lines is None or previous is None or len(previous) != len(lines):
            self.refresh()
            return
        width = self.size.width
        for y, (before, after) in enumerate(zip(previous, lines)):
            if before != after:
                for start, end in changed_spans(before, after, width):
                    self.refresh(Region(start, y, end - start, 1))


def _cells(line: Text) -> list[tuple[str, tuple]]:
    """Each character of a line with the styles of the spans over it."""
    styles: list[list] = [[] for _ in line.plain]
    for span in line.spans:
        for index in range(span.start, min(span.end, len(styles))):
            styles[index].append(span.style)
    return [(char, tuple(style)) for char, style in zip(line.plain, styles)]


GAP = 8
"""Unchanged cells between two changes above which they are repainted apart: a cursor
move costs about as many bytes as this many cells (a row's figure and its age, far
apart, are two short writes, not the row between them)."""


def changed_spans(before: Text, after: Text, width: int) -> list[tuple[int, int]]:
    """The runs of cells ``[start, end)`` of a line that differ between two renderings:
    the whole line when a cell is not one character (wide text) or the line's own style,
    alignment or end differ."""
    whole = [(0, width)]
    if (before.style, before.justify, before.end) != (after.style, after.justify, after.end):
        return whole
    if before.justify not in (None, "default", "left"):
        return whole
    if before.cell_len != len(before.plain) or after.cell_len != len(after.plain):
        return whole
    return _spans(_cells(before), _cells(after), width)


def _spans(old: list, new: list, width: int) -> list[tuple[int, int]]:
    """The runs of differing cells, joined across gaps of up to ``GAP`` equal ones
    (none: the same cells, the spans split differently)."""
    size = max(len(old), len(new))
    old = old + [None] * (size - len(old))  # past a line's end: the widget's background
    new = new + [None] * (size - len(new))
    spans: list[tuple[int, int]] = []
    for x in (x for x in range(min(size, width)) if old[x] != new[x]):
        if spans and x - spans[-1][1] <= GAP:
            spans[-1] = (spans[-1][0], x + 1)
        else:
            spans.append((x, x + 1))
    return spans


def strip_spans(before: Strip, after: Strip, width: int) -> list[tuple[int, int]]:
    """As ``changed_spans``, for two renderings of a line as strips (``VirtualTable``)."""
    old = [(char, segment.style) for segment in before for char in segment.text]
    new = [(char, segment.style) for segment in after for char in segment.text]
    if len(old) != before.cell_length or len(new) != after.cell_length:
        return [(0, width)]  # wide characters: cells are not characters
    return _spans(old, new, width)


class _CroppedChops(ChopsUpdate):
    """A partial update written from each span's first cell, not from the chop's start,
    and each style written as a change from the one before it.

    Textual's ``ChopsUpdate.render_segments`` crops a chop (a widget's part of a
    line) at the span's end only, so the clock at the right of the header resends
    the whole header line up to it. Where the first cell falls inside a segment of
    wide characters, the write starts at that segment (a wide character is never
    split); every write starts with a cursor move, so no newline goes between lines.
    Textual also writes every segment with its full style and a reset (~40 bytes in
    true colour): a poll's few dozen changed runs, mostly figures of one colour on
    one background, each paid that for a digit or two. Here the terminal keeps the
    last style across segments and moves (``_Pen``): a run in the same style costs
    its cursor move and its characters.
    """

    def render_segments(self, console: Console) -> str:
        sequences: list[str] = []
        move_to = Control.move_to
        pen = _Pen(console._color_system or ColorSystem.TRUECOLOR)
        for y, x1, x2 in self.spans:
            for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items()):
                if strip is None or x >= x2 or end <= x1:  # Textual: x > x2 (a bare move)
                    continue
                start = _first_cell(strip, x1 - x) if x < x1 else 0
                strip = strip.crop(start, min(end, x2) - x)
                sequences.append(move_to(x + start, y).segment.text)
                sequences.extend(pen.write(text, style) for text, style, _ in strip)
        sequences.append(pen.reset())  # what follows (Textual's next frame) starts from none
        return "".join(sequences)


class _Pen:
    """The terminal's current style within one update: each segment's SGR is the
    change from the previous segment's (a colour alone, or nothing), a reset first
    only where an attribute (bold, reverse...) goes away."""

    def __init__(self, color_system: ColorSystem) -> None:
        self.color_system = color_system
        self.attributes: frozenset[str] = frozenset()
        self.color = self.bgcolor = ""

    def write(self, text: str, style: Style | None) -> str:
        if style is not None and style.link:  # Textual's rendering, which ends in a reset
            return self.reset() + Strip.render_style(style, text, self.color_system)
        attributes, color, bgcolor = self._parts(style)
        codes: list[str] = []
        if not attributes >= self.attributes:
            codes.append("0")
            self.attributes, self.color, self.bgcolor = frozenset(), "", ""
        codes.extend(sorted(attributes - self.attributes, key=int))
        if color != self.color:
            codes.append(color or "39")
        if bgcolor != self.bgcolor:
            codes.append(bgcolor or "49")
        self.attributes, self.color, self.bgcolor = attributes, color, bgcolor
        return f"\x1b[{';'.join(codes)}m{text}" if codes else text

    def reset(self) -> str:
        if not (self.attributes or self.color or self.bgcolor):
            return ""
        self.attributes, self.color, self.bgcolor = frozenset(), "", ""
        return "\x1b[0m"

    def _parts(self, style: Style | None) -> tuple[frozenset[str], str, str]:
        return _sgr_parts(style, self.color_system) if style is not None else _NO_STYLE


_NO_STYLE: tuple[frozenset[str], str, str] = (frozenset(), "", "")


@lru_cache(maxsize=1024)
def _sgr_parts(style: Style, system: ColorSystem) -> tuple[frozenset[str], str, str]:
    """A style's SGR codes as Textual writes them (``Strip.render_ansi``): its attributes,
    its colour and its background."""
    bits = style._attributes & style._set_attributes
    attributes = frozenset(SGR_STYLES[bit] for bit in range(bits.bit_length()) if bits & (1 << bit))
    color = ";".join(style.color.downgrade(system).get_ansi_codes()) if style.color else ""
    bgcolor = ";".join(style.bgcolor.downgrade(system).get_ansi_codes(False)) if style.bgcolor else ""
    return attributes, color, bgcolor


def _first_cell(strip: Strip, offset: int) -> int:
    """``offset``, or the start of its segment if that segment has wide characters."""
    position = 0
    for segment in strip:
        width = cell_len(segment.text)
        if position + width > offset:
            return offset if width == len(segment.text) else position
        position += width
    return offset


def cropped(renderable: RenderableType | None) -> RenderableType | None:
    """A partial update (``ChopsUpdate``) as one that writes only its spans' cells."""
    if type(renderable) is ChopsUpdate:
        return _CroppedChops(renderable.chops, renderable.spans, renderable.chop_ends)
    return renderable
