"""A virtualised, keyed, sortable and filterable table: only the visible rows are drawn.

Textual's ``DataTable`` builds renderables for, and measures, every cell of every
row it is given, and removes rows one at a time: ten thousand rows take seconds
to show and minutes to filter. This table keeps the rows as they come and the
display order (positions into them), and turns a row into cells and cells into a
line only when that line is on screen (``render_line``). It reads from the rows
only what it needs, when it needs it (the sort column's values, the keys, the
filter's text), as each pass over 100,000 row objects costs tens of ms: showing,
sorting and updating is then one pass plus a sort, filtering two passes, and a
refresh repaints only the lines whose content changed, which is what costs bytes
over SSH: with unchanged data, nothing.

It has the API the usage tables had on top of ``DataTable`` (``show_rows``,
``sort_by``, ``set_filter``, ``current_row``, ``row_for_key``, ``visible_rows``,
``set_caption``, ``metric``) and the parts of ``DataTable``'s that the app and its
tests use (``row_count``, ``cursor_row``, ``move_cursor``, ``get_row_index``,
``get_cell``, ``coordinate_to_cell_key``, ``columns``), and it draws like a
``DataTable`` with ``cursor_type="row"``, ``cell_padding=0`` and no zebra stripes.
``RowSelected`` and ``RowHighlighted`` keep ``DataTable``'s handler names
(``on_data_table_row_selected``) and attributes (``data_table``, ``cursor_row``,
``row_key.value``), so screens written for the ``DataTable`` version need no change.

Columns are ``Column`` objects (key, label, width, how to read, show and sort a
row); the first column takes the width the others leave.
"""

from __future__ import annotations

import operator
import re
from array import array
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from itertools import compress, repeat
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar

from rich.console import RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from usage_top.widgets.ordering import compact, in_order, rows_containing, sort_positions
from usage_top.widgets.redraw import strip_spans

Row = TypeVar("Row")

HEADER = -1
"""The row index of the header line (as in ``DataTable``)."""

NEARBY = 64
"""How many rows either side of its old place a row is looked for after a refresh."""

SEP = "\0"
"""Between the texts of one row's filter line (``filter_lines``): a needle matches one of
them, never across (a needle with it in is matched against the ``haystacks``)."""


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
    drop: int = 0
    """When the table is too narrow, columns give way in this order (1 first); 0 never."""
    values: Callable[[Sequence[Row]], Iterable[Any]] | None = None
    """Reads ``value`` of every row at once, faster than row by row (one pass in C, no
    call per row); None: ``value`` is called for each row."""

    def cell(self, row: Row) -> Cell:
        shown = self.show(row)
        text = shown if isinstance(shown, Text) else Text(shown)
        text.justify = "right" if self.numeric else "left"
        text.no_wrap = True
        text.overflow = "ellipsis"
        value = self.value(row)
        return Cell(value=(value is None, value), text=text)


@dataclass(frozen=True)
class RowKey:
    """A row's key, as ``DataTable`` events carry it: the string is ``.value``."""

    value: str


@dataclass(frozen=True)
class ColumnKey:
    value: str


class _Drawn(NamedTuple):
    """A row's line as last drawn, and what it was drawn from."""

    row: Any
    cells: tuple
    state: tuple
    """Cursor, hover, base style and width: the line's look."""
    strip: Strip
    generation: int
    """The data generation the cells were computed in."""
    segments: tuple
    """Each cell's segments: a row whose figures changed draws its changed cells only."""
    context: Hashable
    """``cell_context()`` when the cells were computed."""


class CellKey(NamedTuple):
    row_key: RowKey
    column_key: ColumnKey


@dataclass
class ColumnState:
    """A shown column: its header label and width (both may change)."""

    key: str
    label: Text
    width: int


_OUT_OF_BOUNDS = Style.from_meta({"column": 0, "out_of_bounds": True})


@lru_cache(maxsize=64)
def _column_meta(column_index: int) -> Style:
    return Style.from_meta({"column": column_index})


