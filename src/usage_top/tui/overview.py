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
from textual.widgets import Static

from usage_top.tui.frame import DataScreen, min_turn, show_text
from usage_top.views.context import Context
from usage_top.views.overview import SORTS, AccountRow, OverviewView, age, ages_turn, view_turns
from usage_top.views.scopes import Level
from usage_top.widgets.virtual_table import Column, VirtualTable

_WIDE = ("Account", "Provider", "Worst scope", "Used", "Today", "This month", "Burn",
         "Outlook", "Data", "State")
_COMPACT = ("Account", "Worst scope", "Used", "Today", "Outlook", "Data", "State")
_FIRST = "▶ "
"""Before the outlook of the limit that runs out first across all accounts."""
_OUTLOOK = "limit in 23h 59m"
"""The longest outlook under a day (``Projection.text``)."""
_ROOM = {"Used": len("100.0%"), "Burn": len("$99.99/h"), "Outlook": len(_FIRST + _OUTLOOK),
         "Data": len("2h 5m")}
"""The least width of the columns whose figures come later (a burn rate and an outlook
after a few polls) or grow: laid out that wide from the first frame, they do not widen
when the figures come, which would shift the columns right of them (a repaint of the
whole table, ~8 KB over SSH, for each account whose first rate widens it further)."""
_COMPACT_ROOM = {"Outlook": len(_OUTLOOK)}
"""The same in 80 columns, where only the outlook's room fits beside the others."""


