"""What a screen's export says besides its rows (#19): the dates, zone and filters shown,
when the figures were fetched, figures as their unit writes them, and last use in the
zone the screen shows, with its offset."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

from usage_top.commands.export import exports_dir
from usage_top.views.scopes import figures_at
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.tables import KeyTable

from ..conftest import FROZEN
from .conftest import settle

SIZE = (120, 36)
PARIS = ZoneInfo("Europe/Paris")


def _latest(suffix: str):
    return sorted(exports_dir().glob(f"*.{suffix}"))[-1]


async def _filtered_keys(pilot, needle: str) -> KeyTable:
    """The key table focused and filtered by ``needle`` (as a user types it)."""
    await settle(pilot)
    keys = pilot.app.screen.query_one(KeyTable)
    keys.focus()
    await pilot.press("slash", *needle, "enter")
    await pilot.pause()
    return keys


async def test_a_csv_export_says_what_was_shown_on_every_row(make_app, store):
    app = make_app(timezone="Europe/Paris")
    async with app.run_test(size=SIZE) as pilot:
        keys = await _filtered_keys(pilot, "a")
        await pilot.press("e")
        await pilot.pause()
        rows = list(csv.DictReader(_latest("csv").read_text().splitlines()))
        shown = keys.visible_rows()
        assert [row["key"] for row in rows] == [key.id for key in shown] and 0 < len(rows)
        start, end = app.range_.dates(FROZEN.astimezone(PARIS).date())
        fetched = figures_at(store).strftime("%Y-%m-%dT%H:%M:%SZ")
        for row, key in zip(rows, shown):
            assert (row["range_start"], row["range_end"], row["timezone"]) == (
                start.isoformat(), end.isoformat(), "Europe/Paris")
            assert (row["row_filter"], row["key_filter"], row["data_from_utc"]) == ("a", "", fetched)
            assert re.fullmatch(r"\d+", row["credits"]) and re.fullmatch(r"\d+", row["requests"])
            assert row["last_used"] == key.last_used.astimezone(PARIS).isoformat(timespec="seconds")
            assert row["last_used"].endswith("+01:00")  # December in Paris, said in the text


async def test_a_json_export_meta_says_when_the_data_is_from(make_app, store):
    app = make_app(timezone="Europe/Paris")
    async with app.run_test(size=SIZE) as pilot:
        await _filtered_keys(pilot, "a")
        await pilot.press("E")
        await pilot.pause()
        document = json.loads(_latest("json").read_text())
        meta = document["meta"]
        assert meta["data_from_utc"] == figures_at(store).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert (meta["row_filter"], meta["timezone"], meta["range"]) == ("a", "Europe/Paris", "7d")
        assert all(isinstance(row["credits"], int) for row in document["rows"])
        stamps = [dt.datetime.fromisoformat(row["last_used"]) for row in document["rows"]]
        assert all(stamp.utcoffset() == dt.timedelta(hours=1) for stamp in stamps)


async def test_the_charts_export_gives_the_charts_days_not_the_ranges(make_app):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        chart = pilot.app.screen.query_one(DailyChart)
        chart.focus()
        await pilot.press("E")
        await pilot.pause()
        document = json.loads(_latest("json").read_text())
        days = [point.day.isoformat() for point in chart.points]
        assert [row["day"] for row in document["rows"]] == days
        assert (document["meta"]["start"], document["meta"]["end"]) == (days[0], days[-1])
        assert document["meta"]["range"] == f"{len(days)}d" != "7d"
