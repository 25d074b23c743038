"""What every usage-top screen has: header, banner, body, filter bar and footer.

Screens render view models (``views/``) built from one store snapshot; the App
owns polling and state and asks the current screen to ``refresh_data`` after
each poll or change of range, key or metric.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from usage_top.views.context import Context
from usage_top.widgets.filter_bar import FilterBar
from usage_top.widgets.status_bar import Status, StatusBar
from usage_top.widgets.tables import UsageTable


def show_text(static: Static, content: Text | str, *, fixed: bool = False) -> None:
    """``Static.update`` unless that content is already shown: every update asks
    for a layout, and a layout repaints every scrollbar on the screen (bytes on
    the wire at each poll, for nothing). ``fixed``: the widget's size does not follow
    its content (a fixed height, cut with '…'), so no layout is asked for at all."""
    if static.content != content:
        static.update(content, layout=not fixed)


class DataScreen(Screen):
    """Base of the dashboard and drilldown screens."""

    crumb = "usage-top"
    """This screen's label in the breadcrumb."""
    _bars: tuple[StatusBar, ...] = ()

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        yield from self.compose_body()
        yield FilterBar(id="filter")
        yield Static(id="too-small")
        yield Footer()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    @property
    def panes(self) -> list[Widget]:
        """The panes Tab cycles through, in order."""
        return []

    def refresh_data(self, ctx: Context) -> None:
        """Build this screen's view model from ``ctx`` and push it to the widgets."""
        raise NotImplementedError

    def refresh_clock(self, ctx: Context) -> None:
        """The minute turned and the data did not: update what moves with the clock
        (all of it, unless the screen knows which parts do)."""
        self.refresh_data(ctx)

    def compact_changed(self, compact: bool) -> None:
        """The layout just turned compact (or wide again): a screen whose content, not
        only its CSS, depends on it (the overview's columns) redraws it here."""

    def show_status(self, status: Status, now: dt.datetime) -> None:
        for bar in self._status_bars():
            bar.status = status
            bar.now = now

    def tick(self, now: dt.datetime) -> None:
        """At a turn of the clock (``next_turn``): only the header's ages change."""
        for bar in self._status_bars():
            bar.tick(now)

    def next_turn(self, now: dt.datetime) -> dt.datetime | None:
        """When what this screen shows next reads differently with the clock alone
        (None: nothing will); the App ticks then."""
        return min_turn(bar.next_turn(now) for bar in self._status_bars())

    def _status_bars(self) -> tuple[StatusBar, ...]:
        """The header: none yet while the screen is being composed. Found once: a query
        walks and matches every widget of the screen, which once a second cost more
        than the tick it serves."""
        if not self._bars or not all(bar.is_attached for bar in self._bars):
            self._bars = tuple(self.query(StatusBar))
        return self._bars

    def show_banner(self, kind: str, message: str) -> None:
        """``kind`` is '', '-warning' or '-error'; an empty message hides the banner.

        A new message of the same kind and as many lines (the figures' age ticking every
        second while the API is down, a viewer's "no collector for 18m") repaints the
        banner alone: a layout would repaint every scrollbar on the screen with it."""
        for banner in self.query("#banner").results(Static):
            content, classes = Text(message), kind if message else ""
            if banner.content == content:
                banner.set_classes(classes)
                continue
            width = banner.content_region.width
            layout = not (message and banner.content and width and banner.has_class(kind)
                          and self._lines(banner.content, width) == self._lines(content, width))
            banner.set_classes(classes)
            banner.update(content, layout=layout)

    def _lines(self, content: Text | str, width: int) -> int:
        """How many lines ``content`` wraps to at ``width`` cells."""
        text = Text(content) if isinstance(content, str) else content
        return len(text.wrap(self.app.console, width))

    def on_usage_table_filter_requested(self, event: UsageTable.FilterRequested) -> None:
        self.query_one(FilterBar).open_for(event.table)

    def on_screen_resume(self) -> None:
        """Shown (again): fit the layout to the terminal and show what the store has now."""
        self.app.apply_size(self.app.size)
        self.app.refresh_view()


def min_turn(turns: Iterable[dt.datetime | None]) -> dt.datetime | None:
    """The first of some turns, None for none at all."""
    return min((turn for turn in turns if turn is not None), default=None)
