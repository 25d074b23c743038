"""The help screen says what usage-top's own polling costs the vendor."""

from __future__ import annotations

from textual.widgets import Static

from .conftest import settle


async def test_help_shows_the_requests_usage_top_sent(make_app, sim):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        text = str(app.screen.query_one("#help-footprint", Static).render())
    sent = len(sim.requests)  # both polls, each backfill and retry included
    last = app.store.last_poll().requests
    assert 0 < last < sent
    assert text == (f"usage-top's own requests: {last:,} in the last poll (every 30 s) · "
                    f"{sent:,} in the last hour (2 polls) · {sent:,} in the last 24 h")
