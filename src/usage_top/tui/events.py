"""The events pane (``v``): threshold crossings and anomalies, newest first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from usage_top.domain.format import short_key
from usage_top.store.events import AlertEvent
from usage_top.tui.frame import DataScreen, show_text
from usage_top.views.context import Context
from usage_top.views.events import event_message, events_view
from usage_top.widgets.tables import Column, UsageTable

_LEVEL_STYLE = {"red": "bold red", "amber": "bold yellow", "normal": "green"}


def _level(event: AlertEvent) -> Text:
    label = "cleared" if event.state == "cleared" else event.level
    return Text(label, style=_LEVEL_STYLE.get(event.level, ""))


def _when(at, tz) -> str:
    """' Nov 18 14:37 UTC': in the workspace timezone, which it names (a space apart from
    the message before it)."""
    return at.astimezone(tz).strftime(" %b %d %H:%M %Z")


def _scope(event: AlertEvent) -> str:
    """'api.hourly', or 'key:6••••f58' for a key's anomaly."""
    kind, _, key = event.scope.partition(":")
    return f"{kind}:{short_key(key)}" if key else event.scope


class EventTable(UsageTable[AlertEvent]):
    """One row per event; ``a`` snoozes the scope of the event under the cursor."""

    title = "Events"
    default_sort = "at"

    BINDINGS = [Binding("a", "snooze", "Ack/snooze scope", id="snooze")]

    first_min_width = 56
    """The message is the event: the scope, level and usage columns (which it repeats)
    give way before it is cut."""

    def __init__(self, *, tz, id: str | None = None) -> None:
        self._tz = tz
        self.columns_spec = (
            Column("message", "Event", 30, lambda e: e.message, event_message, numeric=False),
            Column("at", "When", 19, lambda e: e.at, lambda e: _when(e.at, tz), numeric=False),
            Column("scope", "Scope", 14, lambda e: e.scope, _scope, numeric=False, drop=2),
            Column("level", "Level", 8, lambda e: e.level, _level, numeric=False, drop=1),
            Column("percent", "Usage", 6, lambda e: e.percent,
                   lambda e: "" if e.percent is None else f"{e.percent:.1f}%", drop=3),
        )
        super().__init__(id=id)

    def action_snooze(self) -> None:
        event = self.current_row
        if event is not None:
            self.app.snooze(event.scope)


class EventsScreen(DataScreen):
    """Every recorded event; the header of the list says which scopes are snoozed."""

    crumb = "events"

    def compose_body(self) -> ComposeResult:
        yield Static(id="summary")
        yield EventTable(tz=self.app.settings.tz, id="events")

    def on_mount(self) -> None:
        self.query_one(EventTable).focus()

    @property
    def panes(self) -> list[Widget]:
        return [self.query_one(EventTable)]

    def refresh_data(self, ctx: Context) -> None:
        view = events_view(ctx)
        table = self.query_one(EventTable)
        table.show_rows((str(event.id), event) for event in view.events)
        table.set_caption(f"{len(view.events)} recorded")
        summary = Text.assemble(("Active: ", "dim"), view.active)
        if view.snoozed:
            summary.append("   Snoozed: ", style="dim")
            summary.append(view.snoozed)
        summary.append("   a: ack/snooze the scope under the cursor", style="dim")
        show_text(self.query_one("#summary", Static), summary)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
