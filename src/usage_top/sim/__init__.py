"""A deterministic, seeded simulator of Pubrio's usage API.

The embedded default of the app (``usage-top --demo`` serves it in-process on a
loopback port) and the server every test runs against::

    sim = Simulator(seed=7, clock=None, tz="UTC", keys=36, endpoints=20)
    with SimServer(sim).start() as server:
        ...  # POST server.url + "/api_keys/usage/breakdown" with DEMO_API_KEY
"""

from usage_top.sim.api import DEMO_API_KEY, FREE_PLAN_KEY, Simulator
from usage_top.sim.harness import RecordedRequest
from usage_top.sim.faults import Faults
from usage_top.sim.server import SimServer

__all__ = [
    "DEMO_API_KEY",
    "FREE_PLAN_KEY",
    "Faults",
    "RecordedRequest",
    "SimServer",
    "Simulator",
]
