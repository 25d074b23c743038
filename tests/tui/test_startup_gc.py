"""The command holds the garbage collector off during start-up and gives it back after the
first frame (``usage_top.startup``; why: BENCHMARKS.md, start-up)."""

from __future__ import annotations

import gc

import pytest

from usage_top import startup
from tests.tui.conftest import settle


@pytest.fixture
def held():
    """The collector held as the command holds it; afterwards as it was, nothing frozen."""
    startup.hold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


def test_release_freezes_and_enables(held):
    assert not gc.isenabled()
    startup.release()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_release_without_hold_leaves_the_collector_alone():
    gc.disable()
    try:
        startup.release()  # a test or a library calling cli.main never held it
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_dashboard_gives_the_collector_back_after_its_first_frame(held, make_app):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
