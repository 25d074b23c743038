"""The billing view on the first day of a cycle (the simulator's cycle is the calendar
month): no projection from a partial day, and a chart that is not one bar."""

from __future__ import annotations

import datetime as dt

import pytest

from usage_top.tui.billing import BillingScreen
from usage_top.widgets.daily_chart import DailyChart

from ..conftest import Clock
from .conftest import settle

DAY_ONE = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(DAY_ONE)


async def test_day_one_of_a_cycle_is_too_early_to_project(make_app, store):
    async with make_app().run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, BillingScreen)
        billing, _ = store.latest_billing()
        assert billing.cycle_start == DAY_ONE.date()
        cycles = screen.query_one("#cycles").content
        text = " ".join(str(cell) for column in cycles.columns for cell in column._cells)
        assert "too early to project" in text and "at this rate" not in text
        chart = screen.query_one(DailyChart)
        days = [point.day for point in chart.points]
        assert days[-1] == DAY_ONE.date() and len(days) >= 14  # the days before it, muted
        assert chart.highlight_from == DAY_ONE.date()


async def test_day_two_projects_from_the_complete_day(make_app, store, clock):
    clock.advance(days=1)
    async with make_app().run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        day_one = store.totals(DAY_ONE.date(), DAY_ONE.date())["credits"]
        cycles = pilot.app.screen.query_one("#cycles").content
        text = " ".join(str(cell) for column in cycles.columns for cell in column._cells)
        assert f"≈ {day_one * 31:,.0f} by Jan 01 at this rate" in text, text
