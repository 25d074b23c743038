"""Builds the parts a run needs from the settings: store, HTTP client, provider, collector.

In demo mode (asked for, or no API key configured) the simulator is started
in-process on a loopback port and the app talks to it over real HTTP, exactly as
it would to the vendor; its data lives in a separate database so a demo never
mixes with a real account's history.

With ``--no-poll`` (the dashboard only reads the database) the HTTP client and
the Pubrio adapter are not built, nor httpx and the adapter's pydantic models
imported (about a tenth of the dashboard's start-up), unless something uses
them; every other run builds them in ``open`` as before (see BENCHMARKS.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from usage_top.pipeline.collector import Clock, Collector, utc_now
from usage_top.config import Settings
from usage_top.store import Store, default_db_path

if TYPE_CHECKING:
    from usage_top.providers.http import ApiClient
    from usage_top.providers.pubrio import PubrioProvider


def db_path(settings: Settings) -> Path:
    """``--db`` if given, else the XDG default (a separate file for the demo)."""
    if settings.db:
        return settings.db
    default = default_db_path()
    return default.with_name("demo.db") if settings.simulated else default


class _Http:
    """The HTTP client and the Pubrio adapter of one run, built on first use."""

    def __init__(self, base_url: str, key: str, settings: Settings) -> None:
        self._base_url, self._key, self._settings = base_url, key, settings
        self.client: ApiClient | None = None
        self.provider: PubrioProvider | None = None

    def build(self) -> PubrioProvider:
        if self.provider is None:
            from usage_top.providers.http import ApiClient
            from usage_top.providers.pubrio import AUTH_HEADER, PubrioProvider

            self.client = ApiClient(self._base_url, {AUTH_HEADER: self._key},
                                    timeout=self._settings.timeout)
            self.provider = PubrioProvider(self.client, self._settings.tz)
        return self.provider


class _DeferredProvider:
    """What the collector holds as its provider: builds the real one when first used."""

    name = "pubrio"

    def __init__(self, build: Callable[[], PubrioProvider]) -> None:
        self._build = build

    def __getattr__(self, name: str) -> Any:  # only for what this class does not define
        return getattr(self._build(), name)


@dataclass
class Runtime:
    """The open resources of one run; close it when done."""

    settings: Settings
    store: Store
    collector: Collector
    account: str
    sim_server: object | None = None
    _http: _Http | None = field(default=None, repr=False)

    @property
    def client(self) -> ApiClient:
        """The HTTP client (built now if nothing has used it yet)."""
        self._http.build()
        return self._http.client

    @classmethod
    def open(cls, settings: Settings, clock: Clock = utc_now, sim_clock: Clock | None = None) -> Runtime:
        """Open the store, start the simulator if needed, and make the client (deferred with
        ``--no-poll``)."""
        store = Store(db_path(settings))
        server = None
        if settings.simulated:
            from usage_top.sim import DEMO_API_KEY, SimServer, Simulator

            sim = Simulator(seed=7, tz=settings.timezone, clock=sim_clock)
            server = SimServer(sim).start()
            base_url, key, account = server.url, DEMO_API_KEY, "demo workspace"
        else:
            base_url = settings.base_url
            key = settings.api_key.get_secret_value()
            account = base_url.removeprefix("https://")
        http = _Http(base_url, key, settings)
        if settings.poll:
            http.build()  # as before: a bad base URL or key fails here, not at the first poll
        provider = _DeferredProvider(http.build) if http.provider is None else http.provider
        collector = Collector(provider, store, tz=settings.tz, clock=clock, interval=settings.interval)
        return cls(settings, store, collector, account, server, http)

    def now(self) -> dt.datetime:
        return self.collector.clock()

    async def aclose(self) -> None:
        if self._http is not None and self._http.client is not None:
            await self._http.client.aclose()
        if self.sim_server is not None:
            self.sim_server.stop()
        self.store.close()
