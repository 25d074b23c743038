"""A scope's period as a line over time, drawn with plotext, with a cursor on the readings.

plotext draws into a canvas of the widget's size (``build()`` gives ANSI text); the
colours it is told to use are only tags, replaced by the widget's component styles
(theme variables) after ``Text.from_ansi``, so themes and NO_COLOR apply.
"""

from __future__ import annotations

import plotext
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Resize
from textual.reactive import reactive
from textual.widget import Widget

from usage_top.views.scope_detail import ScopeDetail

_TAGS = {  # plotext colour (its 256-colour number) -> component class
    "cyan": (6, "current"),
    "gray": (8, "previous"),
    "blue": (4, "projection"),
    "orange": (3, "amber"),
    "red": (1, "red"),
    "magenta": (5, "limit"),
    "white": (15, "cursor"),
}


class ScopeChart(Widget, can_focus=True):
    """The readings of the current period against the limit; ←/→ move the cursor.

    | Key | Action |
    | --- | --- |
    | ← h / → l | previous / next reading |
    | Home / End | first / latest reading |

    Component classes: ``scope-chart--current`` (this period), ``--previous``
    (the period before, muted), ``--projection`` (burn rate to the reset),
    ``--amber``, ``--red``, ``--limit`` (horizontal lines), ``--cursor``, ``--dim``.
    """

    BINDINGS = [
        Binding("left,h", "move(-1)", "Previous reading", show=False),
        Binding("right,l", "move(1)", "Next reading", show=False),
        Binding("home", "jump(0)", "First reading", show=False),
        Binding("end", "jump(-1)", "Latest reading", show=False),
    ]

    COMPONENT_CLASSES = {f"scope-chart--{name}" for _, name in _TAGS.values()} | {"scope-chart--dim"}

    DEFAULT_CSS = """
    ScopeChart { height: 1fr; border: round $primary-muted; padding: 0 1; }
    ScopeChart:focus { border: round $accent; }
    ScopeChart > .scope-chart--current { color: $primary; text-style: bold; }
    ScopeChart > .scope-chart--previous { color: $foreground 35%; }
    ScopeChart > .scope-chart--projection { color: $primary 70%; }
    ScopeChart > .scope-chart--amber { color: $warning; }
    ScopeChart > .scope-chart--red { color: $error; }
    ScopeChart > .scope-chart--limit { color: $foreground; text-style: bold; }
    ScopeChart > .scope-chart--cursor { color: $accent; }
    ScopeChart > .scope-chart--dim { color: $text-muted; }
    """

    detail: reactive[ScopeDetail | None] = reactive(None)
    """The scope drawn; None until the screen has read the store."""

    cursor: reactive[int] = reactive(-1)
    """Index of the reading under the cursor (-1: the latest)."""

    def on_resize(self, event: Resize) -> None:
        self.refresh()

    def action_move(self, step: int) -> None:
        if self.detail is None or not self.detail.labels:
            return
        count = len(self.detail.labels)
        index = self.cursor % count
        self.cursor = max(0, min(count - 1, index + step))

    def action_jump(self, index: int) -> None:
        if self.detail is not None and self.detail.labels:
            self.cursor = index % len(self.detail.labels)

    @property
    def cursor_label(self) -> str:
        """The exact figures of the reading under the cursor."""
        if self.detail is None or not self.detail.labels:
            return ""
        return self.detail.labels[self.cursor % len(self.detail.labels)]

    def render(self) -> Text:
        detail, dim = self.detail, self._style("dim")
        if detail is None:
            return Text("reading the store…", style=dim)
        if not detail.enough:
            return Text(detail.note or "Too few readings for a curve.", style=dim)
        width, height = self.content_region.width, self.content_region.height
        if width < 20 or height < 6:
            return Text(self.cursor_label, style=dim)
        chart = self._plot(detail, width, height - 2)
        legend = self._legend(detail)
        return Text("\n").join([chart, legend, Text(f"▸ {self.cursor_label}", style="bold")])

    def _plot(self, detail: ScopeDetail, width: int, height: int) -> Text:
        plt = plotext
        plt.clear_figure()
        plt.limitsize(False, False)  # the widget's size, not the terminal's plotext would read
        plt.plotsize(width, height)
        plt.theme("clear")
        peak = max([*detail.current.ys, *detail.previous.ys, *detail.projection.ys, 0.0])
        top = max(peak, detail.limit or 0.0, 1.0) * 1.05
        plt.xlim(0, detail.span)
        plt.ylim(0, top)
        if detail.previous:
            plt.plot(detail.previous.xs, detail.previous.ys, color="gray", marker="braille")
        if detail.projection:
            xs, ys = _dotted(detail.projection, width, detail.span)
            plt.scatter(xs, ys, color="blue", marker="·")
        for level, colour in ((detail.amber_at, "orange"), (detail.red_at, "red"),
                              (detail.limit, "magenta")):
            if level is not None:
                plt.hline(level, colour)
        plt.plot(detail.current.xs, detail.current.ys, color="cyan", marker="braille")
        plt.vline(detail.current.xs[self.cursor % len(detail.current)], "white")
        plt.xticks([at for at, _ in detail.ticks], [label for _, label in detail.ticks])
        unit = detail.unit
        levels = (detail.limit / 2, detail.amber_at, detail.red_at, detail.limit) if detail.limit else ()
        steps = [0.0, *levels] if levels else [top * index / 4 for index in range(5)]
        if levels and peak > detail.limit * 1.2:  # a curve well over the limit: its height too
            steps.append(peak)
        plt.yticks(steps, [unit.compact(value) if unit else f"{value:g}" for value in steps])
        return self._restyle(Text.from_ansi(plt.build().rstrip("\n")))

    def _restyle(self, text: Text) -> Text:
        """plotext's colour tags -> the component styles (theme colours)."""
        styles = {number: self._style(name) for number, name in _TAGS.values()}
        axes = self._style("dim")
        spans = []
        for span in text.spans:
            colour = span.style.color if isinstance(span.style, Style) else None
            style = styles.get(colour.number if colour is not None else None, axes)
            spans.append(span._replace(style=style))
        plain = Text(text.plain, style=axes)
        plain.spans = spans
        return plain

    def _legend(self, detail: ScopeDetail) -> Text:
        legend = Text()
        parts = [(f"── {detail.current_label}", "current")]
        if detail.previous:
            parts.append(("── previous period", "previous"))
        if detail.projection:
            parts.append(("··· projected (est.)", "projection"))
        if detail.limit is not None:
            parts += [("── amber", "amber"), ("── red", "red"), ("── limit", "limit")]
        for label, name in parts:
            legend.append(label, style=self._style(name))
            legend.append("   ")
        return legend

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"scope-chart--{name}")


def _dotted(line, width: int, span: float) -> tuple[list[float], list[float]]:
    """Points along a straight line, about two columns apart, for a dotted look."""
    (x0, x1), (y0, y1) = line.xs, line.ys
    count = max(2, int(width * (x1 - x0) / span / 2))
    return ([x0 + (x1 - x0) * i / count for i in range(count + 1)],
            [y0 + (y1 - y0) * i / count for i in range(count + 1)])
