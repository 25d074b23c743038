"""Builds the parts a run needs from the settings: store, HTTP client, provider, collector.

In demo mode (asked for, or no API key configured) the simulator is started
in-process on a loopback port and the app talks to it over real HTTP, exactly as
it would to the vendor; its data lives in a separate database so a demo never
mixes with a real account's history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from .collector import Clock, Collector, utc_now
from .config import Settings
from .providers.http import ApiClient
from .providers.pubrio import AUTH_HEADER, PubrioProvider
from .store import Store, default_db_path


def db_path(settings: Settings) -> Path:
    """``--db`` if given, else the XDG default (a separate file for the demo)."""
    if settings.db:
        return settings.db
    default = default_db_path()
    return default.with_name("demo.db") if settings.simulated else default


@dataclass
class Runtime:
    """The open resources of one run; close it when done."""

    settings: Settings
    store: Store
    client: ApiClient
    collector: Collector
    account: str
    sim_server: object | None = None

    @classmethod
    def open(cls, settings: Settings, clock: Clock = utc_now, sim_clock: Clock | None = None) -> Runtime:
        """Open the store, start the simulator if needed, and connect the client."""
        store = Store(db_path(settings))
        server = None
        if settings.simulated:
            from .sim import DEMO_API_KEY, SimServer, Simulator

            sim = Simulator(seed=7, tz=settings.timezone, clock=sim_clock)
            server = SimServer(sim).start()
            base_url, key, account = server.url, DEMO_API_KEY, "demo workspace"
        else:
            base_url = settings.base_url
            key = settings.api_key.get_secret_value()
            account = base_url.removeprefix("https://")
        client = ApiClient(base_url, {AUTH_HEADER: key}, timeout=settings.timeout)
        provider = PubrioProvider(client, settings.tz)
        collector = Collector(provider, store, tz=settings.tz, clock=clock, interval=settings.interval)
        return cls(settings, store, client, collector, account, server)

    def now(self) -> dt.datetime:
        return self.collector.clock()

    async def aclose(self) -> None:
        await self.client.aclose()
        if self.sim_server is not None:
            self.sim_server.stop()
        self.store.close()
