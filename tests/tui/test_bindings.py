"""Pilot tests: every binding does what the help says, and the screen shows the store's figures."""

from __future__ import annotations

import datetime as dt

import pytest

from usage_top.domain.format import short_key
from usage_top.domain.periods import Range
from usage_top.tui.screens import HelpScreen, KeyPicker
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.scope_card import ScopeCard
from usage_top.widgets.status_bar import StatusBar
from usage_top.providers.pubrio import PubrioProvider
from usage_top.views.ranges import range_view, share_of
from usage_top.widgets.tables import ItemTable, KeyTable

from ..conftest import FROZEN
from .conftest import settle

SIZE = (120, 36)
TODAY = FROZEN.date()
CAPS = PubrioProvider.capabilities
ORDER = ("credits", "requests")
requests_text = CAPS.measure("requests").unit.text
credits_text = CAPS.measure("credits").unit.text


def _column(table, key: str) -> list[str]:
    return [table.get_cell(row_key, key).text.plain for row_key in _row_keys(table)]


def _row_keys(table) -> list[str]:
    return [table.coordinate_to_cell_key((index, 0)).row_key.value for index in range(table.row_count)]


async def test_tables_and_cards_show_the_stores_figures(make_app, store, sim):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        start, end = Range.WEEK.dates(TODAY)
        endpoints = pilot.app.query_one(ItemTable)
        shown = range_view(store, CAPS, start, end)
        expected = shown.by_item
        assert _row_keys(endpoints) == [row.id or "(unmapped)" for row in expected]
        assert _column(endpoints, "requests") == [requests_text(row.figures["requests"])
                                                  for row in expected]
        assert _column(endpoints, "credits") == [credits_text(row.figures["credits"])
                                                 for row in expected]
        keys = pilot.app.query_one(KeyTable)
        flagged = {sim.spike_key}  # the one key whose credits today dwarf its 7-day median
        assert _column(keys, "key") == [short_key(row.id) + (" ⚑" if row.id in flagged else "")
                                        for row in shown.by_key]
        cards = {card.view.usage.name: card for card in pilot.app.query(ScopeCard)}
        for usage, _ in store.latest_scopes():
            assert cards[usage.name].view.usage == usage
        levels = {name: card.view.level.value for name, card in cards.items() if name.startswith("api.")}
        assert levels == {"api.monthly": "normal", "api.daily": "amber", "api.hourly": "red"}
        assert cards["api.daily"].has_class("-amber") and cards["api.hourly"].has_class("-red")
        chart = pilot.app.query_one(DailyChart)
        assert list(chart.points) == store.daily_series(TODAY - dt.timedelta(days=29), TODAY)


async def test_range_keys_change_the_tables(make_app, store):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        endpoints = pilot.app.query_one(ItemTable)
        for key, range_ in (("1", Range.TODAY), ("3", Range.DAYS30), ("4", Range.MONTH), ("2", Range.WEEK)):
            await pilot.press(key)
            await pilot.pause()
            assert pilot.app.range_ is range_
            expected = range_view(store, CAPS, *range_.dates(TODAY)).by_item
            assert _column(endpoints, "requests") == [requests_text(row.figures["requests"])
                                                      for row in expected]


