"""The fault matrix (tests/faults_table.py) against the running dashboard.

One app stays up through every case in turn, as a monitor left open during an
incident would: fault, ``r``, look at the screen; recover, ``r``, look again.
For each: the app is still running with no traceback, the last good figures
stay in the tables, the header says ERROR and the banner gives the one-line
reason and the data's age, the scope cards turn stale once the data is older
than three intervals, and the next poll after recovery clears all of it.

CI runs one case of each kind (``faults_table.CORE``; the collector and report
tests run every case); ``USAGE_TOP_SOAK=1`` runs the whole table here too.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from rich.console import Console

from usage_top.pipeline.collector import Collector
from usage_top.config import Settings
from usage_top.providers.http import ApiClient
from usage_top.providers.pubrio import AUTH_HEADER, PubrioProvider
from usage_top.sim import DEMO_API_KEY, Simulator
from usage_top.tui.app import UsageTopApp
from usage_top.views.banner import sentence
from usage_top.widgets.scope_card import ScopeCard
from usage_top.widgets.status_bar import StatusBar
from usage_top.domain.parts import DAYS, SCOPES
from usage_top.widgets.tables import ItemTable, KeyTable

from ..faults_table import Restartable, ScaledTime, client_options, one_line, tui_cases
from .conftest import settle

SIZE = (120, 36)


def screen_text(app) -> str:
    """The screen as plain text, exactly as the terminal would show it."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True,
                                                      screen_stack=app._background_screens))
    return console.export_text()


@pytest.fixture
def faulty(store, clock, isolated_env):
    """A dashboard on a real account (not demo) whose simulator can fail or go down."""
    server = Restartable(Simulator(seed=7, clock=clock, tz="UTC"))
    client = ApiClient(server.url, {AUTH_HEADER: DEMO_API_KEY}, **client_options(ScaledTime()))
    collector = Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC, clock=clock,
                          interval=30)
    app = UsageTopApp(
        settings=Settings(api_key=DEMO_API_KEY, base_url=server.url, interval=30),
        store=store, collector=collector, capabilities=PubrioProvider.capabilities,
        account="api.example.com", clock=clock,
        on_close=client.aclose,
    )
    yield app, server
    server.close()


def _rows(table) -> list[tuple[str, ...]]:
    return [tuple(cell.plain if hasattr(cell, "plain") else str(cell) for cell in table.get_row_at(i))
            for i in range(table.row_count)]


async def _poll(pilot) -> None:
    await pilot.press("r")
    await settle(pilot)


async def test_the_dashboard_survives_every_fault_and_recovers(faulty, clock):
    app, server = faulty
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        banner = app.screen.query_one("#banner")
        status = app.screen.query_one(StatusBar)
        assert app.last_outcome.ok and str(banner.content) == ""

        for case in tui_cases():  # USAGE_TOP_SOAK=1: all of them
            good_endpoints = _rows(app.screen.query_one(ItemTable))
            good_keys = _rows(app.screen.query_one(KeyTable))
            clock.advance(minutes=2)  # older than three intervals: the cards turn stale
            server.apply(case)
            await _poll(pilot)

            assert app.is_running and app.return_code is None, case.id
            assert not app._exit_renderables, case.id  # no crash line, no traceback
            text = screen_text(app)
            assert "Traceback" not in text and "internal error" not in text, case.id
            if case.fails:
                error = one_line(app.last_outcome.error)
                assert all(fragment in error for fragment in case.says), (case.id, error)
                assert status.status.error == error
                assert "ERROR" in text.splitlines()[0], case.id
                shown = str(banner.content)
                assert banner.has_class("-warning") and sentence(error)[1:-1] in shown, shown
                assert ".." not in shown and shown[0].isupper(), shown
                if app.last_outcome.partial:  # one part failed: its figures stale, the rest live
                    assert shown.startswith("Some parts failed: ") and "marked stale" in shown, shown
                else:
                    first = "Rate limited by" if app.last_outcome.status == 429 else "Last poll failed: "
                    assert shown.startswith(first) and "Showing data from 2m ago." in shown, shown
                failed = {part.fills for part in app.last_outcome.failed}
                if not app.last_outcome.partial or DAYS in failed:  # the tables' part failed
                    assert _rows(app.screen.query_one(ItemTable)) == good_endpoints, case.id
                    assert _rows(app.screen.query_one(KeyTable)) == good_keys, case.id
                if not app.last_outcome.partial or SCOPES in failed:  # the cards' part failed
                    cards = list(app.screen.query(ScopeCard))
                    assert cards and all(card.has_class("-stale") for card in cards), case.id
                    assert "stale 2m" in text, case.id
            else:
                assert app.last_outcome.ok, (case.id, app.last_outcome.error)
                assert str(banner.content) == "" and "ERROR" not in text.splitlines()[0]

            server.recover()
            clock.advance(seconds=30)
            await _poll(pilot)
            assert app.last_outcome.ok, (case.id, app.last_outcome.error)
            assert str(banner.content) == "" and status.status.error is None, case.id
            assert not any(card.has_class("-stale") for card in app.screen.query(ScopeCard))
            assert app.screen.query_one(ItemTable).row_count > 0
