"""Numbers that add up on screen: with more keys than the vendor lists, the key table
ends with an "Other keys" row holding the rest of the vendor's totals.

The real dashboard runs on a simulator of 400 keys (the vendor lists its top 100)
over loopback; the expected figures are the simulator's own answers, asked over HTTP.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from usage_top.domain.periods import Range
from usage_top.sim import DEMO_API_KEY, Simulator
from usage_top.views.ranges import OTHER_ROW
from usage_top.widgets.tables import ItemTable, KeyTable

from ..conftest import FROZEN
from .conftest import settle
from .test_tui_faults import screen_text

BREAKDOWN = "/api_keys/usage/breakdown"


@pytest.fixture
def sim(clock):
    return Simulator(seed=7, clock=clock, keys=400)


def _answer(server, start: dt.date, end: dt.date) -> dict:
    body = {"start_date": start.isoformat(), "end_date": end.isoformat()}
    return httpx.post(server.url + BREAKDOWN, json=body,
                      headers={"pubrio-api-key": DEMO_API_KEY}).json()["data"]


async def test_the_key_table_ends_with_the_keys_the_vendor_did_not_list(make_app, sim, sim_server):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        start, end = Range.WEEK.dates(FROZEN.date())
        assert sim.request_count(BREAKDOWN) == 31 + 1  # the poll's days, then the week once
        keys = app.screen.query_one(KeyTable)
        rows = keys.visible_rows()
        other = rows[-1]
        assert other.id == OTHER_ROW and other.name == "Other keys"
        vendor = _answer(sim_server, start, end)
        listed = sum(row.figures["credits"] for row in rows[:-1])
        assert keys.totals["credits"] == vendor["totals"]["credits"]
        assert other.figures["credits"] == pytest.approx(vendor["totals"]["credits"] - listed)
        assert other.figures["credits"] > 0 and other.figures["requests"] > 0
        week = {row["name"]: row["credits"] for row in vendor["by_key"]}
        shown = {row.id: row.figures["credits"] for row in rows[:-1]}
        assert all(shown[key] == credits for key, credits in week.items())  # over the range
        shares = sum(keys.share_of("credits")(row) for row in rows)
        assert shares == pytest.approx(100)  # of the vendor's totals, the rest included
        text = " ".join(screen_text(app).split())
        assert "vendor lists top 100" in text

        keys.focus()
        await pilot.press("s")  # another sort: the rest stays last
        await pilot.pause()
        assert keys.visible_rows()[-1].id == OTHER_ROW and keys.sort_column != "credits"
        keys.move_cursor(row=len(rows) - 1)
        await pilot.press("y")
        assert app.clipboard.startswith("14:37Z pubrio/demo workspace other keys (not listed): ")
        await pilot.press("enter", "f")  # neither opens nor filters by "other keys"
        await settle(pilot)
        assert app.screen is not None and app.position == 0 and app.key_filter is None

        items = app.screen.query_one(ItemTable)
        assert OTHER_ROW not in {row.id for row in items.visible_rows()}  # endpoints add up


async def test_the_keys_of_an_endpoint_end_with_those_the_vendor_did_not_list(
        make_app, sim, sim_server):
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        start, end = Range.WEEK.dates(FROZEN.date())
        top = app.screen.query_one(ItemTable).visible_rows()[0]
        app.drill(("item", "endpoint", top.id, None))
        await settle(pilot)
        keys = app.screen.query_one(KeyTable)
        rows = keys.visible_rows()
        body = {"start_date": start.isoformat(), "end_date": end.isoformat(),
                "log_type_slugs": [top.id]}
        vendor = httpx.post(sim_server.url + BREAKDOWN, json=body,
                            headers={"pubrio-api-key": DEMO_API_KEY}).json()["data"]
        assert len(vendor["by_key"]) == 100 and rows[-1].id == OTHER_ROW
        assert keys.totals["credits"] == vendor["totals"]["credits"] == top.figures["credits"]
        listed = sum(row["credits"] for row in vendor["by_key"])
        assert rows[-1].figures["credits"] == pytest.approx(vendor["totals"]["credits"] - listed)
        assert "vendor lists top 100" in " ".join(screen_text(app).split())
        keys.focus()
        keys.move_cursor(row=len(rows) - 1)
        await pilot.press("enter")
        await settle(pilot)
        assert app.history[app.position][0] == "item"  # the rest is not a key to open
