"""A viewer (``--no-poll``) whose collector stopped says so, in poll intervals (#19),
rather than only drawing the cards stale."""

from __future__ import annotations

from textual.widgets import Static

from .conftest import settle

SIZE = (120, 36)


def _banner(app) -> str:
    return str(app.screen.query_one("#banner", Static).content)


async def test_a_viewer_says_how_long_no_collector_has_written(make_app, collector, clock):
    await collector.poll_once()  # another process collected once, then stopped
    app = make_app(poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "collector" not in _banner(app)  # just written: live enough
        clock.advance(minutes=5)  # ten 30 s intervals with nothing written
        await pilot.press("r")
        await pilot.pause()
        banner = _banner(app)
        assert banner.startswith(f"No collector has written to {app.store.path} for 10 intervals")
        assert "5m ago" in banner and "UTC" in banner and "not live" in banner
        await collector.poll_once()  # the collector is back
        await pilot.press("r")
        await pilot.pause()
        assert "collector" not in _banner(app)
