"""Alerts in the dashboard: toasts once per crossing, the events pane, snoozing, the bell."""

from __future__ import annotations

from usage_top.tui.events import EventsScreen, EventTable
from usage_top.views.events import event_message
from usage_top.widgets.scope_card import ScopeCard

from .conftest import settle
from .test_bindings import _column

SIZE = (120, 36)


def _toasts(app) -> list[str]:
    return [f"{notification.title}\n{notification.message}" for notification in app._notifications]


def _alerted(app) -> set[str]:
    """'api.daily amber' for each alert line of the toasts shown."""
    return {" ".join(line.split(":")[0].split()[:2]) for toast in _toasts(app)
            for line in toast.splitlines()[1:]}


async def test_crossings_toast_once(make_app, clock):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert _alerted(pilot.app) >= {"api.daily amber", "api.hourly red"}
        pilot.app.clear_notifications()
        clock.advance(minutes=5)
        await pilot.press("r")
        await settle(pilot)
        assert not any("api." in toast for toast in _toasts(pilot.app))  # no re-fire


async def test_a_polls_alerts_are_one_compact_toast_that_n_dismisses(make_app, store):
    """Three alerts at once: one toast, a line each (not three toasts covering the key
    table for 15 s); every one of them is in the events pane; ``n`` clears it."""
    async with make_app().run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        (toast,) = pilot.app._notifications
        lines = toast.message.splitlines()
        assert toast.title == f"{len(store.events())} alerts" and len(store.events()) >= 2
        assert lines[:-1] == [event_message(event) for event in reversed(store.events())]
        assert lines[-1] == "v: events · n: dismiss" and toast.timeout < 15
        await pilot.press("n")
        await pilot.pause()
        assert not pilot.app._notifications
        await pilot.press("v")
        await settle(pilot)
        assert pilot.app.screen.query_one(EventTable).row_count == len(store.events())


async def test_events_pane_and_snooze(make_app, store, clock):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(pilot.app.screen, EventsScreen)
        table = pilot.app.screen.query_one(EventTable)
        assert len(_column(table, "scope")) == len(store.events()) >= 2
        while table.current_row.scope != "api.daily":
            await pilot.press("down")
        await pilot.press("a")
        await pilot.pause()
        assert store.snoozes()["api.daily"] > clock()
        assert "api.daily" in pilot.app.screen.query_one("#summary").render().plain


async def test_cards_show_projections_and_what_runs_out_first(make_app, clock):
    async with make_app().run_test(size=SIZE) as pilot:
        await settle(pilot)
        for _ in range(2):
            clock.advance(minutes=10)
            await pilot.press("r")
            await settle(pilot)
        cards = {card.view.usage.name: card for card in pilot.app.screen.query(ScopeCard)}
        assert cards["api.daily"].projection.startswith("limit in")
        # the hourly scope went over its limit: it says so, and the next one runs out first
        assert cards["api.hourly"].view.over and cards["api.hourly"].border_subtitle == "over"
        assert [name for name, card in cards.items() if card.first_out] == ["api.daily"]
        assert cards["api.daily"].border_subtitle == "runs out first"


async def test_bell_when_configured(make_app):
    app = make_app()
    app.settings = app.settings.model_copy(update={"bell": True})
    rang = []
    app.bell = lambda: rang.append(True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert rang


async def test_a_read_only_viewer_toasts_what_the_collector_recorded(make_app, collector, store, clock):
    from usage_top.oncall.alerts import AlertEngine
    from usage_top.providers.pubrio import PubrioProvider

    app = make_app(poll=False)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not _toasts(pilot.app)
        await collector.poll_once()  # another process: collects and evaluates
        AlertEngine(store, app.settings, clock,
                    capabilities=PubrioProvider.capabilities).evaluate()
        await pilot.press("r")  # the viewer reloads from the database
        await pilot.pause()
        assert _alerted(pilot.app) >= {"api.daily amber", "api.hourly red"}
