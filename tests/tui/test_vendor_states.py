"""What the dashboard does with Anthropic's and Lusha's particular states, on their
simulators over loopback: a 402 slows polling without a retry storm; the key table
sorts by the estimate where key rows have no vendor cost."""

from __future__ import annotations

from usage_top.sim import Faults
from usage_top.widgets.tables import KeyTable

from .conftest import settle

EXHAUSTED = '{"statusCode": 402, "message": "No credits left for this billing cycle"}'


async def test_a_402_waits_ten_minutes_and_sends_one_request(make_vendor_app, clock):
    app = make_vendor_app("lusha")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        clock.advance(minutes=1)
        app.simulator.set_faults(Faults(status=402, body=EXHAUSTED))
        before = app.simulator.request_count()
        await pilot.press("r")
        await settle(pilot)
        assert app.simulator.request_count() - before == 1  # no retries of a 402
        assert not app.last_outcome.ok and not app.last_outcome.needs_user
        assert app.collector.next_wait(app.last_outcome) == 600
        assert "polling continues, slowly" in app.last_outcome.error
        assert app.last_outcome.scope == "credits.cycle"


async def test_anthropic_key_rows_sort_by_the_estimate(make_vendor_app):
    """Key rows have no vendor cost: the default sort falls back to the estimate."""
    app = make_vendor_app("anthropic")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        keys = pilot.app.screen.query_one(KeyTable)
        keys.styles.width = 120  # room for every column (the dashboard gives the table 58)
        await settle(pilot)
        keys.show_keys(list(keys.visible_rows()), keys.totals)
        assert keys.sort_column == "cost_est"
        estimates = [row.figures["cost_est"] for row in keys.visible_rows()]
        assert estimates == sorted(estimates, reverse=True) and estimates
        await pilot.press("c")
        await settle(pilot)
        assert keys.sort_column == "output_tokens"
        await pilot.press("c")
        await settle(pilot)
        assert keys.sort_column == "cost_est"
