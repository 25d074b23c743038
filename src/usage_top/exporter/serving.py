"""``collect --metrics``: the store's metrics on an HTTP port, next to the polls.

``prometheus_client``'s server runs in a daemon thread and reads the database
through a connection of its own, so a scrape never waits for a poll (SQLite's
WAL lets it read while the poll writes) and a poll never waits for a scrape.
The balance is part of the metrics, so where the provider reports one it is
fetched after each landed poll (at most once an interval: the collector reuses
a fresh one); the dashboard only fetches it when its billing view is open. So
are this month's keys over the whole month, where the vendor's per-day top keys
fall short of its totals (a no-op otherwise).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TYPE_CHECKING

from prometheus_client import start_http_server

from usage_top.domain.periods import Range, local_today
from usage_top.exporter.metrics import DEFAULT_TOP, Target, registry_for
from usage_top.store import Store

if TYPE_CHECKING:
    from usage_top.pipeline.collector import PollOutcome
    from usage_top.pipeline.runtime import Runtime


def target_of(runtime: Runtime) -> Target:
    """The run's account as the metrics label it. The one place the ``account`` label
    is decided: the configured account's name (several accounts per run come later)."""
    capabilities, settings = runtime.capabilities, runtime.settings
    return Target(
        account=runtime.account, provider=runtime.collector.provider.name,
        capabilities=capabilities, zone=capabilities.day_zone(settings.tz),
        interval=runtime.collector.interval, thresholds=settings.thresholds_for,
        simulated=settings.simulated,
    )


class MetricsServer:
    """Serves ``/metrics`` on ``host:port`` until closed."""

    def __init__(self, runtime: Runtime, host: str, port: int, top: int = DEFAULT_TOP) -> None:
        self.runtime = runtime
        self.store = Store(runtime.store.path)
        try:
            registry, self.polls = registry_for(self.store, target_of(runtime), runtime.now, top)
            self._server, self._thread = start_http_server(port, addr=host, registry=registry)
        except BaseException:
            self.store.close()
            raise
        self.port = self._server.server_port
        self._tasks: set[asyncio.Task[None]] = set()

    def observe(self, outcome: PollOutcome) -> None:
        """Count a poll; after a landed one, refresh the balance and this month's keys
        (where the vendor's per-day lists fall short) in the background."""
        self.polls.observe(outcome.started_at, outcome.finished_at, outcome.error)
        if not outcome.ok:
            return
        collector = self.runtime.collector
        fetches = [collector.fetch_range_keys(*Range.MONTH.dates(local_today(
            self.runtime.now(), target_of(self.runtime).zone)))]
        if self.runtime.capabilities.billing:
            fetches.append(collector.fetch_billing())
        for fetch in fetches:
            task = asyncio.get_running_loop().create_task(self._fetch(fetch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _fetch(self, fetch: Awaitable[PollOutcome]) -> None:
        outcome = await fetch
        if outcome.error is not None:
            self.polls.observe(outcome.started_at, outcome.finished_at, outcome.error)

    async def aclose(self) -> None:
        """Stop serving; a balance fetch still running is cancelled."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._server.shutdown()
        self._server.server_close()
        self.store.close()
