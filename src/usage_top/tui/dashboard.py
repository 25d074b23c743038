"""The dashboard: scope cards, the 30-day chart, the endpoint and key tables."""

from __future__ import annotations

import datetime as dt

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import DataTable, Static

from usage_top.domain.format import count
from usage_top.oncall.anomaly import anomalous_keys
from usage_top.domain.model import Period
from usage_top.domain.periods import local_today, period_start
from usage_top.oncall.projection import first_to_run_out, projections
from usage_top.views.ranges import RangeView, ScopeView, range_view, scope_views
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.scope_card import ScopeCard
from usage_top.widgets.tables import EndpointTable, KeyTable
from usage_top.tui.frame import DataScreen, show_text

CHART_DAYS = 30
RANGE_LABELS = {"today": "today", "7d": "last 7 days", "30d": "last 30 days", "month": "this month"}


def chart_start(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=CHART_DAYS - 1)


class DashboardScreen(DataScreen):
    """Everything at a glance; Enter on a row drills into that key or endpoint."""

    crumb = "dashboard"

    def __init__(self) -> None:
        super().__init__()
        self.view: RangeView | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="cards"):
            yield Static("No scope readings yet: they appear after the first successful poll.",
                         id="no-scopes")
        yield DailyChart(id="chart")
        with Horizontal(id="tables"):
            with Vertical(id="endpoints-pane"):
                yield EndpointTable(id="endpoints")
                yield Static(id="empty")
            yield KeyTable(now=self.app.clock, tz=self.app.settings.tz, id="keys")

    def on_mount(self) -> None:
        self.query_one(EndpointTable).focus()

    @property
    def panes(self) -> list[Widget]:
        return [self.query_one(DailyChart), self.query_one(EndpointTable), self.query_one(KeyTable)]

    def refresh_data(self, now: dt.datetime) -> None:
        app = self.app
        today = local_today(now, app.settings.tz)
        start, end = app.range_.dates(today)
        key = app.key_filter
        self.view = view = range_view(app.store, start, end, key)
        self._push_cards(scope_views(app.store, app.settings.thresholds_for), now, today)
        chart = self.query_one(DailyChart)
        chart.points = tuple(app.store.daily_series(chart_start(today), today, key))
        chart.highlight_from = start
        chart.metric = app.metric
        label = RANGE_LABELS[app.range_.value]
        endpoints = self.query_one(EndpointTable)
        endpoints.metric = app.metric
        endpoints.show_endpoints(view.by_endpoint)
        endpoints.set_caption(label)
        keys = self.query_one(KeyTable)
        keys.metric = app.metric
        keys.flagged = set(anomalous_keys(app.store, today, app.settings.anomaly_multiple))
        keys.show_keys(view.by_key)
        keys.set_caption(label)
        self._push_empty(view)

    def tick(self, now: dt.datetime) -> None:
        super().tick(now)
        if now.second % 15 == 0:  # reset countdowns and staleness; cheap on the wire
            for card in self.query(ScopeCard):
                card.now = now

    def _push_cards(self, scopes: list[ScopeView], now: dt.datetime, today: dt.date) -> None:
        container = self.query_one("#cards", Horizontal)
        self.query_one("#no-scopes").display = not scopes
        cards = {card.id: card for card in self.query(ScopeCard)}
        stale_after = 3 * self.app.settings.interval
        outlook = projections(self.app.store, now)
        first = first_to_run_out(outlook)
        for scope in scopes:
            card_id = "scope-" + scope.usage.name.replace(".", "-")
            card = cards.get(card_id)
            if card is None:
                card = ScopeCard(id=card_id)
                container.mount(card)
            card.stale_after = stale_after
            card.now = now
            card.view = scope
            card.key_share = self._key_share(scope, now, today)
            projection = outlook.get(scope.usage.name)
            card.projection = projection.text if projection else ""
            card.first_out = scope.usage.name == first

    def _key_share(self, scope: ScopeView, now: dt.datetime, today: dt.date) -> str:
        """The filtered key's part of a daily or monthly scope (hourly is not split by key)."""
        key, tz = self.app.key_filter, self.app.settings.tz
        usage = scope.usage
        if key is None or usage.scope != "api":
            return ""  # portal usage is not made with API keys
        if usage.period not in (Period.DAILY, Period.MONTHLY):
            return "key: not split by key"
        first = period_start(usage.period, now, tz).astimezone(tz).date()
        used = self.app.store.totals(first, today, key).requests
        share = f" ({100 * used / usage.used:.1f}%)" if usage.used else ""
        return f"key: {count(used)}{share}"

    def _push_empty(self, view: RangeView) -> None:
        key = self.app.key_filter
        if key and self.app.loading_key == key and not view.by_endpoint:
            message = f"Fetching usage of key {key}…"
        elif view.empty:
            message = "No API activity in this range"
        else:
            message = ""
        show_text(self.query_one("#empty", Static), message)
        self.query_one("#endpoints-pane").set_class(bool(message), "-empty")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row: drill into that endpoint or key."""
        event.stop()
        if isinstance(event.data_table, KeyTable):
            self.app.drill(("key", event.row_key.value))
        elif isinstance(event.data_table, EndpointTable):
            row = event.data_table.row_for_key(event.row_key.value)
            self.app.drill(("endpoint", row.slug, None))
