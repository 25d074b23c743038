"""Drilldown screens: one API key, and one endpoint.

Answer "which key is burning our credits, on what, since when": a key's
endpoints and daily series, an endpoint's keys and daily series. Their data is
fetched on demand by the App (``fetch_key`` / ``fetch_endpoint``), cached in the
store and reused while fresh; the screens only read the store.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import DataTable, Static

from usage_top.oncall.anomaly import anomalous_keys, baseline_range
from usage_top.domain.format import count, last_used_text, short_key
from usage_top.domain.model import Totals
from usage_top.domain.periods import local_today
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.tables import EndpointTable, KeyTable
from usage_top.tui.dashboard import RANGE_LABELS, chart_start
from usage_top.tui.frame import DataScreen, show_text


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


class KeyScreen(DataScreen):
    """One key: its endpoints, its daily chart, last used, its share of the account."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.crumb = f"key {short_key(key)}"

    def compose_body(self) -> ComposeResult:
        yield Static(id="summary")
        yield DailyChart(id="chart")
        yield EndpointTable(id="endpoints")

    def on_mount(self) -> None:
        self.query_one(EndpointTable).focus()
        self.app.fetch_key(self.key)

    @property
    def panes(self) -> list[Widget]:
        return [self.query_one(DailyChart), self.query_one(EndpointTable)]

    def refresh_data(self, now: dt.datetime) -> None:
        app, store = self.app, self.app.store
        today = local_today(now, app.settings.tz)
        start, end = app.range_.dates(today)
        label = RANGE_LABELS[app.range_.value]
        row = next((r for r in store.key_breakdown(start, end) if r.key == self.key), None)
        account = store.totals(start, end)
        mine = Totals(requests=row.requests, credits=row.credits) if row else Totals()
        summary = Text.assemble(
            ("Key ", "bold"), (self.key, "bold"),
            f"  ·  {label}: {count(mine.requests)} requests, {count(mine.credits)} credits",
            f"  ·  {_share(mine.credits, account.credits)} of the account's credits",
            f"  ·  last used {last_used_text(row.last_used, now, app.settings.tz) if row else 'never'}",
        )
        points = store.daily_series(chart_start(today), today, self.key)
        summary.append_text(self._burn(points, today))
        show_text(self.query_one("#summary", Static), summary)
        chart = self.query_one(DailyChart)
        chart.points = tuple(points)
        chart.highlight_from = start
        chart.metric = app.metric
        endpoints = self.query_one(EndpointTable)
        endpoints.metric = app.metric
        endpoints.show_endpoints(store.endpoint_breakdown(start, end, self.key))
        loading = app.loading_key == self.key and not endpoints.row_count
        endpoints.set_caption(f"{label} · {'fetching…' if loading else 'this key'}")

    def _burn(self, points, today: dt.date) -> Text:
        """The key's burn rate: its 7-day average and today's pace against its median."""
        first, last = baseline_range(today)
        week = [p.credits for p in points if first <= p.day <= last]
        today_credits = next((p.credits for p in points if p.day == today), 0.0)
        text = Text(f"\nBurn: {count(sum(week) / len(week)) if week else 0} credits/day "
                    f"(7-day average), {count(today_credits)} so far today")
        flagged = anomalous_keys(self.app.store, today, self.app.settings.anomaly_multiple).get(self.key)
        if flagged:
            spent, median = flagged
            text.append(f"  ⚑ {spent / median:.1f}× its 7-day median", style="bold red")
        return text

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self.query_one(EndpointTable).row_for_key(event.row_key.value)
        self.app.drill(("endpoint", row.slug, self.key))


class EndpointScreen(DataScreen):
    """One endpoint: the keys that call it, its daily series and cost per call."""

    def __init__(self, slug: str, key: str | None = None) -> None:
        super().__init__()
        self.slug = slug
        self.key = key
        self.crumb = f"endpoint {slug or '(unmapped)'}"

    def compose_body(self) -> ComposeResult:
        yield Static(id="summary")
        yield DailyChart(id="chart")
        yield KeyTable(now=self.app.clock, tz=self.app.settings.tz, id="keys")

    def on_mount(self) -> None:
        self.query_one(KeyTable).focus()
        self.app.fetch_endpoint(self.slug)

    @property
    def panes(self) -> list[Widget]:
        return [self.query_one(DailyChart), self.query_one(KeyTable)]

    def refresh_data(self, now: dt.datetime) -> None:
        app, store = self.app, self.app.store
        today = local_today(now, app.settings.tz)
        start, end = app.range_.dates(today)
        label = RANGE_LABELS[app.range_.value]
        rows = store.endpoint_breakdown(start, end, self.key)
        row = next((r for r in rows if r.slug == self.slug), None)
        name = row.name if row else self.slug
        summary = Text.assemble(
            (name, "bold"), f" ({self.slug or 'unmapped'})",
            f"  ·  {label}: {count(row.requests if row else 0)} calls, {count(row.credits if row else 0)} credits",
            f"  ·  {row.cost_per_call if row else 0:.2f} credits per call",
            f"  ·  {row.percent_of_credits if row else 0:.1f}% of "
            + (f"key {short_key(self.key)}'s credits" if self.key else "the account's credits"),
        )
        show_text(self.query_one("#summary", Static), summary)
        chart = self.query_one(DailyChart)
        chart.points = tuple(store.endpoint_series(self.slug, chart_start(today), today, self.key))
        chart.highlight_from = start
        chart.metric = app.metric
        keys = self.query_one(KeyTable)
        cached = store.endpoint_keys(self.slug, start, end)
        rows = cached[0] if cached else []
        keys.metric = app.metric
        keys.show_keys(rows)
        fetching = app.loading_endpoint == self.slug and cached is None
        keys.set_caption(f"{label} · {'fetching…' if fetching else 'keys calling it'}")
        if self.key and any(row.key == self.key for row in rows):
            keys.move_cursor(row=keys.get_row_index(self.key), animate=False)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.app.drill(("key", event.row_key.value))
