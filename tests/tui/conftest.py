"""Build the real dashboard on the simulator with frozen time, for pilot and snapshot tests."""

from __future__ import annotations

import datetime as dt

import pytest

from usage_top.pipeline.collector import Collector
from usage_top.config import Settings
from usage_top.providers.http import ApiClient
from usage_top.providers.pubrio import AUTH_HEADER, PubrioProvider
from usage_top.sim import DEMO_API_KEY, Faults
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


async def poll_with_the_api_down(pilot, sim, clock, seconds: int = 5) -> None:
    """The first poll landed; ``seconds`` later the next one meets a 503 (figures kept,
    the banner up)."""
    await settle(pilot)
    sim.set_faults(Faults(status=503))
    clock.advance(seconds=seconds)
    pilot.app.poll()
    await settle(pilot)


async def first_poll_done(pilot) -> None:
    """``settle`` until the first poll has an outcome and none is in flight (a bounded
    number of rounds, never the wall clock: on a loaded machine one settle can come
    before the first poll's worker has begun), then the alert toasts dismissed."""
    app = pilot.app
    for _ in range(200):
        await settle(pilot)
        if app.collector is None or (app.last_outcome is not None and not app._in_flight):
            break
    app.clear_notifications()
    await pilot.pause()


@pytest.fixture
def make_vendor_app(clock, store, isolated_env):
    """``make_vendor_app("anthropic"|"lusha", key=None)`` → a UsageTopApp on that vendor's
    seeded simulator over loopback, frozen time (the simulator's clock is the test's)."""
    from usage_top.sim.demos import demo_api
    from usage_top.sim.server import SimServer

    servers = []

    def make(provider: str, key: str | None = None) -> UsageTopApp:
        api = demo_api(provider, clock=clock)
        server = SimServer(api.simulator).start()
        servers.append(server)
        vendor = _vendor_provider(provider, server.url + api.prefix, key or api.key, clock)
        caps = vendor.capabilities
        settings = Settings(provider=provider, api_key=key or api.key, base_url=server.url,
                            demo=True, interval=30)
        collector = Collector(vendor, store, tz=caps.day_zone(dt.UTC), clock=clock,
                              interval=max(30, caps.min_interval))
        app = UsageTopApp(settings=settings, store=store, collector=collector, capabilities=caps,
                          account=api.account, clock=clock, on_close=vendor.aclose)
        app.simulator = api.simulator  # for the tests' fault injection
        return app

    yield make
    for server in servers:
        server.stop()


def _vendor_provider(provider: str, url: str, key: str, clock):
    """The real adapter on a client that never sleeps (budget waits pass at once)."""
    if provider == "anthropic":
        from usage_top.providers.anthropic import ADMIN_PREFIX, AnthropicProvider, auth_headers

        client = ApiClient(url, auth_headers(key), sleep=no_sleep, timeout=5)
        return AnthropicProvider(client, clock=lambda: clock().timestamp(),
                                 admin_key=key.startswith(ADMIN_PREFIX))  # as connect() does
    from usage_top.providers.lusha import AUTH_HEADER as LUSHA_HEADER
    from usage_top.providers.lusha import REQUESTS_PER_MINUTE, LushaProvider, RateHeaders

    headers = RateHeaders()
    client = ApiClient(url, {LUSHA_HEADER: key}, sleep=no_sleep, timeout=5, max_retries=2,
                       budget_per_minute=REQUESTS_PER_MINUTE, transport=headers,
                       clock=lambda: clock().timestamp())
    return LushaProvider(client, headers, ticks=lambda: clock().timestamp())


def svg_rows(svg: str) -> list[str]:
    """The text rows of a Textual SVG screenshot, as a terminal would show them."""
    import html
    import re
    from collections import defaultdict

    rows: dict[float, list[tuple[float, str]]] = defaultdict(list)
    for match in re.finditer(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows[float(match.group(2))].append((float(match.group(1)), html.unescape(match.group(3))))
    lines = []
    for y in sorted(rows):
        line = ""
        for x, text in sorted(rows[y]):
            line = line.ljust(round(x / 12.2)) + text
        lines.append(line.rstrip().replace("\xa0", " "))
    return lines


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed snapshot says what differs, row by row, in the test's own output: CI keeps
    no HTML report, and a flaky snapshot must be diagnosable from the log alone."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed or "snap_compare" not in item.fixturenames:
        return
    import difflib
    import pickle

    from pytest_textual_snapshot import node_to_report_path

    path = node_to_report_path(item)
    if not path.exists():
        return
    _, expected, actual, *_ = pickle.loads(path.read_bytes())
    diff = difflib.unified_diff(svg_rows(expected), svg_rows(actual or ""), "snapshot", "actual",
                                lineterm="", n=1)
    report.sections.append(("snapshot text diff", "\n".join(diff) or "(the text is the same: "
                                                                      "colours or styles differ)"))
