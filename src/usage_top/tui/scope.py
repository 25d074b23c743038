"""The scope screen (``Enter`` on a card, or ``u``): one scope's period as a curve.

It renders ``views.scope_detail``: the readings of the period so far against the
limit and the amber and red levels, the previous period muted, the projection to
the reset, and the exact figures of the reading under the cursor.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from usage_top.tui.frame import DataScreen, show_text
from usage_top.views.context import Context
from usage_top.views.scope_detail import ScopeDetail, scope_detail
from usage_top.widgets.scope_chart import ScopeChart


class ScopeScreen(DataScreen):
    """One scope: used against its limit through the current period."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name_ = name
        self.crumb = f"scope {name}"
        self.detail: ScopeDetail | None = None

    def compose_body(self) -> ComposeResult:
        yield Static(id="summary")
        yield ScopeChart(id="scope-chart")

    def on_mount(self) -> None:
        self.query_one(ScopeChart).focus()

    @property
    def panes(self) -> list[Widget]:
        return [self.query_one(ScopeChart)]

    def refresh_data(self, ctx: Context) -> None:
        self.detail = detail = scope_detail(ctx, self.name_)
        show_text(self.query_one("#summary", Static), self._summary(detail))
        chart = self.query_one(ScopeChart)
        chart.border_title = detail.title
        chart.detail = detail

    @staticmethod
    def _summary(detail: ScopeDetail) -> Text:
        if not detail.found:
            return Text(detail.note, style="dim")
        return Text.assemble((detail.title, "bold"), "  ·  ", detail.summary)
