"""The dashboard: scope cards, daily chart, endpoint and key tables, live.

The App owns the state (range, key filter, metric, paused, last poll outcome)
and pushes it down; widgets render and never fetch. It starts from what the
store already holds, then a single exclusive worker polls through the
collector and re-arms the timer only when a poll has finished, so polls never
overlap. Store, collector and clock come in through ``__init__`` so tests run
the real code against the simulator with frozen time.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Awaitable, Callable, Iterable

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.geometry import Size
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from ..collector import Clock, Collector, PollOutcome, utc_now
from ..config import Settings
from ..crash import crash_line
from ..format import age_text, count, short_key
from ..model import Period
from ..periods import HISTORY_DAYS, Range, local_today, period_start
from ..runtime import Runtime
from ..store import Store, StoreError
from ..views import RangeView, ScopeView, range_view, scope_views
from ..widgets.daily_chart import DailyChart
from ..widgets.scope_card import ScopeCard
from ..widgets.status_bar import Status, StatusBar
from ..widgets.tables import EndpointTable, KeyTable
from .screens import HelpScreen, KeyPicker

RANGE_LABELS = {
    Range.TODAY: "today",
    Range.WEEK: "last 7 days",
    Range.DAYS30: "last 30 days",
    Range.MONTH: "this month",
}
CHART_DAYS = 30
MIN_SIZE = (60, 20)
COMPACT_BELOW = (110, 32)


class UsageTopApp(App[None]):
    """htop for an API quota."""

    CSS_PATH = "app.tcss"
    TITLE = "usage-top"

    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", key_display="?", id="help"),
        Binding("p", "toggle_pause", "Pause", id="pause"),
        Binding("r", "poll_now", "Refresh", id="refresh"),
        Binding("1", "set_range('today')", "Today", id="range_today"),
        Binding("2", "set_range('7d')", "7 days", id="range_7d"),
        Binding("3", "set_range('30d')", "30 days", id="range_30d"),
        Binding("4", "set_range('month')", "Month", show=False, id="range_month"),
        Binding("K", "pick_key", "Key filter", id="pick_key"),
        Binding("escape", "clear_key", "All keys", show=False, id="all_keys"),
        Binding("c", "toggle_metric", "Req/credits", id="metric"),
        Binding("tab", "cycle_focus(1)", "Next pane", show=False, priority=True, id="next_pane"),
        Binding("shift+tab", "cycle_focus(-1)", "Previous pane", show=False, priority=True,
                id="previous_pane"),
    ]

    range_: reactive[Range] = reactive(Range.WEEK, init=False)
    """The date range of the tables."""

    key_filter: reactive[str | None] = reactive(None, init=False)
    """A masked key, or None for all keys."""

    metric: reactive[str] = reactive("requests", init=False)
    """What the chart counts: 'requests' or 'credits'."""

    paused: reactive[bool] = reactive(False, init=False)
    """Paused: no polling and no data changes; scrolling and sorting still work."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        collector: Collector | None,
        account: str,
        clock: Clock = utc_now,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__()
        self._on_close = on_close
        self.settings = settings
        self.store = store
        self.collector = collector
        self.account = account
        self.clock = clock
        self.last_outcome: PollOutcome | None = None
        self.loading_key: str | None = None
        self._timer: Timer | None = None
        self._next_poll: dt.datetime | None = None
        self._in_flight = False
        self._view: RangeView | None = None

    # ----------------------------------------------------------------- layout
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Static(id="banner")
        with Horizontal(id="cards"):
            yield Static("No scope readings yet: they appear after the first successful poll.",
                         id="no-scopes")
        yield DailyChart(id="chart")
        with Horizontal(id="tables"):
            with Vertical(id="endpoints-pane"):
                yield EndpointTable(id="endpoints")
                yield Static(id="empty")
            yield KeyTable(now=self.clock, tz=self.settings.tz, id="keys")
        yield Static(id="too-small")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_view()
        self.query_one(EndpointTable).focus()
        self.set_interval(1.0, self._tick)
        if self.collector is None:
            self.set_interval(self.settings.interval, self.refresh_view)
        else:
            self.poll()
        self._apply_size(self.size)

    def on_resize(self, event: Resize) -> None:
        self._apply_size(event.size)

    def _fatal_error(self) -> None:
        """A bug: exit with one line and the traceback in a file, never a traceback
        with local variables (which may hold secrets) on the user's screen."""
        error = sys.exc_info()[1] or self._exception or RuntimeError("unknown error")
        self.bell()
        self._exit_renderables.append(Text(crash_line(error)))
        self._close_messages_no_wait()

    async def on_unmount(self) -> None:
        """Close the HTTP client inside the loop that used it."""
        if self._on_close is not None:
            await self._on_close()

    def _apply_size(self, size: Size) -> None:
        """Switch the compact and too-small layouts (the app's own size lags a resize)."""
        width, height = size
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        self.screen.set_class(too_small, "-too-small")
        self.screen.set_class(width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1], "-compact")
        if too_small:
            self.query_one("#too-small", Static).update(
                f"usage-top needs a terminal of at least {MIN_SIZE[0]}×{MIN_SIZE[1]}; "
                f"this one is {width}×{height}."
            )

    # ---------------------------------------------------------------- polling
    @work(exclusive=True, group="poll", exit_on_error=False)
    async def poll(self) -> None:
        """Poll once through the collector, then re-arm the timer."""
        if self.collector is None:
            return
        self._cancel_timer()
        self._in_flight = True
        self._update_status()
        try:
            outcome = await self.collector.poll_once()
            if outcome.ok and self.key_filter:
                outcome = await self._fetch_key(self.key_filter)
        finally:
            self._in_flight = False
        self.last_outcome = outcome
        if not self.paused:
            self.refresh_view()
            if not outcome.needs_user:  # a rejected key stays rejected: wait for `r`
                self._arm_timer()
        self._update_status()

    async def _fetch_key(self, key: str) -> PollOutcome:
        today = local_today(self.clock(), self.settings.tz)
        start = today - dt.timedelta(days=HISTORY_DAYS - 1)
        return await self.collector.fetch_key(key, start, today)

    @work(exclusive=True, group="key", exit_on_error=False)
    async def load_key(self, key: str) -> None:
        """Fetch a key's per-endpoint series on demand, then show it."""
        if self.collector is None:
            return
        self.loading_key = key
        self.refresh_view()
        outcome = await self._fetch_key(key)
        self.loading_key = None
        if not outcome.ok:
            self.last_outcome = outcome
        if self.key_filter == key:
            self.refresh_view()

    def _arm_timer(self) -> None:
        self._cancel_timer()
        self._next_poll = self.clock() + dt.timedelta(seconds=self.settings.interval)
        self._timer = self.set_timer(self.settings.interval, self.poll)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._next_poll = None

    def _tick(self) -> None:
        now = self.clock()
        self.query_one(StatusBar).now = now
        if now.second % 15 == 0:
            for card in self.query(ScopeCard):
                card.now = now

    # ------------------------------------------------------------------ state
    def refresh_view(self) -> None:
        """Read the store for the current range and filter and push it to the widgets."""
        try:
            self._push(self.clock())
        except StoreError as exc:
            self.notify(f"database: {exc}", severity="error", timeout=8)
        self._update_status()

    def _push(self, now: dt.datetime) -> None:
        today = local_today(now, self.settings.tz)
        start, end = self.range_.dates(today)
        key = self.key_filter
        self._view = view = range_view(self.store, start, end, key)
        self._push_cards(scope_views(self.store, self.settings.amber, self.settings.red), now, today)
        chart = self.query_one(DailyChart)
        chart.points = tuple(self.store.daily_series(today - dt.timedelta(days=CHART_DAYS - 1), today, key))
        chart.highlight_from = start
        chart.metric = self.metric
        endpoints = self.query_one(EndpointTable)
        endpoints.show_endpoints(view.by_endpoint)
        endpoints.set_caption(RANGE_LABELS[self.range_] + (f" · key {key}" if key else ""))
        keys = self.query_one(KeyTable)
        keys.show_keys(view.by_key)
        keys.set_caption(RANGE_LABELS[self.range_])
        self._push_empty(view)
        self._push_banner(now)

    def _push_cards(self, scopes: list[ScopeView], now: dt.datetime, today: dt.date) -> None:
        container = self.query_one("#cards", Horizontal)
        self.query_one("#no-scopes").display = not scopes
        cards = {card.id: card for card in self.query(ScopeCard)}
        stale_after = 3 * self.settings.interval
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

    def _key_share(self, scope: ScopeView, now: dt.datetime, today: dt.date) -> str:
        """The filtered key's part of a daily or monthly scope (hourly is not split by key)."""
        key = self.key_filter
        if key is None:
            return ""
        usage = scope.usage
        if usage.scope != "api":
            return ""  # portal usage is not made with API keys
        if usage.period not in (Period.DAILY, Period.MONTHLY):
            return "key: not split by key"
        first = period_start(usage.period, now, self.settings.tz).astimezone(self.settings.tz).date()
        used = self.store.totals(first, today, key).requests
        share = f" ({100 * used / usage.used:.1f}%)" if usage.used else ""
        return f"key: {count(used)}{share}"

    def _push_empty(self, view: RangeView) -> None:
        empty = self.query_one("#empty", Static)
        if self.key_filter and self.loading_key == self.key_filter and not view.by_endpoint:
            message = f"Fetching usage of key {self.key_filter}…"
        elif view.empty:
            message = "No API activity in this range"
        else:
            message = ""
        empty.update(message)
        self.query_one("#endpoints-pane").set_class(bool(message), "-empty")

    def _push_banner(self, now: dt.datetime) -> None:
        banner = self.query_one("#banner", Static)
        outcome = self.last_outcome
        if outcome is None or outcome.ok:
            banner.set_classes("")
            banner.update("")
            return
        if outcome.needs_user:
            banner.set_classes("-error")
            banner.update(Text(f"{outcome.error}. Polling stopped: fix this, then press r to retry."))
            return
        last = self.store.last_success()
        shown = (
            f"showing data from {age_text((now - last.finished_at).total_seconds())} ago"
            if last else "no data stored yet"
        )
        banner.set_classes("-warning")
        banner.update(Text(f"Last poll failed: {outcome.error}. {shown}; retrying every "
                           f"{self.settings.interval:g}s."))

    def _update_status(self) -> None:
        last = None
        try:
            record = self.store.last_success()
            last = record.finished_at if record else None
        except StoreError:
            pass
        bar = self.query_one(StatusBar)
        bar.status = Status(
            provider=self.collector.provider.name if self.collector else self.settings.provider,
            account=self.account,
            demo=self.settings.simulated,
            paused=self.paused,
            polling=self.collector is not None,
            error=None if self.last_outcome is None else self.last_outcome.error,
            last_success=last,
            next_poll=self._next_poll,
            in_flight=self._in_flight,
            scope=f"key {short_key(self.key_filter)}" if self.key_filter else "All keys",
            range_label=RANGE_LABELS[self.range_],
        )
        bar.now = self.clock()

    # ---------------------------------------------------------------- actions
    def watch_range_(self) -> None:
        self.refresh_view()

    def watch_metric(self) -> None:
        self.query_one(DailyChart).metric = self.metric

    def watch_key_filter(self, key: str | None) -> None:
        self.refresh_view()
        if key is not None:
            self.load_key(key)

    def watch_paused(self, paused: bool) -> None:
        if paused:
            self._cancel_timer()
        elif self.collector is not None:
            self.poll()
        self._update_status()

    def action_set_range(self, name: str) -> None:
        self.range_ = Range(name)

    def action_toggle_metric(self) -> None:
        self.metric = "credits" if self.metric == "requests" else "requests"

    def action_toggle_pause(self) -> None:
        self.paused = not self.paused

    def action_poll_now(self) -> None:
        if self.collector is None:
            self.refresh_view()
            self.notify("read-only (--no-poll): reloaded from the database")
            return
        if self.paused:
            self.paused = False
        else:
            self.poll()

    def action_pick_key(self) -> None:
        keys = self._view.by_key if self._view and not self.key_filter else self._all_keys()
        self.push_screen(KeyPicker(keys, self.key_filter), self._set_key)

    def _all_keys(self):
        today = local_today(self.clock(), self.settings.tz)
        return self.store.key_breakdown(*self.range_.dates(today))

    def _set_key(self, key: str | None) -> None:
        self.key_filter = key

    def action_clear_key(self) -> None:
        self.key_filter = None

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self._help_sections()))

    def action_cycle_focus(self, step: int) -> None:
        """Tab through chart, endpoints and keys; in the compact layout show the focused table."""
        if self.screen is not self.screen_stack[0]:  # a modal: ordinary focus movement
            (self.screen.focus_next if step > 0 else self.screen.focus_previous)()
            return
        panes = [self.query_one(DailyChart), self.query_one(EndpointTable), self.query_one(KeyTable)]
        current = self.focused if self.focused in panes else panes[1]
        target = panes[(panes.index(current) + step) % len(panes)]
        self.screen.set_class(isinstance(target, KeyTable), "-keys-shown")
        self.call_after_refresh(target.focus)  # a table hidden by the compact layout shows first

    def on_data_table_row_selected(self, event: KeyTable.RowSelected) -> None:
        if isinstance(event.data_table, KeyTable):
            self.key_filter = event.row_key.value

    # --------------------------------------------------------- help & palette
    def _keys_text(self, binding: Binding) -> str:
        """'← h' for a binding on 'left,h'."""
        keys = binding.key.split(",")
        if binding.key_display:
            return binding.key_display
        return " ".join(self.get_key_display(Binding(key, binding.action)) for key in keys)

    def _help_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        def rows(bindings: Iterable[Binding]) -> list[tuple[str, str]]:
            return [(self._keys_text(binding), binding.description) for binding in bindings
                    if binding.action not in ("cursor_up", "cursor_down")]

        return [
            ("Dashboard", rows(self.BINDINGS)),
            ("Tables (endpoints, keys)", rows(EndpointTable.BINDINGS)
             + [("↑ ↓ j k", "Move the cursor"), ("enter", "Keys table: filter by this key"),
                ("click header", "Sort by it; click again to reverse")]),
            ("Chart", rows(DailyChart.BINDINGS) + [("mouse", "Hover a bar to see its day")]),
            ("Anywhere", [("ctrl+p", "Command palette: every action"), ("ctrl+q", "Quit")]),
        ]

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            yield SystemCommand(
                binding.description,
                f"{binding.description} ({self.get_key_display(binding)})",
                lambda action=binding.action: self.run_action(action),
            )
        table = (EndpointTable, KeyTable)
        yield SystemCommand("Sort column", "Sort the focused table by its next column (s)",
                            lambda: self._on_table("sort_next", table))
        yield SystemCommand("Reverse sort", "Reverse the focused table's sort (S)",
                            lambda: self._on_table("sort_reverse", table))

    def _on_table(self, action: str, kinds) -> None:
        focused = self.focused if isinstance(self.focused, kinds) else self.query_one(EndpointTable)
        getattr(focused, f"action_{action}")()


def run_dashboard(runtime: Runtime) -> int:
    """Run the dashboard on an open runtime until the user quits; closes the runtime."""
    settings = runtime.settings
    app = UsageTopApp(
        settings=settings,
        store=runtime.store,
        collector=runtime.collector if settings.poll else None,
        account=runtime.account,
        clock=runtime.collector.clock,
        on_close=runtime.aclose,
    )
    app.run()
    return 0
