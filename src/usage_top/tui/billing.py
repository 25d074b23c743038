"""The billing cycle view (``b``): balance, refill dates, this cycle against the last."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from usage_top.tui.frame import DataScreen, show_text
from usage_top.views.billing import BillingView, billing_view
from usage_top.views.context import Context
from usage_top.widgets.daily_chart import DailyChart


class BillingScreen(DataScreen):
    """Balance, top-up, refill dates; current and previous cycle; per-day use."""

    crumb = "billing"

    def compose_body(self) -> ComposeResult:
        yield Static(id="summary")
        yield Static(id="cycles")
        yield Static(id="prices")
        yield DailyChart(self.app.capabilities.shown_measures, id="chart")

    def on_mount(self) -> None:
        self.query_one(DailyChart).focus()
        self.app.fetch_billing()

    @property
    def panes(self) -> list[Widget]:
        return [self.query_one(DailyChart)]

    def refresh_data(self, ctx: Context) -> None:
        view = billing_view(ctx)
        show_text(self.query_one("#summary", Static), self._summary(view))
        show_text(self.query_one("#cycles", Static), self._cycles_table(view))
        prices = self.query_one("#prices", Static)
        prices.display = bool(view.prices)
        show_text(prices, self._prices_table(view))
        chart = self.query_one(DailyChart)
        chart.points = view.points
        chart.highlight_from = view.highlight_from
        chart.metric = view.metric
        chart.source = view.source
        chart.border_title = view.chart_title

    @staticmethod
    def _summary(view: BillingView) -> Text:
        if not view.summary:
            return Text("No billing data yet: fetching the profile…", style="dim")
        text = Text()
        for label, value, emphasised in view.summary:
            text.append(label, style="dim")
            text.append(value, style="bold" if emphasised else "")
        text.append(f"  ·  {view.as_of}", style="dim")
        return text

    @staticmethod
    def _prices_table(view: BillingView) -> Table:
        table = Table(box=None, padding=(0, 2), header_style="bold", expand=False)
        table.add_column("Action")
        table.add_column("Costs", justify="right")
        for action, price in view.prices:
            table.add_row(action, price)
        return table

    @staticmethod
    def _cycles_table(view: BillingView) -> Table:
        table = Table(box=None, padding=(0, 2), header_style="bold", expand=False)
        for index, column in enumerate(view.headers):
            left = index < 2 or index == len(view.headers) - 1
            table.add_column(column, justify="left" if left else "right")
        for cycle in view.cycles:
            table.add_row(cycle.label, cycle.dates, *cycle.figures, cycle.note)
        return table
