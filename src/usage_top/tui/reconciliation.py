"""The reconciliation view (``R``): per group and in total, the vendor's cost, the
estimate from tokens x list prices and the difference, for the selected range."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from usage_top.tui.frame import DataScreen, show_text
from usage_top.views.context import Context
from usage_top.views.reconciliation import ReconciliationView, reconciliation_view


class ReconciliationScreen(DataScreen):
    """The vendor's figures against usage-top's estimate; range keys apply."""

    crumb = "reconciliation"

    def compose_body(self) -> ComposeResult:
        yield Static(id="reconciliation")

    def refresh_data(self, ctx: Context) -> None:
        view = reconciliation_view(ctx)
        body = self.query_one("#reconciliation", Static)
        if view is None:
            show_text(body, Text("This vendor's figures have no estimate to reconcile.", style="dim"))
            return
        show_text(body, self._table(view))

    @staticmethod
    def _table(view: ReconciliationView) -> Table:
        table = Table(title=view.title, title_justify="left", title_style="bold", box=None,
                      padding=(0, 1), header_style="bold", expand=False, show_footer=True,
                      caption="\n".join(view.notes), caption_justify="left", caption_style="dim")
        total = view.total
        footers = ("Total", total.cost, total.estimate, total.difference, total.percent)
        for index, (header, footer) in enumerate(zip(view.headers, footers)):
            table.add_column(header, footer=footer, justify="left" if index == 0 else "right")
        for line in view.groups:
            table.add_row(line.name, line.cost, line.estimate, line.difference, line.percent)
        if not view.groups:
            table.add_row(Text("nothing stored for this range", style="dim"), "", "", "", "")
        return table