class AccountTable(VirtualTable[dict[str, Text]]):
    """The accounts, one per row (row key: the account's name as shown), in the view's order.

    A ``VirtualTable``: a refresh repaints only the cells that read or look different
    (a poll of one account: its new figures); Textual's ``DataTable``, which this was,
    repainted the whole table for each changed cell. It draws as that ``DataTable`` drew
    (a space either side of each cell, columns as wide as what they hold from the
    first frame, numbers right-aligned under left-aligned labels).

    Bindings: ``Enter`` opens the account, ``s``/``S`` the next/previous order (not
    the usage tables' column sorts and filter), ``j``/``k`` as the arrows. Component classes:
    ``account-table--amber``, ``account-table--red`` (the worst scope's percentage),
    ``account-table--error``, ``account-table--dim``."""

    COMPONENT_CLASSES = VirtualTable.COMPONENT_CLASSES | {
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

    title = "Accounts"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.order = SORTS[0]
        """The order ``s`` chose (one of ``views.overview.SORTS``)."""
        self._widths: dict[str, int] = {}
        """Each shown column's width: its label's or its widest cell's when last laid out.
        Each new set of widths repaints the table, so a column whose cells narrowed (an
        outlook of '9d 4h' after '10d 21h') keeps its width until the layout changes."""
        self._layout: tuple[tuple[str, ...], frozenset[str]] = ((), frozenset())
        """What the widths were measured for: the columns, and the accounts with data
        (an account's first data replaces its 'no data', which may have been the widest)."""
        self._placed = False
        """The user moved the cursor (a key or a click): from then on it follows its
        account; until then it stays on the top row as the rows reorder."""
        self._built: dict[str, tuple[AccountRow, str, dict[str, Text]]] = {}
        """Each account's cells, with the row and the age they show: a row that reads
        the same keeps its cells, and its padded cells (``_padded_rows``) the line the
        table drew of them (a poll of one account builds one row, not twenty)."""
        self._padded_rows: dict[str, tuple[dict[str, Text], dict[str, int], dict[str, Text]]] = {}
        """Each account's padded cells, with the cells and widths they were padded from."""

    def action_sort(self, step: int) -> None:
        self.order = SORTS[(SORTS.index(self.order) + step) % len(SORTS)]
        self.app.refresh_view()

    def show(self, view: OverviewView, now: dt.datetime, compact: bool) -> None:
        """The rows in the view's order, the cursor kept on the account it was on.

        Only the cells that changed are repainted; another set of columns (the layout
        turned compact or wide), an account's first data or a column that must widen (a
        figure with one more digit) lays the columns out anew and repaints the table."""
        names, room = (_COMPACT, _COMPACT_ROOM) if compact else (_WIDE, _ROOM)
        cells = [(row.name, self._row_cells(row, now)) for row in view.rows]
        needed = {name: max([cell_len(name), room.get(name, 0),
                             *(each[name].cell_len for _, each in cells)]) for name in names}
        layout = (names, frozenset(row.name for row in view.rows if row.updated is not None))
        if layout != self._layout or any(needed[name] > self._widths[name] for name in names):
            self._layout, self._widths = layout, needed
            self.replace_columns(tuple(_column(name, needed[name]) for name in names))
        self.show_rows([(name, self._padded(name, each, names)) for name, each in cells])
        self.set_caption(f"sorted by {self.order}")

    def notify_style_update(self) -> None:
        """Another theme: the cells' styles (amber, red, dim) are built anew."""
        self._built.clear()
        self._padded_rows.clear()
        super().notify_style_update()

    def _row_cells(self, row: AccountRow, now: dt.datetime) -> dict[str, Text]:
        """The row's cells: the ones built last while the row and its age read the same."""
        shown = age(row, now)
        kept = self._built.get(row.name)
        if kept is not None and kept[1] == shown and (kept[0] is row or kept[0] == row):
            return kept[2]
        cells = self._cells(row, shown)
        self._built[row.name] = (row, shown, cells)
        return cells

    def _padded(self, name: str, cells: dict[str, Text], names: tuple[str, ...]) -> dict[str, Text]:
        """The shown columns' cells padded to their widths: the same dict while the cells
        and widths are (so the table reuses the line it drew, without comparing cells)."""
        widths = {column: self._widths[column] for column in names}
        kept = self._padded_rows.get(name)
        if kept is not None and kept[0] is cells and kept[1] == widths:
            return kept[2]
        padded = {column: _padded(cells[column], widths[column]) for column in names}
        self._padded_rows[name] = (cells, widths, padded)
        return padded

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Not the usage tables' filter and column sorts: the rows keep the view's order."""
        return action not in ("start_filter", "clear_filter", "sort_next", "sort_reverse")

    def fit_columns(self) -> None:
        """Each column as wide as what it holds (``show``): none takes the room the
        others leave, and none gives way (the compact layout has columns of its own)."""

    def sort_by(self, column_key: str, reverse: bool | None = None) -> None:
        """The rows keep the view's order (``s``/``S`` choose it): a click on a column's
        label sorts nothing."""

    def _cursor_anchor(self) -> tuple[str, int] | None:
        """The account the cursor follows through a refresh: none until it was placed."""
        return super()._cursor_anchor() if self._placed else None

    def on_key(self) -> None:
        self._placed = True

    def on_click(self) -> None:
        self._placed = True

    def _style(self, name: str):
        return self.get_component_rich_style(f"account-table--{name}")

    def _cells(self, row: AccountRow, shown_age: str) -> dict[str, Text]:
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
            outlook = Text(_FIRST + row.outlook, style="bold")
        elif row.outlook_scope:
            outlook = Text(row.outlook)
        polled = row.updated is not None  # before its first poll nothing is known, not "ok"
        state = (Text(_short(row.error), style=self._style("error")) if row.error
                 else Text("ok" if polled else "waiting", style=self._style("dim")))
        no_worst = "no limits" if polled else "—"
        return {
            "Account": Text(row.name, style="bold"),
            "Provider": Text(row.provider),
            "Worst scope": Text(worst.usage.title) if worst else Text(no_worst, style=self._style("dim")),
            "Used": percent,
            "Today": Text(unit.text(row.today), justify="right"),
            "This month": Text(unit.text(row.month), justify="right"),
            "Burn": Text(row.burn or "—", justify="right"),
            "Outlook": outlook,
            "Data": Text(shown_age, justify="right"),
            "State": state,
        }


def _column(name: str, width: int) -> Column:
    """A column showing its cell of a row's cells, a space either side of its width."""
    return Column(name, f" {name} ", width + 2, value=lambda cells: None,
                  show=lambda cells: cells[name], numeric=False)


def _padded(cell: Text, width: int) -> Text:
    """A cell as ``DataTable`` drew it: aligned in ``width`` (its style over its
    characters only), a space either side."""
    room = " " * (width - cell.cell_len)
    if cell.justify == "right":
        return Text.assemble(" " + room, cell, " ")
    return Text.assemble(" ", cell, room + " ")


def _short(text: str, width: int = 40) -> str:
    """An error in a cell: its first ``width`` characters (the dashboard's banner has it whole)."""
    return text if len(text) <= width else text[: width - 1] + "…"


class OverviewScreen(DataScreen):
    """Every account at a glance; Enter opens one."""

    crumb = "overview"
    DEFAULT_CSS = """
    OverviewScreen #first-out { height: 2; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    app_actions = frozenset({"quit", "help", "toggle_pause", "poll_now", "toggle_redact",
                             "dismiss_toasts", "cycle_focus", "copy_line"})
    """The App's actions that do something here (the footer, the palette and the keys
    offer only these): no range, key, metric, chart, drilldown or export of one account."""

    def __init__(self) -> None:
        super().__init__()
        self.view: OverviewView | None = None
        self._ages_turn: dt.datetime | None = None
        """When an age in the Data column next reads differently (``views.overview.ages_turn``)."""
        self._rows_turn: dt.datetime | None = None
        """When a row next reads differently with no poll (``views.overview.view_turns``)."""

    def compose_body(self) -> ComposeResult:
        yield Static(id="first-out")
        yield AccountTable(id="accounts")

    def on_mount(self) -> None:
        self.query_one(AccountTable).focus()

    @property
    def panes(self) -> list[Widget]:
        return [self.query_one(AccountTable)]

    def refresh_data(self, ctx: Context) -> None:
        self._read(ctx.now)

    def tick(self, now: dt.datetime) -> None:
        """At a turn of the clock (``next_turn``): the rows it turned (an outlook's
        countdown, a reset, the day's end: read again, ``app.overview`` keeps the
        others) and the Data column once one of its ages reads differently (a minute
        on), never in between: each redrawn cell costs bytes over SSH. Paused, no row
        is read (a collector's new figures would show): the ages still turn."""
        super().tick(now)
        if self._rows_turn is not None and now >= self._rows_turn and not self.app.paused:
            self._read(now)
        elif self._ages_turn is not None and now >= self._ages_turn:
            self._show_rows(now, self.has_class("-compact"))

    def next_turn(self, now: dt.datetime) -> dt.datetime | None:
        """Also the first row the clock turns (not while paused: none is read then) and
        the Data column's next age."""
        rows = None if self.app.paused else self._rows_turn
        return min_turn((super().next_turn(now), rows, self._ages_turn))

    def _read(self, now: dt.datetime) -> None:
        table = self.query_one(AccountTable)
        self.view = view = self.app.overview(now, table.order)
        self._rows_turn = view_turns(view)
        show_text(self.query_one("#first-out", Static), Text(view.summary_text, style="bold"),
                  fixed=True)  # two lines, whatever it says
        self._show_rows(now, self.has_class("-compact"))

    def compact_changed(self, compact: bool) -> None:
        """The layout turned compact or wide: the table takes that layout's columns now,
        not at the next poll."""
        self._show_rows(self.app.clock(), compact)

    def _show_rows(self, now: dt.datetime, compact: bool) -> None:
        if self.view is None:
            return
        for table in self.query(AccountTable):  # none while the screen is torn down
            table.show(self.view, now, compact)
        self._ages_turn = ages_turn(self.view.rows, now)

    def on_data_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
        event.stop()
        self.app.open_account(self.app.redactor.real(event.row_key.value))  # a pseudonym
