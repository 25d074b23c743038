"""Build the real dashboard on the simulator with frozen time, for pilot and snapshot tests."""

from __future__ import annotations

import datetime as dt

import pytest

from usage_top.pipeline.collector import Collector
from usage_top.config import Settings
from usage_top.providers.http import ApiClient
from usage_top.providers.pubrio import AUTH_HEADER, PubrioProvider
from usage_top.sim import DEMO_API_KEY
from usage_top.tui.app import UsageTopApp

from ..conftest import no_sleep


@pytest.fixture
def make_app(sim_server, store, clock, isolated_env):
    """``make_app(api_key=…, poll=True, demo=True, **settings)`` → a UsageTopApp wired to the
    simulator (more settings, such as ``redact=True``, as keywords)."""

    def make(api_key: str = DEMO_API_KEY, poll: bool = True, demo: bool = True,
             **options) -> UsageTopApp:
        settings = Settings(api_key=api_key, base_url=sim_server.url, demo=demo, interval=30,
                            **options)
        client = ApiClient(sim_server.url, {AUTH_HEADER: api_key}, sleep=no_sleep, timeout=5)
        collector = Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC, clock=clock, interval=30)
        return UsageTopApp(
            settings=settings,
            store=store,
            collector=collector if poll else None,
            capabilities=PubrioProvider.capabilities,
            account="demo workspace" if demo else "api.example.com",
            clock=clock,
            on_close=client.aclose,
        )

    return make


async def settle(pilot) -> None:
    """Wait until every worker (polls, key fetches) is done and the screen has caught up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
