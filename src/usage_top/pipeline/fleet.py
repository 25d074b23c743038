"""Several accounts polled side by side: one loop per account, each on its own runtime.

Every account has its own store (its own file), provider, HTTP client and
request budget, collector and poll service (``Runtime``), and its own interval.
Each loop awaits only its own polls, so a slow or failing account never delays
another. ``usage-top collect`` runs the loops until stopped; the dashboard polls
each account on a timer of its own (``tui.app``), from the same runtimes.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from usage_top.config import Settings
from usage_top.domain.clock import Clock, utc_now
from usage_top.pipeline.runtime import Runtime
from usage_top.pipeline.service import PollReport
from usage_top.store import StoreError

OnReport = Callable[[str, PollReport], object]
"""Hears each poll: the account's name and its report."""


@dataclass
class Fleet:
    """The open runtimes of every account, by name, in the configuration's order."""

    runtimes: dict[str, Runtime]

    @classmethod
    def open(cls, accounts: Mapping[str, Settings], clock: Clock = utc_now,
             sim_clock: Clock | None = None, *, connect: bool = True,
             max_wait: float | None = None) -> Fleet:
        """Open every account's runtime; if one fails, close those already opened. A
        viewer's (``--no-poll``) missing file is a StoreError that names its account.
        ``connect=False``: each provider (and demo simulator) is built at its first poll
        (``Runtime.open``); ``max_wait`` as there."""
        opened: dict[str, Runtime] = {}
        try:
            for name, settings in accounts.items():
                try:
                    opened[name] = Runtime.open(settings, clock, sim_clock, connect=connect,
                                                  max_wait=max_wait)
                except StoreError as exc:
                    raise StoreError(f"account {name}: {exc}") if len(accounts) > 1 else exc
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

    async def run(self, stop: asyncio.Event, on_report: OnReport) -> dict[str, PollReport]:
        """Every account's poll loop (``PollService.run``: its interval, longer where
        its vendor asked) side by side until ``stop``; the reports that ended a loop
        early (an error the user must fix, such as a rejected key), by account: the
        other accounts go on."""
        names = list(self.runtimes)
        results = await asyncio.gather(*(
            self.runtimes[name].service.run(stop, on_report=functools.partial(on_report, name))
            for name in names))
        return {name: report for name, report in zip(names, results) if report is not None}
