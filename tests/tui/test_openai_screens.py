"""The dashboard on OpenAI data: the seeded organisation simulator over loopback,
frozen time (2026-11-18 14:37 UTC), a real SQLite file.

The figures on screen, in ``report --json`` and in the export are checked against
sums this file makes itself from the simulator's raw buckets (plain HTTP).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from usage_top.commands.cli import main
from usage_top.config import Settings
from usage_top.pipeline.collector import Collector
from usage_top.providers.http import ApiClient
from usage_top.providers.openai import OpenAIProvider, auth_headers
from usage_top.sim.openai import DEMO_ADMIN_KEY, OpenAISimulator, SimServer
from usage_top.tui.app import UsageTopApp
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.tables import ItemTable, KeyTable

from ..conftest import FROZEN, no_sleep
from .conftest import first_poll_done, settle

WIDE, NARROW = (120, 36), (80, 24)
MODEL = "gpt-4o-2024-08-06"
WEEK = [FROZEN.date() - dt.timedelta(days=n) for n in range(6, -1, -1)]
"""The default range, 'last 7 days': UTC days, today last."""


@pytest.fixture
def osim(clock) -> OpenAISimulator:
    return OpenAISimulator(seed=7, clock=clock)


@pytest.fixture
def oserver(osim) -> Iterator[SimServer]:
    with SimServer(osim).start() as server:
        yield server


@pytest.fixture
def make_openai_app(oserver, store, clock, isolated_env):
    """``make_openai_app(timezone=…)`` → a UsageTopApp polling the OpenAI simulator."""

    def make(timezone: str = "UTC") -> UsageTopApp:
        base = oserver.url + "/v1"
        settings = Settings(provider="openai", api_key=DEMO_ADMIN_KEY, base_url=base, demo=True,
                            interval=60, timezone=timezone)
        client = ApiClient(base, auth_headers(DEMO_ADMIN_KEY), sleep=no_sleep, timeout=5)
        provider = OpenAIProvider(client)
        zone = provider.capabilities.day_zone(settings.tz)  # as the runtime builds it
        collector = Collector(provider, store, tz=zone, clock=clock, interval=60)
        return UsageTopApp(settings=settings, store=store, collector=collector,
                           capabilities=provider.capabilities, account="demo organisation",
                           clock=clock, on_close=client.aclose)

    return make


async def _ready(pilot) -> None:
    await first_poll_done(pilot)


def test_openai_dashboard_wide(snap_compare, make_openai_app):
    """Spend card, cost chart ('days in UTC'), models and named keys side by side."""
    assert snap_compare(make_openai_app(), terminal_size=WIDE, run_before=_ready)


def test_openai_dashboard_compact(snap_compare, make_openai_app):
    """80 columns: the model table keeps its token columns; the $/1M column gives way."""
    assert snap_compare(make_openai_app(), terminal_size=NARROW, run_before=_ready)


# Raw sums -------------------------------------------------------------------


def _walk(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every bucket of a report, following ``next_page`` (bounded)."""
    buckets: list[dict[str, Any]] = []
    for _ in range(50):
        page = client.get(path, params=params).raise_for_status().json()
        buckets += page["data"]
        if not page["has_more"]:
            return buckets
        params["page"] = page["next_page"]
    raise AssertionError("pagination did not end")


def _raw_week(server: SimServer) -> dict[str, Decimal]:
    """The week's cost and requests, of the whole organisation and of one model,
    summed here from the raw buckets."""
    start = dt.datetime.combine(WEEK[0], dt.time(), dt.UTC)
    window = {"start_time": int(start.timestamp()),
              "end_time": int((start + dt.timedelta(days=7)).timestamp()), "bucket_width": "1d"}
    sums = dict.fromkeys(("cost", "model_cost", "model_requests", "model_input"), Decimal(0))
    headers = {"Authorization": f"Bearer {DEMO_ADMIN_KEY}"}
    with httpx.Client(base_url=server.url + "/v1", headers=headers, timeout=5) as client:
        for bucket in _walk(client, "/organization/costs", **window, **{"group_by[]": "line_item"}):
            for row in bucket["results"]:
                value = Decimal(str(row["amount"]["value"]))
                sums["cost"] += value
                if (row["line_item"] or "").startswith(MODEL + ","):
                    sums["model_cost"] += value
        for bucket in _walk(client, "/organization/usage/completions", **window,
                            **{"group_by[]": "model"}):
            for row in bucket["results"]:
                if row["model"] == MODEL:
                    sums["model_requests"] += row["num_model_requests"]
                    sums["model_input"] += row["input_tokens"]
    return sums


