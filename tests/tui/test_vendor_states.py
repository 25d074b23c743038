"""What the dashboard does with Anthropic's and Lusha's particular states, on their
simulators over loopback: a 402 slows polling without a retry storm; the key table
sorts by the estimate where key rows have no vendor cost, shows it (labelled "est.") and
no column of the vendor's cost; a last use the vendor does not report is '—'."""

from __future__ import annotations

from usage_top.sim import Faults
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.tables import ItemTable, KeyTable

from .conftest import settle

EXHAUSTED = '{"statusCode": 402, "message": "No credits left for this billing cycle"}'


async def test_a_402_waits_ten_minutes_and_sends_one_request(make_vendor_app, clock):
    app = make_vendor_app("lusha")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        clock.advance(minutes=1)
        app.simulator.set_faults(Faults(status=402, body=EXHAUSTED))
        before = app.simulator.request_count()
        await pilot.press("r")
        await settle(pilot)
        assert app.simulator.request_count() - before == 1  # no retries of a 402
        assert not app.last_outcome.ok and not app.last_outcome.needs_user
        assert app.collector.next_wait(app.last_outcome) == 600
        assert "polling continues, slowly" in app.last_outcome.error
        assert app.last_outcome.scope == "credits.cycle"


async def test_anthropic_key_rows_sort_by_the_estimate(make_vendor_app):
    """Key rows have no vendor cost: the default sort falls back to the estimate."""
    app = make_vendor_app("anthropic")
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        keys = pilot.app.screen.query_one(KeyTable)
        keys.styles.width = 120  # room for every column (the dashboard gives the table 58)
        await settle(pilot)
        keys.show_keys(list(keys.visible_rows()), keys.totals)
        assert keys.sort_column == "cost_est"
        estimates = [row.figures["cost_est"] for row in keys.visible_rows()]
        assert estimates == sorted(estimates, reverse=True) and estimates
        await pilot.press("c")
        await settle(pilot)
        assert keys.sort_column == "output_tokens"
        await pilot.press("c")
        await settle(pilot)
        assert keys.sort_column == "cost_est"


async def test_anthropic_key_table_at_120_columns_shows_the_estimate(make_vendor_app):
    """Keys have no vendor cost: their table has the estimate and its share, not a cost
    column of dashes; every estimated cell says 'est.'; the model table keeps the vendor's cost."""
    app = make_vendor_app("anthropic")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        keys = app.screen.query_one(KeyTable)
        assert "cost" not in keys.columns and "pct_cost" not in keys.columns
        assert {"cost_est", "pct_cost_est", "output_tokens"} <= set(keys.columns)
        rows = keys.visible_rows()
        assert len(rows) == 8
        for row in rows:
            assert keys.get_cell(row.id, "cost_est").text.plain == f"${row.figures['cost_est']:,.2f} est."
            assert keys.get_cell(row.id, "pct_cost_est").text.plain.endswith("%")
        items = app.screen.query_one(ItemTable)
        assert "cost" in items.columns and items.sort_column == "cost"


async def test_anthropic_estimates_say_est_and_last_use_is_not_reported(make_vendor_app):
    """Wide enough for every column: estimate and ratio cells end in 'est.', the vendor's
    cost does not, and a key's last use (the vendor does not report it) is '—', not 'never'."""
    app = make_vendor_app("anthropic")
    async with app.run_test(size=(240, 40)) as pilot:
        await settle(pilot)
        keys = app.screen.query_one(KeyTable)
        keys.styles.width = 120
        await settle(pilot)
        assert "last_used" in keys.columns
        assert {keys.get_cell(row.id, "last_used").text.plain for row in keys.visible_rows()} == {"—"}
        items = app.screen.query_one(ItemTable)
        assert {"cost", "cost_est", "ratio"} <= set(items.columns)
        priced = [row for row in items.visible_rows() if "cost_est" in row.figures]
        assert priced
        for row in priced:
            assert items.get_cell(row.id, "cost_est").text.plain.endswith(" est.")
            assert items.get_cell(row.id, "ratio").text.plain.endswith(" est.")
            assert "est." not in items.get_cell(row.id, "cost").text.plain


async def test_anthropic_key_drilldown_counts_the_estimate(make_vendor_app):
    """A key's screen: its figures, share, burn and chart are of the estimate (a key has no
    vendor cost: no '$0.00/day', no empty chart), its models table has no cost column,
    and its last use is '—'."""
    app = make_vendor_app("anthropic")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        key = app.screen.query_one(KeyTable).visible_rows()[0]
        app.drill(("key", key.id))
        await settle(pilot)
        summary = app.screen.query_one("#summary").render().plain
        assert f"${key.figures['cost_est']:,.2f} est." in summary
        assert "of the account's cost est." in summary and "last used —" in summary
        assert "/day est." in summary and "$0.00/day" not in summary
        chart = app.screen.query_one(DailyChart)
        assert chart.metric == "cost_est" and any("cost_est" in p.figures for p in chart.points)
        models = app.screen.query_one(ItemTable)
        assert "cost" not in models.columns and models.sort_column == "cost_est"
        assert models.visible_rows()
        assert "days in UTC" in chart.border_title
        model = models.visible_rows()[0]
        app.drill(("item", "model", model.id, key.id))  # that key's use of one model
        await settle(pilot)
        summary = app.screen.query_one("#summary").render().plain
        assert f"${model.figures['cost_est']:,.2f} est." in summary and "—" not in summary
        assert "dollars per million tokens est." in summary and "'s cost est." in summary
        assert app.screen.query_one(DailyChart).metric == "cost_est"


async def test_anthropic_narrowed_to_a_key_the_models_table_shows_the_estimate(make_vendor_app):
    """One key's models have no vendor cost: while narrowed to a key the table's columns and
    share are of the estimate, the chart counts it; back to all keys, the vendor's cost again."""
    app = make_vendor_app("anthropic")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        items = app.screen.query_one(ItemTable)
        key = app.screen.query_one(KeyTable).visible_rows()[0].id
        app.key_filter = key
        await settle(pilot)
        assert "cost" not in items.columns and "cost_est" in items.columns
        assert items.sort_column == "cost_est" and items.metric == "cost_est"
        rows = [row for row in items.visible_rows() if "cost_est" in row.figures]
        assert rows and all(items.get_cell(row.id, "share").text.plain.strip().endswith("%")
                            for row in rows)
        assert app.screen.query_one(DailyChart).metric == "cost_est"
        app.key_filter = None
        await settle(pilot)
        assert "cost" in items.columns and items.sort_column == "cost" and items.metric == "cost"
        assert app.screen.query_one(DailyChart).metric == "cost"
