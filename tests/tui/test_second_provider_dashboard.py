"""The dashboard on a provider that is not Pubrio (money in USD and tokens, no request
count, models, UTC days): its units on the cards, chart and tables, and "—" for what it
does not report (what a key cost). The provider is a real loopback API (see
``tests/second_provider.py``); the figures below are sums of its constants."""

from __future__ import annotations

from usage_top.tui.app import UsageTopApp
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.scope_card import ScopeCard
from usage_top.widgets.tables import ItemTable, KeyTable

from ..second_provider import (  # noqa: F401 (fixtures)
    COST_PER_DAY,
    KEYS,
    MODELS,
    TOKENS_PER_DAY,
    token_runtime,
    token_server,
    token_settings,
)
from .conftest import settle

WEEK = 7


def _app(runtime) -> UsageTopApp:
    return UsageTopApp(settings=runtime.settings, store=runtime.store, collector=runtime.collector,
                       capabilities=runtime.capabilities, account=runtime.account,
                       clock=runtime.collector.clock, service=runtime.service)


def _cells(table, column: str) -> dict[str, str]:
    """Row key -> the cell's text as drawn."""
    keys = [table.coordinate_to_cell_key((index, 0)).row_key.value for index in range(table.row_count)]
    return {key: table.get_cell(key, column).text.plain for key in keys}


def _headers(table) -> list[str]:
    return [column.label.plain.rstrip("▲▼") for column in table.columns.values()]


async def test_the_dashboard_speaks_the_providers_units(token_runtime):
    async with _app(token_runtime).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        items = pilot.app.query_one(ItemTable)
        assert items.title == "Models" and "Requests" not in _headers(items)
        headers = _headers(items)  # what does not fit gives way, shortened or left out
        assert headers[:2] == ["Model", "In tokens"] and "Cost" in headers
        costs = _cells(items, "cost")
        assert costs == {model: f"${WEEK * cost:,.2f}" for model, cost in COST_PER_DAY.items()}
        large_input = sum(tokens[0] for (_, model), tokens in TOKENS_PER_DAY.items() if model == "large-2")
        assert _cells(items, "input_tokens")["large-2"] == f"{WEEK * large_input:,}"

        keys = pilot.app.query_one(KeyTable)
        assert set(_cells(keys, "cost").values()) == {"—"}  # the vendor does not say what a key cost
        assert set(_cells(keys, "key")) == set(KEYS)

        chart = pilot.app.query_one(DailyChart)
        assert chart.border_title.startswith("Daily cost")
        day_cost = sum(COST_PER_DAY.values())
        assert f"${day_cost:,.2f}" in chart.render().plain

        budget = next(card for card in pilot.app.query(ScopeCard) if card.view.usage.name == "budget.monthly")
        shown = budget.render().plain
        assert "$81.23 / $100.00" in shown and "81.2%" in shown
        assert budget.has_class("-amber")


async def test_the_activity_view_counts_tokens(token_runtime):
    async with _app(token_runtime).run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        chart = pilot.app.query_one(DailyChart)
        assert chart.border_title.startswith("Daily input tokens")
        assert pilot.app.query_one(ItemTable).sort_column == "input_tokens"
