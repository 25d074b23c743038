"""VirtualTable: keyed rows drawn on demand, sorted, filtered and updated in place."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from operator import attrgetter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from usage_top.domain.model import Usage
from usage_top.providers import registry
from usage_top.providers.pubrio_capabilities import CAPABILITIES
from usage_top.views.ranges import OTHER_ROW
from usage_top.domain.format import short_key
from usage_top.widgets.tables import FLAG, ItemTable, KeyTable
from usage_top.widgets.virtual_table import NEARBY, Column, RowKey, VirtualTable

SIZE = (60, 16)


@dataclass(frozen=True)
class Fruit:
    name: str
    count: int
    price: float | None = 1.0


def fruits(n: int, bump: int = 0) -> list[Fruit]:
    """n rows: 'fruit 0000'..; counts are a permutation, so every sort is well defined."""
    return [Fruit(f"fruit {i:04d}", (i * 7919) % n + (bump if i % 10 == 0 else 0), i / 10)
            for i in range(n)]


class FruitTable(VirtualTable[Fruit]):
    title = "Fruit"
    default_sort = "count"

    def __init__(self) -> None:
        self.shown = 0  # how many times a cell was made for display
        self.columns_spec = (
            Column("name", "Name", 12, lambda r: r.name, self._show_name, numeric=False),
            Column("count", "Count", 8, lambda r: r.count, lambda r: f"{r.count:,}"),
            Column("price", "Price", 8, lambda r: r.price,
                   lambda r: "—" if r.price is None else f"{r.price:.2f}"),
        )
        super().__init__(id="fruit")

    def _show_name(self, row: Fruit) -> str:
        self.shown += 1
        return row.name

    def show_fruits(self, rows: list[Fruit]) -> None:
        self.show_rows(rows, key=attrgetter("name"))


class TableApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[object] = []

    def compose(self) -> ComposeResult:
        yield FruitTable()

    def on_data_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
        self.messages.append(event)

    def on_virtual_table_filter_requested(self, event: VirtualTable.FilterRequested) -> None:
        self.messages.append(event)

    def on_virtual_table_sorted(self, event: VirtualTable.Sorted) -> None:
        self.messages.append(event)


def names(table: VirtualTable) -> list[str]:
    return [row.name for row in table.visible_rows()]


async def test_shows_rows_sorted_biggest_first_and_draws_only_visible_rows():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.show_fruits(fruits(10_000))
        await pilot.pause()
        assert table.row_count == 10_000
        counts = [row.count for row in table.visible_rows()]
        assert counts == sorted(counts, reverse=True)
        # Only what is on screen was turned into cells (the filter, unused here, would
        # read every row's text).
        assert 0 < table.shown <= SIZE[1]
        assert table.current_row == table.visible_rows()[0]
        assert table.row_for_key("fruit 0042").count == (42 * 7919) % 10_000


async def test_sort_keeps_the_cursor_on_the_same_row_and_flips_on_the_same_column():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.show_fruits(fruits(500))
        await pilot.press("down", "down", "down")
        chosen = table.current_row
        table.sort_by("name")
        await pilot.pause()
        assert names(table) == sorted(names(table))  # names A to Z
        assert table.current_row == chosen
        table.sort_by("name")
        assert names(table) == sorted(names(table), reverse=True)
        assert table.current_row == chosen
        assert table.border_subtitle == "sort: name ▼ · s/S"
        assert any(isinstance(m, VirtualTable.Sorted) for m in app.messages)


async def test_none_values_sort_as_cells_do():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        rows = [Fruit("a", 1, 2.0), Fruit("b", 2, None), Fruit("c", 3, 1.0)]
        table.show_fruits(rows)
        table.sort_by("price", reverse=True)
        await pilot.pause()
        assert names(table) == ["b", "a", "c"]  # (is None, value): None above all, reversed
        table.sort_by("price", reverse=False)
        assert names(table) == ["c", "a", "b"]


async def test_s_and_S_cycle_and_reverse_the_sort_column():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.show_fruits(fruits(50))
        await pilot.press("s")
        assert table.sort_column == "price" and table.sort_reverse
        await pilot.press("S")
        assert table.sort_column == "price" and not table.sort_reverse
        await pilot.press("s")
        assert table.sort_column == "name" and not table.sort_reverse  # names A to Z


async def test_substring_and_regex_filters_match_first_column_and_key():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.show_fruits(fruits(1000))
        assert table.set_filter("FRUIT 00") is None
        await pilot.pause()
        assert sorted(names(table)) == [f"fruit {i:04d}" for i in range(100)]
        assert "filter “FRUIT 00” 100/1000" in table.border_title
        assert table.set_filter("re:9$") is None
        assert all(name.endswith("9") for name in names(table)) and table.row_count == 100
        assert table.set_filter("re:(") .startswith("bad regular expression")
        assert table.row_count == 100  # a bad expression leaves the table as it was
        table.set_filter("")
        assert table.row_count == 1000 and "filter" not in table.border_title


async def test_filter_keeps_cursor_and_escape_clears_it():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.show_fruits(fruits(1000))
        table.move_cursor(row=table.get_row_index("fruit 0123"))
        table.set_filter("012")
        await pilot.pause()
        assert table.current_row.name == "fruit 0123"
        await pilot.press("escape")
        assert table.filter_text == "" and table.row_count == 1000
        assert table.current_row.name == "fruit 0123"


async def test_slash_asks_for_a_filter():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(FruitTable).show_fruits(fruits(10))
        await pilot.press("slash")
        requested = [m for m in app.messages if isinstance(m, VirtualTable.FilterRequested)]
        assert requested and requested[0].table is app.query_one(FruitTable)


def _spy_on_refreshes(monkeypatch) -> list[tuple[int, int, int]]:
    """(y, x, width) of every region a table asks to repaint from now on."""
    repainted: list[tuple[int, int, int]] = []
    original = VirtualTable.refresh

    def spy(self, *regions, **kwargs):
        repainted.extend((r.y, r.x, r.width) for r in regions)
        return original(self, *regions, **kwargs)

    monkeypatch.setattr(VirtualTable, "refresh", spy)
    return repainted


async def test_update_in_place_keeps_cursor_and_repaints_only_changed_lines(monkeypatch):
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.sort_by("name", reverse=False)
        table.show_fruits(fruits(1000))
        await pilot.press("down", "down")
        await pilot.pause()
        chosen = table.current_row.name
        repainted = _spy_on_refreshes(monkeypatch)
        table.show_fruits(fruits(1000))  # same figures, new objects: nothing to draw
        await pilot.pause()
        assert repainted == []
        table.show_fruits(fruits(1000, bump=5))  # every tenth row's count changes
        await pilot.pause()
        # fruit 0000 and 0010, the changed rows on screen (0 is the header), and in them
        # only the cells of the count that changed, not the row
        assert [y for y, _, _ in repainted] == [1, 11]
        count = table.columns["name"].width  # where the count column starts
        assert all(count <= x and x + width <= count + table.columns["count"].width
                   for _, x, width in repainted)
        assert all(width < 8 for _, _, width in repainted)  # a digit or two
        assert table.current_row.name == chosen
        assert table.row_for_key("fruit 0010").count == (10 * 7919) % 1000 + 5


async def test_a_row_updated_in_place_draws_what_a_fresh_table_draws():
    """A changed row redraws its changed cells and reuses the others' segments: its
    lines must be those of a table given the new figures from the start."""
    lines = []
    for updates in ([fruits(40, bump=5)], [fruits(40), fruits(40, bump=5)]):
        app = TableApp()
        async with app.run_test(size=SIZE) as pilot:
            table = app.query_one(FruitTable)
            table.sort_by("name", reverse=False)
            for rows in updates:
                table.show_fruits(rows)
                await pilot.pause()
            lines.append([table.render_line(y) for y in range(SIZE[1] - 2)])
    assert lines[0] == lines[1]
    assert any(f"{(10 * 7919) % 40 + 5:,}" in strip.text for strip in lines[1])


async def test_a_row_that_moves_far_keeps_the_cursor():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        rows = fruits(1000)
        table.show_fruits(rows)
        table.move_cursor(row=table.get_row_index("fruit 0500"))
        table.show_fruits(rows[:500] + rows[501:] + rows[500:501])  # to the end, far from its place
        await pilot.pause()
        assert table.current_row.name == "fruit 0500"
        moved = rows[:100] + rows[101:100 + NEARBY] + rows[100:101] + rows[100 + NEARBY:]
        table.move_cursor(row=table.get_row_index("fruit 0100"))
        table.show_fruits(moved)  # a few places on: found among its neighbours
        assert table.current_row.name == "fruit 0100"
        assert table.row_for_key("fruit 0999") is rows[999]


async def test_rows_given_as_key_row_pairs():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        rows = fruits(100)
        table.show_rows((row.name.upper(), row) for row in rows)
        table.move_cursor(row=table.get_row_index("FRUIT 0042"))
        table.show_rows((row.name.upper(), row) for row in reversed(rows))
        await pilot.pause()
        assert table.current_row.name == "fruit 0042"
        assert table.coordinate_to_cell_key((0, 0)).row_key.value == table.visible_rows()[0].name.upper()
        table.set_filter("FRUIT 004")  # the key (upper case) and the name both match
        assert table.row_count == 10 and table.current_row.name == "fruit 0042"


def _key(key: str, requests: int, credits: float) -> Usage:
    return Usage(key, key, {"requests": requests, "credits": credits})


async def test_key_table_filters_on_the_key_as_shown_and_in_full():
    class Keys(App[None]):
        def compose(self) -> ComposeResult:
            yield KeyTable(CAPABILITIES, now=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tz=dt.UTC)

    rows = [_key(f"{i}••••••••••••••••{i:04x}", i, 2.0 * i) for i in range(1, 40)]
    async with Keys().run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(KeyTable)
        table.show_keys(rows, {})
        assert table.set_filter("2••••0002") is None  # as shown (the full key has 16 bullets)
        assert [row.id for row in table.visible_rows()] == [rows[1].id]
        table.set_filter("•••0014")  # in the full key only
        assert [row.id for row in table.visible_rows()] == [rows[19].id]
        another = _key("9••••••••••••••••0014", 1, 1.0)
        table.show_keys([another, *reversed(rows)], {})  # every key moved, and a new one
        assert [row.id for row in table.visible_rows()] == [rows[19].id, another.id]
        table.set_filter("⚑")
        assert table.row_count == 0
        table.flagged = {rows[4].id}
        table.show_keys(rows, {})
        await pilot.pause()
        assert [row.id for row in table.visible_rows()] == [rows[4].id]


async def test_rows_that_go_away_and_come_back():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.show_fruits(fruits(20))
        table.move_cursor(row=5)
        gone = table.current_row.name
        table.show_fruits([row for row in fruits(20) if row.name != gone])
        await pilot.pause()
        assert table.row_count == 19 and table.cursor_row == 5
        assert table.row_for_key(gone) is None
        table.show_fruits([])
        await pilot.pause()
        assert table.row_count == 0 and table.current_row is None


async def test_enter_and_click_on_the_cursor_row_select_it():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.show_fruits(fruits(30))
        await pilot.press("down", "enter")
        selected = [m for m in app.messages if isinstance(m, VirtualTable.RowSelected)]
        assert [m.row_key.value for m in selected] == [table.visible_rows()[1].name]
        assert selected[0].data_table is table and selected[0].cursor_row == 1
        await pilot.click(FruitTable, offset=(2, 4))  # the fourth row: moves the cursor
        assert table.cursor_row == 3
        await pilot.click(FruitTable, offset=(2, 4))  # again: selects it
        selected = [m for m in app.messages if isinstance(m, VirtualTable.RowSelected)]
        assert selected[-1].row_key == RowKey(table.visible_rows()[3].name)


async def test_header_click_sorts_by_that_column_and_again_reverses():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.show_fruits(fruits(30))
        name_width = table.columns["name"].width  # the first column takes the room left
        assert name_width == SIZE[0] - 1 - 16 - 1
        await pilot.click(FruitTable, offset=(name_width + 2, 0))  # "Count▼": reverse it
        assert table.sort_column == "count" and not table.sort_reverse
        await pilot.click(FruitTable, offset=(name_width + 10, 0))  # "Price": biggest first
        assert table.sort_column == "price" and table.sort_reverse
        await pilot.click(FruitTable, offset=(2, 0))  # "Name": A to Z
        assert table.sort_column == "name" and not table.sort_reverse
        assert table.columns["name"].label.plain == "Name▲"


async def test_scrolls_to_follow_the_cursor():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.show_fruits(fruits(1000))
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 999
        assert table.scroll_y == table.max_scroll_y > 0
        await pilot.press("pageup")
        await pilot.pause()
        assert table.cursor_row == 999 - (SIZE[1] - 1)
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_row == 0 and table.scroll_y == 0


async def test_datatable_compatible_accessors():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.show_fruits(fruits(10))
        await pilot.pause()
        first = table.visible_rows()[0]
        assert table.coordinate_to_cell_key((0, 0)).row_key.value == first.name
        assert table.coordinate_to_cell_key((0, 1)).column_key.value == "count"
        assert table.get_cell(first.name, "count").text.plain == f"{first.count:,}"
        assert table.get_row_index(RowKey(first.name)) == 0
        with pytest.raises(KeyError):
            table.get_row_index("no such fruit")
        table.columns["count"].label.plain  # columns are keyed by column key
        table.set_caption("today")
        assert table.border_title == "Fruit · today"
        table.metric = "requests"
        assert table.metric == "requests"


async def test_draws_exactly_as_a_row_cursor_datatable():
    """Same cells, same look: the swap from DataTable changes no screenshot."""
    rows = fruits(40)
    table_class = FruitTable

    class Plain(App[None]):
        TITLE = "tables"

        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row", zebra_stripes=False, cell_padding=0)

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            spec = table_class().columns_spec
            for column in spec:
                table.add_column(VirtualTable._label(_Unsorted, column), key=column.key, width=column.width)
            for row in sorted(rows, key=lambda r: r.count, reverse=True):
                table.add_row(*(column.cell(row) for column in spec), key=row.name)
            table.focus()

    class Unfitted(FruitTable):
        default_sort = ""  # rows in the order given, no arrow in the header

        def fit_columns(self) -> None:  # keep the given widths, as the plain table does
            pass

    class Virtual(App[None]):
        TITLE = "tables"

        def compose(self) -> ComposeResult:
            yield Unfitted()

        def on_mount(self) -> None:
            table = self.query_one(FruitTable)
            table.show_fruits(sorted(rows, key=lambda r: r.count, reverse=True))
            table.focus()

    shots = []
    for app in (Plain(), Virtual()):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("down", "down")
            await pilot.pause()
            # The id in the SVG hashes the segments' metadata too; snapshot tests drop it.
            shots.append(re.sub(r"\bterminal-\d+-", "terminal-", app.export_screenshot()))
    assert shots[0] == shots[1]


class _Unsorted:
    """Stands for a table sorted by nothing, to draw plain header labels."""

    sort_column = ""
    sort_reverse = True


async def test_a_keymap_moves_the_sort_and_filter_keys():
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.show_fruits(fruits(20))
        app.set_keymap({"sort_next": "x"})
        await pilot.press("s")
        assert table.sort_column == "count"
        await pilot.press("x")
        assert table.sort_column == "price"


def _usage_rows(capabilities) -> list[Usage]:
    """Rows with every measure, some without one (absent: None), an unmapped one (''),
    a name that lower-cases to more letters and one with nothing counted."""
    measures = [m.id for m in capabilities.shown_measures]
    rows = [Usage(f"item-{i}", f"Item İ{i}", {m: float(i * (n + 3) % 7) for n, m in enumerate(measures)
                                                if (i + n) % 5})
            for i in range(30)]
    return [*rows, Usage("", "Unmapped", {m: 1 for m in measures}), Usage("idle", "idle", {})]


@pytest.mark.parametrize("provider", registry.names())
def test_every_column_reads_all_rows_as_it_reads_one(provider):
    """A column's batch reader (what the table sorts by) agrees with ``value`` on every
    row, for each provider's columns and the key table's shares."""
    capabilities = registry.capabilities(provider)
    rows = _usage_rows(capabilities)
    tables = [ItemTable(capabilities), ItemTable(capabilities, per_key=True),
              KeyTable(capabilities, now=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tz=dt.UTC)]
    for table in tables:
        table.totals = {m.id: 40.0 for m in capabilities.shown_measures[1:]}  # one without a total
        for metric in (capabilities.primary, capabilities.activity):
            table.metric = metric
            for column in table.all_columns:
                if column.values is not None:
                    assert list(column.values(rows)) == [column.value(row) for row in rows], column.key


def test_the_item_table_filters_what_the_generic_table_would():
    table = ItemTable(CAPABILITIES)
    rows = _usage_rows(CAPABILITIES)
    table.show_rows(rows, key=lambda row: row.id or "(unmapped)")
    assert table.haystacks() == VirtualTable.haystacks(table)
    assert "unmapped\n(unmapped)" in table.haystacks()


async def test_the_other_row_stays_last_and_the_rest_sort_as_their_cells():
    class Items(App[None]):
        def compose(self) -> ComposeResult:
            yield ItemTable(CAPABILITIES)

    rows = _usage_rows(CAPABILITIES)
    rows = [*rows, Usage(OTHER_ROW, "Other endpoints", {"requests": 10_000, "credits": 10_000.0})]
    async with Items().run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(ItemTable)
        table.show_items(rows, {"requests": 500, "credits": 500.0})
        for column in table.columns_spec:
            for reverse in (True, False):
                table.sort_by(column.key, reverse=reverse)
                shown = table.visible_rows()
                assert shown[-1].id == OTHER_ROW, (column.key, reverse)
                cells = [(value is None, value) for value in map(column.value, rows[:-1])]
                order = sorted(range(len(cells)), key=cells.__getitem__, reverse=reverse)
                assert shown[:-1] == [rows[i] for i in order], (column.key, reverse)
        table.set_filter("item-1")  # the rest does not match: not shown
        assert OTHER_ROW not in [row.id for row in table.visible_rows()] and table.row_count == 11
        await pilot.pause()


_KEY_CHARS = st.sampled_from("ab0f9Σσİi•• ")


@settings(max_examples=60, deadline=None)
@given(keys=st.lists(st.text(_KEY_CHARS, min_size=1, max_size=24), min_size=1, max_size=12, unique=True),
       picks=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 24), st.integers(1, 6)), max_size=6),
       flag_first=st.booleans(),
       named=st.lists(st.one_of(st.none(), st.text(_KEY_CHARS, max_size=12)), max_size=12))
def test_key_filters_match_what_the_key_column_shows_and_the_key(keys, picks, flag_first, named):
    """Whatever the needle (a piece of a key, of its short form, of its flag or of its
    name, in any case), the key table shows the keys whose short form, flag, key or name
    contains it; a regular expression searches the same."""
    table = KeyTable(CAPABILITIES, now=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tz=dt.UTC)
    table.flagged = {keys[0]} if flag_first else set()
    names = [name if name is not None else key for key, name in zip(keys, [*named, *[None] * len(keys)])]
    rows = [Usage(key, name, {"requests": i, "credits": float(i)}) for i, (key, name) in enumerate(zip(keys, names))]
    table.show_keys(rows, {})
    texts = [f"{short_key(key)}{FLAG if key in table.flagged else ''}\n{key}" for key in keys]
    shown = [[*text.split("\n"), name] for text, name in zip(texts, names)]
    needles = [" ".join(shown[i % len(shown)])[start:start + size] for i, start, size in picks]
    for needle in [*needles, *(n.upper() for n in needles), "⚑", "•", "f9"]:
        if not needle.strip() or "\n" in needle:
            continue
        table.set_filter(needle)
        wanted = needle.strip().lower()
        assert {row.id for row in table.visible_rows()} == {
            key for key, lines in zip(keys, shown) if any(wanted in line.lower() for line in lines)}, needle
        if not wanted.isascii():  # a regular expression ignores case otherwise ('ς' is 'Σ')
            continue
        table.set_filter(f"re:{re.escape(needle.strip())}")
        assert {row.id for row in table.visible_rows()} == {
            key for key, lines in zip(keys, shown) if any(wanted in line.lower() for line in lines)}, needle


async def test_key_filter_matches_the_names_the_key_column_shows():
    """OpenAI's and Anthropic's keys show their names: a filter finds them by name, by
    the redacted value in the name and by the key, and keeps a key whose name moves."""
    capabilities = registry.capabilities("openai")

    class Keys(App[None]):
        def compose(self) -> ComposeResult:
            yield KeyTable(capabilities, now=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC), tz=dt.UTC)

    rows = [Usage(f"key_{i:03d}", f"svc-{i:03d} (sk-…{i:04x})", {"requests": i, "cost": 1.0 * i})
            for i in range(1, 60)]
    async with Keys().run_test(size=SIZE) as pilot:
        table = pilot.app.query_one(KeyTable)
        table.show_keys(rows, {})
        assert "svc-007" in table.get_cell("key_007", "key").text.plain  # what the column shows
        for needle in ("SVC-007", "sk-…0007", "key_007", "re:^svc-007 \\(", "svc-007 (sk"):
            assert table.set_filter(needle) is None
            assert [row.id for row in table.visible_rows()] == ["key_007"], needle
        table.set_filter("svc-00")
        assert table.row_count == 9
        table.show_keys([replace(row, name=f"renamed {row.id}") for row in rows], {})
        assert table.row_count == 0
        table.set_filter("renamed key_01")
        assert table.row_count == 10
        await pilot.pause()


@settings(max_examples=40, deadline=None)
@given(items=st.lists(st.tuples(st.text(_KEY_CHARS, max_size=8), st.text(_KEY_CHARS, max_size=8)),
                      min_size=1, max_size=10, unique_by=lambda item: item[1]),
       needle=st.text(st.sampled_from("ab0 •Σσİi\0"), min_size=1, max_size=3))
def test_the_item_filter_keeps_the_rows_its_haystacks_match(items, needle):
    """The joined text's search finds the rows whose haystack (name, key) has the needle."""
    table = ItemTable(CAPABILITIES)
    rows = [Usage(ident, name, {"requests": 1, "credits": 1.0}) for name, ident in items]
    table.show_items(rows, {})
    table.set_filter(needle)
    wanted = needle.strip().lower()
    haystacks = table.haystacks()
    if not wanted:  # no filter
        expected = set(range(len(rows)))
    elif "\0" in wanted:  # matched against the haystacks, not their joined text
        expected = {i for i, hay in enumerate(haystacks) if wanted in hay}
    else:  # in the name or in the key
        expected = {i for i, hay in enumerate(haystacks) if any(wanted in part for part in hay.split("\n"))}
    assert {rows.index(row) for row in table.visible_rows()} == expected, needle


