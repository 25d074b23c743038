"""Daily bar chart of the last 30 days with a cursor on one bar.

Drawn directly in cells (eighth blocks for the bar tops) rather than through a
plotting library: at terminal resolution that keeps every bar the same width at
a known column, so the cursor, mouse hover and highlighted range map exactly to
bars, and colours come from the theme.
"""

from __future__ import annotations

import datetime as dt

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.events import Click, MouseMove
from textual.reactive import reactive

from usage_top.domain.capabilities import Capabilities, TimeBasis
from usage_top.domain.measures import Measure
from usage_top.domain.model import DayFigures
from usage_top.widgets.redraw import RedrawOnChange

_EIGHTHS = " ▁▂▃▄▅▆▇█"


SUMMARY_WIDTH = 16
"""The columns right of the bars for the total, average and peak (two of them a gap)."""


class DailyChart(RedrawOnChange, can_focus=True):
    """One measure per day (the cost or the activity view); ←/→ (h/l) or the mouse pick a bar.

    ``measures`` are those the provider reports: the caption under the bars gives the
    picked day's figure of each. A poll usually changes today's bar and the totals
    only: the inputs do not repaint, and only the cells that changed are redrawn
    (``RedrawOnChange``).

    Component classes: ``daily-chart--bar`` (days in the selected range),
    ``daily-chart--outside`` (other days), ``daily-chart--cursor``,
    ``daily-chart--axis``.
    """

    BINDINGS = [
        Binding("left,h", "move(-1)", "Previous day", show=False, id="chart_previous"),
        Binding("right,l", "move(1)", "Next day", show=False, id="chart_next"),
        Binding("home", "jump(0)", "First day", show=False, id="chart_first"),
        Binding("end", "jump(-1)", "Last day", show=False, id="chart_last"),
    ]

    COMPONENT_CLASSES = {"daily-chart--bar", "daily-chart--outside", "daily-chart--cursor", "daily-chart--axis"}

    DEFAULT_CSS = """
    DailyChart { height: 12; border: round $primary-muted; padding: 0 1; }
    DailyChart:focus { border: round $primary; }
    DailyChart > .daily-chart--bar { color: $primary; }
    DailyChart > .daily-chart--outside { color: $primary 45%; }
    DailyChart > .daily-chart--cursor { color: $accent; text-style: bold; }
    DailyChart > .daily-chart--axis { color: $text-muted; }
    """

    points: reactive[tuple[DayFigures, ...]] = reactive((), repaint=False)
    """The days shown, oldest first."""

    metric: reactive[str] = reactive("", repaint=False)
    """The id of the measure the bars count (one of ``measures``)."""

    cursor: reactive[int] = reactive(-1, repaint=False)
    """Index of the bar under the cursor; -1 is the last (today)."""

    highlight_from: reactive[dt.date | None] = reactive(None, repaint=False)
    """First day of the selected range; earlier bars are drawn muted."""

    source: reactive[str] = reactive("", repaint=False)
    """Where the figures come from when not the vendor's own days ('from readings'):
    said in the title."""

    def __init__(self, measures: tuple[Measure, ...], *, basis: str = "",
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.measures = measures
        """The provider's measures, each given in the caption for the picked day."""
        self.basis = basis
        """Which calendar the days are ('days in UTC'), said in the title; '' for the
        workspace's own, which the header already names."""

    @property
    def _measure(self) -> Measure:
        """The measure the bars count (the first one until ``metric`` is set)."""
        return next((m for m in self.measures if m.id == self.metric), self.measures[0])

    def action_move(self, step: int) -> None:
        if self.points:
            self.cursor = max(0, min(len(self.points) - 1, self._cursor_index + step))

    def action_jump(self, index: int) -> None:
        if self.points:
            self.cursor = index % len(self.points)

    @property
    def _cursor_index(self) -> int:
        return self.cursor % len(self.points) if self.points else 0

    @property
    def selected(self) -> DayFigures | None:
        """The day under the cursor."""
        return self.points[self._cursor_index] if self.points else None

    def _watch_inputs(self) -> None:
        self.redraw()

    watch_points = watch_metric = watch_cursor = watch_highlight_from = watch_source = _watch_inputs

    def update_frame(self) -> None:
        source = "".join(f" · {said}" for said in (self.basis, self.source) if said)
        self.set_border(f"Daily {self._measure.label.lower()} · last {len(self.points) or 30} "
                        f"days{source}", "")

    def on_mount(self) -> None:
        self.update_frame()

    _geometry_of: tuple[tuple, tuple[int, int, int]] | None = None

    def _geometry(self) -> tuple[int, int, int]:
        """(label width, slot width, bar width) for the current size; every row of a
        render asks, so it is kept until the width, the days or the measure change."""
        width = self.content_region.width or self.size.width
        inputs = (width, self.points, self.metric)
        known = self._geometry_of
        if known is not None and known[0][0] == width and known[0][1] is self.points \
                and known[0][2] == self.metric:
            return known[1]
        label = max(6, len(self._top_label()) + 1)
        # the summary's columns are kept free: the bars take what is left (at 80 and 200
        # columns the bars alone would leave it too little)
        slot = max(1, (width - label - SUMMARY_WIDTH) // max(1, len(self.points)))
        geometry = label, slot, max(1, slot - 1) if slot > 1 else 1
        self._geometry_of = inputs, geometry
        return geometry

    def _top_label(self) -> str:
        """The y axis's top figure ('14.2k', '$19.93'): the label column is sized to it."""
        top = max((point.figures.get(self._measure.id) or 0.0 for point in self.points), default=0.0)
        return self._measure.unit.compact(top or 1)

    def _bar_at(self, x: int) -> int | None:
        label, slot, _ = self._geometry()
        index = (x - label) // slot
        return index if 0 <= index < len(self.points) and x >= label else None

    def on_mouse_move(self, event: MouseMove) -> None:
        self._point_at(event.x - self.gutter.left)

    def on_click(self, event: Click) -> None:
        self.focus()
        self._point_at(event.x - self.gutter.left)

    def _point_at(self, x: int) -> None:
        index = self._bar_at(x)
        if index is not None:
            self.cursor = index

    def render(self) -> Text:
        metric = self._measure.id
        values = [point.figures.get(metric) or 0.0 for point in self.points]
        if not any(values):
            said = (f"No use {self.source} yet: a day's bar is the rise between polls"
                    if self.source else f"No API activity in the last {len(values) or 30} days")
            message = Text(said, style=self.get_component_rich_style("daily-chart--axis"))
            message.justify = "center"
            return message
        height = max(3, (self.content_region.height or self.size.height) - 2)
        top = max(values) or 1
        styles = self._bar_styles()
        rows = [self._row(values, top, height, level, styles) for level in range(height, 0, -1)]
        self._append_summary(rows, values)
        return Text("\n").join([*rows, self._axis(), self._caption()])

    def _append_summary(self, rows: list[Text], values: list[float]) -> None:
        """Total, daily average and peak in the columns right of the bars, if they fit."""
        label_width, slot, _ = self._geometry()
        room = (self.content_region.width or self.size.width) - label_width - slot * len(values) - 2
        if room < SUMMARY_WIDTH - 2:
            return
        peak = max(range(len(values)), key=values.__getitem__)
        unit = self._measure.unit
        axis = self.get_component_rich_style("daily-chart--axis")
        known = sum(1 for point in self.points if self._measure.id in point.figures) or 1
        average = unit.compact(sum(values) / known)
        lines = [  # the average is over the days with a figure: absent ones are not 0
            (f"{known} days" if known < len(values) else f"{len(values)} days", axis),
            (f"total {self._measure.labelled(unit.compact(sum(values)), 0)}", ""),
            (_fit(room, *(f"avg {self._measure.labelled(average + per, 0)}" for per in ("/day", ""))), ""),
            (f"peak {self._measure.labelled(unit.compact(values[peak]), 0)}", ""),
            (self.points[peak].day.strftime("  on %b %d"), axis),
        ]
        for row, (line, style) in zip(rows, lines):
            row.append("  ")
            row.append(line[:room], style=style)

    def _row(self, values: list[float], top: float, height: int, level: int,
             styles: list[Style]) -> Text:
        """One level of the bars: the neighbours in one style (all but the cursor's,
        most rows) are one run of text, not a span each."""
        label_width, slot, bar_width = self._geometry()
        axis = self.get_component_rich_style("daily-chart--axis")
        label = self._measure.unit.compact(top) if level == height else ("0" if level == 1 else "")
        row = Text(f"{label:>{label_width - 1}}│", style=axis)
        gap = " " * (slot - bar_width)
        run: list[str] = []
        for index, value in enumerate(values):
            eighths = round(value / top * height * 8)
            filled = min(8, max(0, eighths - (level - 1) * 8))
            if value and level == 1 and not filled:
                filled = 1  # a day with any activity always shows
            run.append(_EIGHTHS[filled] * bar_width + gap)
            if index + 1 == len(values) or styles[index + 1] is not styles[index]:
                row.append("".join(run), style=styles[index])
                run = []
        return row

    def _bar_styles(self) -> list[Style]:
        """Each bar's style: the cursor's, or in or outside the selected range."""
        cursor, inside, outside = (self.get_component_rich_style(f"daily-chart--{name}")
                                   for name in ("cursor", "bar", "outside"))
        start, picked = self.highlight_from, self._cursor_index
        return [cursor if index == picked else
                inside if start is None or point.day >= start else outside
                for index, point in enumerate(self.points)]

    def _axis(self) -> Text:
        label_width, slot, _ = self._geometry()
        width = slot * len(self.points)
        first, last = self.points[0].day, self.points[-1].day
        left, right = first.strftime("%b %d"), last.strftime("%b %d")
        gap = max(1, width - len(left) - len(right))
        return Text(" " * label_width + left + " " * gap + right, style=self.get_component_rich_style("daily-chart--axis"))

    def _caption(self) -> Text:
        point = self.selected
        caption = Text(" " * self._geometry()[0])
        caption.append(point.day.strftime("%a %Y-%m-%d"), style="bold")
        caption.append("  " + " · ".join(measure.with_label(point.figures) for measure in self.measures))
        caption.append("   ←/→ move", style=self.get_component_rich_style("daily-chart--axis"))
        return caption


def _fit(room: int, *texts: str) -> str:
    """The first of ``texts`` that fits ``room`` cells (else the last, shortest form)."""
    return next((text for text in texts if len(text) <= room), texts[-1])


def day_basis(capabilities: Capabilities) -> str:
    """'days in UTC' where the vendor's days are UTC buckets ('' for the workspace's own,
    which the header names): the chart's ``basis``, on every screen that draws one."""
    return "days in UTC" if capabilities.time_basis is TimeBasis.UTC else ""
