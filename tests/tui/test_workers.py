"""No worker dies silently, and a failed part is shown stale while the rest is live.

A failure is injected into each step after the fetch (the alert engine, the alert
hook, the refresh of each screen); every time the message reaches the screen and
polling is re-armed. The real dashboard runs on the simulator with frozen time.
"""

from __future__ import annotations

import pytest
from textual.worker import WorkerFailed

from usage_top.sim import Faults
from usage_top.store import StoreError
from usage_top.tui.billing import BillingScreen
from usage_top.tui.dashboard import DashboardScreen
from usage_top.tui.drilldown import KeyScreen
from usage_top.tui.events import EventsScreen
from usage_top.widgets.scope_card import ScopeCard

from .conftest import settle
from .test_tui_faults import screen_text

SIZE = (120, 36)


def _flat(app) -> str:
    return " ".join(screen_text(app).split())


async def _settle_failing(pilot) -> None:
    """``settle`` for a poll whose worker is meant to fail: waiting on a worker that ends
    in error raises ``WorkerFailed`` (the app's handler has shown it by then), so
    wait for each without that, however long a loaded machine takes."""
    await pilot.pause()
    for worker in list(pilot.app.workers):
        try:
            await worker.wait()
        except WorkerFailed:
            pass
    await pilot.pause()


async def _poll_again(pilot) -> None:
    """What the re-armed timer does when it fires (the timer itself runs on real time)."""
    app = pilot.app
    assert app._timer is not None, "polling was not re-armed"
    app.poll()
    await settle(pilot)


async def test_a_failed_part_is_shown_stale_and_the_rest_live(make_app, sim, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        clock.advance(minutes=1)
        sim.set_faults(Faults(status=404, paths=("/profile/usage",)))
        app.poll()
        await settle(pilot)
        text = _flat(app)
        assert "Some parts failed: scopes (/profile/usage)" in text and "404" in text
        assert all(card.has_class("-stale") for card in app.screen.query(ScopeCard))
        assert app._timer is not None  # one part's 404 is not a wrong base URL: polling goes on

        sim.set_faults(Faults(status=404, paths=("/api_keys/usage/breakdown",)))
        clock.advance(minutes=1)
        app.poll()
        await settle(pilot)
        assert "stale: last stored" in _flat(app)
        assert not any(card.has_class("-stale") for card in app.screen.query(ScopeCard))


def _lock_the_alerts(app) -> None:
    """The alert step meets a locked database at every poll from now on."""

    def locked():
        raise StoreError("database is locked", permanent=False)

    app.service.alerts.evaluate = locked


async def test_an_alert_failure_is_shown_and_polling_goes_on(make_app, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _lock_the_alerts(app)
        clock.advance(minutes=1)
        await _poll_again(pilot)
        assert "alerts not evaluated: database: database is locked" in _flat(app)
        assert app._timer is not None and app.is_running  # (hooks: test_service.py)


async def test_a_partial_poll_whose_alerts_fail_says_both(make_app, sim, clock):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        _lock_the_alerts(app)
        sim.set_faults(Faults(status=404, paths=("/profile/usage",)))
        clock.advance(minutes=1)
        await _poll_again(pilot)
        text = _flat(app)
        assert "Some parts failed: scopes (/profile/usage)" in text
        assert "the alerts failed: alerts not evaluated: database: database is locked" in text
        assert app._timer is not None


async def test_an_alert_hook_failure_is_shown_and_polling_goes_on(make_app, clock, isolated_env):
    ran = isolated_env / "hook-ran"
    app = make_app(alert_command=f"echo ran >> {ran}; echo 'pager is down' >&2; exit 3")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)  # the first poll raises the demo's amber and red scopes
        assert ran.exists()  # the hook ran, and failed
        text = _flat(app)
        assert "alert command failed with exit code 3: pager is down" in text
        assert "The figures are live, but the alerts failed" in text and "Last poll failed" not in text
        assert app._timer is not None and app.is_running  # re-armed: polling goes on
        assert "Polling stopped" not in text and not app.last_outcome.needs_user

        clock.advance(minutes=1)
        await _poll_again(pilot)  # the re-armed poll runs: no new event, no hook, no error
        assert app.last_outcome.ok and "alert command failed" not in _flat(app)
        assert app.store.last_poll().started_at == clock()  # polled again


@pytest.mark.parametrize("where", ["dashboard", "key", "billing", "events"])
async def test_a_screen_refresh_failing_after_the_poll_is_shown_and_retried(
        make_app, store, clock, monkeypatch, where):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        if where == "key":
            app.drill(("key", store.key_breakdown(clock().date(), clock().date())[0].id))
        elif where != "dashboard":
            app.drill((where,))
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, (DashboardScreen, KeyScreen, BillingScreen, EventsScreen))
        original = type(screen).refresh_data
        calls = []

        def broken(self, ctx):
            calls.append(1)
            raise RuntimeError("boom")

        monkeypatch.setattr(type(screen), "refresh_data", broken)
        clock.advance(minutes=1)
        app.poll()
        await _settle_failing(pilot)
        assert calls and app.is_running
        monkeypatch.setattr(type(screen), "refresh_data", original)
        app._update_status()
        screen.show_banner(*app._banner(clock()))
        await pilot.pause()
        text = _flat(app)
        assert "poll failed: internal error (RuntimeError); details in" in text
        assert app._worker_failures == 1 and app._timer is not None  # re-armed, backing off

        await _poll_again(pilot)  # the next poll works again and clears the message
        assert app.last_outcome.ok and app._worker_failures == 0
        assert "internal error" not in _flat(app)
