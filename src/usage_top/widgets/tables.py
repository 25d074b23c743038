"""Sortable usage tables whose rows are keyed and updated in place.

A refresh diffs the new rows against what is shown: gone rows are removed,
changed cells are updated with ``update_cell`` and new rows added, then the
table is re-sorted and the cursor put back on the same row key (DataTable's own
sort is one-off and keeps the cursor on an index, not a row).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from rich.text import Text
from textual.actions import SkipAction
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from ..format import count, last_used_text, short_key
from ..model import EndpointUsage, KeyUsage
from .bars import bar

Row = TypeVar("Row")


@dataclass(frozen=True, eq=True)
class Cell:
    """A table cell: what to sort by and what to show."""

    value: Any
    text: Text

    def __rich__(self) -> Text:
        return self.text


@dataclass(frozen=True)
class Column(Generic[Row]):
    """How one column reads, shows and sorts a row."""

    key: str
    label: str
    width: int
    value: Callable[[Row], Any]
    show: Callable[[Row], str | Text]
    numeric: bool = True

    def cell(self, row: Row) -> Cell:
        shown = self.show(row)
        text = shown if isinstance(shown, Text) else Text(shown)
        text.justify = "right" if self.numeric else "left"
        text.no_wrap = True
        text.overflow = "ellipsis"
        value = self.value(row)
        return Cell(value=(value is None, value), text=text)


class UsageTable(DataTable, Generic[Row]):
    """A keyed, sortable table of usage rows.

    Sort from the keyboard with ``s`` (next column) and ``S`` (reverse), or click a
    header: clicking the sorted column again reverses it. ``/`` asks for a filter
    (substring, or a regular expression after ``re:``) on the first column and the
    row key; ``Esc`` clears it.
    """

    BINDINGS = [
        Binding("s", "sort_next", "Sort column", tooltip="Sort by the next column", id="sort_next"),
        Binding("S", "sort_reverse", "Reverse sort", tooltip="Reverse the sort order", id="sort_reverse"),
        Binding("slash", "start_filter", "Filter", key_display="/", tooltip="Filter rows", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear_filter"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {"usage-table--bar"}

    DEFAULT_CSS = """
    UsageTable { border: round $primary-muted; height: 1fr; scrollbar-size-vertical: 1; }
    UsageTable:focus { border: round $primary; }
    UsageTable > .usage-table--bar { color: $primary; }
    """

    GAP = 1
    """Columns carry their own one-cell gap (numbers right-aligned, names padded)."""

    class Sorted(Message):
        """The sort column or direction changed."""

    class FilterRequested(Message):
        """The user asked to type a filter for this table."""

        def __init__(self, table: UsageTable) -> None:
            super().__init__()
            self.table = table

    title = "Table"
    columns_spec: tuple[Column, ...] = ()
    default_sort = ""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False, cell_padding=0)
        self.sort_column = self.default_sort
        self.sort_reverse = True
        self._all: dict[str, Row] = {}
        self._rows: dict[str, Row] = {}
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self.caption = ""
        self.filter_text = ""
        self._matches: Callable[[str], bool] | None = None

    def on_mount(self) -> None:
        for column in self.columns_spec:
            self.add_column(self._label(column), key=column.key, width=column.width)
        self._update_title()

    def on_resize(self) -> None:
        self.fit_columns()

    @property
    def fixed_width(self) -> int:
        """Cells used by every column but the first (which takes what is left)."""
        return sum(column.width for column in self.columns_spec[1:])

    def fit_columns(self) -> None:
        """Give the first column the width the others leave, so nothing scrolls sideways."""
        first = self.columns_spec[0]
        # Border and a cell for the scrollbar are always reserved, so the width does
        # not depend on whether the rows happen to overflow at this moment.
        available = self.size.width - self.styles.gutter.width - 1 - self.fixed_width - 1
        width = max(first.width, available)
        column = self.columns.get(first.key)
        if column is None or column.width == width:
            return
        column.width = width
        # DataTable has no public call to resize a column: flag its dimensions
        # for recomputation, as add_column does.
        self._require_update_dimensions = True
        self.refresh()
    def visible_rows(self) -> list[Row]:
        """The rows as shown: filtered, in the current sort order."""
        return [self._rows[self.coordinate_to_cell_key((index, 0)).row_key.value]
                for index in range(self.row_count)]

    def row_for_key(self, key: str) -> Row | None:
        return self._rows.get(key)

    @property
    def current_row(self) -> Row | None:
        """The row under the cursor."""
        if not self._rows or self.cursor_row < 0 or self.cursor_row >= self.row_count:
            return None
        row_key = self.coordinate_to_cell_key((self.cursor_row, 0)).row_key
        return self._rows.get(row_key.value)

    def show_rows(self, rows: Iterable[tuple[str, Row]]) -> None:
        """Make the table show ``rows`` (key, row), changing only what changed."""
        self._all = dict(rows)
        self._show(self._filtered())

    def _filtered(self) -> dict[str, Row]:
        if self._matches is None:
            return self._all
        first = self.columns_spec[0]
        return {key: row for key, row in self._all.items()
                if self._matches(f"{first.show(row)}\n{key}")}

    def set_filter(self, text: str) -> str | None:
        """Show only matching rows; returns an error for a bad regular expression."""
        text = text.strip()
        if not text:
            self._matches = None
        elif text.startswith("re:"):
            try:
                pattern = re.compile(text[3:], re.IGNORECASE)
            except re.error as exc:
                return f"bad regular expression: {exc}"
            self._matches = lambda value: pattern.search(value) is not None
        else:
            needle = text.lower()
            self._matches = lambda value: needle in value.lower()
        self.filter_text = text
        self._show(self._filtered())
        self._update_title()
        return None

    def action_start_filter(self) -> None:
        self.post_message(self.FilterRequested(self))

    def action_clear_filter(self) -> None:
        if not self.filter_text:
            raise SkipAction()  # nothing to clear: let Esc mean what it means around us
        self.set_filter("")

    def _show(self, rows: dict[str, Row]) -> None:
        keep = self._cursor_key()
        with self.app.batch_update():
            for gone in self._cells.keys() - rows.keys():
                self.remove_row(gone)
                del self._cells[gone]
            for key, row in rows.items():
                cells = tuple(column.cell(row) for column in self.columns_spec)
                old = self._cells.get(key)
                if old is None:
                    self.add_row(*cells, key=key)
                else:
                    for column, before, after in zip(self.columns_spec, old, cells):
                        if before != after:
                            self.update_cell(key, column.key, after)
                self._cells[key] = cells
            self._rows = rows
            self._resort(keep)
        if self.filter_text:
            self._update_title()  # the match count

    def _cursor_key(self) -> str | None:
        if not self._cells or self.row_count == 0:
            return None
        try:
            return self.coordinate_to_cell_key((self.cursor_row, 0)).row_key.value
        except Exception:
            return None

    def _resort(self, keep: str | None) -> None:
        if self.sort_column and self.row_count:
            self.sort(self.sort_column, key=lambda cell: cell.value, reverse=self.sort_reverse)
        if keep is not None and keep in self._cells:
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def sort_by(self, column_key: str, reverse: bool | None = None) -> None:
        """Sort by a column; the same column again flips the direction."""
        if reverse is None:
            reverse = not self.sort_reverse if column_key == self.sort_column else self._natural(column_key)
        self.sort_column, self.sort_reverse = column_key, reverse
        self._resort(self._cursor_key())
        for column in self.columns_spec:
            self.columns[column.key].label = self._label(column)
        self._update_title()
        self.refresh()
        self.post_message(self.Sorted())

    def _natural(self, column_key: str) -> bool:
        """Numbers sort biggest first, names A to Z."""
        spec = next(column for column in self.columns_spec if column.key == column_key)
        return spec.numeric

    def _label(self, column: Column) -> Text:
        label = column.label if column.key != self.sort_column else (
            f"{column.label}{'▼' if self.sort_reverse else '▲'}")
        return Text(label, justify="right" if column.numeric else "left", style="bold")

    def action_sort_next(self) -> None:
        keys = [column.key for column in self.columns_spec]
        index = keys.index(self.sort_column) if self.sort_column in keys else -1
        self.sort_by(keys[(index + 1) % len(keys)])

    def action_sort_reverse(self) -> None:
        self.sort_by(self.sort_column or self.columns_spec[0].key, not self.sort_reverse)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        self.sort_by(event.column_key.value)

    def _update_title(self) -> None:
        label = next((c.label for c in self.columns_spec if c.key == self.sort_column), "")
        order = "▼" if self.sort_reverse else "▲"
        title = f"{self.title}{' · ' + self.caption if self.caption else ''}"
        if self.filter_text:
            title += f" · filter “{self.filter_text}” {len(self._rows)}/{len(self._all)}"
        self.border_title = title
        self.border_subtitle = f"sort: {label.lower()} {order} · s/S" if label else ""

    def set_caption(self, caption: str) -> None:
        self.caption = caption
        self._update_title()


def percent_bar(percent: float, style, width: int = 6) -> Text:
    """'███▍   42.1%': a share of the total as a bar and a number."""
    text = Text(" ")
    text.append_text(bar(percent / 100, width, style, None))
    text.pad_right(width + 1 - len(text))
    text.append(f"{percent:6.1f}%")
    return text


class EndpointTable(UsageTable[EndpointUsage]):
    """Endpoint, calls, credits, cost per call and share of the total with a bar."""

    title = "Endpoints"
    default_sort = "credits"

    def __init__(self, *, id: str | None = None) -> None:
        self._metric = "credits"
        self.columns_spec = (
            Column("name", "Endpoint", 16, lambda r: r.name.lower(), lambda r: r.name, numeric=False),
            Column("calls", "Calls", 8, lambda r: r.requests, lambda r: count(r.requests)),
            Column("credits", "Credits", 9, lambda r: r.credits, lambda r: count(r.credits)),
            Column("cost", "Cost/call", 10, lambda r: r.cost_per_call, lambda r: f"{r.cost_per_call:.2f}"),
            Column("share", "% of total", 14, self._share,
                   lambda r: percent_bar(self._share(r), self.get_component_rich_style("usage-table--bar"))),
        )
        super().__init__(id=id)

    def _share(self, row: EndpointUsage) -> float:
        return row.percent_of_credits if self._metric == "credits" else row.percent_of_requests

    @property
    def metric(self) -> str:
        """What the share column is a share of: 'requests' or 'credits'."""
        return self._metric

    @metric.setter
    def metric(self, metric: str) -> None:
        if metric != self._metric:
            self._metric = metric
            self.show_rows(self._all.items())
            if self.sort_column in ("calls", "credits"):
                self.sort_by("calls" if metric == "requests" else "credits", reverse=self.sort_reverse)
            if "share" in self.columns:
                self.columns["share"].label = self._label(self.columns_spec[-1])
                self.refresh()

    def _label(self, column: Column) -> Text:
        if column.key == "share":
            column = replace(column, label="% of reqs" if self._metric == "requests" else "% of credits")
        return super()._label(column)

    def show_endpoints(self, rows: list[EndpointUsage]) -> None:
        self.show_rows((row.slug or "(unmapped)", row) for row in rows)


class KeyTable(UsageTable[KeyUsage]):
    """Masked key, requests, credits, last used and both shares."""

    title = "API keys"
    default_sort = "credits"

    BINDINGS = [Binding("f", "filter_by_key", "Filter by key", tooltip="Narrow the dashboard to this key",
                        id="filter_by_key")]

    class FilterByKey(Message):
        """Narrow the dashboard to this key."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def action_filter_by_key(self) -> None:
        row = self.current_row
        if row is not None:
            self.post_message(self.FilterByKey(row.key))

    def __init__(self, *, now: Callable[[], dt.datetime], tz, id: str | None = None) -> None:
        self._now, self._tz = now, tz
        self.flagged: set[str] = set()
        """Keys flagged as anomalous (credits today far above their 7-day median): ⚑."""
        self.columns_spec = (
            Column("key", "Key", 11, lambda r: r.key, self._key_text, numeric=False),
            Column("requests", "Requests", 9, lambda r: r.requests, lambda r: count(r.requests)),
            Column("credits", "Credits", 9, lambda r: r.credits, lambda r: count(r.credits)),
            Column("last_used", "Last used", 10, lambda r: r.last_used, self._last_used),
            Column("pct_requests", "%req", 7, lambda r: r.percent_of_requests,
                   lambda r: f"{r.percent_of_requests:.1f}%"),
            Column("pct_credits", "%cred", 7, lambda r: r.percent_of_credits,
                   lambda r: f"{r.percent_of_credits:.1f}%"),
        )
        super().__init__(id=id)

    @property
    def metric(self) -> str:
        return "requests" if self.sort_column == "requests" else "credits"

    @metric.setter
    def metric(self, metric: str) -> None:
        """Follow the activity/cost switch when sorted by requests or credits."""
        if self.sort_column in ("requests", "credits") and metric != self.sort_column:
            self.sort_by(metric, reverse=self.sort_reverse)

    def _key_text(self, row: KeyUsage) -> Text:
        text = Text(short_key(row.key))
        if row.key in self.flagged:
            text.append(" ⚑", style="bold red")
        return text

    def _last_used(self, row: KeyUsage) -> str:
        return last_used_text(row.last_used, self._now(), self._tz)

    def show_keys(self, rows: list[KeyUsage]) -> None:
        self.show_rows((row.key, row) for row in rows)
