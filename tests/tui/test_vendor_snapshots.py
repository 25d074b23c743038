"""Snapshots of the Anthropic and Lusha dashboards: fixed sizes, frozen time, seeded
simulators over loopback. Each SVG was reviewed by eye (its text rows extracted)
before it was committed."""

from __future__ import annotations

import pytest

from usage_top.sim import Faults

from .conftest import settle
from .test_snapshots import NARROW, WIDE, _ready, pressing

SIZES = pytest.mark.parametrize("size", [WIDE, NARROW], ids=["120x36", "80x24"])


async def _readings_over_days(pilot, clock) -> None:
    """Polls every six hours over three days: the chart's bars are the rises between them."""
    await _ready(pilot)
    for _ in range(12):
        clock.advance(hours=6)
        await pilot.press("r")
        await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


@SIZES
def test_anthropic_dashboard(snap_compare, make_vendor_app, size):
    """Spend card, daily cost, models with cost and estimate; keys sorted by the estimate."""
    assert snap_compare(make_vendor_app("anthropic"), terminal_size=size, run_before=_ready)


@SIZES
def test_anthropic_activity_view(snap_compare, make_vendor_app, size):
    """``c``: output tokens; the key table follows."""
    assert snap_compare(make_vendor_app("anthropic"), terminal_size=size, run_before=pressing("c"))


@SIZES
def test_anthropic_reconciliation(snap_compare, make_vendor_app, size):
    """``R``, last 30 days: per workspace and in total, vendor cost, estimate, difference."""
    assert snap_compare(make_vendor_app("anthropic"), terminal_size=size,
                        run_before=pressing("3", "R"))


@SIZES
def test_lusha_dashboard_from_readings(snap_compare, make_vendor_app, clock, size):
    async def run_before(pilot):
        await _readings_over_days(pilot, clock)

    assert snap_compare(make_vendor_app("lusha"), terminal_size=size, run_before=run_before)


@SIZES
def test_lusha_billing(snap_compare, make_vendor_app, size):
    """Plan, cycle dates, the cycle's credits (the vendor's count), the pricing table."""
    assert snap_compare(make_vendor_app("lusha"), terminal_size=size, run_before=pressing("b"))


def test_lusha_credits_exhausted(snap_compare, make_vendor_app, clock):
    """A 402 after a good poll: the credits card says so and when polling tries again."""

    async def run_before(pilot):
        await _ready(pilot)
        clock.advance(minutes=1)  # past the 12 s an answer is shared for
        pilot.app.simulator.set_faults(Faults(status=402, body='{"statusCode": 402, "message": '
                                              '"No credits left for this billing cycle"}'))
        await pilot.press("r")
        await settle(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_vendor_app("lusha"), terminal_size=WIDE, run_before=run_before)
