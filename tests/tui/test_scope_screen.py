"""The scope screen (its curve drawn with plotext), the incident line and --redact in the TUI.

Snapshots at fixed sizes, frozen time and seeded readings: the simulator polled at
advancing frozen times, so the hourly scope has a curve and a burn rate.
"""

from __future__ import annotations

import datetime as dt
import re

from usage_top.domain.format import short_key
from usage_top.tui.scope import ScopeScreen
from usage_top.widgets.scope_card import ScopeCard
from usage_top.widgets.scope_chart import ScopeChart

from ..conftest import FROZEN
from .conftest import settle

WIDE, NARROW = (120, 36), (80, 24)


async def _readings(pilot, clock, polls: int = 4, minutes: int = 4) -> None:
    """The first poll, then more ``minutes`` apart (14:37 … 14:49: one hour's readings)."""
    await settle(pilot)
    for _ in range(polls - 1):
        clock.advance(minutes=minutes)
        await pilot.press("r")
        await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def test_scope_screen_wide(snap_compare, make_app, clock):
    """u: the scope nearest its limit (API hourly): polls every 6 minutes from 13:41 to
    14:41, so the previous hour is drawn muted beside this one, with the levels and the
    projection to the reset; ← puts the cursor on the reading before the latest."""
    clock.now = FROZEN - dt.timedelta(minutes=56)

    async def run_before(pilot) -> None:
        await _readings(pilot, clock, polls=11, minutes=6)
        await pilot.press("u", "left")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


def test_scope_screen_compact(snap_compare, make_app, clock):
    """Three readings a minute apart: the curve so far and the limit a minute or two away."""

    async def run_before(pilot) -> None:
        await _readings(pilot, clock, polls=3, minutes=1)
        await pilot.press("u")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=NARROW, run_before=run_before)


def test_redacted_dashboard(snap_compare, make_app):
    """--redact: REDACTED in the header, the account and every key as pseudonyms."""

    async def run_before(pilot) -> None:
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(redact=True), terminal_size=WIDE, run_before=run_before)


async def test_tab_reaches_the_cards_and_enter_opens_the_scope(make_app, clock):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await _readings(pilot, clock, polls=2)
        for _ in range(2):  # items -> keys -> the first card
            await pilot.press("tab")
            await pilot.pause()
        assert isinstance(app.focused, ScopeCard)
        name = app.focused.view.usage.name
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ScopeScreen) and app.screen.name_ == name
        assert app.history[-1] == ("scope", name)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ScopeScreen)
        await pilot.press("right_square_bracket")  # forward through the history again
        await settle(pilot)
        assert isinstance(app.screen, ScopeScreen)


async def test_cursor_shows_each_reading_exactly(make_app, clock):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await _readings(pilot, clock, polls=3)
        await pilot.press("u")
        await settle(pilot)
        chart = app.screen.query_one(ScopeChart)
        assert chart.detail.name == "api.hourly" and len(chart.detail.current) == 3
        assert chart.cursor_label.startswith("14:45:")  # the latest
        await pilot.press("home")
        await pilot.pause()
        assert chart.cursor_label.startswith("14:37:") and " UTC " in chart.cursor_label
        await pilot.press("left")  # already the first: stays
        await pilot.pause()
        assert chart.cursor_label.startswith("14:37:")


async def test_too_few_readings_are_said(make_app):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        chart = app.screen.query_one(ScopeChart)
        assert not chart.detail.enough
        assert "a curve needs 2" in str(chart.render())


async def test_y_copies_the_scope_as_an_incident_line(make_app, clock):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await _readings(pilot, clock)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("y")
        await pilot.pause()
        line = app.clipboard
        assert re.fullmatch(r"14:49Z pubrio/demo workspace api\.hourly \d+\.\d% \(\d+/\d+\) red, .+",
                            line), line
        assert "\n" not in line
        assert line in [notification.message for notification in app._notifications]


async def test_y_copies_a_key_row(make_app):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("tab")  # the keys table, its busiest key
        await pilot.pause()
        row = app.focused.current_row
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard.startswith(f"14:37Z pubrio/demo workspace key {short_key(row.id)}: ")
        assert "% of cred)" in app.clipboard


async def test_x_toggles_redaction_and_keeps_the_key_filter(make_app):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.press("tab", "f")  # narrow to the busiest key
        await settle(pilot)
        real = app.key_filter
        await pilot.press("x")
        await settle(pilot)
        assert app.redactor.enabled and re.fullmatch(r"key-\d\d", app.key_filter)
        assert app.screen.query_one("#status").status.redacted
        await pilot.press("x")
        await settle(pilot)
        assert app.key_filter == real


def test_a_minute_window_shows_the_last_hour_of_readings(store):
    """A rate-limit window holds a poll or two: the scope screen draws the last hour's
    readings instead (each in its own minute), against the limit, without a projection."""
    from usage_top.domain.measures import REQUESTS
    from usage_top.domain.model import Period, PollResult, ScopeUsage
    from usage_top.providers import registry
    from usage_top.views.context import Context
    from usage_top.views.scope_detail import scope_detail

    for minutes in range(0, 90, 2):  # every 2 minutes for an hour and a half
        at = FROZEN - dt.timedelta(minutes=minutes)
        store.ingest(PollResult(fetched_at=at, scopes=(ScopeUsage(
            "requests", Period.MINUTE, used=float(minutes % 7), unit=REQUESTS, limit=50.0,
            resets_at=at.replace(second=0) + dt.timedelta(minutes=1)),)))
    ctx = Context(store, registry.capabilities("lusha"), dt.UTC, FROZEN)
    detail = scope_detail(ctx, "requests.minute")
    assert detail.enough and len(detail.current) == 31  # 14:37 back to 13:37, both ends in
    assert detail.span == 3600 and detail.current.xs[-1] == 3600
    assert [label for _, label in detail.ticks] == ["13:37", "13:52", "14:07", "14:22", "14:37"]
    assert detail.labels[-1] == "14:37:00 UTC  0 / 50 requests (0.0%)"
    assert not detail.previous and not detail.projection
    assert "last hour" in detail.current_label and detail.limit == 50.0
