"""Several accounts polled side by side: one loop per account, each on its own runtime.

Every account has its own store (its own file), provider, HTTP client and
request budget, collector and poll service (``Runtime``), and its own interval.
Each loop awaits only its own polls, so a slow or failing account never delays
another. ``usage-top collect`` runs the loops until stopped; the dashboard runs
them in its event loop and hears each report, and ``r`` wakes one loop early.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from usage_top.config import Settings
from usage_top.domain.clock import Clock, utc_now
from usage_top.pipeline.runtime import Runtime
from usage_top.pipeline.service import PollReport

OnReport = Callable[[str, PollReport], object]
"""Hears each poll: the account's name and its report."""


@dataclass
class Fleet:
    """The open runtimes of every account, by name, in the configuration's order."""

    runtimes: dict[str, Runtime]
    _wake: dict[str, asyncio.Event] = field(default_factory=dict, init=False)
    _running: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def __post_init__(self) -> None:
        self._wake = {name: asyncio.Event() for name in self.runtimes}
        self._running.set()

    @classmethod
    def open(cls, accounts: Mapping[str, Settings], clock: Clock = utc_now,
             sim_clock: Clock | None = None) -> Fleet:
        """Open every account's runtime; if one fails, close those already opened."""
        opened: dict[str, Runtime] = {}
        try:
            for name, settings in accounts.items():
                opened[name] = Runtime.open(settings, clock, sim_clock)
        except BaseException:
            for runtime in opened.values():
                runtime.close_now()
            raise
        return cls(opened)

    def __iter__(self) -> Iterator[str]:
        return iter(self.runtimes)

    def __len__(self) -> int:
        return len(self.runtimes)

    def __getitem__(self, name: str) -> Runtime:
        return self.runtimes[name]

    async def __aenter__(self) -> Fleet:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for runtime in self.runtimes.values():
            await runtime.aclose()

    def wake(self, name: str) -> None:
        """Poll this account now (its loop wakes from its wait)."""
        self._wake[name].set()

    def pause(self, paused: bool) -> None:
        """Hold every loop before its next poll, or let them go (each polls at once)."""
        if paused:
            self._running.clear()
            return
        self._running.set()
        for event in self._wake.values():
            event.set()

    async def run(self, stop: asyncio.Event, on_report: OnReport, *,
                  stop_on_fatal: bool = True) -> dict[str, PollReport]:
        """Every account's loop until ``stop``; the reports that stopped a loop early
        (an error retrying cannot fix: ``PollService.run``), by account."""
        names = list(self.runtimes)
        results = await asyncio.gather(*(self.loop(name, stop, on_report, stop_on_fatal=stop_on_fatal)
                                         for name in names))
        return {name: report for name, report in zip(names, results) if report is not None}

    async def loop(self, name: str, stop: asyncio.Event, on_report: OnReport, *,
                   stop_on_fatal: bool = False) -> PollReport | None:
        """Poll one account every interval (longer where its vendor asked) until
        ``stop``. After an error the user must fix (a rejected key) it returns that
        report with ``stop_on_fatal``, else it waits to be woken (``r``)."""
        runtime, wake = self.runtimes[name], self._wake[name]
        while not stop.is_set():
            await _any(stop, self._running)
            if stop.is_set():
                break
            wake.clear()
            report = await runtime.service.poll()
            on_report(name, report)
            fatal = report.outcome.needs_user
            if fatal and stop_on_fatal:
                return report
            wait = None if fatal else runtime.collector.next_wait(report.outcome)
            await _any(stop, wake, timeout=wait)
        return None


async def _any(*events: asyncio.Event, timeout: float | None = None) -> None:
    """Until one of ``events`` is set, or ``timeout`` seconds have passed."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
