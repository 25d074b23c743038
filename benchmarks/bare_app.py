"""The start-up baseline: a bare Textual app composing the dashboard's widget set, no data.

    python benchmarks/bare_app.py

The same widget classes (status bar, scope cards, daily chart, item (endpoint)
and key tables on Pubrio's capabilities, filter bar, footer) in the same layout
(the dashboard's ``app.tcss``) with the same key bindings (the footer builds a
key for each), but no configuration, no database, no HTTP client and no
queries: what any Textual app showing these widgets pays before its first
frame. ``q`` quits (the other keys' actions do not exist here).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Static

import usage_top.tui
from usage_top.providers.pubrio_capabilities import CAPABILITIES
from usage_top.tui.bindings import APP_BINDINGS
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.filter_bar import FilterBar
from usage_top.widgets.scope_card import ScopeCard
from usage_top.widgets.status_bar import StatusBar
from usage_top.widgets.tables import ItemTable, KeyTable

CSS_PATH = Path(usage_top.tui.__file__).with_name("app.tcss")


class BareApp(App[None]):
    CSS_PATH = CSS_PATH
    BINDINGS = APP_BINDINGS

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Horizontal(id="cards"):
            for scope in ("api", "portal"):
                for period in ("monthly", "daily", "hourly"):
                    yield ScopeCard(id=f"scope-{scope}-{period}")
        yield DailyChart(CAPABILITIES.shown_measures, id="chart")
        with Horizontal(id="tables"):
            with Vertical(id="endpoints-pane"):
                yield ItemTable(CAPABILITIES, id="endpoints")
                yield Static(id="empty")
            yield KeyTable(CAPABILITIES, now=lambda: dt.datetime.now(dt.UTC), tz=dt.UTC, id="keys")
        yield FilterBar(id="filter")
        yield Static(id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ItemTable).focus()


if __name__ == "__main__":
    BareApp().run()
    sys.exit(0)
