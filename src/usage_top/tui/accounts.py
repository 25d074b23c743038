"""Several accounts in one App: the overview, switching, one poll timer per account.

The App shows one account at a time: switching replaces the store, collector,
poll service and capabilities every screen reads (``use_account``), so the
dashboard and its drilldowns stay single-account code. Behind the overview each
account is polled by a worker of its own on its own timer (its interval, longer
where its vendor asked), so a slow or failing account never delays another.
Alert toasts from any account name it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import work
from textual.timer import Timer

from usage_top.store import StoreError

if TYPE_CHECKING:
    from usage_top.pipeline.collector import PollOutcome
    from usage_top.pipeline.fleet import Fleet
    from usage_top.store.polls import Footprint
    from usage_top.views.overview import AccountRows, OverviewView
    from usage_top.widgets.status_bar import Status


SLOW_POLL = 1.0
"""Seconds a poll runs before the header says "polling…": saying it for every poll (and
taking it back) cost two header repaints a poll, twenty accounts' worth on the overview."""

LANDING_WAIT = 0.5
"""Seconds the overview waits for the polls still in flight before it shows one that
landed. Accounts polled together land within a fraction of a second of each other; one
refresh for them all reads, compares and sends each changed row once, where a refresh
at every landing (twenty a round) cost a fifth of the monitor's CPU. A slow account
holds the others back this long at most."""