class VirtualTable(ScrollView, Generic[Row], can_focus=True):
    """Rows keyed by a string, shown in sort order, filtered, drawn on demand.

    Subclasses set ``columns_spec`` (a tuple of ``Column``), ``default_sort`` (a
    column key) and ``title``. Numbers sort biggest first, names A to Z; sorting
    and updates keep the cursor on the same row key. A filter (substring, or a
    regular expression after ``re:``) matches the first column's text and the
    row key.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Select", show=False),
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+home,home", "scroll_top", "Top", show=False),
        Binding("ctrl+end,end", "scroll_bottom", "Bottom", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        # The ids are those of the usage tables' bindings, so that a keymap (which
        # remaps by id) moves these too when a subclass re-declares them.
        Binding("s", "sort_next", "Sort column", tooltip="Sort by the next column", id="sort_next"),
        Binding("S", "sort_reverse", "Reverse sort", tooltip="Reverse the sort order",
                id="sort_reverse"),
        Binding("slash", "start_filter", "Filter", key_display="/", tooltip="Filter rows", id="filter"),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear_filter"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "virtual-table--header",
        "virtual-table--cursor",
        "virtual-table--hover",
        "virtual-table--header-hover",
    }

    DEFAULT_CSS = """
    VirtualTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .virtual-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .virtual-table--header {
                background-tint: $foreground 5%;
            }
        }
        & > .virtual-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .virtual-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .virtual-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .virtual-table--header-hover {
            background: $accent 30%;
        }
        & > .virtual-table--hover {
            background: $block-hover-background;
        }
    }
    """

    # Messages. RowSelected and RowHighlighted use DataTable's names and fields.

    class _RowMessage(Message):
        """A row event, with DataTable's fields so handlers work with either table."""

        def __init__(self, data_table: VirtualTable, cursor_row: int, row_key: RowKey) -> None:
            super().__init__()
            self.data_table = data_table
            self.cursor_row = cursor_row
            self.row_key = row_key

        @property
        def control(self) -> VirtualTable:
            return self.data_table

    class RowSelected(_RowMessage, namespace="data_table"):
        """Enter (or a click on the highlighted row): handled as ``on_data_table_row_selected``."""

    class RowHighlighted(_RowMessage, namespace="data_table"):
        """The cursor moved to another row: ``on_data_table_row_highlighted``."""

    class Sorted(Message):
        """The sort column or direction changed."""

    class FilterRequested(Message):
        """The user asked to type a filter for this table."""

        def __init__(self, table: VirtualTable) -> None:
            super().__init__()
            self.table = table

    title = "Table"
    columns_spec: tuple[Column, ...] = ()
    default_sort = ""
    first_min_width = 0
    """Columns with a ``drop`` rank give way until the first column has this much room."""

    cursor_row: reactive[int] = reactive(0, repaint=False, always_update=False)
    """Index (in the shown order) of the row under the cursor."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.sort_column = self.default_sort
        self.sort_reverse = True
        self.caption = ""
        self.filter_text = ""
        self._matches: str | Callable[[list[str]], Iterable[Any]] | None = None
        """The filter: a lower-cased needle, or which of the haystacks pass it (one truth
        value each); None without a filter."""
        # The rows as given, read only as much as what is shown needs: at 100,000 rows
        # every pass over the row objects costs tens of milliseconds (memory, not code).
        self._items: Sequence[Row] = ()
        self._key_of: Callable[[Row], str] | None = None
        """Reads a row's key; None when keys were given apart from the rows."""
        self._keys: list[str] | None = []
        """The key of every row, in the order given; None until first needed."""
        self._values: dict[str, list[Any]] = {}
        """Sort values of every row, per column key, read when first sorted by."""
        self._haystacks: list[str] | None = None
        """Per row, what a filter matches, built when first filtered."""
        self._joined: tuple[str, str] = ("", "")
        """The rows' filter lines last joined, and the same lower-cased (``_text``)."""
        self._text: str | None = None
        """The filter lines of the rows held, joined and lower-cased; None until needed."""
        self._kept: Sequence[int] = range(0)
        """Positions (in ``_items``) of the rows that pass the filter, in the order given."""
        self._shown: Sequence[int] = range(0)
        """The same positions in display order."""
        self.all_columns: tuple[Column, ...] = self.columns_spec
        """Every column the table can show; ``columns_spec`` holds those that fit."""
        self.columns: dict[str, ColumnState] = {
            column.key: ColumnState(column.key, self._label(column), column.width)
            for column in self.columns_spec
        }
        self._lines: dict[str, _Drawn] = {}
        """Per row key: its line as last drawn."""
        self._cells_context: Hashable = None
        """``cell_context()`` as of the last show."""
        self._frame_style: Style | None = None
        """The widget's style while Textual renders a frame of it (resolved once)."""
        self._painted: dict[int, Strip] = {}
        """What ``render_line`` last returned for each line on screen."""
        self._generation = 0
        """Bumped by every ``show_rows`` and filter: cells are computed again."""
        self._hover_row: int | None = None
        self._show_hover = False
        self._pseudo_state: Any = None

    # ----------------------------------------------------------------- layout

    def on_mount(self) -> None:
        self._update_title()
        self._update_virtual_size()

    def on_resize(self) -> None:
        self.fit_columns()

    @property
    def fixed_width(self) -> int:
        """Cells used by every column but the first (which takes what is left)."""
        return sum(column.width for column in self.columns_spec[1:])

    def fit_columns(self) -> None:
        """Give the first column the width the others leave, so nothing scrolls sideways."""
        if not self.columns_spec:
            return
        # Border and a cell for the scrollbar are always reserved, so the width does
        # not depend on whether the rows happen to overflow at this moment.
        inner = self.size.width - self.styles.gutter.width - 1 - 1
        if self.size.width:
            self._choose_columns(inner)
        first = self.columns_spec[0]
        available = inner - self.fixed_width
        width = max(first.width, available)
        column = self.columns.get(first.key)
        if column is None or column.width == width:
            return
        column.width = width
        self._clear_caches()
        self._update_virtual_size()
        self.refresh()

    def _choose_columns(self, inner: int) -> None:
        """Leave out the lowest-ranked columns while the first would get less than
        ``first_min_width``; the sort falls back to the default if its column went."""
        shown = list(self.all_columns)
        for column in sorted((c for c in shown[1:] if c.drop), key=operator.attrgetter("drop")):
            if inner - sum(c.width for c in shown[1:]) >= self.first_min_width:
                break
            shown.remove(column)
        if tuple(shown) == self.columns_spec:
            return
        self.columns_spec = tuple(shown)
        self.columns = {c.key: self.columns.get(c.key) or ColumnState(c.key, self._label(c), c.width)
                        for c in shown}
        self._clear_caches()
        self._update_virtual_size()
        if self._spec(self.sort_column) is None:
            self.sort_by(self.default_sort, reverse=True)
        self.refresh()

    def replace_columns(self, spec: tuple[Column, ...]) -> None:
        """Show another set of columns (the same rows); those that do not fit give way."""
        self.all_columns = self.columns_spec = spec
        self.columns = {c.key: ColumnState(c.key, self._label(c), c.width) for c in spec}
        self._forget_values()
        self._clear_caches()
        self.fit_columns()
        self._update_virtual_size()
        self.refresh()

    @property
    def table_width(self) -> int:
        return sum(column.width for column in self.columns.values())

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.table_width, 1 + len(self._shown))

    # ------------------------------------------------------------------- rows

    @property
    def row_count(self) -> int:
        """How many rows are shown (after the filter)."""
        return len(self._shown)

    def _key(self, position: int) -> str:
        """The key of the row at a position (in the order given)."""
        if self._keys is not None:
            return self._keys[position]
        return self._key_of(self._items[position])

    def all_keys(self) -> list[str]:
        """The key of every row, shown or not, in the order given."""
        if self._keys is None:
            self._keys = list(map(self._key_of, self._items))
        return self._keys

    def _find(self, key: str, near: int = 0) -> int | None:
        """Position of a key among all rows (shown or filtered out), or None.

        Rows mostly keep their place from one refresh to the next, so the rows around
        ``near`` are looked at first: reading the keys of 100,000 rows to put the
        cursor back would cost more than the rest of a refresh.
        """
        if near < len(self._items) and self._key(near) == key:
            return near  # the same rows (a sort, a filter), or the row did not move
        if self._keys is None:
            start = max(0, near - NEARBY)
            nearby = self._items[start:near + NEARBY]
            try:
                return start + operator.indexOf(map(self._key_of, nearby), key)
            except ValueError:
                pass
        try:
            return self.all_keys().index(key)
        except ValueError:
            return None

    def row_for_key(self, key: str) -> Row | None:
        """The shown row with this key, or None."""
        position = self._find(key)
        if position is None or self._index_of(position) is None:
            return None
        return self._items[position]

    @property
    def current_row(self) -> Row | None:
        """The row under the cursor."""
        if 0 <= self.cursor_row < len(self._shown):
            return self._items[self._shown[self.cursor_row]]
        return None

    def visible_rows(self) -> list[Row]:
        """The rows as shown: filtered, in the current sort order."""
        return list(map(self._items.__getitem__, self._shown))

    def show_rows(self, rows: Iterable[tuple[str, Row]] | Sequence[Row],
                  key: Callable[[Row], str] | None = None) -> None:
        """Make the table show ``rows``; only lines whose content changed are redrawn.

        ``rows`` are (key, row) pairs or, with ``key`` (which reads a row's key), the
        rows themselves, kept as given (do not change the sequence afterwards). The
        latter is what makes 100,000 rows fast: nothing then reads every row but the
        sort column, once, and the filter text while a filter is set.
        """
        anchor = self._cursor_anchor()
        if key is None:
            pairs = list(rows)
            self._keys = [row_key for row_key, _ in pairs]
            self._items = [row for _, row in pairs]
        else:
            self._items, self._keys = rows, None
        self._key_of = key
        self._forget_values()
        self._show(anchor)

    def redraw_rows(self) -> None:
        """Show the same rows again, for when what they show or sort by changed (a metric)."""
        self._forget_values()
        self._show(self._cursor_anchor())

    def _forget_values(self) -> None:
        """Forget what was read from the rows: they changed, or show differently."""
        self._values = {}
        self._haystacks = None
        self._text = None

    def _filter(self) -> Sequence[int]:
        """Positions of the rows that pass the filter, in the order given (a ``range``
        with no filter: nothing to build, and ``index`` is arithmetic)."""
        if self._matches is None:
            return range(len(self._items))
        if isinstance(self._matches, str):
            kept = self._containing(self._matches)
            if kept is not None:
                return kept
            needle = self._matches
            self._matches = lambda haystacks: map(operator.contains, haystacks, repeat(needle))  # noqa: E731
        if self._haystacks is None:
            self._haystacks = self.haystacks()
        return array("q", compress(range(len(self._haystacks)), self._matches(self._haystacks)))

    def filter_lines(self) -> Iterable[str] | None:
        """What a substring filter matches, one line per row in the order given: the
        first column's text and the key, apart by ``SEP``; None: match ``haystacks``
        instead. Subclasses that know a faster way to read them override it."""
        texts = map(str, map(self.columns_spec[0].show, self._items))
        return map(SEP.join, zip(texts, self.all_keys()))

    def _containing(self, needle: str) -> Sequence[int] | None:
        """Positions of the rows whose filter line contains ``needle`` (lower-cased),
        found in all the lines joined into one text: no string, and no call, per row;
        None where that cannot tell (no lines; a line break or ``SEP`` in the needle,
        which would reach across what the haystacks keep apart; a line break in a line).

        The rows are new objects after every poll but their text mostly is not, so the
        lower-cased text is kept while the joined lines stay the same.
        """
        if self._text is None:
            lines = None if "\n" in needle or SEP in needle else self.filter_lines()
            if lines is None:
                return None
            joined = "\n".join(lines)
            if joined != self._joined[0]:
                self._joined = (joined, joined.lower())
            text = self._joined[1]
            if text.count("\n") != max(0, len(self._items) - 1):
                return None  # a line break inside a line: rows cannot be told apart
            self._text = text
        return rows_containing(self._text, needle)

    def haystacks(self) -> list[str]:
        """What a filter matches in each row (in the order given), lower-cased: the first
        column's text and the key, on two lines. Read only once a filter is set, as it
        turns every row into text; subclasses may know a faster way."""
        texts = map(str, map(self.columns_spec[0].show, self._items))
        return list(map(str.lower, map("\n".join, zip(texts, self.all_keys()))))

    def set_filter(self, text: str) -> str | None:
        """Show only matching rows; returns an error for a bad regular expression."""
        text = text.strip()
        if not text:
            matches = None
        elif text.startswith("re:"):
            try:
                pattern = re.compile(text[3:], re.IGNORECASE)
            except re.error as exc:
                return f"bad regular expression: {exc}"
            matches = partial(map, pattern.search)
        else:
            matches = text.lower()  # a needle: searched for in the rows' joined text
        anchor = self._cursor_anchor()
        self._matches = matches
        self.filter_text = text
        self._show(anchor)
        self._update_title()
        return None

    def cell_context(self) -> Hashable:
        """What the cells read besides their row (the totals shares are of, the day):
        a row equal to one drawn in the same context keeps its line, without its cells
        being formatted again to compare (a poll gives every row as a new object, most
        of them equal). None, the default: every show formats the rows on screen."""
        return None

    def _show(self, anchor: tuple[str, int] | None) -> None:
        """Filter, sort and draw the rows now held, the cursor on ``anchor``'s row if shown."""
        self._generation += 1  # the same row objects may show differently (a metric, the time)
        self._cells_context = self.cell_context()
        self._kept = self._filter()
        self._shown = self._sorted(self._kept)
        self._update_virtual_size()
        self._restore_cursor(anchor)
        self._repaint_changed()
        if self.filter_text:
            self._update_title()  # the match count

    def _sorted(self, positions: Sequence[int]) -> Sequence[int]:
        """``positions`` in the order of the sort column (stable: ties keep the given order)."""
        spec = self._spec(self.sort_column)
        if spec is None or len(positions) < 2:
            return positions
        values = self._values.get(spec.key)
        if values is None:
            read = self._column_values(spec)
            # Kept as machine numbers where they are (``compact``): a list of 100,000
            # numbers is walked by the garbage collector's next passes, ~10-20 ms each.
            values = self._values[spec.key] = compact(read)
            if isinstance(positions, range) and in_order(read, self.sort_reverse):
                return positions  # rows often come in the table's order (the store sorts too)
        elif isinstance(positions, range) and in_order(values, self.sort_reverse):
            return positions
        return sort_positions(positions, values, self.sort_reverse)

    def _column_values(self, spec: Column) -> list[Any]:
        """What a column sorts the rows by, read from every row once."""
        return list(map(spec.value, self._items) if spec.values is None else spec.values(self._items))

    def _spec(self, column_key: str) -> Column | None:
        return next((column for column in self.columns_spec if column.key == column_key), None)

    # ----------------------------------------------------------------- cursor

    def _key_at(self, index: int) -> str:
        """Key of the row at an index of the shown order."""
        return self._key(self._shown[index])

    def _cursor_anchor(self) -> tuple[str, int] | None:
        """The key and position of the row under the cursor, to put it back after a change."""
        if 0 <= self.cursor_row < len(self._shown):
            position = self._shown[self.cursor_row]
            return self._key(position), position
        return None

    def _cursor_key(self) -> str | None:
        anchor = self._cursor_anchor()
        return None if anchor is None else anchor[0]

    def _restore_cursor(self, anchor: tuple[str, int] | None) -> None:
        """Put the cursor back on the anchor's row if it is still shown, else keep it in range."""
        index = None
        if anchor is not None:
            key, near = anchor
            index = self._shown_index(key, near)
        self.move_cursor(row=self.cursor_row if index is None else index)

    def _shown_index(self, key: str, near: int = 0) -> int | None:
        """Index of a key in the shown order, or None."""
        position = self._find(key, near)
        return None if position is None else self._index_of(position)

    def _index_of(self, position: int) -> int | None:
        """Index of a row position in the shown order (a scan at worst: a few ms at
        100,000 rows, cheaper than keeping an index up to date for one look-up)."""
        try:
            return self._shown.index(position)
        except ValueError:
            return None

    def get_row_index(self, row_key: str | RowKey) -> int:
        """Index of a row in the shown order; ``KeyError`` if it is not shown."""
        key = row_key.value if isinstance(row_key, RowKey) else row_key
        index = self._shown_index(key)
        if index is None:
            raise KeyError(key)
        return index

    def move_cursor(self, *, row: int | None = None, column: int | None = None,
                    animate: bool = False, scroll: bool = True) -> None:
        """Move the cursor to a row index (``column`` is accepted for DataTable parity)."""
        if row is not None:
            self.cursor_row = row
        if scroll:
            self._scroll_cursor_into_view()

    def validate_cursor_row(self, row: int) -> int:
        return max(0, min(row, len(self._shown) - 1))

    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)
        self._scroll_cursor_into_view()
        key = self._cursor_key()
        if key is not None and old != new:
            self.post_message(self.RowHighlighted(self, new, RowKey(key)))

    def _scroll_cursor_into_view(self) -> None:
        """Scroll so the cursor row shows below the header: now, and again once the
        layout has caught up with rows just shown (the widget may not have grown yet)."""
        if not self.is_mounted:
            return
        self._scroll_now()
        self.call_after_refresh(self._scroll_now)

    def _scroll_now(self) -> None:
        height = self.scrollable_content_region.height - 1  # below the header
        if height <= 0:
            return
        top = round(self.scroll_y)
        row = self.cursor_row
        # force: the scrollbars may not be laid out yet for rows just shown
        if row < top:
            self.scroll_to(y=row, animate=False, force=True)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False, force=True)

    def coordinate_to_cell_key(self, coordinate: tuple[int, int]) -> CellKey:
        """The keys of the cell at (row index, column index), as ``DataTable`` has it."""
        row, column = coordinate
        if not 0 <= row < len(self._shown):
            raise IndexError(f"no row {row}")
        return CellKey(RowKey(self._key_at(row)), ColumnKey(self.columns_spec[column].key))

    def get_row_at(self, row_index: int) -> list[Cell]:
        """The cells of the row at an index in the shown order."""
        if not 0 <= row_index < len(self._shown):
            raise IndexError(f"no row {row_index}")
        row = self._items[self._shown[row_index]]
        return [column.cell(row) for column in self.columns_spec]

    def get_cell(self, row_key: str | RowKey, column_key: str | ColumnKey) -> Cell:
        """The cell (value and text) of a shown row in a column."""
        key = row_key.value if isinstance(row_key, RowKey) else row_key
        name = column_key.value if isinstance(column_key, ColumnKey) else column_key
        row = self.row_for_key(key)
        if row is None:
            raise KeyError(key)
        spec = self._spec(name)
        if spec is None:
            raise KeyError(name)
        return spec.cell(row)

    # ---------------------------------------------------------------- sorting

    def sort_by(self, column_key: str, reverse: bool | None = None) -> None:
        """Sort by a column; the same column again flips the direction."""
        if reverse is None:
            reverse = not self.sort_reverse if column_key == self.sort_column else self._natural(column_key)
        self.sort_column, self.sort_reverse = column_key, reverse
        anchor = self._cursor_anchor()
        self._shown = self._sorted(self._kept)
        self._restore_cursor(anchor)
        for column in self.columns_spec:
            self.columns[column.key].label = self._label(column)
        self._update_title()
        self.refresh()
        self.post_message(self.Sorted())

    def _natural(self, column_key: str) -> bool:
        """Numbers sort biggest first, names A to Z."""
        spec = self._spec(column_key)
        return spec.numeric if spec is not None else True

    def _label(self, column: Column) -> Text:
        label = column.label if column.key != self.sort_column else (
            f"{column.label}{'▼' if self.sort_reverse else '▲'}")
        return Text(label, justify="right" if column.numeric else "left", style="bold")

    @property
    def metric(self) -> str:
        """What the table counts ('requests' or 'credits'); subclasses act on a change."""
        return getattr(self, "_metric", "credits")

    @metric.setter
    def metric(self, metric: str) -> None:
        self._metric = metric

    # ----------------------------------------------------------------- titles

    def _update_title(self) -> None:
        label = next((c.label for c in self.columns_spec if c.key == self.sort_column), "")
        order = "▼" if self.sort_reverse else "▲"
        title = f"{self.title}{' · ' + self.caption if self.caption else ''}"
        if self.filter_text:
            title += f" · filter “{self.filter_text}” {len(self._shown)}/{len(self._items)}"
        subtitle = f"sort: {label.lower()} {order} · s/S" if label else ""
        # Setting a border title repaints the whole widget: only when it changed.
        if title != getattr(self, "_shown_title", None):
            self._shown_title = title
            self.border_title = title
        if subtitle != getattr(self, "_shown_subtitle", None):
            self._shown_subtitle = subtitle
            self.border_subtitle = subtitle

    def set_caption(self, caption: str) -> None:
        self.caption = caption
        self._update_title()

    # ---------------------------------------------------------------- actions

    def action_sort_next(self) -> None:
        keys = [column.key for column in self.columns_spec]
        index = keys.index(self.sort_column) if self.sort_column in keys else -1
        self.sort_by(keys[(index + 1) % len(keys)])

    def action_sort_reverse(self) -> None:
        self.sort_by(self.sort_column or self.columns_spec[0].key, not self.sort_reverse)

    def action_start_filter(self) -> None:
        self.post_message(self.FilterRequested(self))

    def action_clear_filter(self) -> None:
        if not self.filter_text:
            raise SkipAction()  # nothing to clear: let Esc mean what it means around us
        self.set_filter("")

    def _hide_hover(self) -> None:
        """The keyboard moves the cursor: the mouse's row is no longer highlighted."""
        if self._show_hover:
            self._show_hover = False
            self._refresh_row(self._hover_row)

    def action_cursor_up(self) -> None:
        self._hide_hover()
        self.cursor_row -= 1

    def action_cursor_down(self) -> None:
        self._hide_hover()
        self.cursor_row += 1

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_page_up(self) -> None:
        self._hide_hover()
        self.cursor_row -= self._page()

    def action_page_down(self) -> None:
        self._hide_hover()
        self.cursor_row += self._page()

    def action_scroll_top(self) -> None:
        self._hide_hover()
        self.cursor_row = 0

    def action_scroll_bottom(self) -> None:
        self._hide_hover()
        self.cursor_row = len(self._shown) - 1

    def action_select_cursor(self) -> None:
        self._hide_hover()
        key = self._cursor_key()
        if key is not None:
            self.post_message(self.RowSelected(self, self.cursor_row, RowKey(key)))

    # ------------------------------------------------------------------ mouse

    def _row_at(self, event: events.MouseEvent) -> int | None:
        """Row index under the pointer, HEADER for the header line, None elsewhere."""
        offset = event.get_content_offset(self)
        if offset is None:
            return None
        if offset.y == 0:
            return HEADER
        row = offset.y - 1 + round(self.scroll_y)
        return row if 0 <= row < len(self._shown) else None

    def _column_at(self, x: int) -> int | None:
        x += round(self.scroll_x)
        for index, column in enumerate(self.columns.values()):
            if x < column.width:
                return index
            x -= column.width
        return None

    async def _on_click(self, event: events.Click) -> None:
        row = self._row_at(event)
        if row is None:
            return
        if row == HEADER:
            offset = event.get_content_offset(self)
            index = self._column_at(offset.x) if offset is not None else None
            if index is not None:
                event.stop()
                self.sort_by(self.columns_spec[index].key)
            return
        event.stop()
        self._show_hover = True
        if row == self.cursor_row:
            self.action_select_cursor()
        else:
            self.cursor_row = row

    def _on_mouse_move(self, event: events.MouseMove) -> None:
        row = self._row_at(event)
        self._show_hover = True
        if row != self._hover_row:
            old, self._hover_row = self._hover_row, row
            self._refresh_row(old)
            self._refresh_row(row)

    def _on_leave(self, event: events.Leave) -> None:
        if self._hover_row is not None:
            old, self._hover_row = self._hover_row, None
            self._refresh_row(old)

    # -------------------------------------------------------------- rendering

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._clear_caches()
        self.refresh()

    def _clear_caches(self) -> None:
        self._lines.clear()
        self._painted.clear()

    def _refresh_row(self, row: int | None) -> None:
        """Repaint the line of a row index (or the header) if it is on screen."""
        if row is None or not self.is_mounted:
            return
        y = 0 if row == HEADER else row + 1 - round(self.scroll_y)
        if 0 <= y < self.size.height:
            self.refresh_line(y + round(self.scroll_y))

    def refresh_line(self, y: int) -> None:
        """Refresh one line on screen; ``y`` counts from the top of the scrolled content."""
        super().refresh_line(y)
        self._painted.pop(y - round(self.scroll_y), None)

    def _repaint_changed(self) -> None:
        """After new data or a new order: repaint the lines whose content changed."""
        if not self.is_mounted:
            return
        if not self._painted:
            self.refresh()
            return
        height, width = self.size.height, self.size.width
        base_style = self.rich_style  # once, not per line: it resolves the CSS each time
        for y in range(1, height):
            strip, before = self._line(y, base_style), self._painted.get(y)
            if before is None:
                self.refresh_line(y + round(self.scroll_y))
            elif before != strip:  # only the cells that changed: a figure, not the row
                for start, end in strip_spans(before, strip, width):
                    self.refresh(Region(start, y, end - start, 1))
                # what the next frame paints there: a second change before it (two
                # accounts' polls landing together) repaints its own cells, not the line
                self._painted[y] = strip

    def render_lines(self, crop: Region) -> list[Strip]:
        """The lines of one frame, with the widget's style resolved once for all of them."""
        self._frame_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._frame_style = None

    def render_line(self, y: int) -> Strip:
        state = self.get_pseudo_class_state()
        if state != self._pseudo_state:  # focus, hover, dark/light: other styles
            self._pseudo_state = state
            self._lines.clear()
        strip = self._line(y, self._frame_style)
        self._painted[y] = strip
        return strip

    def _line(self, y: int, base_style: Style | None = None) -> Strip:
        """Line ``y`` of the widget: the header, a row or blank (``base_style``: the
        widget's, when the caller has it)."""
        width = self.size.width
        base_style = self.rich_style if base_style is None else base_style
        scroll_x = round(self.scroll_x)
        if y == 0:
            strip = self._header_line(base_style)
        else:
            index = y - 1 + round(self.scroll_y)
            if index >= len(self._shown):
                return Strip.blank(width, base_style)
            strip = self._row_line(index, base_style)
        if scroll_x:
            strip = strip.crop(scroll_x, scroll_x + width)
        return strip.adjust_cell_length(width, base_style)

    def _header_line(self, base_style: Style) -> Strip:
        hover = self._show_hover and self._hover_row == HEADER
        labels = [column.label for column in self.columns.values()]
        drawn = self._draw_cells(labels, False, hover, base_style, None, header=True)
        return self._strip(drawn, False, hover, base_style, header=True)

    def _row_line(self, index: int, base_style: Style) -> Strip:
        position = self._shown[index]
        key, row = self._key(position), self._items[position]
        cursor = index == self.cursor_row
        hover = self._show_hover and index == self._hover_row
        state = (cursor, hover, base_style, self.size.width)  # not the index: lines move with sorts
        cached = self._lines.get(key)
        if cached is not None and cached.state != state:
            cached = None  # another look: nothing drawn before can be reused
        if cached is not None and (
                cached.row is row and cached.generation == self._generation
                or self._cells_context is not None and cached.context == self._cells_context
                and cached.row == row):
            if cached.generation != self._generation:  # an equal row, drawn in the same context
                self._lines[key] = cached._replace(row=row, generation=self._generation)
            return cached.strip
        cells = tuple(column.cell(row) for column in self.columns_spec)
        if cached is not None and cached.cells == cells:
            strip, drawn = cached.strip, cached.segments
        else:
            drawn = self._draw_cells(cells, cursor, hover, base_style, cached)
            strip = self._strip(drawn, cursor, hover, base_style)
        self._lines[key] = _Drawn(row, cells, state, strip, self._generation, drawn, self._cells_context)
        return strip

    def _cell_styles(self, header: bool, hover: bool, cursor: bool, css_priority: bool = True
                     ) -> tuple[Style, Style]:
        """(style under the cell, style over it): as DataTable, with the cursor's
        foreground taking priority over the cell's own colours."""
        component = Style()
        if hover:
            component += self.get_component_rich_style("virtual-table--hover")
            if header:
                component += self.get_component_rich_style("virtual-table--header-hover")
        if cursor:
            component += self.get_component_rich_style("virtual-table--cursor")
        post = Style.from_color(color=component.color) if css_priority else Style.null()
        return component, post

    def _draw_cells(self, cells: Sequence[RenderableType], cursor: bool, hover: bool,
                    base_style: Style, kept: _Drawn | None, header: bool = False
                    ) -> tuple[list[Segment], ...]:
        """Each cell's segments, drawn as DataTable draws it (same styles and segments);
        ``kept``: the row's line drawn before in the same state, whose segments are
        reused for the cells that read the same.

        DataTable renders each cell as ``Styled(Padding(cell), pre, post)``; this
        renders the cell alone, padded to its width, and applies the same styles,
        which gives the same segments in half the time. Each cell's style carries
        its column in its meta, as DataTable's do (so the segments, and screenshots,
        are the same), but not its row: a row's line does not depend on where it
        is, and sorting reuses the lines already drawn.
        """
        row_style = self._row_style(header, base_style)
        component, post = self._cell_styles(header, hover, cursor)
        console = self.app.console
        options = self.app.console_options.update(no_wrap=True)
        drawn = []
        for column_index, (column, cell) in enumerate(zip(self.columns.values(), cells)):
            if kept is not None and column_index < len(kept.cells) and kept.cells[column_index] == cell:
                drawn.append(kept.segments[column_index])
                continue
            pre = row_style + _column_meta(column_index) + component
            line = console.render_lines(cell, options.update_dimensions(column.width, 1), pad=True)[0]
            drawn.append(list(Segment.apply_style(line, pre, post)))
        return tuple(drawn)

    def _strip(self, drawn: Sequence[list[Segment]], cursor: bool, hover: bool,
               base_style: Style, header: bool = False) -> Strip:
        """One line from its cells' segments, and the table's background past its columns."""
        row_style = self._row_style(header, base_style)
        extend, _ = self._cell_styles(header, hover, cursor, css_priority=False)
        remaining = max(0, self.size.width - self.table_width)
        segments = [segment for cell in drawn for segment in cell]
        segments.append(Segment(" " * remaining, row_style + extend + _OUT_OF_BOUNDS))
        return Strip(segments).adjust_cell_length(self.size.width, base_style).simplify()

    def _row_style(self, header: bool, base_style: Style) -> Style:
        return self.get_component_styles("virtual-table--header").rich_style if header else base_style
