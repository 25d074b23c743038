"""The built-in demo of each vendor: its simulator, a key it accepts, the path its
API lives under and the account name the header shows.

``usage-top --demo --provider NAME`` (or no key configured) runs on these in
process, and ``usage-top sim --provider NAME`` serves one in the foreground,
over real HTTP, exactly as usage-top talks to the vendor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from usage_top.sim.server import SimServer

Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class DemoApi:
    """One vendor's simulator and how a client reaches it."""

    simulator: Any
    key: str
    prefix: str
    """Appended to the server's URL to make the base URL (OpenAI's ``/v1``)."""
    account: str


@dataclass(frozen=True)
class Demo:
    server: SimServer
    base_url: str
    key: str
    account: str


def demo_account(provider: str) -> str:
    """The account name the header shows for the named vendor's demo (a ``--no-poll``
    viewer of a demo's file needs it without building the simulator)."""
    return {"openai": "demo organisation", "anthropic": "demo organisation",
            "lusha": "demo account"}.get(provider, "demo workspace")


def demo_api(provider: str, *, tz: str = "UTC", clock: Clock | None = None, seed: int = 7,
             keys: int | None = None) -> DemoApi:
    """The named vendor's seeded simulator (``keys`` sizes Pubrio's workspace)."""
    account = demo_account(provider)
    if provider == "openai":
        from usage_top.sim.openai import DEMO_ADMIN_KEY, OpenAISimulator

        return DemoApi(OpenAISimulator(seed=seed, clock=clock), DEMO_ADMIN_KEY, "/v1", account)
    if provider == "anthropic":
        from usage_top.sim.anthropic import ANTHROPIC_ADMIN_KEY, AnthropicSimulator

        return DemoApi(AnthropicSimulator(seed=seed, clock=clock), ANTHROPIC_ADMIN_KEY, "", account)
    if provider == "lusha":
        from usage_top.sim.lusha import LUSHA_DEMO_KEY, LushaSimulator

        return DemoApi(LushaSimulator(seed=seed, clock=clock), LUSHA_DEMO_KEY, "", account)
    from usage_top.sim import DEMO_API_KEY, Simulator

    sized = {} if keys is None else {"keys": keys}
    return DemoApi(Simulator(seed=seed, tz=tz, clock=clock, **sized), DEMO_API_KEY, "", account)


def start_demo(provider: str, *, tz: str, clock: Clock | None = None) -> Demo:
    """Start the named vendor's simulator on a loopback port; the caller stops ``server``."""
    api = demo_api(provider, tz=tz, clock=clock)
    server = SimServer(api.simulator).start()
    return Demo(server, server.url + api.prefix, api.key, api.account)
