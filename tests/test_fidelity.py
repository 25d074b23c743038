"""Fidelity: every figure the dashboard shows, ``report --json`` and the export equal what
the simulator served, summed here from the raw API answers (``fidelity_raw``).

One case is a provider, a simulator seed and a workspace timezone; each runs the real
dashboard once (``Runtime`` as ``usage-top`` builds it, the widgets read as rendered),
``report --json --range 7d`` and ``export --format json`` in process, all against one
seeded simulator over loopback with frozen time and a real SQLite file. Pubrio counts
days in the workspace timezone (the simulator's ``tz`` is the workspace's), OpenAI and
Anthropic in UTC buckets whatever the timezone; Lusha has no days (its scopes only).
Money is compared at the precision each output writes: a millionth in report and
export, the cent on screen; tokens and requests exactly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from usage_top.commands.cli import main
from usage_top.config import Settings
from usage_top.pipeline.runtime import Runtime
from usage_top.sim.demos import demo_api
from usage_top.sim.server import SimServer
from usage_top.tui.app import UsageTopApp
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.scope_card import ScopeCard
from usage_top.widgets.tables import ItemTable, KeyTable

from . import fidelity_raw
from .conftest import FROZEN
from .tui.conftest import settle

CASES = [
    *[("pubrio", seed, zone) for seed in (7, 23)
      for zone in ("UTC", "America/Los_Angeles", "Asia/Kolkata")],
    *[(provider, 7, zone) for provider in ("openai", "anthropic", "lusha")
      for zone in ("America/Los_Angeles", "Asia/Kolkata")],
]
MONEY = {"cost"}
MICRO, CENT = Decimal("0.000001"), Decimal("0.01")


def _week(provider: str, zone: str) -> list[dt.date]:
    """The default range, 'last 7 days', in the provider's days: today last."""
    today = FROZEN.astimezone(ZoneInfo(zone) if provider == "pubrio" else dt.UTC).date()
    return [today - dt.timedelta(days=n) for n in range(6, -1, -1)]


def _served(provider: str, url: str, key: str, days: list[dt.date]) -> fidelity_raw.Served:
    if provider == "pubrio":
        return fidelity_raw.pubrio(url, key, days)
    if provider == "openai":
        return fidelity_raw.openai(url, key, days, FROZEN)
    if provider == "anthropic":
        return fidelity_raw.anthropic(url, key, days, FROZEN)
    return fidelity_raw.lusha(url, key)


def _screen_money(value: Decimal) -> str:
    return f"${value.quantize(CENT):,}"


def _screen(measure: str, value: Decimal | int) -> str:
    return _screen_money(value) if measure in MONEY else f"{value:,}"


def _same(measure: str, written, served, precision: Decimal = MICRO) -> bool:
    """A figure as an output wrote it against the served sum, at the output's precision."""
    if measure in MONEY:
        return Decimal(str(written)) == Decimal(served).quantize(precision)
    return written == served and isinstance(written, int)


def _cli(capsys, *argv: str) -> dict:
    code = main(list(argv), clock=lambda: FROZEN)
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


async def _dashboard(settings: Settings) -> dict:
    """One dashboard run: the text of each scope card, the tables' cells, the chart."""
    runtime = Runtime.open(settings, lambda: FROZEN)
    app = UsageTopApp(settings=settings, store=runtime.store, collector=runtime.collector,
                      capabilities=runtime.capabilities, account=runtime.account,
                      clock=runtime.collector.clock, service=runtime.service,
                      on_close=runtime.aclose)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = app.screen
        cards = {(card.view.usage.scope, card.view.usage.period.value): card.render().plain
                 for card in screen.query(ScopeCard) if card.view is not None}
        tables = {}
        for kind in (ItemTable, KeyTable):
            for table in screen.query(kind):
                measures = [m.id for m in runtime.capabilities.measures]
                tables[kind.__name__] = {
                    row.id: {m: table.get_cell(row.id or "(unmapped)", m).text.plain
                             for m in measures if m in table.columns}
                    for row in table.visible_rows()}
        charts = list(screen.query(DailyChart))
        chart = None
        if charts:
            widget = charts[0]
            chart = {"points": {p.day: dict(p.figures) for p in widget.points},
                     "caption": widget.render().plain.splitlines()[-1],
                     "selected": widget.selected, "measures": [m.id for m in widget.measures]}
    return {"cards": cards, "tables": tables, "chart": chart}


@pytest.mark.parametrize(("provider", "seed", "zone"), CASES,
                         ids=[f"{p}-seed{s}-{z.split('/')[-1]}" for p, s, z in CASES])
