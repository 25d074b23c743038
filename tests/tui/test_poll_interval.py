"""``d`` (htop's delay): the poll interval changed from inside the dashboard, checked
against the config's floor and the vendor's minimum, shown in the header."""

from __future__ import annotations

import pytest

from usage_top.domain.format import interval_text
from usage_top.tui.screens import IntervalPrompt, parse_interval
from usage_top.widgets.status_bar import StatusBar

from .conftest import settle

SIZE = (120, 36)


async def _enter(pilot, text: str) -> None:
    """Replace the prompt's value with ``text`` and press Enter."""
    prompt = pilot.app.screen
    assert isinstance(prompt, IntervalPrompt)
    for _ in prompt.query_one("#interval-input").value:
        await pilot.press("backspace")
    for key in text:
        await pilot.press(key)
    await pilot.press("enter")
    await pilot.pause()


def _header(app) -> str:
    return app.screen.query_one(StatusBar).render().plain


async def test_d_sets_the_interval_and_the_header_shows_it(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "every 30s" in _header(app)
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.query_one("#interval-input").value == "30"
        await _enter(pilot, "90")
        assert not isinstance(app.screen, IntervalPrompt)
        assert app.collector.interval == 90 and app.interval == 90
        assert app._timer is not None  # re-armed on the new interval
        assert "every 1m 30s" in _header(app)


@pytest.mark.parametrize("typed", ["3", "nan", "2d", "86401"])
async def test_a_bad_interval_is_said_in_the_prompt_and_changes_nothing(make_app, typed):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        await _enter(pilot, typed)
        assert isinstance(app.screen, IntervalPrompt)  # still open, saying why
        hint = app.screen.query_one("#interval-hint")
        assert hint.has_class("-error")
        assert f"'{typed}' is not a number of seconds between 5 and 86400" in str(hint.render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, IntervalPrompt) and app.collector.interval == 30


async def test_the_vendors_minimum_applies(make_vendor_app):
    app = make_vendor_app("anthropic")  # one poll a minute at most
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        await _enter(pilot, "30")
        assert "between 60 and 86400" in str(app.screen.query_one("#interval-hint").render())
        await _enter(pilot, "2m")
        assert app.collector.interval == 120 and "every 2m" in _header(app)


async def test_a_viewer_has_no_interval_to_change(make_app):
    app = make_app(poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert not isinstance(app.screen, IntervalPrompt)


@pytest.mark.parametrize(("typed", "seconds"), [("45", 45), ("45s", 45), (" 2m ", 120),
                                                ("1h", 3600), ("0.5m", 30)])
def test_intervals_are_read_in_seconds_minutes_or_hours(typed, seconds):
    assert parse_interval(typed, 5) == seconds


@pytest.mark.parametrize(("seconds", "text"), [(30, "30s"), (60, "1m"), (90, "1m 30s"),
                                               (120, "2m"), (3600, "1h"), (5400, "1h 30m")])
def test_the_header_says_an_interval_exactly(seconds, text):
    assert interval_text(seconds) == text
