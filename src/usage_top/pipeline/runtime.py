"""Builds the parts a run needs from the settings: store, provider, collector, poll service.

In demo mode (asked for, or no API key configured) the simulator is started
in-process on a loopback port and the app talks to it over real HTTP, exactly as
it would to the vendor; its data lives in a separate database so a demo never
mixes with a real account's history.

The provider is picked by ``settings.provider`` from ``providers.registry``.
With ``--no-poll`` (the dashboard only reads the database) it is not built, nor
the HTTP stack and the adapter's response models imported (about a tenth of the
dashboard's start-up), unless something uses it; every other run builds it in
``open`` (see BENCHMARKS.md). The alert engine and the poll service are built
when first used, for the same reason.

Use it as ``async with Runtime.open(settings) as runtime:``; the dashboard,
whose event loop starts later, closes it with ``aclose`` from inside that loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from usage_top.config import DEFAULT_ACCOUNT, Settings
from usage_top.domain.capabilities import Capabilities
from usage_top.domain.clock import Clock, utc_now
from usage_top.pipeline.collector import Collector, Provider
from usage_top.providers import registry
from usage_top.store import Store, default_db_path
from usage_top.store.errors import StoreError

if TYPE_CHECKING:
    from usage_top.oncall.alerts import AlertEngine
    from usage_top.pipeline.service import PollService
    from usage_top.sim import SimServer


def db_path(settings: Settings) -> Path:
    """``--db`` if given, else the XDG default (a separate file for the demo).

    Each account has a file of its own (see the README): ``usage.db`` is the
    ``default`` account's, ``usage-<account>.db`` another's. A demo account named
    after its provider shares the file of ``--demo --provider`` that provider."""
    if settings.db:
        return settings.db
    default = default_db_path()
    account = settings.account
    if not settings.simulated:
        return default if account == DEFAULT_ACCOUNT else default.with_name(f"usage-{account}.db")
    if account not in (DEFAULT_ACCOUNT, settings.provider):
        return default.with_name(f"demo-{account}.db")
    name = "demo.db" if settings.provider == registry.DEFAULT else f"demo-{settings.provider}.db"
    return default.with_name(name)


class _DeferredProvider:
    """What the collector holds as its provider: its name and capabilities at once,
    the real adapter built on first use of anything else."""

    def __init__(self, name: str, build: Callable[[], Provider]) -> None:
        self.name = name
        self.capabilities = registry.capabilities(name)
        self._build = build
        self._provider: Provider | None = None

    @property
    def requests_made(self) -> int:
        return self._provider.requests_made if self._provider is not None else 0

    async def aclose(self) -> None:
        if self._provider is not None:
            await self._provider.aclose()

    def connect(self) -> Provider:
        """The real provider, built now if nothing has used it yet."""
        if self._provider is None:
            self._provider = self._build()
        return self._provider

    def __getattr__(self, name: str) -> Any:  # only for what this class does not define
        return getattr(self.connect(), name)


@dataclass
class Runtime:
    """The open resources of one run; close it when done (or use ``async with``)."""

    settings: Settings
    store: Store
    collector: Collector
    account: str
    sim_server: SimServer | None = None
    max_wait: float | None = None
    """The longest wait a server may ask for that a request sits through: a one-shot
    command's few seconds (``ONE_SHOT_WAIT``) rather than the HTTP client's two minutes."""

    @classmethod
    def open(cls, settings: Settings, clock: Clock = utc_now, sim_clock: Clock | None = None,
             *, connect: bool = True, max_wait: float | None = None) -> Runtime:
        """Open the store, start the simulator if needed, and connect the provider
        (deferred with ``--no-poll``). Whatever was opened is closed again if a later
        step fails (a bad base URL, an unknown provider). With ``--no-poll`` the database
        must exist: a viewer of a mistyped path would see an empty file of its own.

        ``connect=False`` (the overview of several accounts, which draws its first frame
        from the stored files): the provider, and a demo's simulator, are built at the
        first poll; the configuration has checked the base URL and the key already."""
        path = db_path(settings)
        if not settings.poll and not Path(path).exists():
            raise StoreError(f"no database at {path}: --no-poll only reads the one a collector "
                             "writes (usage-top collect --db PATH); check the path")
        store = Store(path)
        runtime = None
        try:
            provider = _DeferredProvider(settings.provider, lambda: runtime._connect(sim_clock))
            caps = provider.capabilities
            collector = Collector(provider, store, tz=caps.day_zone(settings.tz), clock=clock,
                                  interval=max(settings.interval, caps.min_interval),
                                  key_variable=settings.key_variable)
            runtime = cls(settings, store, collector, _account(settings), max_wait=max_wait)
            if settings.poll and connect:
                provider.connect()  # as before: a bad base URL fails here, not at the first poll
        except BaseException:
            if runtime is not None:
                runtime.close_now()
            else:
                store.close()
            raise
        return runtime

    def _connect(self, sim_clock: Clock | None) -> Provider:
        """The provider on its endpoint: a demo's simulator, started now, or the vendor."""
        settings = self.settings
        self.sim_server, base_url, key = _endpoint(settings, sim_clock)
        return registry.connect(settings.provider, base_url, key, tz=settings.tz,
                                timeout=settings.timeout, budgets=settings.vendor_budgets,
                                prices=settings.prices, max_wait=self.max_wait)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    @property
    def capabilities(self) -> Capabilities:
        return self.collector.capabilities

    @cached_property
    def service(self) -> PollService:
        """Poll, alerts, alert command: what each poll of the dashboard and ``collect`` runs."""
        from usage_top.pipeline.service import PollService

        return PollService.from_settings(self.collector, self.settings)

    @property
    def alerts(self) -> AlertEngine:
        """The alert engine on this run's store and clock, without a hook: the poll
        service runs the configured alert command and reports its failures."""
        return self.service.alerts

    def now(self) -> dt.datetime:
        return self.collector.clock()

    async def aclose(self) -> None:
        await self.collector.provider.aclose()
        self.close_now()

    def close_now(self) -> None:
        """Stop the simulator and close the store, outside an event loop (another
        account failed to open); the HTTP client, never used yet, holds no connection."""
        if self.sim_server is not None:
            self.sim_server.stop()
            self.sim_server = None
        self.store.close()


def _account(settings: Settings) -> str:
    """The account the header names: the demo's, or the vendor's host."""
    if settings.simulated:
        from usage_top.sim.demos import demo_account

        return demo_account(settings.provider)
    return urlsplit(settings.url).netloc


def _endpoint(settings: Settings, sim_clock: Clock | None) -> tuple[SimServer | None, str, str]:
    """(simulator, base URL, API key): the provider's in-process simulator in demo mode
    (none for a ``--no-poll`` viewer, which never asks it anything), else the
    configured vendor account."""
    if settings.simulated and not settings.poll:
        return None, "http://127.0.0.1", ""
    if settings.simulated:
        from usage_top.sim.demos import start_demo

        demo = start_demo(settings.provider, tz=settings.timezone, clock=sim_clock)
        return demo.server, demo.base_url, demo.key
    return None, settings.url, settings.api_key.get_secret_value()
