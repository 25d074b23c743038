"""Shared fixtures: a simulator on a real loopback socket, a real SQLite file, frozen time.

Everything runs the real code: the Pubrio adapter talks HTTP to the simulator,
the collector writes a real database. Time is frozen (and can be advanced) so
figures are reproducible.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from usage_top.pipeline.collector import Collector
from usage_top.config import Settings, load_settings
from usage_top.providers.http import ApiClient
from usage_top.providers.pubrio import AUTH_HEADER, PubrioProvider
from usage_top.sim import DEMO_API_KEY, SimServer, Simulator
from usage_top.store import Store

FROZEN = dt.datetime(2026, 11, 18, 14, 37, tzinfo=dt.UTC)
"""A Wednesday afternoon: mid-month, mid-day, so every scope has usage."""


class Clock:
    """A frozen clock that tests can move forward."""

    def __init__(self, now: dt.datetime = FROZEN) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


async def no_sleep(seconds: float) -> None:
    """Backoff and budget waits pass instantly in tests (the server still counts requests)."""


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sim(clock: Clock) -> Simulator:
    return Simulator(seed=7, clock=clock, tz="UTC")


@pytest.fixture
def sim_server(sim: Simulator) -> Iterator[SimServer]:
    with SimServer(sim).start() as server:
        yield server


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XDG dirs in tmp and no usage-top or Pubrio variables from the developer's shell."""
    for name in ("PUBRIO_API_KEY", "PUBRIO_BASE_URL", "USAGE_TOP_CONFIG", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path


@pytest.fixture
def settings(isolated_env: Path, sim_server: SimServer, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings of a real account pointed at the simulator."""
    monkeypatch.setenv("PUBRIO_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("PUBRIO_BASE_URL", sim_server.url)
    monkeypatch.setenv("USAGE_TOP_DB", str(isolated_env / "usage.db"))
    return load_settings()


@pytest.fixture
def store(isolated_env: Path) -> Iterator[Store]:
    store = Store(isolated_env / "usage.db")
    yield store
    store.close()


@pytest.fixture
async def client(sim_server: SimServer):
    async with ApiClient(sim_server.url, {AUTH_HEADER: DEMO_API_KEY}, sleep=no_sleep) as client:
        yield client


@pytest.fixture
def provider(client: ApiClient) -> PubrioProvider:
    return PubrioProvider(client, dt.UTC)


@pytest.fixture
def collector(provider: PubrioProvider, store: Store, clock: Clock) -> Collector:
    return Collector(provider, store, tz=dt.UTC, clock=clock, interval=30)
