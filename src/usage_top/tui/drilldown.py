"""Drilldown screens: one API key, and one dimension item (an endpoint, a model).

Their data is fetched on demand by the App (``fetch_key`` / ``fetch_item``),
cached in the store and reused while fresh; the screens render the view models
of ``views.drilldown``.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import DataTable, Static

from usage_top.domain.format import short_key
from usage_top.tui.frame import DataScreen, show_text
from usage_top.views.context import Context
from usage_top.views.drilldown import ItemView, KeyView, item_view, key_view
from usage_top.views.ranges import OTHER_ROW
from usage_top.widgets.daily_chart import DailyChart, day_basis
from usage_top.widgets.tables import ItemTable, KeyTable


class KeyScreen(DataScreen):
    """One key: its endpoints, its daily chart, last used, its share of the account."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.crumb = f"key {short_key(key)}"

    def compose_body(self) -> ComposeResult:
        caps = self.app.capabilities
        yield Static(id="summary")
        yield DailyChart(caps.shown_measures, basis=day_basis(caps), id="chart")
        yield ItemTable(caps, per_key=True, id="endpoints")

    def on_mount(self) -> None:
        self.query_one(ItemTable).focus()
        self.app.fetch_key(self.key)

    @property
    def panes(self) -> list[Widget]:
        return [self.query_one(DailyChart), self.query_one(ItemTable)]

    def refresh_data(self, ctx: Context) -> None:
        view = key_view(ctx, self.key, self.app.loading_key == self.key)
        show_text(self.query_one("#summary", Static), self._summary(view))
        chart = self.query_one(DailyChart)
        chart.points = view.points
        chart.highlight_from = ctx.dates[0]
        chart.metric = self.app.capabilities.per_key().own_metric(ctx.measure.id)
        items = self.query_one(ItemTable)
        items.metric = ctx.measure.id
        items.show_items(view.items, view.totals)
        items.set_caption(view.caption)

    @staticmethod
    def _summary(view: KeyView) -> Text:
        text = Text.assemble(
            ("Key ", "bold"), (view.key, "bold"),
            f"  ·  {view.figures}",
            f"  ·  {view.account_share}",
            f"  ·  last used {view.last_used}",
            f"\n{view.burn}",
        )
        if view.flag:
            text.append(f"  {view.flag}", style="bold red")
        return text

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        table = self.query_one(ItemTable)
        row = table.row_for_key(event.row_key.value)
        self.app.drill(("item", table.kind, row.id, self.key))


class ItemScreen(DataScreen):
    """One dimension item: the keys that use it, its daily series, its ratio."""

    def __init__(self, kind: str, item: str, key: str | None = None) -> None:
        super().__init__()
        self.kind, self.item, self.key = kind, item, key
        self.crumb = f"{kind} {item or '(unmapped)'}"

    def compose_body(self) -> ComposeResult:
        caps = self.app.capabilities
        yield Static(id="summary")
        yield DailyChart(caps.shown_measures, basis=day_basis(caps), id="chart")
        yield KeyTable(caps, now=self.app.clock, tz=self.app.settings.tz, id="keys")

    def on_mount(self) -> None:
        self.query_one(KeyTable).focus()
        self.app.fetch_item(self.kind, self.item)

    @property
    def panes(self) -> list[Widget]:
        return [self.query_one(DailyChart), self.query_one(KeyTable)]

    def refresh_data(self, ctx: Context) -> None:
        loading = self.app.loading_item == (self.kind, self.item)
        view = item_view(ctx, self.kind, self.item, self.key, loading)
        show_text(self.query_one("#summary", Static), self._summary(view))
        chart = self.query_one(DailyChart)
        chart.points = view.points
        chart.highlight_from = ctx.dates[0]
        caps = self.app.capabilities.per_key() if self.key else self.app.capabilities
        chart.metric = caps.own_metric(ctx.measure.id)  # one key's use of it: what keys have
        keys = self.query_one(KeyTable)
        keys.metric = ctx.measure.id
        keys.show_keys(view.keys, view.key_totals)
        keys.set_caption(view.caption)
        if self.key and any(row.id == self.key for row in view.keys):
            keys.move_cursor(row=keys.get_row_index(self.key), animate=False)

    @staticmethod
    def _summary(view: ItemView) -> Text:
        parts = [(view.name, "bold"), f" ({view.item or 'unmapped'})", f"  ·  {view.figures}"]
        if view.ratio:
            parts.append(f"  ·  {view.ratio}")
        parts.append(f"  ·  {view.share}")
        return Text.assemble(*parts)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value != OTHER_ROW:  # the keys the vendor did not list: nothing to open
            self.app.drill(("key", event.row_key.value))
