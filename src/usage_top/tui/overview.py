"""The overview: every configured account on one screen, and which limit runs out first.

The landing screen when several accounts are configured. One row per account
(its view model is ``views.overview``); ``Enter`` opens that account's
dashboard, ``Esc`` there comes back, ``s``/``S`` change the order.
"""

from __future__ import annotations

import datetime as dt

from rich.cells import cell_len
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
        Binding("enter", "select_cursor", "Open", tooltip="This account's dashboard (Esc comes "
                "back)", id="overview_open"),
        Binding("s", "sort(1)", "Sort", tooltip="Order by the next criterion", id="overview_sort"),
        Binding("S", "sort(-1)", "Sort back", show=False, id="overview_sort_back"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.order = SORTS[0]
        """The order ``s`` chose (one of ``views.overview.SORTS``)."""
        self._columns: tuple[str, ...] = ()
        self._placed = False
        """The user moved the cursor (a key or a click): from then on it follows its
        account; until then it stays on the top row as the rows reorder."""

    def action_sort(self, step: int) -> None:
        self.order = SORTS[(SORTS.index(self.order) + step) % len(SORTS)]
        self.app.refresh_view()

    def show(self, view: OverviewView, now: dt.datetime, compact: bool) -> None:
        """The rows in the view's order, the cursor kept on the account it was on.

        The same accounts under the same columns are updated in place, cell by
        changed cell: a row selected meanwhile is still there. Only another set of
        columns (the layout turned compact or wide) or of accounts rebuilds it."""
        columns = _COMPACT if compact else _WIDE
        names = [row.name for row in view.rows]
        selected = self._selected() if self._placed else None
        rows = {row.name: self._cells(row, now) for row in view.rows}
        if columns != self._columns or set(names) != {key.value for key in self.rows}:
            self._rebuild(names, rows, columns)
        else:
            for name_of_row, cells in rows.items():
                for name in columns:
                    if not _same(self.get_cell(name_of_row, name), cells[name]):
                        self.update_cell(name_of_row, name, cells[name], update_width=True)
            if [row.key.value for row in self.ordered_rows] != names:
                position = {name: index for index, name in enumerate(names)}
                DataTable.sort(self, "Account", key=lambda cell: position[cell.plain])
        if selected in names and self.cursor_row != names.index(selected):
            self.move_cursor(row=names.index(selected), animate=False)
        self.border_title = f"Accounts · sorted by {self.order}"

    def on_key(self) -> None:
        self._placed = True

    def on_click(self) -> None:
        self._placed = True

    def _rebuild(self, names: list[str], rows: dict[str, dict[str, Text | str]],
                 columns: tuple[str, ...]) -> None:
        """Columns and rows anew, each column as wide as what it holds from the first
        frame: the table measures new rows only at its next idle, and a frame drawn
        before that (a snapshot, a browser's first look) cut every cell to its label."""
        self.clear(columns=True)
        for name in columns:
            key = self.add_column(name, key=name)
            self.columns[key].content_width = max(
                [cell_len(name), *(_width(cells[name]) for cells in rows.values())])
        for name_of_row in names:
            self.add_row(*(rows[name_of_row][name] for name in columns), key=name_of_row)
        self._columns = columns

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


def _width(cell: Text | str) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(cell)


def _same(shown: object, new: object) -> bool:
    """The cell already reads and looks like this (rich's ``Text ==`` ignores its style)."""
    if isinstance(shown, Text) and isinstance(new, Text):
        return (shown.plain, shown.style, shown.spans, shown.justify) == (
            new.plain, new.style, new.spans, new.justify)
    return shown == new


def _short(text: str, width: int = 40) -> str:
    """An error in a cell: its first ``width`` characters (the dashboard's banner has it whole)."""
    return text if len(text) <= width else text[: width - 1] + "…"


class OverviewScreen(DataScreen):
    """Every account at a glance; Enter opens one."""

    crumb = "overview"
    app_actions = frozenset({"quit", "help", "toggle_pause", "poll_now", "toggle_redact",
                             "dismiss_toasts", "cycle_focus", "copy_line"})
    """The App's actions that do something here (the footer, the palette and the keys
    offer only these): no range, key, metric, chart, drilldown or export of one account."""

    def __init__(self) -> None:
        super().__init__()
        self.view: OverviewView | None = None

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
        self.view = view = self.app.overview(ctx.now, table.order)
        show_text(self.query_one("#first-out", Static), Text(view.summary, style="bold"))
        table.show(view, ctx.now, compact=self.has_class("-compact"))

    def tick(self, now: dt.datetime) -> None:
        """Every 15 s, the Data column's ages (only the cells that read differently
        are redrawn: every second would cost bytes over SSH for little)."""
        super().tick(now)
        if now.second % 15 == 0 and self.view is not None:
            for table in self.query(AccountTable):  # none while the screen is torn down
                table.show(self.view, now, self.has_class("-compact"))

    def compact_changed(self, compact: bool) -> None:
        """The layout turned compact or wide: the table takes that layout's columns now,
        not at the next poll."""
        if self.view is not None:
            for table in self.query(AccountTable):
                table.show(self.view, self.app.clock(), compact)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.app.open_account(self.app.redactor.real(event.row_key.value))  # a pseudonym
