"""Sortable usage tables whose rows are keyed and updated in place.

The rows live in a ``VirtualTable`` (``virtual_table.py``): only the lines on
screen are drawn, a refresh redraws only the lines that changed, and sorting and
filtering keep the cursor on the same row key, so tables of 100,000 rows stay
responsive and an unchanged refresh writes nothing to the terminal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import replace
from functools import partial
from itertools import repeat
from operator import attrgetter
from typing import TypeVar

from rich.text import Text
from textual.binding import Binding
from textual.message import Message

from usage_top.domain.capabilities import Capabilities
from usage_top.domain.format import BULLET, key_text, last_used_text, short_key
from usage_top.domain.measures import EST, MISSING, TOKENS, Figures, Measure, UnitKind, share
from usage_top.domain.model import Usage
from usage_top.views.ranges import OTHER_ROW, ratio_of, share_of
from usage_top.widgets.bars import bar
from usage_top.widgets.virtual_table import SEP, Cell, Column, VirtualTable

__all__ = ["Cell", "Column", "ItemTable", "KeyTable", "UsageTable", "percent_bar"]

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


def percent_bar(percent: float | None, style, width: int = 6) -> Text:
    """'███▍   42.1%': a share of the total as a bar and a number ('—' when unknown)."""
    text = Text(" ")
    text.append_text(bar((percent or 0.0) / 100, width, style, None))
    text.pad_right(width + 1 - len(text))
    text.append(f"{percent:6.1f}%" if percent is not None else f"{MISSING:>7}")
    return text


def share_label(measure: Measure) -> str:
    """'% of credits', or '% of reqs' ('% of $ est') where the label would not fit the column."""
    label = f"% of {measure.label.lower()}"
    if len(label) <= 12:
        return label
    short = measure.abbr or measure.label.lower()[:5]
    return f"% of {short}s" if short.isalpha() else f"% of {short}"


def figure_width(measure: Measure, narrow: bool = False) -> int:
    """Room for a figure and the space before it, by its unit: token counts run to
    hundreds of millions a month ('192,004,113'), money to '$12,345.67'; requests and
    credits fit 8 ('1,234,567'), ``narrow`` 7 (a dimension table's activity column);
    an estimate has room for the ' est.' after it."""
    extra = len(EST) + 1 if measure.estimate else 0
    if measure.unit == TOKENS:
        return 12 + extra
    if measure.unit.kind is UnitKind.MONEY:
        return 10 + extra
    return (8 if narrow else 9) + extra


def header(label: str, measure: Measure, width: int) -> str:
    """The label, or '<Abbr> <unit>' ('In tokens') where it and the sort arrow would
    not fit the column."""
    if len(label) + 1 <= width or not measure.abbr:
        return label
    short = f"{measure.abbr.capitalize()} {measure.unit.name}"
    return short if len(short) < len(label) else label


def drop_ranks(capabilities: Capabilities) -> dict[str, int]:
    """Which figure columns give way first in a narrow table (1 first, 0 never): the
    measures that are neither cost nor activity from the last, then the activity
    measure; the primary measure stays. Ranks start at 2: 1 is each table's own."""
    primary, activity = capabilities.primary, capabilities.activity
    others = [m.id for m in capabilities.shown_measures if m.id not in (primary, activity)]
    ranks = {measure_id: 2 + n for n, measure_id in enumerate(reversed(others))}
    return {**ranks, activity: 2 + len(others), primary: 0}


def _figure_column(measure: Measure, label: str, width: int, drop: int) -> Column:
    return Column(measure.id, header(label, measure, width), width, _figure(measure),
                  _figure_text(measure), drop=drop, values=partial(figures_of, measure.id))


def figures_of(measure_id: str, rows: Sequence[Usage]) -> list[float | None]:
    """One measure's figure of every row (None where absent), as ``_figure`` reads one."""
    return [row.figures.get(measure_id) for row in rows]


def _figure(measure: Measure) -> Callable[[Usage], float | None]:
    return lambda row: row.figures.get(measure.id)


def _figure_text(measure: Measure) -> Callable[[Usage], str]:
    return lambda row: measure.text(row.figures)


class FiguresTable(UsageTable[Usage]):
    """A table of usage rows whose shares are of the range's totals.

    The totals come with the rows; shares are computed against them (the vendor's
    totals), not against the listed rows, so a table that lists the top 100 keys
    still says how much of the whole each one is. Where the columns do not fit, the
    lower-ranked ones give way (``drop_ranks``) so names keep 14 cells.
    """

    first_min_width = 14

    def __init__(self, capabilities: Capabilities, *, id: str | None = None) -> None:
        self._capabilities = capabilities
        self.totals: Figures = {}
        """What the shares are of."""
        super().__init__(id=id)

    def cell_context(self) -> Hashable:
        """The cells read the totals (shares) and the metric besides their row."""
        return (tuple(self.totals.items()), self.metric)

    def share_of(self, measure_id: str) -> Callable[[Usage], float | None]:
        return lambda row: share_of(row.figures, self.totals, measure_id)

    def shares_of(self, measure_id: str, rows: Sequence[Usage]) -> Iterator[float | None]:
        """``share_of`` of every row, for sorting."""
        return map(share, figures_of(measure_id, rows), repeat(self.totals.get(measure_id)))

    def show_figures(self, rows: list[Usage], totals: Figures, key: Callable[[Usage], str]) -> None:
        self.totals = totals
        self._other = bool(rows) and rows[-1].id == OTHER_ROW
        self._fit_default_sort(rows)
        self.show_rows(rows, key=key)

    _other = False
    """The last row is the "other" row (what the listed rows leave of the totals)."""

    def _sorted(self, positions):
        """As sorted, the "other" row last whatever the sort: it is the rest, not a rank."""
        ordered = super()._sorted(positions)
        last = len(self._items) - 1
        if not self._other or not ordered or ordered[-1] == last or last not in ordered:
            return ordered
        ordered = list(ordered)
        ordered.remove(last)
        ordered.append(last)
        return ordered

    _fallback = ""
    """The measure sorted by in place of ``default_sort``, which no row has ('' when none)."""

    def _fit_default_sort(self, rows: list[Usage]) -> None:
        """Left on the default sort, but no row has its measure (key rows that have only
        an estimate of the vendor's cost): sort by the first shown measure the rows
        have, those in the default's unit first; back to the default once rows have it."""
        if self.sort_column not in (self.default_sort, self._fallback) or not rows:
            return
        shown = [m for m in self._capabilities.shown_measures if m.id in self.columns]
        unit = self._capabilities.measure(self.default_sort).unit
        candidates = [self.default_sort, *(m.id for m in shown if m.unit == unit),
                      *(m.id for m in shown)]
        chosen = next((measure for measure in candidates
                       if any(measure in row.figures for row in rows)), self.default_sort)
        self._fallback = "" if chosen == self.default_sort else chosen
        if chosen != self.sort_column:
            self.sort_by(chosen, reverse=True)

    @property
    def sort_measure(self) -> str:
        """The sort column, as the measure it stands for (the default for its fallback)."""
        return self.default_sort if self._fallback and self.sort_column == self._fallback else self.sort_column


class ItemTable(FiguresTable):
    """One dimension's items (endpoints, models…): name, figures, ratio, share with a bar.

    ``per_key``: the rows are one key's, so only the measures keys have get a column
    (``Capabilities.per_key``); the dashboard sets it while narrowed to a key."""

    def __init__(self, capabilities: Capabilities, *, per_key: bool = False, id: str | None = None) -> None:
        self._whole, self._per_key = capabilities, per_key
        if per_key:
            capabilities = capabilities.per_key()
        dimension = capabilities.dimension
        self.kind = dimension.kind if dimension else ""
        self.title = dimension.plural if dimension else "Breakdown"
        self._metric = self.default_sort = capabilities.primary
        self.columns_spec = self._columns(capabilities)
        super().__init__(capabilities, id=id)

    def _columns(self, capabilities: Capabilities) -> tuple[Column, ...]:
        dimension = capabilities.dimension
        label = dimension.label if dimension else "Item"
        ranks = drop_ranks(capabilities)
        figures = tuple(
            _figure_column(m, capabilities.labels.get(m.id, m.label),
                           figure_width(m, narrow=m.id == capabilities.activity), ranks[m.id])
            for m in capabilities.shown_measures
        )
        ratio = capabilities.ratio
        extra = (Column("ratio", ratio.label, 11, self._ratio, self._ratio_text, drop=1,
                        values=self._ratios),) if ratio else ()
        return (
            Column("name", label, 16, lambda r: r.name.lower(), _NAME, numeric=False,
                   values=lambda rows: map(str.lower, map(_NAME, rows))),
            *figures,
            *extra,
            Column("share", "% of total", 14, self._share,
                   lambda r: percent_bar(self._share(r), self.get_component_rich_style("usage-table--bar")),
                   values=lambda rows: self.shares_of(self._metric, rows)),
        )

    @property
    def per_key(self) -> bool:
        """The rows are one key's: the columns are the measures keys have."""
        return self._per_key

    @per_key.setter
    def per_key(self, per_key: bool) -> None:
        if per_key == self._per_key:
            return
        by_primary = self.sort_measure == self._capabilities.primary
        self._per_key = per_key
        self._capabilities = caps = self._whole.per_key() if per_key else self._whole
        self._metric = caps.own_metric(self._metric)
        self.default_sort, self._fallback = caps.primary, ""
        self.replace_columns(self._columns(caps))
        if by_primary or self._spec(self.sort_column) is None:
            self.sort_by(caps.primary, reverse=True)

    def _share(self, row: Usage) -> float | None:
        return share_of(row.figures, self.totals, self._metric)

    def _ratio(self, row: Usage) -> float | None:
        return ratio_of(self._capabilities.ratio, row.figures)

    def _ratios(self, rows: Sequence[Usage]) -> Iterator[float | None]:
        return map(ratio_of, repeat(self._capabilities.ratio), map(_FIGURES, rows))

    def _ratio_text(self, row: Usage) -> str:
        ratio, value = self._capabilities.ratio, self._ratio(row)
        text = MISSING if value is None else f"{value:.{ratio.digits}f}"
        return self._capabilities.measure(ratio.numerator).labelled(text, value)

    @property
    def metric(self) -> str:
        """The measure the share column is a share of (the cost or the activity measure)."""
        return self._metric

    @metric.setter
    def metric(self, metric: str) -> None:
        metric = self._capabilities.own_metric(metric)
        if metric != self._metric:
            self._metric = metric
            self.redraw_rows()
            if self.sort_measure in (self._capabilities.primary, self._capabilities.activity):
                self.sort_by(self._fallback if metric == self.default_sort and self._fallback
                             else metric, reverse=self.sort_reverse)
            if "share" in self.columns:
                self.columns["share"].label = self._label(self.columns_spec[-1])
                self.refresh()

    def _label(self, column: Column) -> Text:
        if column.key == "share":
            column = replace(column, label=share_label(self._capabilities.measure(self._metric)))
        return super()._label(column)

    def show_items(self, rows: list[Usage], totals: Figures) -> None:
        self.show_figures(rows, totals, _item_key)

    def haystacks(self) -> list[str]:
        """As the table's (the name and the key), in one pass over the rows: at 100,000
        rows each pass costs more than the text it builds."""
        return [f"{row.name}\n{row.id or UNMAPPED}".lower() for row in self._items]

    def filter_lines(self) -> list[str]:
        """As the table's (the name and the key), read from the rows in one pass."""
        return [f"{row.name}{SEP}{row.id or UNMAPPED}" for row in self._items]


UNMAPPED = "(unmapped)"
"""The row key of usage the vendor did not map to an item."""

_NAME, _FIGURES = attrgetter("name"), attrgetter("figures")


def _item_key(row: Usage) -> str:
    """An item's row key: its id, or ``UNMAPPED``."""
    return row.id or UNMAPPED


class KeyTable(FiguresTable):
    """Key, figures, last used and the shares of the activity and cost measures."""

    title = "API keys"
    first_min_width = 10
    """A masked key and its flag ('0••••f39 ⚑'); more for named keys (``show_keys``)."""
    NAME_ROOM = 14
    """At most this much room is kept for key names before other columns give way."""

    BINDINGS = [Binding("f", "filter_by_key", "Filter by key", tooltip="Narrow the dashboard to this key",
                        id="filter_by_key")]

    class FilterByKey(Message):
        """Narrow the dashboard to this key."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def action_filter_by_key(self) -> None:
        row = self.current_row
        if row is not None and row.id != OTHER_ROW:
            self.post_message(self.FilterByKey(row.id))

    def __init__(self, capabilities: Capabilities, *, now: Callable[[], dt.datetime], tz,
                 id: str | None = None) -> None:
        capabilities = capabilities.per_key()
        self._now, self._tz = now, tz
        self.default_sort = capabilities.primary
        self._flagged: set[str] = set()
        self._haystack_of: dict[str, str] = {}
        """What the filter matches, per key (for the current flags)."""
        self._haystacks_before: tuple[list[str], list[str]] = ([], [])
        """The keys and haystacks of the rows last filtered."""
        shared = [capabilities.measure(m) for m in (capabilities.activity, capabilities.primary)]
        # Narrow: a last use the vendor does not report goes first, then the activity
        # share, the other measures, last used, the activity measure, the cost share;
        # the cost stays.
        ranks = {m: 2 * rank for m, rank in drop_ranks(capabilities).items()}
        top = max(ranks.values())
        last_used = top - 1 if ranks[capabilities.activity] else top + 1
        first = 1  # the activity share's rank (2*rank leaves 1 to 3 free)
        if not capabilities.key_last_used:
            last_used, first = 1, 2
        self.columns_spec = (
            Column("key", "Key", 11, attrgetter("id"), self._key_text, numeric=False),
            *(_figure_column(m, m.label, figure_width(m), ranks[m.id]) for m in capabilities.shown_measures),
            Column("last_used", "Last used", 10, attrgetter("last_used"), self._last_used, drop=last_used),
            *(Column(f"pct_{m.id}", f"%{m.abbr or m.label.lower()}", 7, self.share_of(m.id),
                     self._percent_text(m.id), drop=rank, values=partial(self.shares_of, m.id))
              for m, rank in zip(shared, (first, top + 2))),
        )
        super().__init__(capabilities, id=id)

    def _percent_text(self, measure_id: str) -> Callable[[Usage], str]:
        of = self.share_of(measure_id)

        def text(row: Usage) -> str:
            value = of(row)
            return MISSING if value is None else f"{value:.1f}%"
        return text

    @property
    def flagged(self) -> set[str]:
        """Keys flagged as anomalous (the cost measure today far above their 7-day median): ⚑."""
        return self._flagged

    @flagged.setter
    def flagged(self, keys: set[str]) -> None:
        if keys != self._flagged:
            self._flagged = set(keys)
            self._haystack_of.clear()
            self._haystacks_before = ([], [])

    @property
    def metric(self) -> str:
        activity = self._capabilities.activity
        return activity if self.sort_column == activity else self._capabilities.primary

    @metric.setter
    def metric(self, metric: str) -> None:
        """Follow the activity/cost switch when sorted by one of those two measures."""
        metric = self._capabilities.own_metric(metric)
        pair = (self._capabilities.activity, self._capabilities.primary)
        if self.sort_measure in pair and metric != self.sort_measure:
            target = self._fallback if metric == self.default_sort and self._fallback else metric
            self.sort_by(target, reverse=self.sort_reverse)

    def _key_text(self, row: Usage) -> Text:
        room = self.columns["key"].width - (len(FLAG) if row.id in self.flagged else 0)
        text = Text(key_text(row, room))
        if row.id in self.flagged:
            text.append(FLAG, style="bold red")
        return text

    _keys_only = False
    """The filter is a substring without a bullet, a space or a flag: it matches a key's
    short form ('0••••f39 ⚑') only where it matches the key, so only the keys and their
    names are searched."""

    def set_filter(self, text: str) -> str | None:
        needle = text.strip()
        keys_only = not needle.startswith("re:") and not any(c in needle for c in f"{BULLET} {FLAG}")
        if keys_only != self._keys_only:
            self._keys_only = keys_only
            self._text = None  # the other kind of text
        return super().set_filter(text)

    def filter_lines(self) -> Iterable[str] | None:
        """Per key, its name (where it has one) and the key (``_keys_only``), else None.

        A short form's text without bullets is the start or the end of the key, and the
        flag begins with a space, so a substring with neither matches a short form only
        where it matches its key: the common filter then searches the names and keys,
        read in one pass, in one text. Otherwise the full text of each key is built.
        """
        if not self._keys_only:
            return None
        return [row.id if row.name == row.id or not row.name else f"{row.name}{SEP}{row.id}"
                for row in self._items]

    def haystacks(self) -> list[str]:
        """Per key, what the key column may show of it, lower-cased: its name where it
        has one, then its short form (flagged or not) and the key (``_haystack``)."""
        keys = self.all_keys()
        return [hay if not name or name == key else f"{name.lower()}\n{hay}"
                for hay, key, name in zip(self._short_haystacks(keys), keys, map(_NAME, self._items))]

    def _short_haystacks(self, keys: list[str]) -> list[str]:
        """Per key, its short form (flagged or not) and the key, lower-cased.

        Shortening and lower-casing 100,000 keys (not ASCII: the bullets) takes longer
        than the rest of a filter, so what each key gives is remembered; and where a key
        kept its place since the rows shown before (most do, from one poll to the next),
        it is taken from there, which costs less than looking the key up.
        """
        keys_before, before = self._haystacks_before
        if keys == keys_before:
            return before
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

    def cell_context(self) -> Hashable:
        """Also the flags and the day ('14:02' today, 'Nov 19' before: ``last_used_text``)."""
        return (super().cell_context(), frozenset(self._flagged),
                self._now().astimezone(self._tz).date())

    def _last_used(self, row: Usage) -> str:
        if not self._capabilities.key_last_used or row.id == OTHER_ROW:
            return MISSING
        return last_used_text(row.last_used, self._now(), self._tz)

    def show_keys(self, rows: list[Usage], totals: Figures) -> None:
        self.show_figures(rows, totals, attrgetter("id"))
        # Named keys ('prod-chat') want more room than masked ones: measured on the
        # top rows only (a table can hold 100,000 keys; the top ones are on screen).
        named = [len(row.name) for row in rows[:200] if row.name and row.name != row.id]
        room = min(max(named, default=0), self.NAME_ROOM)
        wanted = max(type(self).first_min_width, room)
        if wanted != self.first_min_width:
            self.first_min_width = wanted
            self.fit_columns()
