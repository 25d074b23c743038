"""Drilldown, history and the table filter, driven from the keyboard against the simulator."""

from __future__ import annotations

import datetime as dt

import httpx

from usage_top.domain.format import short_key
from usage_top.domain.periods import Range
from usage_top.providers.pubrio import PubrioProvider
from usage_top.sim import DEMO_API_KEY
from usage_top.tui.dashboard import DashboardScreen
from usage_top.tui.drilldown import ItemScreen, KeyScreen
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.filter_bar import FilterBar
from usage_top.widgets.status_bar import StatusBar
from usage_top.widgets.tables import ItemTable, KeyTable

from ..conftest import FROZEN
from .conftest import settle
from .test_bindings import _column, _row_keys

SIZE = (120, 36)
TODAY = FROZEN.date()
WEEK = Range.WEEK.dates(TODAY)
CAPS = PubrioProvider.capabilities
ORDER = ("credits", "requests")
requests_text = CAPS.measure("requests").unit.text
credits_text = CAPS.measure("credits").unit.text


def _breadcrumb(app) -> str:
    return app.screen.query_one(StatusBar).status.scope


async def _open_key(pilot, row: int = 0) -> str:
    await pilot.press("tab")
    await pilot.pause()
    for _ in range(row):
        await pilot.press("down")
    key = pilot.app.screen.query_one(KeyTable).current_row.id
    await pilot.press("enter")
    await settle(pilot)
    return key


async def test_key_screen_shows_the_keys_figures(make_app, store, sim_server):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        key = await _open_key(pilot, row=1)
        screen = pilot.app.screen
        assert isinstance(screen, KeyScreen) and screen.key == key
        assert _breadcrumb(pilot.app) == f"dashboard › key {short_key(key)}"
        endpoints = screen.query_one(ItemTable)
        expected = store.item_breakdown("endpoint", *WEEK, key, order_by=ORDER)
        assert expected, "the key's per-endpoint series was fetched on demand"
        assert _column(endpoints, "requests") == [requests_text(row.figures["requests"])
                                                  for row in expected]
        vendor = httpx.post(f"{sim_server.url}/api_keys/usage/breakdown",
                            json={"start_date": WEEK[0].isoformat(), "end_date": WEEK[1].isoformat(),
                                  "keys": [key]},
                            headers={"pubrio-api-key": DEMO_API_KEY}).json()["data"]
        assert {r.id: r.figures["credits"] for r in expected} == {
            r["slug"] or "": r["credits"] for r in vendor["by_endpoint"]}
        chart = screen.query_one(DailyChart)
        assert list(chart.points) == store.daily_series(TODAY - dt.timedelta(days=29), TODAY, key)
        summary = screen.query_one("#summary").render().plain
        assert key in summary and credits_text(vendor["totals"]["credits"]) in summary


async def test_endpoint_screen_lists_the_keys_that_call_it(make_app, store, sim_server):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        slug = pilot.app.screen.query_one(ItemTable).current_row.id
        await pilot.press("enter")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ItemScreen) and (screen.kind, screen.item) == ("endpoint", slug)
        vendor = httpx.post(f"{sim_server.url}/api_keys/usage/breakdown",
                            json={"start_date": WEEK[0].isoformat(), "end_date": WEEK[1].isoformat(),
                                  "log_type_slugs": [slug]},
                            headers={"pubrio-api-key": DEMO_API_KEY}).json()["data"]
        keys = screen.query_one(KeyTable)
        assert _row_keys(keys) == [row["name"] for row in vendor["by_key"]]
        assert _column(keys, "requests") == [requests_text(row["requests"]) for row in vendor["by_key"]]
        chart = screen.query_one(DailyChart)
        assert list(chart.points) == store.item_series("endpoint", slug, TODAY - dt.timedelta(days=29),
                                                       TODAY)


async def test_history_back_forward_and_escape(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        key = await _open_key(pilot)
        slug = pilot.app.screen.query_one(ItemTable).current_row.id
        await pilot.press("enter")  # one of its endpoints
        await settle(pilot)
        assert isinstance(pilot.app.screen, ItemScreen) and pilot.app.screen.key == key
        assert _breadcrumb(pilot.app) == f"dashboard › key {short_key(key)} › endpoint {slug}"
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert isinstance(pilot.app.screen, KeyScreen)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ItemScreen) and pilot.app.screen.item == slug
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, DashboardScreen)
        assert _breadcrumb(pilot.app) == "All keys"
        await pilot.press("right_square_bracket")  # forward again from the dashboard
        await settle(pilot)
        assert isinstance(pilot.app.screen, KeyScreen)


async def test_drilldown_data_is_cached_while_fresh(make_app, sim):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        key = await _open_key(pilot)
        daily = sim.request_count("/api_keys/usage/daily")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("right_square_bracket")  # the same key again, within the poll interval
        await settle(pilot)
        assert isinstance(pilot.app.screen, KeyScreen) and pilot.app.screen.key == key
        assert sim.request_count("/api_keys/usage/daily") == daily


async def test_slash_filters_the_focused_table(make_app, store):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(ItemTable)
        total = table.row_count
        await pilot.press("slash")
        await pilot.pause()
        bar = pilot.app.screen.query_one(FilterBar)
        assert bar.has_focus
        await pilot.press(*"search")
        await pilot.pause()
        names = _column(table, "name")
        assert names and all("search" in name.lower() for name in names) and len(names) < total
        assert "filter “search”" in table.border_title
        await pilot.press("enter")  # keep it; back to the table
        await pilot.pause()
        assert table.has_focus and table.filter_text == "search"
        await pilot.press("escape")  # clears the filter first, stays on the dashboard
        await pilot.pause()
        assert table.row_count == total and isinstance(pilot.app.screen, DashboardScreen)


async def test_regex_filter_and_a_bad_regex(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(ItemTable)
        await pilot.press("slash", *"re:^(people|company) ")
        await pilot.pause()
        names = _column(table, "name")
        assert names and all(name.lower().startswith(("people ", "company ")) for name in names)
        bar = pilot.app.screen.query_one(FilterBar)
        await pilot.press("ctrl+u", *"re:(")
        await pilot.pause()
        assert bar.has_class("-error") and "bad regular expression" in bar.border_title
        await pilot.press("escape")
        await pilot.pause()
        assert table.filter_text == "" and table.has_focus
