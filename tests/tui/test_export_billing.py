"""Exports from the screen equal what the screen shows; the billing view adds up."""

from __future__ import annotations

import csv
import datetime as dt
import json

import httpx

from usage_top.commands.export import exports_dir
from usage_top.domain.format import short_key
from usage_top.providers.pubrio import PubrioProvider
from usage_top.sim import DEMO_API_KEY
from usage_top.tui.billing import BillingScreen
from usage_top.widgets.tables import ItemTable, KeyTable

from ..conftest import FROZEN
from .conftest import settle
from .test_bindings import _column

SIZE = (120, 36)
CAPS = PubrioProvider.capabilities


def _latest_export(suffix: str):
    files = sorted(exports_dir().glob(f"*.{suffix}"))
    assert files, "an export file was written"
    return files[-1]


async def test_e_exports_the_focused_table_as_shown(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(ItemTable)
        await pilot.press("slash", *"search", "enter", "S")  # filtered, then reverse-sorted
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        rows = list(csv.DictReader(_latest_export("csv").read_text().splitlines()))
        assert [row["name"] for row in rows] == _column(table, "name")
        requests_text, credits_text = (CAPS.measure(m).unit.text for m in ("requests", "credits"))
        assert [requests_text(int(row["requests"])) for row in rows] == _column(table, "requests")
        assert [credits_text(float(row["credits"])) for row in rows] == _column(table, "credits")


async def test_shift_e_exports_json_with_the_views_context(make_app, isolated_env):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("tab")
        await pilot.pause()
        await pilot.press("E")
        await pilot.pause()
        document = json.loads(_latest_export("json").read_text())
        keys = pilot.app.screen.query_one(KeyTable)
        shown = [cell.removesuffix(" ⚑") for cell in _column(keys, "key")]
        assert [short_key(row["key"]) for row in document["rows"]] == shown
        assert document["meta"]["range"] == "7d" and document["meta"]["exported_at_utc"].endswith("Z")
        assert str(isolated_env) in str(_latest_export("json"))


async def test_billing_screen_totals_equal_the_vendor(make_app, sim_server, store):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, BillingScreen)
        profile = httpx.post(f"{sim_server.url}/profile", json={},
                             headers={"pubrio-api-key": DEMO_API_KEY}).json()["data"]
        billing, _ = store.latest_billing()
        assert billing.balance == profile["credit"] and billing.plan == profile["subscription"]["name"]
        start = dt.date.fromisoformat(profile["last_refill_date"])
        previous = dt.date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, start.day)
        vendor = httpx.post(f"{sim_server.url}/api_keys/usage/breakdown",
                            json={"start_date": previous.isoformat(),
                                  "end_date": (start - dt.timedelta(days=1)).isoformat()},
                            headers={"pubrio-api-key": DEMO_API_KEY}).json()["data"]["totals"]
        assert store.totals(previous, start - dt.timedelta(days=1))["credits"] == vendor["credits"]
        cycles = screen.query_one("#cycles").content
        text = "".join(str(cell) for column in cycles.columns for cell in column._cells)
        assert f"{vendor['credits']:,.0f}" in text and "partial" not in text
        assert f"{profile['credit']:,}" in screen.query_one("#summary").render().plain
        assert [p.day for p in screen.query_one("#chart").points][-1] == FROZEN.date()