async def test_sort_keys_and_header_click(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.query_one(ItemTable)
        assert table.has_focus and table.sort_column == "credits" and table.sort_reverse
        await pilot.press("s")  # next column: cost per call, biggest first
        assert table.sort_column == "ratio"
        costs = [float(value) for value in _column(table, "ratio")]
        assert costs == sorted(costs, reverse=True)
        await pilot.press("S")  # reverse
        costs = [float(value) for value in _column(table, "ratio")]
        assert costs == sorted(costs)
        await pilot.click(ItemTable, offset=(2, 1))  # the Endpoint header: A to Z
        names = _column(table, "name")
        assert table.sort_column == "name" and names == sorted(names, key=str.lower)
        await pilot.click(ItemTable, offset=(2, 1))  # again: reversed
        assert _column(table, "name") == sorted(names, key=str.lower, reverse=True)


async def test_cursor_stays_on_the_same_row_when_data_changes(make_app, clock):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.query_one(ItemTable)
        await pilot.press("down", "down", "down")
        chosen = table.current_row.id
        clock.advance(minutes=20)  # usage grows, order may change
        await pilot.press("r")
        await settle(pilot)
        assert table.current_row.id == chosen


async def test_live_view_moves_as_usage_grows(make_app, clock, store):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        card = next(card for card in pilot.app.query(ScopeCard) if card.view.usage.name == "api.daily")
        before = card.view.usage.used
        clock.advance(minutes=10)
        await pilot.press("r")
        await settle(pilot)
        assert card.view.usage.used > before


async def test_pause_stops_data_changes_but_not_sorting(make_app, clock, sim):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        assert pilot.app.paused and pilot.app.query_one(StatusBar).status.paused
        requests_before = len(sim.requests)
        card = next(card for card in pilot.app.query(ScopeCard) if card.view.usage.name == "api.daily")
        used = card.view.usage.used
        clock.advance(minutes=10)
        await pilot.pause(0.2)
        assert len(sim.requests) == requests_before and card.view.usage.used == used
        await pilot.press("s")  # sorting still works while paused
        assert pilot.app.query_one(ItemTable).sort_column == "ratio"
        await pilot.press("p")  # resume: polls at once
        await settle(pilot)
        assert not pilot.app.paused and card.view.usage.used > used


async def test_refresh_polls_now(make_app, sim):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        before = sim.request_count("/profile/usage")
        await pilot.press("r")
        await settle(pilot)
        assert sim.request_count("/profile/usage") == before + 1


async def test_key_picker_filters_everything_and_escape_clears(make_app, store):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        start, end = Range.WEEK.dates(TODAY)
        target = range_view(store, CAPS, start, end).by_key[2].id
        await pilot.press("K")
        await pilot.pause()
        assert isinstance(pilot.app.screen, KeyPicker)
        await pilot.press(*target[-3:], "enter")
        await settle(pilot)
        assert pilot.app.key_filter == target
        endpoints = pilot.app.query_one(ItemTable)
        expected = range_view(store, CAPS, start, end, target).by_item
        assert expected and _column(endpoints, "requests") == [
            requests_text(row.figures["requests"]) for row in expected]
        assert list(pilot.app.query_one(DailyChart).points) == store.daily_series(
            TODAY - dt.timedelta(days=29), TODAY, target)
        assert _column(pilot.app.query_one(KeyTable), "key") == [short_key(target)]
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.key_filter is None


async def test_f_on_a_key_row_filters_the_dashboard_by_that_key(make_app, store):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        await pilot.pause()
        keys = pilot.app.query_one(KeyTable)
        assert keys.has_focus
        await pilot.press("j", "j", "k")  # vim keys move the cursor: second row
        chosen = keys.current_row.id
        await pilot.press("f")
        await settle(pilot)
        assert pilot.app.key_filter == chosen


async def test_compact_layout_tab_shows_the_keys_table(make_app):
    async with make_app().run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert pilot.app.screen.has_class("-compact")
        keys, endpoints = pilot.app.query_one(KeyTable), pilot.app.query_one(ItemTable)
        pane = pilot.app.query_one("#endpoints-pane")
        assert pane.display and not keys.display
        await pilot.press("tab")
        await pilot.pause()
        assert pilot.app.focused is keys and keys.display and not pane.display
        await pilot.press(*["tab"] * 8)  # the six scope cards, the chart, the endpoints
        await pilot.pause()
        assert pilot.app.focused is endpoints and pane.display and not keys.display


async def test_tab_cycles_panes(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        order = []
        for _ in range(9):
            await pilot.press("tab")
            await pilot.pause()
            order.append(type(pilot.app.focused).__name__)
        assert order == ["KeyTable", *["ScopeCard"] * 6, "DailyChart", "ItemTable"]
        await pilot.press("shift+tab")
        await pilot.pause()
        assert isinstance(pilot.app.focused, DailyChart)


async def test_chart_cursor_moves_with_keys_and_mouse(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        chart = pilot.app.query_one(DailyChart)
        assert chart.selected.day == TODAY
        chart.focus()
        await pilot.press("left", "left", "h")
        assert chart.selected.day == TODAY - dt.timedelta(days=3)
        await pilot.press("home")
        assert chart.selected.day == TODAY - dt.timedelta(days=29)
        await pilot.press("l", "end")
        assert chart.selected.day == TODAY
        await pilot.hover(DailyChart, offset=(2 + 6 + 3 * 4, 4))  # border+padding, axis, 5th bar
        assert chart.selected.day == TODAY - dt.timedelta(days=25)
        assert chart.selected.day.strftime("%Y-%m-%d") in chart.render().plain


async def test_c_switches_every_view_between_cost_and_activity(make_app, store):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        chart = pilot.app.query_one(DailyChart)
        endpoints, keys = pilot.app.query_one(ItemTable), pilot.app.query_one(KeyTable)
        assert chart.metric == "credits" and endpoints.sort_column == "credits"
        await pilot.press("c")  # activity view
        assert chart.metric == "requests" and "requests" in chart.border_title
        assert endpoints.sort_column == "requests" and keys.sort_column == "requests"
        start, end = Range.WEEK.dates(TODAY)
        shown = range_view(store, CAPS, start, end)
        expected = sorted(shown.by_item, key=lambda r: r.figures["requests"], reverse=True)
        shares = [cell.split()[-1] for cell in _column(endpoints, "share")]
        assert shares == [f"{share_of(r.figures, shown.totals, 'requests'):.1f}%" for r in expected]
        await pilot.press("c")  # back to cost
        assert chart.metric == "credits" and endpoints.sort_column == "credits" and keys.sort_column == "credits"


async def test_help_lists_every_binding(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        listed = {row[1] for _, rows in pilot.app._help_sections() for row in rows}
        for binding in [*pilot.app.BINDINGS, *ItemTable.BINDINGS, *DailyChart.BINDINGS]:
            if binding.action not in ("cursor_up", "cursor_down"):
                assert binding.description in listed
        await pilot.press("escape")
        assert not isinstance(pilot.app.screen, HelpScreen)


async def test_every_binding_is_in_the_command_palette(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {command.title for command in pilot.app.get_system_commands(pilot.app.screen)}
        assert {binding.description for binding in pilot.app.BINDINGS} <= titles
        assert {"Sort column", "Reverse sort"} <= titles


async def test_quit(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not pilot.app.is_running


async def test_resizes_and_tiny_terminal_do_not_crash(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        for size in [(80, 24), (40, 10), (200, 60), (60, 20), (20, 5), (120, 36)]:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.05)
            assert pilot.app.screen.has_class("-too-small") == (size[0] < 60 or size[1] < 20)
        assert pilot.app.is_running


async def test_read_only_viewer_sends_no_requests(make_app, sim, store, collector):
    await collector.poll_once()
    sent = len(sim.requests)
    async with make_app(poll=False).run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        assert len(sim.requests) == sent
        assert pilot.app.query_one(ItemTable).row_count > 0


async def test_keymap_from_the_config_remaps_bindings(make_app):
    app = make_app()
    app.settings = app.settings.model_copy(update={"keymap": {"billing": "B", "bogus": "x"}})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")  # no longer billing
        await pilot.pause()
        assert pilot.app.position == 0
        await pilot.press("B")
        await settle(pilot)
        assert pilot.app.history[pilot.app.position] == ("billing",)
        assert any("bogus" in str(n.message) for n in pilot.app._notifications)
        billing_row = next(row for _, rows in pilot.app._help_sections() for row in rows if row[2] == "billing")
        assert billing_row[0] == "B"


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_help_scrolls_to_its_last_line_and_keeps_its_footer_in_sight(make_app, size):
    """``?`` lists more than fits: Down, PgDn and End scroll it, Home comes back, and the
    footer line stays whole inside the box (it was cut at 36 rows, and End did nothing)."""
    from textual.containers import VerticalScroll

    async with make_app().run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        screen = pilot.app.screen
        listing = screen.query_one("#help-scroll", VerticalScroll)
        assert listing.max_scroll_y > 0  # more bindings than rows: it must scroll
        await pilot.press("down")
        await pilot.pause()
        assert listing.scroll_y == 1
        await pilot.press("pagedown")
        await pilot.pause()
        assert listing.scroll_y > 1
        await pilot.press("end")
        await pilot.pause()
        assert listing.scroll_y == listing.max_scroll_y
        last_line = listing.query_one("#help-table").region.bottom - 1
        assert listing.region.y <= last_line < listing.region.bottom  # the last row in view
        box, footer = screen.query_one("#help-box").region, screen.query_one("#help-footer").region
        assert box.contains_region(footer) and footer.bottom <= size[1]
        assert "[keymap]" in str(screen.query_one("#help-footer").render())
        await pilot.press("home")
        await pilot.pause()
        assert listing.scroll_y == 0