async def test_equal_rows_keep_their_lines_only_while_what_else_they_read_is_the_same():
    """A poll gives every row as a new, mostly equal, object: those keep their lines
    without being formatted again, unless the totals (their shares) or the day (a key's
    last use) moved; then the lines say the new shares and dates."""
    from copy import deepcopy

    class Tables(App[None]):
        def compose(self) -> ComposeResult:
            yield ItemTable(CAPABILITIES)
            yield KeyTable(CAPABILITIES, now=lambda: now[0], tz=dt.UTC)

    now = [dt.datetime(2026, 11, 18, 14, 37, tzinfo=dt.UTC)]
    used = dt.datetime(2026, 11, 18, 9, 5, tzinfo=dt.UTC)
    rows = [Usage(f"key-{i:02d}", f"key-{i:02d}", {"requests": 10.0 * i, "credits": 5.0 * i}, used)
            for i in range(1, 20)]
    async with Tables().run_test(size=(120, 30)) as pilot:
        items, keys = pilot.app.query_one(ItemTable), pilot.app.query_one(KeyTable)

        def shown(table) -> str:
            return "\n".join(table.render_line(y).text for y in range(1, 8))

        def show(totals: dict) -> None:
            items.show_items(deepcopy(rows), totals)
            keys.show_keys(deepcopy(rows), totals)

        show({"requests": 500, "credits": 500.0})
        await pilot.pause()
        before = (shown(items), shown(keys))
        formatted = Column.cell
        calls = []
        Column.cell = lambda self, row: calls.append(row) or formatted(self, row)
        try:
            show({"requests": 500, "credits": 500.0})  # equal rows, equal totals
            await pilot.pause()
            assert calls == [] and (shown(items), shown(keys)) == before
            show({"requests": 1_000, "credits": 1_000.0})  # every share halves
            await pilot.pause()
            assert calls and shown(items) != before[0] and shown(keys) != before[1]
            assert "09:05" in shown(keys)
            now[0] += dt.timedelta(days=1)  # the last use is yesterday's now
            show({"requests": 1_000, "credits": 1_000.0})
            await pilot.pause()
            assert "09:05" not in shown(keys) and "Nov 18" in shown(keys)
        finally:
            Column.cell = formatted


async def test_two_updates_before_a_frame_repaint_their_cells_not_the_lines(monkeypatch):
    """Two polls landing together: the second update compares with what the first one
    will paint, so it repaints its own changed cells, not the whole lines."""
    app = TableApp()
    async with app.run_test(size=SIZE) as pilot:
        table = app.query_one(FruitTable)
        table.sort_by("name", reverse=False)
        table.show_fruits(fruits(1000))
        await pilot.pause()
        repainted = _spy_on_refreshes(monkeypatch)
        table.show_fruits(fruits(1000, bump=5))
        table.show_fruits(fruits(1000, bump=6))  # in the same handler: no frame between
        await pilot.pause()
        assert repainted and all(width < 8 for _, _, width in repainted)  # digits, no line
        assert sorted({y for y, _, _ in repainted}) == [1, 11]
        drawn = table.render_line(11).text
    fresh_app = TableApp()  # the line is what a table given the second update draws
    async with fresh_app.run_test(size=SIZE) as pilot:
        other = fresh_app.query_one(FruitTable)
        other.sort_by("name", reverse=False)
        other.show_fruits(fruits(1000, bump=6))
        await pilot.pause()
        assert other.render_line(11).text == drawn
