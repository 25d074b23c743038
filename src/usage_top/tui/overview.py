"""The overview: every configured account on one screen, and which limit runs out first.

The landing screen when several accounts are configured. One row per account
(its view model is ``views.overview``); ``Enter`` opens that account's
dashboard, ``Esc`` there comes back, ``s``/``S`` change the order.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import DataTable, Static

from usage_top.tui.frame import DataScreen, show_text
from usage_top.views.context import Context
from usage_top.views.overview import SORTS, AccountRow, OverviewView, age
from usage_top.views.scopes import Level

_WIDE = ("Account", "Provider", "Worst scope", "Used", "Today", "This month", "Burn",
         "Outlook", "Data", "State")
_COMPACT = ("Account", "Worst scope", "Used", "Today", "Outlook", "Data", "State")


class AccountTable(DataTable):
    """The accounts, one per row (row key: the account's name).

    Component classes: ``account-table--amber``, ``account-table--red`` (the worst
    scope's percentage), ``account-table--error``, ``account-table--dim``."""

    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {
        "account-table--amber", "account-table--red", "account-table--error",
        "account-table--dim",
    }

    DEFAULT_CSS = """
    AccountTable { height: 1fr; border: round $primary-muted; }
    AccountTable:focus { border: round $primary; }
    AccountTable > .account-table--amber { color: $warning; text-style: bold; }
    AccountTable > .account-table--red { color: $error; text-style: bold reverse; }
    AccountTable > .account-table--error { color: $error; }
    AccountTable > .account-table--dim { color: $text-muted; }
    """

    BINDINGS = [
        Binding("s", "sort(1)", "Sort", tooltip="Order by the next criterion", id="overview_sort"),
        Binding("S", "sort(-1)", "Sort back", show=False, id="overview_sort_back"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.sort = SORTS[0]

    def action_sort(self, step: int) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + step) % len(SORTS)]
        self.app.refresh_view()

    def show(self, view: OverviewView, now: dt.datetime, compact: bool) -> None:
        """The rows, keeping the cursor on the account it was on."""
        columns = _COMPACT if compact else _WIDE
        selected = self._selected()
        self.clear(columns=True)  # the widths follow the rows: a column fits what it holds
        self.add_columns(*columns)
        for row in view.rows:
            cells = self._cells(row, now)
            self.add_row(*(cells[name] for name in columns), key=row.name)
        names = [row.name for row in view.rows]
        if selected in names:
            self.move_cursor(row=names.index(selected), animate=False)
        self.border_title = f"Accounts · sorted by {self.sort}"

    def _selected(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except Exception:  # noqa: BLE001 - no row under the cursor
            return None

    def _style(self, name: str):
        return self.get_component_rich_style(f"account-table--{name}")

    def _cells(self, row: AccountRow, now: dt.datetime) -> dict[str, Text | str]:
        unit = row.primary.unit
        worst = row.worst
        percent = Text("—" if row.percent is None else f"{row.percent:.1f}%", justify="right")
        if row.level is Level.RED:
            percent.stylize(self._style("red"))
        elif row.level is Level.AMBER:
            percent.stylize(self._style("amber"))
        outlook = Text(row.outlook or "—")
        if row.over:
            outlook = Text(f"over: {row.outlook_scope}", style=self._style("red"))
        elif row.first:
            outlook = Text(f"▶ {row.outlook}", style="bold")
        elif row.outlook_scope:
            outlook = Text(row.outlook)
        state = (Text(_short(row.error), style=self._style("error")) if row.error
                 else Text("ok", style=self._style("dim")))
        return {
            "Account": Text(row.name, style="bold"),
            "Provider": row.provider,
            "Worst scope": worst.usage.title if worst else Text("no limits", style=self._style("dim")),
            "Used": percent,
            "Today": Text(unit.text(row.today), justify="right"),
            "This month": Text(unit.text(row.month), justify="right"),
            "Burn": Text(row.burn or "—", justify="right"),
            "Outlook": outlook,
            "Data": Text(age(row, now), justify="right"),
            "State": state,
        }


def _short(text: str, width: int = 40) -> str:
    """An error in a cell: its first ``width`` characters (the dashboard's banner has it whole)."""
    return text if len(text) <= width else text[: width - 1] + "…"


class OverviewScreen(DataScreen):
    """Every account at a glance; Enter opens one."""

    crumb = "overview"
    reads_every_account = True
    """The App opens no snapshot of one store for it: each row reads its own file."""

    def __init__(self) -> None:
        super().__init__()
        self.view: OverviewView | None = None
        self._ages: list[str] = []

    def compose_body(self) -> ComposeResult:
        yield Static(id="first-out")
        yield AccountTable(id="accounts")

    def on_mount(self) -> None:
        self.query_one(AccountTable).focus()

    @property
    def panes(self) -> list[Widget]:
        return [self.query_one(AccountTable)]

    def refresh_data(self, ctx: Context) -> None:
        table = self.query_one(AccountTable)
        self.view = view = self.app.overview(ctx.now, table.sort)
        show_text(self.query_one("#first-out", Static), Text(view.summary, style="bold"))
        table.show(view, ctx.now, compact=self.has_class("-compact"))
        self._ages = [age(row, ctx.now) for row in view.rows]

    def tick(self, now: dt.datetime) -> None:
        """The Data column's ages, redrawn only when one of them reads differently: a
        table rebuilt for nothing costs bytes, and is drawn with its widths unmeasured
        until the next idle."""
        super().tick(now)
        if now.second % 15 == 0 and self.view is not None:
            ages = [age(row, now) for row in self.view.rows]
            if ages != self._ages:
                self._ages = ages
                self.query_one(AccountTable).show(self.view, now, self.has_class("-compact"))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.app.open_account(self.app.redactor.real(event.row_key.value))  # a pseudonym
