"""The App: state, polling, navigation; the screens render what the store holds.

The App owns the state (range, key filter, metric, paused, last poll outcome)
and tells the current screen to refresh; screens render and never fetch. It
starts from what the store already holds, then a single exclusive worker polls
through the collector and re-arms the timer only when a poll has finished, so
polls never overlap. Drilldown data (a key's endpoints, an endpoint's keys) is
fetched on demand by other workers. Store, collector and clock come in through
``__init__`` so tests run the real code against the simulator with frozen time.

What the dashboard's first frame does not need (the other screens, export,
the alert engine) is imported when first used: start-up is a budget.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Awaitable, Callable, Iterable
from contextlib import nullcontext
from functools import cached_property
from typing import TYPE_CHECKING

from rich.console import RenderableType
from rich.text import Text
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.events import Resize
from textual.geometry import Size
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from usage_top import startup
from usage_top.domain.clock import Clock, utc_now
from usage_top.pipeline.collector import Collector, PollOutcome
from usage_top.config import Settings
from usage_top.domain.capabilities import Capabilities
from usage_top.crash import crash_line, write_crash_log
from usage_top.domain.format import interval_text, short_key
from usage_top.domain.periods import HISTORY_DAYS, Range, local_today
from usage_top.pipeline.runtime import Runtime
from usage_top.store import Store, StoreError
from usage_top.widgets.daily_chart import DailyChart
from usage_top.widgets.redraw import cropped
from usage_top.widgets.status_bar import Status
from usage_top.widgets.tables import ItemTable, KeyTable, UsageTable
from usage_top.tui.dashboard import DashboardScreen
from usage_top.tui.accounts import SLOW_POLL, AccountsMixin
from usage_top.tui.bindings import APP_BINDINGS
from usage_top.tui.frame import DataScreen
from usage_top.views.context import RANGE_LABELS, Context
from usage_top.views.redact import RedactedStore, Redactor, account_numbers, redacting
from usage_top.views.scopes import figures_at
from usage_top.widgets.scope_card import ScopeCard

if TYPE_CHECKING:
    from usage_top.oncall.alerts import AlertEngine
    from usage_top.pipeline.fleet import Fleet
    from usage_top.pipeline.service import PollService

MIN_SIZE = (60, 20)
QUIET_INTERVALS = 3
"""A viewer says no collector is writing once none wrote for this many poll intervals."""
COMPACT_BELOW = (110, 32)

Location = tuple
"""Where the user is: ('dashboard',), ('key', key), ('item', kind, item, key or None),
('billing',), ('events',), ('scope', name), ('reconcile',)."""


TICK_LONGEST = 15.0
"""Seconds: the longest the screen goes without reading the clock (a card's countdown)."""
TICK_SHORTEST = 0.5
"""Seconds: a turn already due (a screen that has not caught up) wakes no more often."""
TICK_SLACK = 0.01
"""Seconds after a turn: a timer firing a hair early would find nothing turned yet."""


class UsageTopApp(AccountsMixin, App[None]):
    """htop for an API quota (one account's screens at a time; the overview of several)."""

    CSS_PATH = "app.tcss"
    TITLE = "usage-top"

    BINDINGS = APP_BINDINGS

    range_: reactive[Range] = reactive(Range.WEEK, init=False)
    """The date range of the tables."""

    key_filter: reactive[str | None] = reactive(None, init=False)
    """A masked key the dashboard is narrowed to, or None for all keys."""

    metric: reactive[str] = reactive("", init=False)
    """The measure of the cost view (the provider's primary, the default) or of the
    activity view: what charts count, what shares are of, and what tables sort by."""

    paused: reactive[bool] = reactive(False, init=False)
    """Paused: no polling and no data changes; scrolling and sorting still work."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        collector: Collector | None,
        capabilities: Capabilities,
        account: str,
        clock: Clock = utc_now,
        service: PollService | None = None,
        on_close: Callable[[], Awaitable[None]] | None = None,
        fleet: Fleet | None = None,
        start: str | None = None,
    ) -> None:
        """``service`` polls (poll, alerts, alert command); without it one is built on
        the collector with the settings' alert command. No collector: read-only.
        ``fleet``: several accounts, the overview first (``start``: that account's
        dashboard); the other arguments are then its first account's."""
        super().__init__()
        self.init_accounts(fleet, start)
        self._on_close = on_close
        self.settings = settings
        self.store = store
        self.collector = collector
        self._service = service
        self.capabilities = capabilities
        self.set_reactive(UsageTopApp.metric, capabilities.primary)
        self.account = account
        self.clock = clock
        self.redacted = settings.redact
        """Redaction is on (``--redact``, toggled by ``x``), for every account."""
        self._readers: dict[str, RedactedStore] = {}
        self.reader = self.reader_for(account, store, settings, capabilities)
        """The store as every output reads it: names redacted while ``--redact`` is on."""
        self.last_outcome: PollOutcome | None = None
        self.loading_key: str | None = None
        self.loading_item: tuple[str, str] | None = None
        self.history: list[Location] = [("dashboard",)]
        self.position = 0
        self._timer: Timer | None = None
        self._worker_failures = 0
        """Workers that failed in a row since the last poll that finished: the backoff."""
        self._in_flight = False
        self._seen: tuple | None = None
        """Read-only: the store's data versions and the day at the last reload."""
        self._seen_minute: dt.datetime | None = None
        self._tick_timer: Timer | None = None
        self._last_event_id: int | None = None
        self._zone_warned = False
        """The timezone toast was shown (it is said once a session)."""
        self._focus_before_too_small: Widget | None = None
        """What had focus when the terminal went too small (hiding everything drops it)."""

    def reader_for(self, account: str, store: Store, settings: Settings,
                   capabilities: Capabilities) -> RedactedStore:
        """One account's store as outputs read it, made once per account: its keys are
        numbered by its own file, every configured account by its place (so a toast
        about another account is redacted too)."""
        reader = self._readers.get(account)
        if reader is None:
            accounts = ({name: runtime.settings for name, runtime in self.fleet.runtimes.items()}
                        if self.fleet is not None else {settings.account: settings})
            reader = redacting(store, settings, capabilities, account_numbers(accounts, account))
            reader.redactor.enabled = self.redacted
            self._readers[account] = reader
        return reader

    @property
    def redactor(self) -> Redactor:
        """The shown account's names <-> pseudonyms (toasts, the header, incident lines)."""
        return self.reader.redactor

    @cached_property
    def service(self) -> PollService | None:
        """What each poll runs; None when read-only."""
        if self._service is None and self.collector is not None:
            from usage_top.pipeline.service import PollService

            self._service = PollService.from_settings(self.collector, self.settings)
        return self._service

    @cached_property
    def alerts(self) -> AlertEngine:
        """The engine that acknowledges (snoozes) scopes: the poll service's, or one of
        its own when read-only (a viewer can snooze what a collector records)."""
        if self.service is not None:
            return self.service.alerts
        from usage_top.oncall.alerts import AlertEngine

        return AlertEngine(self.store, self.settings, self.clock, capabilities=self.capabilities)

    # --------------------------------------------------------------- lifecycle
    def get_default_screen(self) -> Screen:
        if self.fleet is None:
            return DashboardScreen()
        from usage_top.tui.overview import OverviewScreen  # one account: never imported

        return OverviewScreen()

    def _display(self, screen: Screen, renderable: RenderableType | None) -> None:
        """Every partial update written from its first changed cell (bytes on the wire)."""
        super()._display(screen, cropped(renderable))

    def on_mount(self) -> None:
        if self.settings.theme:  # the config's; the palette's "Theme" changes it for the session
            self.theme = self.settings.theme
        newest = self.store.events(limit=1)
        self._last_event_id = newest[0].id if newest else 0  # toast only what happens from now on
        self._apply_keymap()
        self._schedule_tick(self.clock())
        self.call_after_refresh(startup.release)  # the first frame is drawn
        if self.fleet is not None:
            self.mount_accounts()
        elif self.collector is None:
            self.set_interval(self.settings.interval, self._reload_if_changed)
        else:
            self.poll()

    def on_resize(self, event: Resize) -> None:
        self.apply_size(event.size)

    async def on_unmount(self) -> None:
        """Close the HTTP client inside the loop that used it."""
        if self._on_close is not None:
            await self._on_close()

    def _fatal_error(self) -> None:
        """A bug: exit with one line and the traceback in a file, never a traceback
        with local variables (which may hold secrets) on the user's screen."""
        error = sys.exc_info()[1] or self._exception or RuntimeError("unknown error")
        self.bell()
        self._exit_renderables.append(Text(crash_line(error)))
        self._close_messages_no_wait()

    def _apply_keymap(self) -> None:
        """Remap bindings by id from the config's [keymap]; unknown ids are named, not fatal."""
        keymap = self.settings.keymap
        if not keymap:
            return
        known = {binding.id for binding in self._all_bindings() if binding.id}
        unknown = sorted(set(keymap) - known)
        if unknown:
            self.notify(f"keymap: no binding called {', '.join(unknown)} (see ? for the names)",
                        severity="warning", timeout=10)
        self.set_keymap({name: keys for name, keys in keymap.items() if name in known})

    def _all_bindings(self) -> list[Binding]:
        from usage_top.tui.events import EventTable
        from usage_top.tui.overview import AccountTable
        from usage_top.widgets.scope_chart import ScopeChart

        return [*self.BINDINGS, *UsageTable.BINDINGS, *KeyTable.BINDINGS, *DailyChart.BINDINGS,
                *EventTable.BINDINGS, *ScopeChart.BINDINGS, *AccountTable.BINDINGS]

    def apply_size(self, size: Size) -> None:
        """Switch the compact and too-small layouts (the app's own size lags a resize)."""
        screen = self.screen
        if not isinstance(screen, DataScreen):
            return
        width, height = size
        too_small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        if too_small and not screen.has_class("-too-small"):
            self._focus_before_too_small = screen.focused  # hiding the panes drops focus
        elif not too_small and screen.has_class("-too-small"):
            before, self._focus_before_too_small = self._focus_before_too_small, None
            if before is not None and before.screen is screen:
                self.call_after_refresh(before.focus)  # once the panes show again
        screen.set_class(too_small, "-too-small")
        compact = width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1]
        if compact != screen.has_class("-compact"):
            screen.set_class(compact, "-compact")
            screen.compact_changed(compact)
        for message in screen.query("#too-small").results(Static):  # none while composing
            message.update(f"usage-top needs a terminal of at least {MIN_SIZE[0]}×{MIN_SIZE[1]}; "
                           f"this one is {width}×{height}." if too_small else "")

    # ----------------------------------------------------------------- polling
    @work(exclusive=True, group="poll", exit_on_error=False)
    async def poll(self) -> None:
        """Poll once through the poll service (poll, alerts, alert command), then re-arm
        the timer."""
        if self.fleet is not None:
            self.poll_accounts()  # each account on its own worker and timer
            return
        if self.service is None:
            return
        self._cancel_timer()
        self._in_flight = True
        slow = self.set_timer(SLOW_POLL, self._update_status)  # "polling…" if it takes a while
        try:
            outcome = (await self.service.poll()).outcome
            if outcome.landed:
                fetched = await (self._fetch_key(self.key_filter) if self.key_filter
                                 else self._fetch_range_keys())
                outcome = outcome if fetched.ok else fetched
        finally:
            self._in_flight = False
            slow.stop()
        self.last_outcome = outcome
        self._worker_failures = 0
        if not self.paused:
            self.refresh_view()
            if not outcome.needs_user:  # a rejected key stays rejected: wait for `r`
                self._arm_timer()
        self._update_status()

    def _announce_new_events(self) -> None:
        """A toast per event recorded since the last look (by this process or by a
        collector writing the same database), not for snoozed scopes; the bell if configured."""
        if self.fleet is not None:
            for name in self.fleet:
                self.announce_account_events(name)
            return
        try:
            events = self.reader.events(after=self._last_event_id)
        except StoreError:
            return
        if not events:
            return
        self._last_event_id = max(event.id for event in events)
        loud = [event for event in reversed(events) if not event.snoozed]
        self.toast_alerts(loud)
        if self.settings.bell and any(event.state == "raised" for event in loud):
            self.bell()

    def toast_alerts(self, events: list, account: str | None = None) -> None:
        """One compact toast for the alerts just recorded (each is in the events pane)."""
        from usage_top.views.events import TOAST_SECONDS, alert_toast

        toast = alert_toast(events, account)
        if toast is not None:
            self.notify(toast.text, title=toast.title, severity=toast.severity,
                        timeout=TOAST_SECONDS, markup=False)

    def action_dismiss_toasts(self) -> None:
        """``n``: clear every toast now (the events pane, ``v``, keeps the alerts)."""
        self.clear_notifications()

    def notify(self, message: str, *, title: str = "", **kwargs) -> None:
        """Every toast, redacted while redaction is on."""
        text = self.redactor.text
        super().notify(text(message), title=text(title), **kwargs)

    def snooze(self, scope: str) -> None:
        """``a``: acknowledge a scope's alerts for the configured time."""
        until = self.alerts.acknowledge(self.redactor.real(scope))
        local = until.astimezone(self.settings.tz).strftime("%H:%M")
        self.notify(f"{scope}: alerts snoozed until {local}")
        self.refresh_view()

    def _history_range(self) -> tuple[dt.date, dt.date]:
        today = local_today(self.clock(), self.settings.tz)
        return today - dt.timedelta(days=HISTORY_DAYS - 1), today

    async def _fetch_key(self, key: str) -> PollOutcome:
        return await self.collector.fetch_key(self.redactor.real(key), *self._history_range())

    @work(group="key", exit_on_error=False)
    async def fetch_key(self, key: str) -> None:
        """Fetch a key's per-endpoint series on demand (cached while fresh), then show it."""
        if self.collector is None:
            return
        self.loading_key = key
        self.refresh_view()
        outcome = await self._fetch_key(key)
        self.loading_key = None
        self._note_fetch(outcome)

    async def _fetch_range_keys(self) -> PollOutcome:
        start, end = self.range_.dates(local_today(self.clock(), self.settings.tz))
        return await self.collector.fetch_range_keys(start, end)

    @work(group="range", exit_on_error=False)
    async def fetch_range_keys(self) -> None:
        """The keys over the range picked, in one request, where the vendor's per-day
        lists fall short (a no-op otherwise, and while fresh)."""
        if self.collector is not None:
            self._note_fetch(await self._fetch_range_keys())

    @work(group="item", exit_on_error=False)
    async def fetch_item(self, kind: str, item: str) -> None:
        """Fetch which keys use a dimension item over the range (cached while fresh)."""
        if self.collector is None or not item or not self.capabilities.dimension_filter:
            return  # unmapped usage cannot be filtered by item at the vendor
        self.loading_item = (kind, item)
        self.refresh_view()
        start, end = self.range_.dates(local_today(self.clock(), self.settings.tz))
        outcome = await self.collector.fetch_item(kind, self.redactor.real(item), start, end)
        self.loading_item = None
        self._note_fetch(outcome)

    @work(group="billing", exit_on_error=False)
    async def fetch_billing(self) -> None:
        """The profile (balance, refill dates), then the previous cycle's days if missing."""
        if self.collector is None:
            return
        from usage_top.tui.billing import BillingScreen
        from usage_top.views.billing import previous_cycle

        outcome = await self.collector.fetch_billing()
        self._note_fetch(outcome)
        if outcome.ok and isinstance(self.screen, BillingScreen):
            self._note_fetch(await self.collector.ensure_days(*previous_cycle(self.context())))

    def _note_fetch(self, outcome: PollOutcome) -> None:
        if not outcome.ok:
            self.last_outcome = outcome
        if not self.paused:
            self.refresh_view()

    @property
    def interval(self) -> float:
        """Seconds between polls: the configured interval, or the vendor's minimum
        where it asks for fewer polls (Anthropic: one a minute)."""
        return self.collector.interval if self.collector is not None else self.settings.interval

    def _arm_timer(self) -> None:
        """The next poll after the interval, or after the wait the vendor asked for;
        after failing workers, doubled for each failure in a row (at most 8 times)."""
        self._cancel_timer()
        wait = self.collector.next_wait(self.last_outcome) if self.collector else self.interval
        self._timer = self.set_timer(wait * 2 ** min(self._worker_failures, 3), self.poll)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker's failure, in one place: no worker ends silently.

        The services never raise, so an exception here is a step after the fetch (a
        screen's refresh, a toast) or a bug: its message goes to the status line and
        the banner (the traceback to crash.log), and polling is re-armed, backing
        off while the failures go on."""
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        if isinstance(error, StoreError):
            message = f"database: {error}"
        else:
            message = f"internal error ({type(error).__name__}); details in {write_crash_log(error)}"
        now = self.clock()
        self.last_outcome = PollOutcome(now, now, f"{event.worker.name or 'a worker'} failed: {message}")
        self._in_flight = False
        self._worker_failures += 1
        if self.collector is not None and not self.paused:
            self._arm_timer()
        self._update_status()
        screen = self.screen
        if isinstance(screen, DataScreen) and screen.is_mounted:
            screen.show_banner(*self._banner(now))

    def _cancel_timer(self) -> None:
        if self.fleet is not None:
            self.cancel_account_timers()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _reload_if_changed(self) -> None:
        """Read-only (``--no-poll``): re-read when a collector committed or the day turned
        (the ranges, the chart and the flags are days); when only the minute turned, the
        screen updates what moves with the clock (projections); else only the clock ticks.
        Re-reading a year of a thousand keys every minute was most of an idle viewer's CPU."""
        now = self.clock()
        try:
            versions = self.data_versions() if self.fleet is not None else self.store.data_version()
        except StoreError:
            versions = None  # refresh_view says what is wrong
        state = (versions, self.context(now).today, local_today(now, self.settings.tz))
        minute = now.replace(second=0, microsecond=0)
        if versions is None or state != self._seen:
            self._seen, self._seen_minute = state, minute
            self.refresh_view()
        elif minute != self._seen_minute:
            self._seen_minute = minute
            self.refresh_view(clock_only=True)

    def _tick(self) -> None:
        """What moves with the clock on screen, when it next reads differently."""
        screen = self._data_screen()
        now = self.clock()
        if screen is not None:
            screen.tick(now)
            if self._banner_ticks():
                screen.show_banner(*self._banner(now))
        self._schedule_tick(now)

    def _schedule_tick(self, now: dt.datetime) -> None:
        """The next tick at the screen's next turn (an age's minute, a card's quarter
        minute, a countdown; every second while the banner counts a failed poll's
        seconds), not once a second: each wake-up of an idle process costs about half a
        millisecond of CPU whatever it does, most of a read-only viewer's own CPU when it
        ticked every second. Re-planned whenever the header changes (``_update_status``)."""
        screen = self._data_screen()
        turn = now + dt.timedelta(seconds=1) if self._banner_ticks() else (
            screen.next_turn(now) if screen is not None else None)
        wait = TICK_LONGEST if turn is None else (turn - now).total_seconds() + TICK_SLACK
        if self._tick_timer is not None:
            self._tick_timer.stop()
        self._tick_timer = self.set_timer(min(max(wait, TICK_SHORTEST), TICK_LONGEST), self._tick)

    def _data_screen(self) -> DataScreen | None:
        screen = self.screen_stack[-1] if self.screen_stack else None  # none while closing
        return screen if isinstance(screen, DataScreen) and screen.is_mounted else None

    def _banner_ticks(self) -> bool:
        """The banner says a failed poll's figures' age, which ticks with the clock."""
        outcome = self.last_outcome
        return outcome is not None and not (outcome.ok or outcome.partial or outcome.needs_user)

    # ------------------------------------------------------------------- state
    def refresh_view(self, clock_only: bool = False) -> None:
        """Have the current screen read the store, and update header and banner;
        ``clock_only``: the data did not change, only what moves with the clock does."""
        screen = self.screen
        if not isinstance(screen, DataScreen) or not screen.is_mounted:
            return  # a screen being pushed refreshes itself when it resumes
        now = self.clock()
        if not clock_only:
            self._announce_new_events()
        try:
            # one poll's figures, even if a collector commits meanwhile (the overview
            # takes one snapshot of each account's file)
            with nullcontext() if self.on_overview else self.store.snapshot():
                ctx = self.context(now)
                screen.refresh_clock(ctx) if clock_only else screen.refresh_data(ctx)
        except NoMatches:
            return  # still composing: it refreshes when it resumes
        except StoreError as exc:
            self.notify(f"database: {exc}", severity="error", timeout=8)
        self._update_status()
        screen.show_banner(*self._banner(now))
        if not clock_only:
            self._warn_zone_once(now)

    def _warn_zone_once(self, now: dt.datetime) -> None:
        """A toast, once a session, when the data contradicts the configured timezone
        (``report`` says it too); the banner stays for what the last poll said."""
        if self._zone_warned or self.fleet is not None:
            return
        from usage_top.views.zone_check import zone_mismatch

        try:
            note = zone_mismatch(self.store, self.capabilities, self.settings.tz, now)
        except StoreError:
            return
        if note:
            self._zone_warned = True
            self.notify(note, severity="warning", timeout=30)

    def context(self, now: dt.datetime | None = None) -> Context:
        """What the screens' view models are built from, as of ``now``."""
        settings = self.settings
        return Context(self.reader, self.capabilities, settings.tz, now or self.clock(), self.range_,
                       self.key_filter, self.metric, settings.thresholds_for, settings.anomaly_multiple,
                       self._scope_states(),
                       self.last_outcome.stale if self.last_outcome and self.last_outcome.partial
                       else frozenset())

    def _scope_states(self) -> dict[str, str]:
        """The scope the last failed poll was about, and when polling tries again."""
        outcome = self.last_outcome
        if outcome is None or outcome.ok or not outcome.scope or self.collector is None:
            return {}
        at = outcome.finished_at + dt.timedelta(seconds=self.collector.next_wait(outcome))
        local = at.astimezone(self.settings.tz)
        return {outcome.scope: f"{outcome.state} · retry {local:%H:%M} {local.tzname()}"}

    def _banner(self, now: dt.datetime) -> tuple[str, str]:
        from usage_top.views import banner

        if self.collector is None and self.store.read_only and not self.on_overview:
            return "-warning", banner.read_only(str(self.store.path))
        if self.collector is None and self.fleet is None:
            quiet = self._collector_quiet(now)
            if quiet:
                return "-warning", quiet
        outcome = self.last_outcome
        if outcome is None or self.on_overview:  # its rows say each account's state
            return "", ""
        alerts = (banner.alerts_failed(self.redactor.text(outcome.alert_error))
                  if outcome.alert_error else "")
        if outcome.ok:
            return ("-warning", alerts) if alerts else ("", "")
        error = self.redactor.text(outcome.error)
        if outcome.partial:  # the rest landed: its alerts may have failed too
            return "-warning", " ".join(filter(None, (banner.partial_poll(error), alerts)))
        if outcome.needs_user:
            return "-error", banner.stopped(error)
        try:
            last = figures_at(self.store)
        except StoreError:
            last = None
        next_try = None
        if self.collector is not None and not self.paused:
            next_try = outcome.finished_at + dt.timedelta(seconds=self.collector.next_wait(outcome))
        return "-warning", banner.failed_poll(error, status=outcome.status, now=now,
                                              figures_at=last, next_try=next_try,
                                              tz=self.settings.tz)

    def _collector_quiet(self, now: dt.datetime) -> str:
        """A viewer's note when no collector wrote for ``QUIET_INTERVALS`` poll intervals
        (as a card turns stale after three), '' while one writes or nothing ever did."""
        from usage_top.views import banner

        try:
            last = self.store.last_poll()
        except StoreError:
            return ""  # refresh_view says what is wrong with the file
        interval = self.settings.interval
        if last is None or (now - last.finished_at).total_seconds() < QUIET_INTERVALS * interval:
            return ""
        return banner.no_collector(str(self.store.path), last_poll=last.finished_at, now=now,
                                   interval=interval, tz=self.settings.tz)

    def _update_status(self) -> None:
        screen = self.screen
        if not isinstance(screen, DataScreen) or not screen.is_mounted:
            return
        try:
            figures_from = figures_at(self.store)
        except StoreError:
            figures_from = None
        status = Status(
            provider=self.collector.provider.name if self.collector else self.settings.provider,
            account=self.redactor.alias("account", self.account),
            redacted=self.redactor.enabled,
            demo=self.settings.simulated,
            paused=self.paused,
            polling=self.collector is not None,
            error=None if self.last_outcome is None else self.redactor.text(self.last_outcome.error),
            last_success=figures_from,
            interval=self.interval if self._timer is not None else None,
            tz=self.settings.tz,
            in_flight=self._in_flight,
            scope=self._scope_label(),
            range_label=RANGE_LABELS[self.range_.value],
        )
        if self.fleet is not None:
            status = self.fleet_status(status)
        now = self.clock()
        screen.show_status(status, now)
        self._schedule_tick(now)

    def _scope_label(self) -> str:
        """The breadcrumb: where the user is, and the key filter on the dashboard."""
        crumbs = [self._crumb(location) for location in self.history[: self.position + 1]]
        if self.position == 0:
            crumbs = [f"key {short_key(self.key_filter)}" if self.key_filter else "All keys"]
        return " › ".join(crumbs)

    @staticmethod
    def _crumb(location: Location) -> str:
        if location[0] == "key":
            return f"key {short_key(location[1])}"
        if location[0] == "item":
            return f"{location[1]} {location[2] or '(unmapped)'}"
        if location[0] == "scope":
            return location[1]
        return location[0]

    def watch_range_(self) -> None:
        from usage_top.tui.drilldown import ItemScreen

        self.refresh_view()
        if isinstance(self.screen, ItemScreen):
            self.fetch_item(self.screen.kind, self.screen.item)
        elif self.fleet is None and not self.key_filter:
            self.fetch_range_keys()

    def watch_metric(self) -> None:
        self.refresh_view()

    def watch_key_filter(self, key: str | None) -> None:
        self.refresh_view()
        if key is not None:
            self.fetch_key(key)

    def watch_paused(self, paused: bool) -> None:
        if paused:
            self._cancel_timer()
        elif self.collector is not None:
            self.poll()
        self._update_status()

    # -------------------------------------------------------------- navigation
    def drill(self, location: Location) -> None:
        """Open a drilldown; what was ahead in the history is dropped, as in a browser."""
        del self.history[self.position + 1:]
        self.history.append(location)
        self.position += 1
        self.push_screen(self._screen_for(location))

    def _screen_for(self, location: Location) -> Screen:
        from usage_top.tui.billing import BillingScreen
        from usage_top.tui.drilldown import ItemScreen, KeyScreen
        from usage_top.tui.events import EventsScreen
        from usage_top.tui.reconciliation import ReconciliationScreen
        from usage_top.tui.scope import ScopeScreen

        if location[0] == "reconcile":
            return ReconciliationScreen()
        if location[0] == "scope":
            return ScopeScreen(location[1])
        if location[0] == "key":
            return KeyScreen(location[1])
        if location[0] == "billing":
            return BillingScreen()
        if location[0] == "events":
            return EventsScreen()
        return ItemScreen(*location[1:])

    def action_back(self) -> None:
        """Esc: back one drilldown; on the dashboard, back to all keys, then to the
        overview of every account."""
        if self.position > 0:
            self.action_history(-1)
        elif self.fleet is not None and self.key_filter is None and not self.on_overview:
            self.show_overview()
        else:
            self.key_filter = None

    def action_history(self, step: int) -> None:
        """``[`` and ``]``: move through the drilldown history."""
        target = self.position + step
        if not 0 <= target < len(self.history):
            self.bell()
            return
        if step < 0:
            self.position = target
            self.pop_screen()
        else:
            self.position = target
            self.push_screen(self._screen_for(self.history[target]))

    # ----------------------------------------------------------------- actions
    def action_set_range(self, name: str) -> None:
        self.range_ = Range(name)

    def action_billing(self) -> None:
        if not self.capabilities.billing:
            self.notify("This vendor reports no balance or billing cycle", severity="warning")
            return
        self._open(("billing",))

    def action_reconcile(self) -> None:
        """``R``: the vendor's cost beside the estimate, where the provider has one."""
        if self.capabilities.reconcile is None:
            self.notify("This vendor's figures have no estimate to reconcile", severity="warning")
            return
        self._open(("reconcile",))

    def action_events(self) -> None:
        self._open(("events",))

    def _open(self, location: Location) -> None:
        if self.history[self.position] != location:
            self.drill(location)

    def action_scope(self) -> None:
        """``u``: the focused card's scope, else the one nearest its limit."""
        focused = self.focused
        if isinstance(focused, ScopeCard) and focused.view is not None:
            self._open(("scope", focused.view.usage.name))
            return
        from usage_top.views.scopes import scope_views

        scopes = scope_views(self.reader, self.settings.thresholds_for)
        if not scopes:
            self.notify("No scope readings yet", severity="warning")
            return
        nearest = max(scopes, key=lambda view: -1.0 if view.usage.percent is None else view.usage.percent)
        self._open(("scope", nearest.usage.name))

    def on_scope_card_opened(self, event: ScopeCard.Opened) -> None:
        self._open(("scope", event.name))

    def action_copy_line(self) -> None:
        """``y``: the focused scope, key or row as one line, to the clipboard (OSC 52)."""
        line = self._incident_line()
        if line is None:
            self.notify("Nothing to copy here: focus a card, a scope or a table row", severity="warning")
            return
        self.copy_to_clipboard(line)
        self.notify(line, title="Copied", timeout=10, markup=False)

    def _incident_line(self) -> str | None:
        from usage_top.views.incident import row_line, scope_line, stamp
        from usage_top.widgets.scope_chart import ScopeChart

        provider = self.collector.provider.name if self.collector else self.settings.provider
        head = stamp(self.clock(), provider, self.redactor.alias("account", self.account))
        focused = self.focused
        if isinstance(focused, ScopeCard) and focused.view is not None:
            return scope_line(head, focused.view, focused.projection)
        if isinstance(focused, ScopeChart) and focused.detail and focused.detail.scope:
            detail = focused.detail
            return scope_line(head, detail.scope, detail.outlook.text if detail.outlook else "")
        if isinstance(focused, (KeyTable, ItemTable)) and focused.current_row is not None:
            what = "key" if isinstance(focused, KeyTable) else focused.kind
            return row_line(head, what, focused.current_row, focused.totals, self.capabilities,
                            self.metric)
        if self.on_overview:
            return self._account_line()
        return None

    def _account_line(self) -> str | None:
        """The overview's row under the cursor as an incident line."""
        from usage_top.tui.overview import AccountTable
        from usage_top.views.incident import account_line

        view, table = self.screen.view, self.screen.query_one(AccountTable)
        if view is None or not table.row_count:
            return None
        shown = table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value
        return next((account_line(self.clock(), row) for row in view.rows if row.name == shown),
                    None)

    def action_toggle_redact(self) -> None:
        """``x``: redaction on or off; the key filter and the history follow the names."""
        redactor = self.redactor
        real = [tuple(map(redactor.real, location)) for location in self.history]
        key = redactor.real(self.key_filter)
        self.redacted = not self.redacted
        for reader in self._readers.values():
            reader.redactor.enabled = self.redacted
        self.history = [tuple(map(redactor.shown, location)) for location in real]
        for screen in self.screen_stack:
            for name in ("key", "item"):
                if isinstance(getattr(screen, name, None), str):
                    setattr(screen, name, redactor.shown(redactor.real(getattr(screen, name))))
        self.set_reactive(UsageTopApp.key_filter, redactor.shown(key))
        super().notify("Redaction on: names are pseudonyms" if redactor.enabled else "Redaction off",
                       title="Redact")
        self.refresh_view()

    def action_export(self, fmt: str) -> None:
        """Write the focused pane of the current view, as shown, and say where: the
        dates, zone and filters shown and when the figures were fetched go with it."""
        from usage_top.commands.export import write_export
        from usage_top.domain.format import utc_text
        from usage_top.views.serialise import render, units_json, with_shown

        rows, name, shown = self._export_rows()
        if rows is None:
            self.notify("Nothing to export here: focus a table or a chart", severity="warning")
            return
        now = self.clock()
        start, end = self.range_.dates(local_today(now, self.settings.tz))
        meta = {"view": self._scope_label(), "range": self.range_.value, "start": start.isoformat(),
                "end": end.isoformat(), "timezone": self.settings.timezone, "key_filter": self.key_filter,
                "row_filter": None, "metric": self.metric, "units": units_json(self.capabilities),
                "data_from_utc": utc_text(figures_at(self.store)), "exported_at_utc": utc_text(now),
                **shown}
        if fmt == "csv":
            rows = with_shown(rows, meta)
        columns = list(rows[0]) if rows else ["empty"]
        if self.fleet is not None:  # one file per account, even within a second
            name = f"{self.redactor.alias('account', self.account)}-{name}"
        try:
            path = write_export(render(rows, columns, fmt, meta), name, fmt, now)
        except OSError as exc:
            self.notify(f"Export failed: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"Exported {len(rows)} rows to {path}", title="Export", timeout=10)

    def _export_rows(self) -> tuple[list[dict] | None, str, dict]:
        """The focused pane's rows as shown, its name, and what of the meta it sets itself
        (a table's row filter; the chart's own days, which are not the range's)."""
        from usage_top.views.serialise import day_json, item_json, key_json

        focused, caps = self.focused, self.capabilities
        if isinstance(focused, ItemTable | KeyTable):
            totals, shown = focused.totals, {"row_filter": focused.filter_text or None}
            if isinstance(focused, ItemTable):
                return ([item_json(row, totals, caps) for row in focused.visible_rows()],
                        focused.title.lower(), shown)
            return ([key_json(row, totals, caps, self.settings.tz) for row in focused.visible_rows()],
                    "keys", shown)
        if isinstance(focused, DailyChart):
            points = focused.points
            days_in = str(caps.day_zone(self.settings.tz))  # a vendor's UTC days say so
            shown = {"range": f"{len(points)}d", "start": points[0].day.isoformat(),
                     "end": points[-1].day.isoformat(), "timezone": days_in} if points else {}
            return [day_json(point, caps) for point in points], "daily", shown
        return None, "", {}

    def action_toggle_metric(self) -> None:
        caps = self.capabilities
        self.metric = caps.activity if self.metric == caps.primary else caps.primary

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

    def action_poll_interval(self) -> None:
        """``d``: a new poll interval for this session, at least the config's floor or the
        vendor's minimum where it asks for fewer polls; the header shows it."""
        if self.collector is None:
            self.notify("Read-only (--no-poll): the collector's interval applies",
                        severity="warning")
            return
        from usage_top.config import MIN_INTERVAL
        from usage_top.tui.screens import IntervalPrompt

        minimum = max(MIN_INTERVAL, self.capabilities.min_interval)
        self.push_screen(IntervalPrompt(self.collector.interval, minimum), self._set_interval)

    def _set_interval(self, seconds: float | None) -> None:
        """The next poll comes one new interval from now (an account of several: after its
        poll in flight)."""
        if seconds is None or self.collector is None:
            return
        self.collector.interval = seconds
        if self.fleet is None and self._timer is not None:
            self._arm_timer()
        self._update_status()
        self.notify(f"Polling every {interval_text(seconds)} for this session")

    def action_pick_key(self) -> None:
        from usage_top.tui.screens import KeyPicker
        from usage_top.views.ranges import range_view

        if not self.capabilities.key_breakdown:
            self.notify("This vendor reports no per-key figures", severity="warning")
            return
        ctx = self.context()
        keys = range_view(self.reader, self.capabilities, *ctx.dates).by_key
        self.push_screen(KeyPicker(keys, self.key_filter, self.capabilities), self._set_key)

    def _set_key(self, key: str | None) -> None:
        self.key_filter = key

    def action_help(self) -> None:
        from usage_top.tui.screens import HelpScreen
        from usage_top.views.footprint import footprint_text

        interval = self.interval if self.collector is not None else None
        footprint = footprint_text(self.footprint(self.clock()), interval)
        self.push_screen(HelpScreen(self._help_sections(), footprint))

    def action_cycle_focus(self, step: int) -> None:
        """Tab through the panes; in the compact layout show the focused table."""
        screen = self.screen
        if not isinstance(screen, DataScreen) or not screen.panes:
            (screen.focus_next if step > 0 else screen.focus_previous)()
            return
        panes = screen.panes
        current = self.focused if self.focused in panes else panes[-1 if step > 0 else 0]
        target = panes[(panes.index(current) + step) % len(panes)]
        screen.set_class(isinstance(target, KeyTable), "-keys-shown")
        self.call_after_refresh(target.focus)  # a table hidden by the compact layout shows first

    def on_key_table_filter_by_key(self, event: KeyTable.FilterByKey) -> None:
        """``f`` on a key row: narrow the dashboard to that key."""
        if self.position:
            self.pop_screen()
            del self.history[1:]
            self.position = 0
        self.key_filter = event.key

    # ------------------------------------------------------------ help, palette
    def _keys_text(self, binding: Binding) -> str:
        """'← h' for a binding on 'left,h', after the config's keymap."""
        remapped = self.settings.keymap.get(binding.id or "")
        if binding.key_display and not remapped:
            return binding.key_display
        keys = (remapped or binding.key).split(",")
        return " ".join(self.get_key_display(Binding(key, binding.action)) for key in keys)

    def _help_sections(self) -> list[tuple[str, list[tuple[str, str, str]]]]:
        """Every key, by where it works. On the overview its own keys come first (those
        the overview runs, the others under "On a dashboard"), so the help
        does not offer as working everywhere a key that does nothing there."""
        from usage_top.tui.events import EventTable
        from usage_top.tui.overview import AccountTable

        def rows(bindings: Iterable[Binding]) -> list[tuple[str, str, str]]:
            return [(self._keys_text(binding), binding.description, binding.id or "")
                    for binding in bindings if binding.action not in ("cursor_up", "cursor_down")]

        anywhere = ("Anywhere", [("ctrl+p", "Command palette: every action", ""), ("ctrl+q", "Quit", "")])
        dashboard = [
            ("Tables", rows(UsageTable.BINDINGS)
             + [("↑ ↓ j k", "Move the cursor", ""), ("enter", f"Open this key or {self._item_word}", ""),
                ("click header", "Sort by it; click again to reverse", "")]),
            ("Keys table", rows(KeyTable.BINDINGS)),
            ("Events", rows(EventTable.BINDINGS)),
            ("Chart", rows(DailyChart.BINDINGS) + [("mouse", "Hover a bar to see its day", "")]),
            ("Scope cards and curve", rows(ScopeCard.BINDINGS)
             + [("← → Home End", "Scope curve: the reading under the cursor", "")]),
        ]
        everywhere = ("Everywhere", rows(self.BINDINGS))
        if self.fleet is None:
            return [everywhere, *dashboard, anywhere]
        if not self.on_overview:
            back = ("escape", "On an account's dashboard: back to the overview", "")
            return [everywhere, *dashboard, anywhere,
                    ("Overview of the accounts", rows(AccountTable.BINDINGS) + [back])]
        here = self.screen.app_actions  # the overview's (the help is not pushed yet)

        def works(binding: Binding) -> bool:
            return _action_name(binding) in here

        return [
            ("Overview of the accounts", rows(AccountTable.BINDINGS)
             + rows(filter(works, self.BINDINGS))),
            anywhere,
            ("On a dashboard",  # a title is in the keys' column: short, or it widens it
             rows(binding for binding in self.BINDINGS if not works(binding))
             + [("escape", "Back to the overview", "")]),
            *dashboard,
        ]

    @property
    def _item_word(self) -> str:
        dimension = self.capabilities.dimension
        return dimension.label.lower() if dimension else "item"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """One of usage-top's bindings shows in the footer, and runs, only on a screen
        where it does something: a screen with ``app_actions`` (the overview) names
        those (a modal on top, such as the help, keeps them). Textual's own actions (the
        palette, Ctrl+Q) are left alone."""
        under = next((screen for screen in reversed(self.screen_stack)
                      if not isinstance(screen, ModalScreen)), self.screen)
        allowed = getattr(under, "app_actions", None)
        return allowed is None or action in allowed or action not in _OWN_ACTIONS

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        allowed = getattr(screen, "app_actions", None)
        for binding in self.BINDINGS:
            if allowed is not None and _action_name(binding) not in allowed:
                continue
            yield SystemCommand(
                binding.description,
                f"{binding.description} ({self._keys_text(binding)})",
                lambda action=binding.action: self.run_action(action),
            )
        if self.fleet is not None:  # one account: the overview is never imported
            from usage_top.tui.overview import AccountTable, OverviewScreen

            if isinstance(screen, OverviewScreen):
                table = screen.query_one(AccountTable)
                for binding in AccountTable.BINDINGS:
                    if binding.action.startswith("sort"):
                        yield SystemCommand(binding.description,
                                            f"{binding.description}: the accounts' order "
                                            f"({self._keys_text(binding)})",
                                            lambda action=binding.action: table.run_action(action))
                return
        for binding in UsageTable.BINDINGS:
            if binding.action not in ("cursor_up", "cursor_down", "clear_filter"):
                yield SystemCommand(
                    binding.description,
                    f"{binding.description} in the focused table ({self._keys_text(binding)})",
                    lambda action=binding.action: self._on_table(action),
                )

    def _on_table(self, action: str) -> None:
        tables = self.screen.query(UsageTable)
        table = self.focused if isinstance(self.focused, UsageTable) else (tables.first() if tables else None)
        if table is not None:
            getattr(table, f"action_{action}")()


def _action_name(binding: Binding) -> str:
    """The action a binding runs, without its arguments ('range' of "range('7d')")."""
    return binding.action.partition("(")[0]


_OWN_ACTIONS = frozenset(map(_action_name, UsageTopApp.BINDINGS))
"""The actions of usage-top's own App bindings (``check_action`` may hide these)."""


def run_dashboard(runtime: Runtime) -> int:
    """Run the dashboard on an open runtime until the user quits; closes the runtime."""
    dashboard_app(runtime).run()
    return 0


def dashboard_app(runtime: Runtime) -> UsageTopApp:
    """The App on one open account: polling, or only reading where ``--no-poll`` says so or
    the database cannot be written."""
    settings = runtime.settings
    polling = settings.poll and not runtime.store.read_only  # a file it cannot write: view it
    return UsageTopApp(
        settings=settings,
        store=runtime.store,
        collector=runtime.collector if polling else None,
        capabilities=runtime.capabilities,
        account=runtime.account,
        clock=runtime.collector.clock,
        service=runtime.service if polling else None,
        on_close=runtime.aclose,
    )


def run_accounts(fleet: Fleet, start: str | None = None) -> int:
    """Run the overview of several accounts until the user quits; closes every runtime."""
    accounts_app(fleet, start).run()
    return 0


def accounts_app(fleet: Fleet, start: str | None = None) -> UsageTopApp:
    """The App on several open accounts: the overview, or ``start``'s dashboard."""
    first = fleet[start or next(iter(fleet))]
    polling = first.settings.poll
    return UsageTopApp(
        settings=first.settings,
        store=first.store,
        collector=first.collector if polling else None,
        capabilities=first.capabilities,
        account=first.account,
        clock=first.collector.clock,
        service=first.service if polling else None,
        on_close=fleet.aclose,
        fleet=fleet,
        start=start,
    )
