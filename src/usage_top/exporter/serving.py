"""``collect --metrics``: the store's metrics on an HTTP port, next to the polls.

``prometheus_client``'s server runs in a daemon thread and reads the database
through a connection of its own, so a scrape never waits for a poll (SQLite's
WAL lets it read while the poll writes) and a poll never waits for a scrape.
The balance is part of the metrics, so where the provider reports one it is
fetched after each landed poll (at most once an interval: the collector reuses
a fresh one); the dashboard only fetches it when its billing view is open. So
are this month's keys over the whole month, where the vendor's per-day top keys
fall short of its totals (a no-op otherwise).

With several accounts one server serves them all: each account's file is read
through a connection of its own, and its series carry its name as ``account``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING

from prometheus_client import start_http_server

from usage_top.config import DEFAULT_ACCOUNT
from usage_top.domain.periods import Range, local_today
from usage_top.exporter.metrics import DEFAULT_TOP, Target, registry_for
from usage_top.store import Store

if TYPE_CHECKING:
    from usage_top.pipeline.collector import PollOutcome
    from usage_top.pipeline.runtime import Runtime


def target_of(runtime: Runtime) -> Target:
    """An account as the metrics label it. The one place the ``account`` label is
    decided: the configured account's name (``[accounts.<name>]``); without named
    accounts, the vendor account polled (its host, as before accounts had names)."""
    capabilities, settings = runtime.capabilities, runtime.settings
    named = settings.account != DEFAULT_ACCOUNT
    return Target(
        account=settings.account if named else runtime.account,
        provider=runtime.collector.provider.name,
        capabilities=capabilities, zone=capabilities.day_zone(settings.tz),
        interval=runtime.collector.interval, thresholds=settings.thresholds_for,
        simulated=settings.simulated,
    )


class MetricsServer:
    """Serves ``/metrics`` of every given account on ``host:port`` until closed."""

    def __init__(self, runtimes: Sequence[Runtime], host: str, port: int,
                 top: int = DEFAULT_TOP) -> None:
        self.runtimes = {runtime.settings.account: runtime for runtime in runtimes}
        self.targets = {name: target_of(runtime) for name, runtime in self.runtimes.items()}
        self.stores: list[Store] = []
        try:
            for runtime in runtimes:
                self.stores.append(Store(runtime.store.path))
            registry, self.polls = registry_for(list(zip(self.stores, self.targets.values())),
                                                runtimes[0].now, top)
            self._server, self._thread = start_http_server(port, addr=host, registry=registry)
        except BaseException:
            self._close_stores()
            raise
        self.port = self._server.server_port
        self._tasks: set[asyncio.Task[None]] = set()

    def observe(self, account: str, outcome: PollOutcome) -> None:
        """Count an account's poll; after a landed one, refresh its balance and this
        month's keys (where the vendor's per-day lists fall short) in the background."""
        target = self.targets[account]
        self.polls.observe(target, outcome.started_at, outcome.finished_at, outcome.error)
        if not outcome.ok:
            return
        runtime = self.runtimes[account]
        collector = runtime.collector
        fetches = [collector.fetch_range_keys(*Range.MONTH.dates(local_today(
            runtime.now(), target.zone)))]
        if runtime.capabilities.billing:
            fetches.append(collector.fetch_billing())
        for fetch in fetches:
            task = asyncio.get_running_loop().create_task(self._fetch(target, fetch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _fetch(self, target: Target, fetch: Awaitable[PollOutcome]) -> None:
        outcome = await fetch
        if outcome.error is not None:
            self.polls.observe(target, outcome.started_at, outcome.finished_at, outcome.error)

    def _close_stores(self) -> None:
        for store in self.stores:
            store.close()

    async def aclose(self) -> None:
        """Stop serving; a balance fetch still running is cancelled."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._server.shutdown()
        self._server.server_close()
        self._close_stores()
