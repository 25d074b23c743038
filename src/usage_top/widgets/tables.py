"""Sortable usage tables whose rows are keyed and updated in place.

The rows live in a ``VirtualTable`` (``virtual_table.py``): only the lines on
screen are drawn, a refresh redraws only the lines that changed, and sorting and
filtering keep the cursor on the same row key, so tables of 100,000 rows stay
responsive and an unchanged refresh writes nothing to the terminal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from operator import attrgetter
from typing import TypeVar

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from usage_top.domain.format import count, last_used_text, short_key
from usage_top.domain.model import EndpointUsage, KeyUsage
from usage_top.widgets.bars import bar
from usage_top.widgets.virtual_table import Cell, Column, VirtualTable

__all__ = ["Cell", "Column", "EndpointTable", "KeyTable", "UsageTable", "percent_bar"]

Row = TypeVar("Row")

FLAG = " ⚑"
"""After a key flagged as anomalous."""


class UsageTable(VirtualTable[Row]):
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

    COMPONENT_CLASSES = VirtualTable.COMPONENT_CLASSES | {"usage-table--bar"}

    DEFAULT_CSS = """
    UsageTable { border: round $primary-muted; height: 1fr; scrollbar-size-vertical: 1; }
    UsageTable:focus { border: round $primary; }
    UsageTable > .usage-table--bar { color: $primary; }
    """

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


def _endpoint_key(row: EndpointUsage) -> str:
    """An endpoint's row key: its slug, or "(unmapped)" for requests the vendor did not map."""
    return row.slug or "(unmapped)"


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
            Column("name", "Endpoint", 16, lambda r: r.name.lower(), attrgetter("name"), numeric=False),
            Column("calls", "Calls", 8, attrgetter("requests"), lambda r: count(r.requests)),
            Column("credits", "Credits", 9, attrgetter("credits"), lambda r: count(r.credits)),
            Column("cost", "Cost/call", 11, attrgetter("cost_per_call"), lambda r: f"{r.cost_per_call:.2f}"),
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
            self.redraw_rows()
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
        self.show_rows(rows, key=_endpoint_key)


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
        self._flagged: set[str] = set()
        self._haystack_of: dict[str, str] = {}
        """What the filter matches, per key (for the current flags)."""
        self._haystacks_before: tuple[list[str], list[str]] = ([], [])
        """The keys and haystacks of the rows last filtered."""
        self.columns_spec = (
            Column("key", "Key", 11, attrgetter("key"), self._key_text, numeric=False),
            Column("requests", "Requests", 9, attrgetter("requests"), lambda r: count(r.requests)),
            Column("credits", "Credits", 9, attrgetter("credits"), lambda r: count(r.credits)),
            Column("last_used", "Last used", 10, attrgetter("last_used"), self._last_used),
            Column("pct_requests", "%req", 7, attrgetter("percent_of_requests"),
                   lambda r: f"{r.percent_of_requests:.1f}%"),
            Column("pct_credits", "%cred", 7, attrgetter("percent_of_credits"),
                   lambda r: f"{r.percent_of_credits:.1f}%"),
        )
        super().__init__(id=id)

    @property
    def flagged(self) -> set[str]:
        """Keys flagged as anomalous (credits today far above their 7-day median): ⚑."""
        return self._flagged

    @flagged.setter
    def flagged(self, keys: set[str]) -> None:
        if keys != self._flagged:
            self._flagged = set(keys)
            self._haystack_of.clear()
            self._haystacks_before = ([], [])

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
            text.append(FLAG, style="bold red")
        return text

    def haystacks(self) -> list[str]:
        """As the table's, but from the keys alone (the key column shows only the key).

        Shortening and lower-casing 100,000 keys (not ASCII: the bullets) takes longer
        than the rest of a filter, so what each key gives is remembered; and where a key
        kept its place since the rows shown before (most do, from one poll to the next),
        it is taken from there, which costs less than looking the key up.
        """
        keys, (keys_before, before) = self.all_keys(), self._haystacks_before
        if len(self._haystack_of) > 2 * len(keys) + 1024:  # keys come and go: forget the gone
            self._haystack_of.clear()
        haystacks = [hay if key == old else self._haystack(key)
                     for key, old, hay in zip(keys, keys_before, before)]
        haystacks += map(self._haystack, keys[len(haystacks):])
        self._haystacks_before = keys, haystacks
        return haystacks

    def _haystack(self, key: str) -> str:
        """What the filter matches for a key, computed once."""
        known = self._haystack_of.get(key)
        if known is None:
            shown = short_key(key) + FLAG if key in self._flagged else short_key(key)
            known = self._haystack_of[key] = f"{shown}\n{key}".lower()
        return known

    def _last_used(self, row: KeyUsage) -> str:
        return last_used_text(row.last_used, self._now(), self._tz)

    def show_keys(self, rows: list[KeyUsage]) -> None:
        self.show_rows(rows, key=attrgetter("key"))