async def _on_screen(app: UsageTopApp) -> tuple[str, str, list[str], str]:
    """The model's cost and requests cells, the key column, the chart's title."""
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        models = app.screen.query_one(ItemTable)
        cost = models.get_cell(MODEL, "cost").text.plain
        requests = models.get_cell(MODEL, "requests").text.plain
        keys = app.screen.query_one(KeyTable)
        key_names = [keys.get_row_at(n)[0].text.plain for n in range(keys.row_count)]
        return cost, requests, key_names, str(app.screen.query_one(DailyChart).border_title)


def test_the_screen_report_and_export_show_the_raw_sums(make_openai_app, oserver, clock, capsys):
    raw = _raw_week(oserver)
    cost, requests, key_names, title = asyncio.run(_on_screen(make_openai_app()))

    assert cost == f"${raw['model_cost']:,.2f}"
    assert requests == f"{raw['model_requests']:,}"
    assert "prod-chat" in key_names  # keys by name, not by id
    assert "days in UTC" in title

    code = main(["report", "--demo", "--provider", "openai", "--json", "--range", "7d"], clock=clock)
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert report["range"]["timezone"] == "UTC"
    micro = Decimal("0.000001")  # report and export write money to a millionth of a dollar
    assert Decimal(str(report["totals"]["cost"])) == raw["cost"].quantize(micro)
    row = next(row for row in report["by_model"] if row["id"] == MODEL)
    assert Decimal(str(row["cost"])) == raw["model_cost"].quantize(micro)
    assert row["requests"] == raw["model_requests"]
    assert row["input_tokens"] == raw["model_input"]

    code = main(["export", "--demo", "--provider", "openai", "--format", "json",
                 "--since", WEEK[0].isoformat(), "--until", WEEK[-1].isoformat()], clock=clock)
    out, err = capsys.readouterr()
    assert code == 0, err
    exported = json.loads(out)
    assert exported["meta"]["timezone"] == "UTC"
    rows = exported["rows"]
    assert {row["timezone"] for row in rows} == {"UTC"}
    model_rows = [row for row in rows if row.get("model_id") == MODEL]
    exported_cost = sum(Decimal(str(row["cost"])) for row in model_rows if row["cost"] is not None)
    assert abs(exported_cost - raw["model_cost"]) < micro * len(model_rows)


async def test_days_stay_utc_days_seen_from_los_angeles(make_openai_app, oserver, store, clock):
    """At 06:00 UTC on the 19th it is still 22:00 on the 18th in Los Angeles, yet 'today'
    is the UTC day 2026-11-19, as OpenAI counts it, and holds that day's use."""
    clock.now = dt.datetime(2026, 11, 19, 6, 0, tzinfo=dt.UTC)
    app = make_openai_app(timezone="America/Los_Angeles")
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        chart = app.screen.query_one(DailyChart)
        days = [point.day for point in chart.points]
    assert days[-1] == dt.date(2026, 11, 19)
    stored = store.daily_series(dt.date(2026, 11, 19), dt.date(2026, 11, 19))
    assert stored and stored[0].figures.get("requests", 0) > 0


async def test_requests_one_poll_costs(make_openai_app, oserver, clock):
    """First poll: 31 days in one window (6 usage families + costs), the month to date,
    the project listing and one key listing per project; a later poll: the unsettled
    days (36 h: today and yesterday, one window) and the month to date, names cached."""
    app = make_openai_app()
    async with app.run_test(size=WIDE) as pilot:
        await _ready(pilot)
        provider = app.collector.provider
        first = provider.requests_made
        clock.advance(minutes=2)
        await pilot.press("r")
        await settle(pilot)
        later = provider.requests_made - first
    projects = len(provider.projects)
    assert first == 7 + 1 + 1 + projects, first
    assert later == 7 + 1, later