def test_outputs_equal_what_the_simulator_served(provider, seed, zone, isolated_env: Path,
                                                 monkeypatch, capsys):
    api = demo_api(provider, tz=zone, clock=lambda: FROZEN, seed=seed)
    with SimServer(api.simulator).start() as server:
        base = server.url + api.prefix
        days = _week(provider, zone)
        served = _served(provider, base, api.key, days)
        db = isolated_env / "usage.db"
        monkeypatch.setenv("USAGE_TOP_API_KEY", api.key)
        flags = ["--provider", provider, "--base-url", base, "--timezone", zone, "--db", str(db)]
        report = _cli(capsys, "report", "--json", "--range", "7d", *flags)
        if provider == "lusha":  # its request windows count every request, ours too
            exported, on_screen = None, _served(provider, base, api.key, days)
        else:
            exported, on_screen = _cli(capsys, "export", "--format", "json", "--since",
                                       days[0].isoformat(), "--until", days[-1].isoformat(),
                                       *flags), served
        settings = Settings(provider=provider, api_key=api.key, base_url=base, timezone=zone,
                            db=db, interval=60)
        shown = asyncio.run(_dashboard(settings))

    assert "other_None" not in report  # Lusha has no dimension: was an 'other_None' field
    own = 1 if provider == "lusha" else 0  # the output's own request, in Lusha's windows
    _check_scopes(served, report["scopes"], own)
    _check_cards(on_screen, shown["cards"], own)
    if provider == "lusha":
        return  # no days: its chart is of stored readings, the scopes above are what it serves
    day_zone = zone if provider == "pubrio" else "UTC"
    _check_report(served, report, days, day_zone)
    _check_export(served, exported, days, day_zone)
    _check_screen(served, shown, days)


def _readings(served, own: int):
    """Each scope's reading served just before an output, plus the output's own request
    where the scope counts requests of this endpoint (Lusha's windows)."""
    for name, (used, limit) in served.scopes.items():
        measure = "cost" if isinstance(used, Decimal) else "count"
        yield name, measure, used + (own if name[0] == "requests" else 0), limit


def _check_scopes(served, scopes, own: int) -> None:
    """Each scope's reading and limit in the report."""
    scopes = {(s["scope"], s["period"]): s for s in scopes}
    assert set(scopes) == set(served.scopes)
    for name, measure, used, limit in _readings(served, own):
        assert _same(measure, scopes[name]["used"], used), (name, scopes[name], used)
        assert scopes[name]["limit"] == limit, name


def _check_cards(served, cards, own: int) -> None:
    """Each scope card's text: 'used / limit' (the cost alone where there is no limit)."""
    assert set(cards) == set(served.scopes)
    for name, measure, used, limit in _readings(served, own):
        figure = _screen(measure, used)
        assert (figure if limit is None else f"{figure} / {limit:,}") in cards[name], (name, cards[name])


def _check_report(served, report, days, zone) -> None:
    assert report["range"] == {"name": "7d", "start": days[0].isoformat(),
                               "end": days[-1].isoformat(), "timezone": zone}
    totals = served.totals()
    for measure, value in totals.items():
        assert _same(measure, report["totals"][measure], value), (measure, report["totals"][measure], value)
    rows = {row["id"]: row for row in report[f"by_{report['dimension']}"]}
    for item, figures in served.items.items():
        for measure, value in figures.items():
            assert _same(measure, rows[item][measure], value), (item, measure)
    if served.keys:
        keys = {row["key"]: row for row in report["by_key"]}
        assert set(keys) == set(served.keys)
        for key, figures in served.keys.items():
            for measure, value in figures.items():
                assert _same(measure, keys[key][measure], value), (key, measure)


def _check_export(served, exported, days, zone) -> None:
    """The export's rows, summed per day, equal each day served."""
    assert exported["meta"]["timezone"] == zone
    sums: dict[tuple[dt.date, str], Decimal] = {}
    for row in exported["rows"]:
        assert row["timezone"] == zone
        day = dt.date.fromisoformat(row["day"])
        for measure in served.days.get(day, {}):
            if row.get(measure) is not None:
                sums[day, measure] = sums.get((day, measure), 0) + Decimal(str(row[measure]))
    reported = {measure for _, measure in sums}
    assert reported, "the export has none of the figures served"
    for day in days:
        for measure, value in served.days[day].items():
            if measure not in reported:
                continue  # not at the export's grain (Anthropic's cost per key and model: null)
            got = sums.get((day, measure), 0)
            if measure in MONEY:  # each row rounded to a millionth
                rows = sum(1 for row in exported["rows"] if row["day"] == day.isoformat())
                assert abs(got - value) <= MICRO * max(1, rows) / 2, (day, measure, got, value)
            else:
                assert got == value, (day, measure, got, value)


def _check_screen(served, shown, days) -> None:
    """The chart's points and caption, the item and key tables' cells."""
    chart = shown["chart"]
    assert list(chart["points"])[-7:] == days
    for day in days:
        figures = chart["points"][day]
        for measure, value in served.days[day].items():
            if measure in MONEY:
                assert Decimal(str(figures[measure])).quantize(CENT) == Decimal(value).quantize(CENT), day
            else:
                assert figures[measure] == value, (day, measure)
    selected = chart["selected"]
    assert selected.day.strftime("%a %Y-%m-%d") in chart["caption"]
    for measure, value in served.days[selected.day].items():
        if measure not in chart["measures"]:
            continue  # the caption gives the chart's measures (the token kinds in the tables)
        assert _screen(measure, value) in chart["caption"], (measure, chart["caption"])
    items = shown["tables"]["ItemTable"]
    assert set(items) >= {item or "" for item in served.items}  # an unmapped slug: ''
    for item, figures in served.items.items():
        cells = items[item or ""]
        for measure, value in figures.items():
            if measure in cells:
                assert cells[measure] == _screen(measure, value), (item, measure, cells)
    if served.keys:
        keys = shown["tables"]["KeyTable"]
        for key, figures in served.keys.items():
            for measure, value in figures.items():
                assert keys[key][measure] == _screen(measure, value), (key, measure, keys[key])
