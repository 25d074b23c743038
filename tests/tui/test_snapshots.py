"""Snapshots of the dashboard: fixed size, frozen time, seeded simulator.

Each SVG was reviewed by eye before it was committed; a change in one is a
change in what users see.
"""

from __future__ import annotations

from textual.widgets import Input

from usage_top.sim import Faults

from .conftest import first_poll_done, settle

WIDE, NARROW = (120, 36), (80, 24)


async def _ready(pilot) -> None:
    """The first poll done, its alert toasts dismissed (they have their own snapshot)."""
    await first_poll_done(pilot)


def pressing(*keys: str):
    """A ``run_before`` that waits for the first poll, then presses ``keys`` one by one,
    letting each finish (workers included) before the next."""

    async def run_before(pilot) -> None:
        await _ready(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


async def _three_polls(pilot, clock) -> None:
    """Readings ten minutes apart, so burn rates and projections exist."""
    await _ready(pilot)
    for _ in range(2):
        clock.advance(minutes=10)
        await pilot.press("r")
        await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.pause()


def test_alert_toasts_on_the_first_poll(snap_compare, make_app):
    """API daily crosses amber, API hourly red, and the spiking key is an anomaly: one
    compact toast, a line each."""
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=settle)


def test_alert_toasts_compact(snap_compare, make_app):
    """The same toast at 80×24 leaves most of the table in view."""
    assert snap_compare(make_app(), terminal_size=NARROW, run_before=settle)


def test_cards_with_projections(snap_compare, make_app, clock):
    async def run_before(pilot):
        await _three_polls(pilot, clock)

    assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


def test_events_pane(snap_compare, make_app, clock):
    async def run_before(pilot):
        await _three_polls(pilot, clock)
        await pilot.press("v")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


def test_default_view_wide(snap_compare, make_app):
    """Cards (API daily amber, API hourly red), chart, both tables."""
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=_ready)


def test_default_view_compact(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=NARROW, run_before=_ready)


def test_compact_keys_table(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=NARROW, run_before=pressing("tab"))


def test_sorted_by_cost_per_call_ascending(snap_compare, make_app):
    """s: the next column (cost per call); S: reversed, cheapest first."""
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=pressing("s", "S"))


def test_filtered_by_key(snap_compare, make_app):
    """The keys table, its second key, f: the dashboard narrowed to that key."""
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=pressing("tab", "down", "f"))


def test_key_picker(snap_compare, make_app):
    async def run_before(pilot):
        await _ready(pilot)
        await pilot.press("K")
        await pilot.pause()
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.press("f")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


def test_paused(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=pressing("p"))


def test_help(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=pressing("question_mark"))


def test_empty_database_read_only(snap_compare, make_app):
    """A viewer (--no-poll) on a database the collector has not filled yet."""
    assert snap_compare(make_app(poll=False), terminal_size=WIDE, run_before=_ready)


def test_wrong_key_banner(snap_compare, make_app):
    assert snap_compare(make_app(api_key="wrong-key", demo=False), terminal_size=WIDE, run_before=_ready)


def test_api_down_shows_stale_data(snap_compare, make_app, sim, clock):
    """Data from a good poll, then 5 minutes of 503s: kept, marked stale, error shown."""

    async def run_before(pilot):
        await _ready(pilot)
        clock.advance(minutes=5)
        sim.set_faults(Faults(status=503, count=-1))
        await pilot.press("r")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


def test_too_small(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=(50, 14), run_before=_ready)


def test_key_screen(snap_compare, make_app):
    """Tab to the keys table, Enter on the busiest key."""
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=pressing("tab", "enter"))


def test_endpoint_screen_from_a_key(snap_compare, make_app):
    """The busiest key, then its costliest endpoint."""
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=pressing("tab", "enter", "enter"))


def test_filter_active(snap_compare, make_app):
    async def run_before(pilot):
        await _ready(pilot)
        await pilot.press("slash", *"lookup")
        await pilot.pause()
        pilot.app.screen.query_one(Input).cursor_blink = False
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=WIDE, run_before=run_before)


def test_billing_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=WIDE, run_before=pressing("b"))