class AccountsMixin:
    """The App's part that knows there are several accounts (``self.fleet``)."""

    fleet: Fleet | None

    def init_accounts(self, fleet: Fleet | None, start: str | None) -> None:
        self.fleet = fleet if fleet is not None and len(fleet) > 1 else None
        self.current = start
        """The account shown (its dashboard), None on the overview."""
        self.outcomes: dict[str, PollOutcome] = {}
        self._account_timers: dict[str, Timer] = {}
        self._account_polls: set[str] = set()
        self._slow_polls: set[str] = set()
        """The accounts whose poll has run ``SLOW_POLL`` seconds: the header says "polling…"."""
        self._landing: Timer | None = None
        """Shows the polls that landed while others were in flight (``LANDING_WAIT``)."""
        self._event_ids: dict[str, int] = {}
        self._rows: AccountRows | None = None
        """Each account's overview row as last read (``overview``): made with the first."""

    @property
    def on_overview(self) -> bool:
        if self.fleet is None:  # one account: no overview (nor its import at start-up)
            return False
        from usage_top.tui.overview import OverviewScreen

        return isinstance(self.screen, OverviewScreen)

    @property
    def polls_in_flight(self) -> frozenset[str]:
        """The accounts being polled right now."""
        return frozenset(self._account_polls)

    def use_account(self, name: str) -> None:
        """Make ``name`` the account the screens read."""
        runtime = self.fleet[name]
        polling = runtime.settings.poll
        self.current = name
        self.settings = runtime.settings
        self.store = runtime.store
        self.collector = runtime.collector if polling else None
        self._service = runtime.service if polling else None
        self.__dict__.pop("service", None)  # the cached poll service and alert engine
        self.__dict__.pop("alerts", None)
        self.capabilities = runtime.capabilities
        self.account = name
        self.reader = self.account_reader(name)
        self.set_reactive(type(self).metric, runtime.capabilities.primary)
        self.set_reactive(type(self).key_filter, None)
        self.last_outcome = self.outcomes.get(name)
        self.history, self.position = [("dashboard",)], 0

    def open_account(self, name: str) -> None:
        """Enter on the overview: that account's dashboard."""
        from usage_top.tui.dashboard import DashboardScreen

        self.use_account(name)
        self.push_screen(DashboardScreen())

    def show_overview(self) -> None:
        """Esc on an account's dashboard: back to every account."""
        while len(self.screen_stack) > 2:  # a modal or a drilldown left open
            self.pop_screen()
        if not self.on_overview:
            self.pop_screen()
        if self._rows is not None:  # its dashboard's fetches wrote to its file
            self._rows.forget(self.current)
        self.current = None

    def mount_accounts(self) -> None:
        """Start watching every account: poll each, or re-read the files (``--no-poll``).

        The polls start once the first frame is drawn, from what the files hold: twenty
        polls starting (their requests built, the adapters imported) held it back."""
        for name in self.fleet:
            try:
                newest = self.fleet[name].store.events(limit=1)
            except StoreError:
                newest = []
            self._event_ids[name] = newest[0].id if newest else 0
        if self.collector is None:
            self.set_interval(self.settings.interval, self._reload_if_changed)
        else:
            self.call_after_refresh(self.poll_accounts)
        if self.current is not None:
            self.open_account(self.current)

    def poll_accounts(self) -> None:
        """``r``, or polling resumed: on the overview every account, on a dashboard its
        own account; and every account whose next poll was not scheduled (paused)."""
        names = list(self.fleet) if self.on_overview else [self.current]
        names += [name for name in self.fleet if name not in self._account_timers]
        names = [name for name in dict.fromkeys(names) if name not in self._account_polls]
        self._account_polls.update(names)  # in flight from now: the first to land waits for the lot
        for name in names:
            self.poll_account(name)

    def cancel_account_timers(self) -> None:
        """Paused (or closing): no next poll, and the polls that landed are not shown."""
        for timer in self._account_timers.values():
            timer.stop()
        self._account_timers.clear()
        self._drop_landing()

    @work(group="accounts", exit_on_error=False)
    async def poll_account(self, name: str) -> None:
        """Poll one account through its own poll service, then re-arm its own timer."""
        runtime = self.fleet[name]
        timer = self._account_timers.pop(name, None)
        if timer is not None:
            timer.stop()
        self._account_polls.add(name)
        slow = self.set_timer(SLOW_POLL, lambda: self._poll_is_slow(name))
        try:
            outcome = (await runtime.service.poll()).outcome
            if name == self.current and outcome.landed and self.key_filter:
                fetched = await self._fetch_key(self.key_filter)
                outcome = outcome if fetched.ok else fetched
        finally:
            slow.stop()
            self._account_polls.discard(name)
            self._slow_polls.discard(name)
            if self._rows is not None:  # this connection's writes: no new data version
                self._rows.forget(name)
        self.outcomes[name] = outcome
        if name == self.current:
            self.last_outcome = outcome
        if self.paused:
            return
        if not outcome.needs_user:  # a rejected key stays rejected: wait for `r`
            wait = runtime.collector.next_wait(outcome)
            self._account_timers[name] = self.set_timer(wait, lambda: self.poll_account(name))
        if self.on_overview:
            self._show_landed()
        elif name == self.current:
            self.refresh_view()
        else:
            self.announce_account_events(name)

    def _show_landed(self) -> None:
        """The overview after a poll landed: at once when it was the last in flight, else
        with the others that land within ``LANDING_WAIT``."""
        if self._account_polls:
            if self._landing is None:
                self._landing = self.set_timer(LANDING_WAIT, self._show_landed_now)
            return
        self._show_landed_now()

    def _show_landed_now(self) -> None:
        self._drop_landing()
        if self.on_overview:
            self.refresh_view()

    def _drop_landing(self) -> None:
        if self._landing is not None:
            self._landing.stop()
            self._landing = None

    def _poll_is_slow(self, name: str) -> None:
        self._slow_polls.add(name)
        self._update_status()

    def announce_account_events(self, name: str) -> None:
        """Toasts for the events recorded in one account's file since the last look."""
        try:
            events = self.account_reader(name).events(after=self._event_ids.get(name))
        except StoreError:
            return
        if not events:
            return
        self._event_ids[name] = max(event.id for event in events)
        loud = [event for event in reversed(events) if not event.snoozed]
        self.toast_alerts(loud, name)
        if self.fleet[name].settings.bell and any(event.state == "raised" for event in loud):
            self.bell()

    def account_reader(self, name: str):
        """One account's store as outputs read it (its names redacted while redaction is on)."""
        runtime = self.fleet[name]
        return self.reader_for(name, runtime.store, runtime.settings, runtime.capabilities)

    def footprint(self, now: dt.datetime) -> Footprint:
        """What usage-top itself sent the vendors (the help screen): on the overview every
        account's requests summed ("the last poll": each account's last), else those of
        the account shown."""
        from usage_top.store.polls import Footprint

        if not self.on_overview:
            return self.store.footprint(now)
        prints = []
        for runtime in self.fleet.runtimes.values():
            try:
                prints.append(runtime.store.footprint(now))
            except StoreError:
                continue  # its row says what is wrong with its file
        lasts = [each.last_poll for each in prints if each.last_poll is not None]
        return Footprint(sum(lasts) if lasts else None,
                         *(sum(getattr(each, name) for each in prints) for name in
                           ("polls_hour", "requests_hour", "polls_day", "requests_day")))

    def data_versions(self) -> tuple[int, ...]:
        """Read-only: every account file's data version (a collector committed)."""
        return tuple(self.fleet[name].store.data_version() for name in self.fleet)

    def overview(self, now: dt.datetime, sort: str) -> OverviewView:
        """The overview's rows: one snapshot of each account's file whose row may have
        changed since it was last read (``AccountRows``), the others as they were."""
        from usage_top.views.overview import AccountRows, AccountSource

        if self._rows is None:
            self._rows = AccountRows()

        sources = []
        for name, runtime in self.fleet.runtimes.items():
            reader = self.account_reader(name)
            sources.append(AccountSource(
                name, runtime.collector.provider.name, reader, runtime.capabilities,
                runtime.settings.tz, runtime.settings.thresholds_for,
                getattr(self.outcomes.get(name), "error", None), reader.redactor))
        return self._rows.view(sources, now, sort)

    def fleet_status(self, base: Status) -> Status:
        """The header: on a dashboard, its account's timer and poll; on the overview,
        every account, the oldest data (its rows': they hold each file's last success,
        so a refresh after one account's poll asks no file), any error."""
        name = self.current
        if not self.on_overview and name is not None:
            return replace(base, interval=self.fleet[name].collector.interval
                           if name in self._account_timers else None,
                           in_flight=name in self._slow_polls)
        view = getattr(self.screen, "view", None)  # the rows the table shows, each read
        if view is not None:                       # when it may have changed
            updated = [row.updated for row in view.rows if row.updated is not None]
        else:  # before the overview's first read: twenty queries
            updated = []
            for runtime in self.fleet.runtimes.values():
                try:
                    record = runtime.store.last_success()
                except StoreError:
                    record = None
                if record is not None:
                    updated.append(record.finished_at)
        errors = [self.account_reader(name).redactor.text(outcome.error)
                  for name, outcome in self.outcomes.items() if outcome.error]
        return replace(
            base, provider=f"{len(self.fleet)} accounts", account="overview",
            demo=all(runtime.settings.simulated for runtime in self.fleet.runtimes.values()),
            error=errors[0] if errors else None, last_success=min(updated, default=None),
            interval=None if self.paused or not self._account_timers else
            min(runtime.collector.interval for runtime in self.fleet.runtimes.values()),
            in_flight=bool(self._slow_polls), scope="All accounts",
            range_label="today, month")
