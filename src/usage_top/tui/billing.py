"""The billing cycle view (``b``): balance, refill dates, this cycle against the last."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Static

from usage_top.domain.format import age_text, count
from usage_top.domain.model import Billing
from usage_top.domain.periods import local_today
from usage_top.widgets.daily_chart import DailyChart
from usage_top.tui.frame import DataScreen, show_text


def cycle_bounds(billing: Billing | None, today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """(previous cycle start, current cycle start, next refill): from the profile's
    refill dates, or the calendar month when the provider has not said."""
    start = billing.last_refill if billing and billing.last_refill else today.replace(day=1)
    refill = billing.next_refill if billing and billing.next_refill else _add_month(start)
    return _add_month(start, -1), start, refill


def _add_month(day: dt.date, months: int = 1) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


@dataclass(frozen=True)
class Cycle:
    """One billing cycle's usage as far as the store has it."""

    label: str
    start: dt.date
    end: dt.date
    requests: int
    credits: float
    days_stored: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class BillingScreen(DataScreen):
    """Credit balance, top-up, refill dates; current and previous cycle; per-day costs."""

    crumb = "billing"

    def compose_body(self) -> ComposeResult:
        yield Static(id="summary")
        yield Static(id="cycles")
        yield DailyChart(id="chart")

    def on_mount(self) -> None:
        self.query_one(DailyChart).focus()
        self.app.fetch_billing()

    @property
    def panes(self) -> list[Widget]:
        return [self.query_one(DailyChart)]

    def previous_cycle_range(self, now: dt.datetime) -> tuple[dt.date, dt.date]:
        cached = self.app.store.latest_billing()
        previous, start, _ = cycle_bounds(cached[0] if cached else None, local_today(now, self.app.settings.tz))
        return previous, start - dt.timedelta(days=1)

    def refresh_data(self, now: dt.datetime) -> None:
        store, tz = self.app.store, self.app.settings.tz
        today = local_today(now, tz)
        cached = store.latest_billing()
        billing, fetched_at = cached if cached else (None, None)
        previous, start, refill = cycle_bounds(billing, today)
        current = self._cycle("This cycle", start, today)
        last = self._cycle("Previous cycle", previous, start - dt.timedelta(days=1))
        show_text(self.query_one("#summary", Static), self._summary(billing, fetched_at, now, refill))
        show_text(self.query_one("#cycles", Static), self._cycles_table(current, last, today, refill))
        chart = self.query_one(DailyChart)
        chart.points = tuple(store.daily_series(start, today))
        chart.metric = "credits"
        chart.border_title = f"Daily credits · this cycle since {start:%b %d}"

    def _cycle(self, label: str, start: dt.date, end: dt.date) -> Cycle:
        totals = self.app.store.totals(start, end)
        stored = len(self.app.store.fetched_days("breakdown", "", start, end))
        return Cycle(label, start, end, totals.requests, totals.credits, stored)

    def _summary(self, billing: Billing | None, fetched_at, now: dt.datetime, refill: dt.date) -> Text:
        if billing is None:
            return Text("No billing data yet: fetching the profile…", style="dim")
        text = Text.assemble(("Plan ", "dim"), (billing.plan or "unknown", "bold"))
        if billing.credit_balance is not None:
            text.append_text(Text.assemble(("  ·  balance ", "dim"), (f"{count(billing.credit_balance)} credits", "bold")))
        if billing.topup_credit is not None:
            text.append_text(Text.assemble(("  ·  top-up ", "dim"), count(billing.topup_credit)))
        if billing.cycle_allowance is not None:
            text.append_text(Text.assemble(("  ·  allowance ", "dim"), f"{count(billing.cycle_allowance)}/cycle"))
        refill_in = (refill - local_today(now, self.app.settings.tz)).days
        text.append_text(Text.assemble(("  ·  next refill ", "dim"), f"{refill:%b %d} (in {refill_in} d)"))
        text.append(f"  ·  as of {age_text((now - fetched_at).total_seconds())} ago", style="dim")
        return text

    def _cycles_table(self, current: Cycle, last: Cycle, today: dt.date, refill: dt.date) -> Table:
        table = Table(box=None, padding=(0, 2), header_style="bold", expand=False)
        for column in ("Cycle", "Dates", "Requests", "Credits", "Credits/day", "Note"):
            table.add_column(column, justify="right" if column not in ("Cycle", "Dates", "Note") else "left")
        for cycle in (current, last):
            elapsed = max(1, min(cycle.days, (today - cycle.start).days + 1))
            table.add_row(
                cycle.label,
                f"{cycle.start:%b %d} → {cycle.end:%b %d}",
                count(cycle.requests),
                count(cycle.credits),
                count(cycle.credits / elapsed),
                self._note(cycle, elapsed, refill),
            )
        return table

    @staticmethod
    def _note(cycle: Cycle, elapsed: int, refill: dt.date) -> str:
        if cycle.days_stored < cycle.days and cycle.label == "Previous cycle":
            return f"partial: {cycle.days_stored}/{cycle.days} days stored"
        if cycle.label == "This cycle":
            projected = cycle.credits / elapsed * (refill - cycle.start).days
            return f"≈ {count(projected)} by {refill:%b %d} at this rate"
        return ""
