"""The banner in sentences: a capital first, one full stop each, the age of the figures
shown ticking with the clock, and after a 429 that polling backs off and until when.
The real dashboard on the simulator over loopback, frozen time moved by hand."""

from __future__ import annotations

import pytest

from usage_top.sim import Faults
from usage_top.views.banner import failed_poll, partial_poll, sentence, stopped

from .conftest import poll_with_the_api_down, settle

SIZE = (120, 36)


def _banner(app) -> str:
    return str(app.screen.query_one("#banner").content)


async def _ticked(pilot, before: str) -> str:
    """The banner after the App's once-a-second tick has redrawn it (a few tries)."""
    for _ in range(20):
        await pilot.pause(0.25)
        if _banner(pilot.app) != before:
            break
    return _banner(pilot.app)


async def test_a_failed_poll_says_the_age_of_the_figures_and_it_ticks(make_app, sim, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await poll_with_the_api_down(pilot, sim, clock)
        shown = _banner(app)
        assert shown.startswith("Last poll failed: the API server is failing (HTTP 503"), shown
        assert "Showing data from 5s ago." in shown and ".." not in shown
        assert shown.endswith("Next try at 14:37:35 UTC."), shown  # the poll's end + 30 s
        clock.advance(seconds=6)
        assert "Showing data from 11s ago." in await _ticked(pilot, shown)


async def test_a_rate_limited_poll_says_it_backs_off_and_until_when(make_app, sim, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        sim.set_faults(Faults(status=429, retry_after="600"))  # beyond the 120 s a request waits
        app.poll()
        await settle(pilot)
        shown = _banner(app)
        assert shown.startswith("Rate limited by the API (HTTP 429"), shown
        assert "Backing off until 14:47:00 UTC, then polling again." in shown, shown
        assert "Showing data from 0s ago." in shown and ".." not in shown


@pytest.mark.parametrize("error", ["the vendor's error on the server.", "the vendor's error"])
def test_every_banner_is_sentences(error):
    import datetime as dt

    now = dt.datetime(2026, 11, 18, 14, 37, tzinfo=dt.UTC)
    for text in (partial_poll(error), stopped(error),
                 failed_poll(error, status=503, now=now, figures_at=now, next_try=now, tz=dt.UTC),
                 failed_poll(error, status=None, now=now, figures_at=None, next_try=None,
                             tz=dt.UTC)):
        assert ".." not in text and text.endswith("."), text
        for part in text.split(". "):
            assert part[:1].isupper(), (part, text)
    assert sentence("  x.  ") == "X." and sentence("") == ""
