"""Repaint a widget only where what it draws changed.

usage-top stays open all day, often over SSH: every repaint is bytes on the
wire. Textual repaints a widget whenever one of its reactives is set, even to
an equal value, and repaints the whole widget. The header and the scope cards
are given new inputs at every poll and every clock tick, and most of the time
they draw exactly what they drew before, or change one line (a countdown).
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Region
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

    def redraw(self) -> None:
        """Check, after the current handler, whether anything drawn changed."""
        if not self._redraw_pending:
            self._redraw_pending = True
            self.call_next(self._repaint_changed_lines)

    def update_frame(self) -> None:
        """Set border titles and classes from the inputs (before the text is compared)."""

    def set_border(self, title: str, subtitle: str) -> None:
        """Border title and subtitle; Textual repaints the whole widget on every set."""
        if self._border != (title, subtitle):
            self._border = (title, subtitle)
            self.border_title, self.border_subtitle = title, subtitle

    def on_resize(self) -> None:
        self._drawn = None  # Textual repaints it all at the new size

    def _repaint_changed_lines(self) -> None:
        self._redraw_pending = False
        self.update_frame()
        rendered = self.render()
        lines = rendered.split("\n", allow_blank=True) if isinstance(rendered, Text) else None
        previous, self._drawn = self._drawn, lines
        if lines is None or previous is None or len(previous) != len(lines):
            self.refresh()
            return
        width = self.size.width
        for y, (before, after) in enumerate(zip(previous, lines)):
            if before != after:
                self.refresh(Region(0, y, width, 1))
