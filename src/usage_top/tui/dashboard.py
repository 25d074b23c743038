"""The dashboard: scope cards, the 30-day chart, the dimension's items and the keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Static

from usage_top.domain.parts import SCOPES
from usage_top.tui.frame import DataScreen, min_turn, show_text
from usage_top.views.context import Context
from usage_top.views.dashboard import CardView, DashboardView, cards, dashboard_view
from usage_top.views.ranges import OTHER_ROW
from usage_top.widgets.daily_chart import DailyChart, day_basis
from usage_top.widgets.scope_card import ScopeCard
from usage_top.widgets.tables import ItemTable, KeyTable


class DashboardScreen(DataScreen):
    """Everything at a glance; Enter on a row drills into that key or item, on a card
    into its scope (the App handles ``ScopeCard.Opened``)."""

    crumb = "dashboard"

    def __init__(self) -> None:
        super().__init__()
        self.view: DashboardView | None = None
        self._cards_turn: dt.datetime | None = None

    def compose_body(self) -> ComposeResult:
        caps = self.app.capabilities
        with Horizontal(id="cards"):
            yield Static("No scope readings yet: they appear after the first successful poll.",
                         id="no-scopes")
        yield DailyChart(caps.shown_measures, basis=day_basis(caps), id="chart")
        with Horizontal(id="tables"):
            with Vertical(id="endpoints-pane"):
                yield ItemTable(caps, id="endpoints")
                yield Static(id="empty")
            yield KeyTable(caps, now=self.app.clock, tz=self.app.settings.tz, id="keys")

    def on_mount(self) -> None:
        self.query_one(ItemTable).focus()

    @property
    def panes(self) -> list[Widget]:
        keys = [self.query_one(KeyTable)] if self.app.capabilities.key_breakdown else []
        return [*self.query(ScopeCard), self.query_one(DailyChart), self.query_one(ItemTable), *keys]

    def refresh_data(self, ctx: Context) -> None:
        self.view = view = dashboard_view(ctx, self.app.loading_key)
        self._push_cards(view.cards, ctx)
        chart = self.query_one(DailyChart)
        chart.points = view.chart.points
        chart.highlight_from = view.chart.highlight_from
        chart.metric = view.chart.metric
        chart.source = view.chart.source
        items = self.query_one(ItemTable)
        items.per_key = ctx.key is not None  # one key's items: the measures keys have
        items.metric = ctx.measure.id
        items.show_items(view.items or [], view.totals)
        items.set_caption(" · ".join(filter(None, (view.caption, view.items_note))))
        keys = self.query_one(KeyTable)
        keys.metric = ctx.measure.id
        keys.flagged = view.flagged
        keys.show_keys(view.keys or [], view.totals)
        keys.set_caption(" · ".join(filter(None, (view.caption, view.keys_note))))
        show_text(self.query_one("#empty", Static), view.empty)
        self.query_one("#endpoints-pane").set_class(bool(view.empty), "-empty")
        self.set_class(view.keys is None, "-no-keys")

    def refresh_clock(self, ctx: Context) -> None:
        """Only the cards' outlooks move with the clock: the chart, the tables and the
        flags are the data's and the day's."""
        if self.view is None:
            return self.refresh_data(ctx)
        self.view = replace(self.view, cards=cards(ctx))
        self._push_cards(self.view.cards, ctx)

    def tick(self, now: dt.datetime) -> None:
        super().tick(now)
        if self._cards_turn is None or now >= self._cards_turn:
            self._cards_turn = _next_quarter(now)
            for card in self.query(ScopeCard):
                card.tick(now)

    def next_turn(self, now: dt.datetime) -> dt.datetime | None:
        """Also the cards' reset countdowns and staleness, read each quarter minute:
        exact enough, and cheap on the wire."""
        return min_turn((super().next_turn(now), self._cards_turn or now))

    def _push_cards(self, views: list[CardView], ctx: Context) -> None:
        container = self.query_one("#cards", Horizontal)
        self.query_one("#no-scopes").display = not views
        cards = {card.id: card for card in self.query(ScopeCard)}
        stale_after = 0.0 if SCOPES in ctx.stale else 3 * self.app.interval  # a failed part: at once
        for view in views:
            card_id = "scope-" + view.scope.usage.name.replace(".", "-")
            card = cards.get(card_id)
            if card is None:
                card = ScopeCard(id=card_id)
                container.mount(card)
            card.stale_after = stale_after
            card.now = ctx.now
            card.view = view.scope
            card.key_share = view.key_share
            card.projection = view.projection
            card.first_out = view.first_out
            card.state = view.state

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: drill into that item or key."""
        event.stop()
        if event.row_key.value == OTHER_ROW:
            return  # the usage the vendor lists under no key or item: nothing to open
        if isinstance(event.data_table, KeyTable):
            self.app.drill(("key", event.row_key.value))
        elif isinstance(event.data_table, ItemTable):
            row = event.data_table.row_for_key(event.row_key.value)
            self.app.drill(("item", event.data_table.kind, row.id, None))


def _next_quarter(now: dt.datetime) -> dt.datetime:
    """The next quarter of a minute on the clock (:00, :15, :30, :45) after ``now``."""
    start = now.replace(second=now.second - now.second % 15, microsecond=0)
    return start + dt.timedelta(seconds=15)
