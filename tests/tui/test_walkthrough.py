"""What a new user met in the dashboard: the filter bar's error, the header's time, focus
after a too-small terminal, the events pane, the cursor after a filter, drilldown and
billing wording. The real app on the simulator over loopback, driven by the pilot."""

from __future__ import annotations

import re

import pytest

from usage_top.widgets.filter_bar import FilterBar
from usage_top.widgets.scope_card import ScopeCard
from usage_top.widgets.tables import ItemTable, KeyTable

from .conftest import settle
from .test_tui_faults import screen_text

SIZE = (120, 36)


async def test_a_bad_regex_is_said_where_it_can_be_read(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"re:[abc")
        await pilot.pause()
        bar = pilot.app.screen.query_one(FilterBar)
        assert bar.has_class("-error")
        text = screen_text(pilot.app)
        assert "bad regular expression" in text, text[-600:]


@pytest.mark.parametrize(("pane", "needle"), [(ItemTable, "lookup"), (KeyTable, "a")])
async def test_a_filter_cleared_with_escape_leaves_the_cursor_on_its_row(make_app, pane, needle):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(pane)
        table.focus()
        await pilot.press("slash", *needle, "enter", "down", "down")
        await pilot.pause()
        chosen = table.current_row.id
        assert table.cursor_row == 2 and needle in (table.current_row.name + chosen).lower()
        await pilot.press("escape")  # the table's Esc: clears the filter
        await pilot.pause()
        assert table.filter_text == "" and table.current_row.id == chosen
        await pilot.press("slash", *needle, "down")
        await pilot.pause()
        await pilot.press("escape")  # the bar's Esc: clears it too
        await pilot.pause()
        assert table.filter_text == "" and table.current_row.id == chosen


async def test_the_focused_table_takes_keys_again_after_a_too_small_terminal(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(KeyTable)
        table.focus()
        await pilot.pause()
        await pilot.resize_terminal(50, 15)
        await settle(pilot)
        assert pilot.app.screen.has_class("-too-small")
        await pilot.resize_terminal(*SIZE)
        await settle(pilot)
        assert table.has_focus
        await pilot.press("down")
        await pilot.pause()
        assert table.cursor_row == 1


async def test_the_header_says_when_the_figures_shown_were_fetched(make_app, clock):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "updated 14:37:00 UTC" in screen_text(pilot.app)
        clock.advance(minutes=10)
        table = pilot.app.screen.query_one(KeyTable)
        table.focus()
        await pilot.press("enter")  # a key drilldown fetches (and records a poll) at 14:47
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        header = screen_text(pilot.app).splitlines()[0]
        assert "updated 14:37:00 UTC (10m ago)" in header and "14:47" not in header


@pytest.mark.parametrize("size", [SIZE, (80, 24)])
async def test_the_events_pane_keeps_its_columns_apart_and_its_messages_whole(make_app, size):
    async with make_app().run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        header, *lines = screen_text(pilot.app).splitlines()
        assert header.rstrip().endswith("updated 14:37:00 UTC" if size != SIZE
                                        else "updated 14:37:00 UTC · every 30s"), header
        rows = [line for line in lines if re.search(r"\d\d:\d\d UTC", line)]
        assert len(rows) == 3, rows
        for line in rows:
            assert re.search(r"\S[A-Z][a-z]{2} \d\d \d\d:\d\d UTC", line) is None, line  # a gap
        if size == SIZE:  # at 120 columns every message is whole
            messages = [event.message for event in pilot.app.store.events()]
            shown = "\n".join(rows).replace("••••••••••••••••", "••••")
            assert all(message.replace("••••••••••••••••", "••••") in shown
                       for message in messages), shown


async def test_the_key_drilldown_names_its_burn_window_once_by_its_dates(make_app, sim):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        pilot.app.drill(("key", sim.spike_key))
        await settle(pilot)
        text = screen_text(pilot.app)
        assert "last 7 days:" in text  # the range's figures: Nov 12–18
        assert "(average of Nov 11–17, the 7 days before today)" in text
        assert "7-day" not in text


async def test_a_scope_over_its_limit_says_over_not_runs_out_first(make_app, clock):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        clock.advance(minutes=10)  # the simulated hourly use passes its limit
        await pilot.press("r")
        await settle(pilot)
        cards = {card.view.usage.name: card for card in pilot.app.screen.query(ScopeCard)}
        hourly = cards["api.hourly"]
        assert hourly.view.usage.used >= hourly.view.usage.limit
        assert hourly.border_subtitle == "over"
        assert "runs out first" not in {card.border_subtitle for card in cards.values()
                                        if card.view.over}
