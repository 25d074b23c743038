"""The overview of several accounts: the three demo accounts (Pubrio, OpenAI, Anthropic),
each on its own simulator over loopback, with frozen time; drilling in and back,
toasts naming the account, sorting, and an account that fails.

Snapshots at 120×36 and 80×24; each SVG was reviewed (its text extracted) before
it was committed.
"""

from __future__ import annotations

import pytest

from usage_top.config import load_settings
from usage_top.pipeline.fleet import Fleet
from usage_top.tui.app import accounts_app
from usage_top.tui.dashboard import DashboardScreen
from usage_top.tui.overview import AccountTable, OverviewScreen

from .conftest import settle

WIDE, NARROW = (120, 36), (80, 24)


@pytest.fixture
def make_overview(isolated_env, clock, monkeypatch):
    """``make_overview(start=None, **flags)``: the App on the demo's three accounts."""
    for name in ("OPENAI_ADMIN_KEY", "ANTHROPIC_ADMIN_KEY", "USAGE_TOP_PROVIDER"):
        monkeypatch.delenv(name, raising=False)

    def make(start: str | None = None, **flags):
        settings = load_settings(demo=True, **flags)
        return accounts_app(Fleet.open(settings.fleet(), clock, sim_clock=clock), start)

    return make


async def _ready(pilot) -> None:
    """Every account polled once; the alert toasts (their own test) dismissed."""
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def _rows(app) -> list[str]:
    table = app.screen.query_one(AccountTable)
    return [table.coordinate_to_cell_key((row, 0)).row_key.value for row in range(table.row_count)]


def test_overview_wide(snap_compare, make_overview):
    assert snap_compare(make_overview(), terminal_size=WIDE, run_before=_ready)


def test_overview_compact(snap_compare, make_overview):
    assert snap_compare(make_overview(), terminal_size=NARROW, run_before=_ready)


def test_overview_after_three_polls_says_what_runs_out_first(snap_compare, make_overview, clock):
    async def run_before(pilot):
        await _ready(pilot)
        for _ in range(2):
            clock.advance(minutes=10)
            await pilot.press("r")
            await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_overview(), terminal_size=WIDE, run_before=run_before)


async def test_enter_opens_each_account_and_escape_comes_back(make_overview):
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        assert isinstance(app.screen, OverviewScreen)
        for index, name in enumerate(_rows(app)):
            app.screen.query_one(AccountTable).move_cursor(row=index)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, DashboardScreen) and app.current == name
            assert app.store is app.fleet[name].store and app.collector is app.fleet[name].collector
            assert app.capabilities is app.fleet[name].capabilities
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, OverviewScreen) and app.current is None


async def test_alerts_from_any_account_are_toasts_that_name_it(make_overview):
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        titles = [notification.title for notification in app._notifications]
        assert any(title.startswith("pubrio · ") for title in titles), titles
        assert all(title.split(" · ")[0] in app.fleet for title in titles)


async def test_sorting_cycles_the_orders(make_overview):
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        assert _rows(app)[0] == "pubrio"  # the fullest scope first: its API hourly is red
        for _ in range(2):
            await pilot.press("s")
        await pilot.pause()
        assert app.screen.query_one(AccountTable).sort == "name"
        assert _rows(app) == ["anthropic", "openai", "pubrio"]


async def test_account_flag_starts_on_that_dashboard_and_escape_leads_to_the_overview(
        make_overview):
    app = make_overview(start="openai")
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        assert isinstance(app.screen, DashboardScreen) and app.current == "openai"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, OverviewScreen)


async def test_a_failing_account_shows_its_error_and_the_others_stay_live(make_overview, clock):
    app = make_overview()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        app.fleet["openai"].sim_server.stop()  # its vendor goes away
        clock.advance(minutes=1)
        await pilot.press("r")
        await settle(pilot)
        rows = {row.name: row for row in app.screen.view.rows}
        assert rows["openai"].error and rows["pubrio"].error is None
        assert rows["pubrio"].updated == clock.now and rows["anthropic"].updated == clock.now
        assert rows["openai"].updated < clock.now  # its last good data, with its age
