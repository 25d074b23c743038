"""The once-a-second tick: what the screen says keeps up with the clock, and a second that
changes nothing on screen wakes no widget; a ticking banner repaints itself, not the layout.
The real dashboard on the simulator over loopback, frozen time moved by hand."""

from __future__ import annotations

from usage_top.sim import Faults
from usage_top.widgets.scope_card import ScopeCard
from usage_top.widgets.status_bar import StatusBar

from .conftest import poll_with_the_api_down, settle
from .test_tui_faults import screen_text

SIZE = (120, 36)


async def test_the_header_changes_when_its_age_does_and_is_left_alone_in_between(make_app, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(StatusBar)
        shown = bar.now
        clock.advance(seconds=40)  # 40 s old: still "updated 14:37:00"
        app._tick()
        await pilot.pause()
        assert bar.now == shown and "updated 14:37:00 UTC ·" in screen_text(app).splitlines()[0]
        clock.advance(seconds=25)  # 65 s old
        app._tick()
        await pilot.pause()
        assert bar.now == clock() and "updated 14:37:00 UTC (1m ago)" in screen_text(app).splitlines()[0]


async def test_a_ticking_banner_asks_for_no_layout(make_app, sim, clock):
    """While the API is down the banner's age ticks every second; a layout would repaint
    every scrollbar on the screen with it (bytes over SSH each second)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll_with_the_api_down(pilot, sim, clock)
        banner = app.screen.query_one("#banner")
        assert "Showing data from 5s ago." in str(banner.content)
        asked: list[dict] = []
        refresh = banner.refresh
        banner.refresh = lambda *regions, **options: asked.append(options) or refresh(*regions, **options)
        clock.advance(seconds=6)
        app._tick()
        await pilot.pause()
        assert "Showing data from 11s ago." in str(banner.content)
        assert "Showing data from 11s ago." in " ".join(screen_text(app).split())
        assert asked and not any(options.get("layout") for options in asked), asked
        sim.set_faults(Faults())
        app.poll()
        await settle(pilot)
        assert not banner.display  # the poll landed: the banner goes, with a layout


async def test_a_card_takes_the_clock_when_its_countdown_turns_and_not_before(make_app, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cards = {card.id: card for card in app.screen.query(ScopeCard)}
        monthly, hourly = cards["scope-api-monthly"], cards["scope-api-hourly"]
        shown = monthly.now
        assert "↻ 23m" in str(hourly.render())  # 14:37:00, the hour resets at 15:00
        clock.advance(seconds=30)  # 14:37:30: 22m 30s to the hour; the month's days unchanged
        app.screen.tick(clock())
        await pilot.pause()
        assert monthly.now == shown
        assert hourly.now == clock() and "↻ 22m" in str(hourly.render())
        clock.advance(minutes=10)  # 3 intervals without a poll: stale, and it says so
        app.screen.tick(clock())
        await pilot.pause()
        assert monthly.now == clock() and monthly.has_class("-stale")
        assert "stale 10m" in screen_text(app)
