"""A deterministic, seeded simulator of Lusha's V3 account usage endpoint.

The embedded demo of ``usage-top --demo --provider lusha`` and the server tests
run against, on the same ``SimServer`` as the Pubrio simulator::

    sim = LushaSimulator(seed=7, clock=None)
    with SimServer(sim).start() as server:
        ...  # GET server.url + "/v3/account/usage" with api_key: LUSHA_DEMO_KEY
"""

from usage_top.sim.lusha.api import (
    ENDPOINT_LIMIT,
    KEYS,
    LUSHA_DEMO_KEY,
    LUSHA_EXHAUSTED_KEY,
    LUSHA_FREE_KEY,
    LUSHA_GDPR_KEY,
    LUSHA_INACTIVE_KEY,
    LUSHA_NO_V3_KEY,
    LUSHA_PREMIUM_KEY,
    LUSHA_SCALE_KEY,
    USAGE_PATH,
    LushaSimulator,
)
from usage_top.sim.lusha.plans import PLANS, PRICING

__all__ = [
    "ENDPOINT_LIMIT",
    "KEYS",
    "LUSHA_DEMO_KEY",
    "LUSHA_EXHAUSTED_KEY",
    "LUSHA_FREE_KEY",
    "LUSHA_GDPR_KEY",
    "LUSHA_INACTIVE_KEY",
    "LUSHA_NO_V3_KEY",
    "LUSHA_PREMIUM_KEY",
    "LUSHA_SCALE_KEY",
    "PLANS",
    "PRICING",
    "USAGE_PATH",
    "LushaSimulator",
]
