"""The ``/`` prompt that narrows a table while you type."""

from __future__ import annotations

from textual import on
from textual.binding import Binding
from textual.widgets import Input

from usage_top.widgets.tables import UsageTable


class FilterBar(Input):
    """An input docked under the panes; each keystroke filters the target table.

    Enter keeps the filter and returns to the table; Esc clears it. A bad regular
    expression is reported in the bar's title and leaves the table as it was.
    """

    BINDINGS = [Binding("escape", "cancel", "Clear filter", show=False)]

    DEFAULT_CSS = """
    FilterBar { dock: bottom; display: none; border: round $accent; height: 3; }
    FilterBar.-open { display: block; }
    FilterBar.-error { border: round $error; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="filter: text, or re:regex", id=id)
        self.target: UsageTable | None = None
        self._title = ""

    def open_for(self, table: UsageTable) -> None:
        self.target = table
        self.value = table.filter_text
        self.border_title = self._title = f"Filter {table.title.lower()} · Enter keeps · Esc clears"
        self.add_class("-open")
        self.focus()

    @on(Input.Changed)
    def _narrow(self, event: Input.Changed) -> None:
        event.stop()
        if self.target is None:
            return
        error = self.target.set_filter(event.value)
        self.set_class(error is not None, "-error")
        # the top border: the bottom one sits under the footer, where no one reads it
        self.border_title = error or self._title

    @on(Input.Submitted)
    def _keep(self, event: Input.Submitted) -> None:
        event.stop()
        self._close()

    def action_cancel(self) -> None:
        if self.target is not None:
            self.target.set_filter("")
        self._close()

    def _close(self) -> None:
        self.remove_class("-open", "-error")
        if self.target is not None:
            self.target.focus()
