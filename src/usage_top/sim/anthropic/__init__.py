"""A deterministic, seeded simulator of Anthropic's Admin API usage and cost reports.

The embedded demo of ``usage-top --demo --provider anthropic`` and the server
tests run against, on the same ``SimServer`` as the Pubrio simulator::

    sim = AnthropicSimulator(seed=7, clock=None, paging="normal")
    with SimServer(sim).start() as server:
        ...  # GET server.url + "/v1/organizations/usage_report/messages"
             # with x-api-key: ANTHROPIC_ADMIN_KEY, anthropic-version: 2023-06-01
"""

from usage_top.sim.anthropic.api import (
    ANTHROPIC_ADMIN_KEY,
    ANTHROPIC_STANDARD_KEY,
    API_VERSION,
    COST_PATH,
    KEYS_PATH,
    USAGE_PATH,
    WORKSPACES_PATH,
    AnthropicSimulator,
)
from usage_top.sim.anthropic.catalogue import MODELS
from usage_top.sim.anthropic.reports import Paging
from usage_top.sim.anthropic.usage import COST_LAG, USAGE_LAG

__all__ = [
    "ANTHROPIC_ADMIN_KEY",
    "ANTHROPIC_STANDARD_KEY",
    "API_VERSION",
    "COST_LAG",
    "COST_PATH",
    "KEYS_PATH",
    "MODELS",
    "USAGE_LAG",
    "USAGE_PATH",
    "WORKSPACES_PATH",
    "AnthropicSimulator",
    "Paging",
]
