"""The dashboard under hostile terminals: resize storms, absurd sizes, NO_COLOR.

(test_bindings.py resizes through six sizes with a pause after each; here the
terminal changes size many times without waiting, down to 1x1, while a poll is in
flight and on every screen, and the layout must match the last size once it settles.)
"""

from __future__ import annotations

import random

from usage_top.tui.app import COMPACT_BELOW, MIN_SIZE
from usage_top.widgets.tables import ItemTable

from .conftest import settle
from .test_tui_faults import screen_text

SIZES = [(1, 1), (10, 3), (59, 19), (60, 20), (80, 24), (109, 31), (110, 32), (40, 100),
         (300, 5)]


def _layout_matches(app, size) -> None:
    width, height = size
    screen = app.screen
    assert screen.has_class("-too-small") == (width < MIN_SIZE[0] or height < MIN_SIZE[1]), size
    assert screen.has_class("-compact") == (width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1])


async def test_a_resize_storm_while_polling_and_navigating(make_app):
    rng = random.Random(6)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for round_, keys in enumerate([["r"], ["tab", "enter"]]):
            await pilot.press(*keys)  # a poll in flight, then a drilldown opening
            for _ in range(10):  # no pause in between: events pile up
                await pilot.resize_terminal(*rng.choice(SIZES))
            last = SIZES[round_ * 3 + 1]
            await pilot.resize_terminal(*last)
            await settle(pilot)
            assert app.is_running and app.return_code is None
            _layout_matches(app, last)
        for size in [(1, 1), (10, 3), (59, 19), (80, 24), (300, 5)]:  # what each shows
            await pilot.resize_terminal(*size)
            await settle(pilot)
            _layout_matches(app, size)
            text = screen_text(app)
            assert "Traceback" not in text
            if size[0] >= 60 and size[1] >= 20:
                assert "usage-top" in text
            elif size[0] >= 45 and size[1] >= 3:
                assert "needs a terminal of at least 60×20" in text.replace("\n", " ")
        assert app.is_running


async def test_no_color_starting_in_a_1x1_terminal_then_growing(make_app, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app()
    assert app.no_color  # Textual drops colour (a monochrome filter) for the whole app
    async with app.run_test(size=(1, 1)) as pilot:
        await settle(pilot)
        assert app.screen.has_class("-too-small") and app.is_running
        await pilot.resize_terminal(120, 36)
        await settle(pilot)
        assert not app.screen.has_class("-too-small")
        text = screen_text(app)
        assert "usage-top" in text and "%" in text
        assert app.screen.query_one(ItemTable).row_count > 0
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert app.screen.has_class("-compact") and app.is_running
