"""A read-only viewer (``--no-poll``) re-reads the store when a collector commits or the
day turns; when only the minute turns, it updates what moves with the clock (the cards'
outlooks), not the tables, the chart and the flags: re-reading a year of a thousand keys
each minute was most of an idle viewer's CPU. And the App ticks at the screen's next turn
(an age's minute, the cards' quarter minute), not every second.

The real dashboard on the simulator over loopback, a second connection to the same SQLite
file as the collector of another process, frozen time moved by hand."""

from __future__ import annotations

import datetime as dt

from usage_top.pipeline.collector import Collector
from usage_top.sim import Faults
from usage_top.store import Store
from usage_top.tui.dashboard import DashboardScreen
from usage_top.widgets.status_bar import StatusBar

from .conftest import poll_with_the_api_down, settle

SIZE = (120, 36)


async def _collect_elsewhere(provider, store: Store, clock) -> None:
    """A poll by another process: its own connection to the viewer's file."""
    other = Store(store.path)
    try:
        await Collector(provider, other, tz=dt.UTC, clock=clock, interval=30).poll_once()
    finally:
        other.close()


async def test_a_viewer_rereads_on_new_data_and_a_new_day_and_only_the_cards_each_minute(
        make_app, provider, store, clock):
    await _collect_elsewhere(provider, store, clock)
    app = make_app(poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app._reload_if_changed()  # the first reload: what it read is its reference
        first = app.screen.view
        assert first is not None and first.keys

        clock.advance(minutes=1)  # the minute turns, nothing was written
        app._reload_if_changed()
        minute = app.screen.view
        assert minute.cards is not first.cards  # built again for the new minute
        assert [card.scope for card in minute.cards] == [card.scope for card in first.cards]
        assert (minute.items, minute.keys, minute.chart, minute.flagged) == (
            first.items, first.keys, first.chart, first.flagged)
        assert minute.keys is first.keys and minute.chart is first.chart  # not read again

        clock.advance(seconds=30)
        await _collect_elsewhere(provider, store, clock)  # another process commits
        app._reload_if_changed()
        assert app.screen.view.keys is not minute.keys  # read again
        assert app.screen.view.chart.points[-1].day == clock().date()

        clock.advance(hours=10)  # 00:38 the next day: the chart and the ranges move on
        app._reload_if_changed()
        assert app.screen.view.chart.points[-1].day == clock().date()
        assert app.screen.view.chart.points[-2].day == clock().date() - dt.timedelta(days=1)


async def test_the_dashboard_ticks_at_its_next_turn_not_every_second(make_app, sim, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        now = clock()  # 14:37:00, the poll's time: the header's age shows at 14:38:00
        bar = screen.query_one(StatusBar)
        assert bar.next_turn(now) == now + dt.timedelta(minutes=1)
        assert bar.next_turn(now + dt.timedelta(seconds=90)) == now + dt.timedelta(minutes=2)
        app._tick()  # the cards read the clock each quarter minute
        assert screen.next_turn(now) == now + dt.timedelta(seconds=15)
        clock.advance(seconds=16)
        app._tick()
        assert screen.next_turn(clock()) == now + dt.timedelta(seconds=30)


async def test_a_failed_poll_ticks_every_second_for_its_banner(make_app, sim, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll_with_the_api_down(pilot, sim, clock)
        assert app._banner_ticks()  # "Showing data from 5s ago." counts the seconds
        await settle(pilot)
        sim.set_faults(Faults())
        app.poll()
        await settle(pilot)
        assert not app._banner_ticks()
