"""The dashboard's panes share the width they have (#19): the key table grows with the
terminal, a key is shown whole where its column has room, and the chart keeps room
for its summary (total, average, peak) at every size."""

from __future__ import annotations

import pytest

from usage_top.domain.format import short_key
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.tables import ItemTable, KeyTable

from .conftest import first_poll_done
from .test_bindings import _column


async def _ready(pilot) -> None:
    await first_poll_done(pilot)


async def test_at_200_columns_the_tables_share_the_width_and_keys_are_whole(make_app):
    async with make_app().run_test(size=(200, 50)) as pilot:
        await _ready(pilot)
        keys, items = (pilot.app.screen.query_one(kind) for kind in (KeyTable, ItemTable))
        assert keys.outer_size.width == 0.4 * 200 and items.outer_size.width == 200 - 80
        shown = [cell.removesuffix(" ⚑") for cell in _column(keys, "key")]
        assert shown == [row.id for row in keys.visible_rows()]  # whole masked ids
        assert all("•" * 8 in key for key in shown)


async def test_at_120_columns_keys_are_short_where_the_column_is(make_app):
    async with make_app().run_test(size=(120, 36)) as pilot:
        await _ready(pilot)
        keys = pilot.app.screen.query_one(KeyTable)
        assert keys.outer_size.width == 58  # its least
        shown = [cell.removesuffix(" ⚑") for cell in _column(keys, "key")]
        assert shown == [short_key(row.id) for row in keys.visible_rows()]


@pytest.mark.parametrize("size", [(200, 50), (120, 36), (80, 24), (60, 20)])
async def test_the_charts_summary_is_shown_at_every_size(make_app, size):
    async with make_app().run_test(size=size) as pilot:
        await _ready(pilot)
        text = pilot.app.screen.query_one(DailyChart).render().plain
        assert "30 days" in text and "total " in text and "avg " in text and "peak " in text
