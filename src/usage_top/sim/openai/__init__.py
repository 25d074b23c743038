"""A deterministic, seeded simulator of OpenAI's organisation Usage and Costs Admin API.

The embedded demo of ``usage-top --demo --provider openai`` and the server
the OpenAI tests run against, served by the shared ``SimServer``::

    sim = OpenAISimulator(seed=7, clock=None)
    with SimServer(sim).start() as server:
        base_url = server.url + "/v1"  # as the SDK's https://api.openai.com/v1
        ...  # GET base_url + "/organization/costs?start_time=..." with
             # "Authorization: Bearer " + DEMO_ADMIN_KEY
"""

from usage_top.sim.faults import Faults
from usage_top.sim.openai.api import (
    API_PREFIX,
    DEMO_ADMIN_KEY,
    DEMO_PROJECT_KEY,
    OpenAISimulator,
)
from usage_top.sim.openai.catalogue import MODELS, PRICES_AS_OF, Meter, Model
from usage_top.sim.openai.org import HISTORY_DAYS, ApiKey, Organisation, Project
from usage_top.sim.openai.reports import PAGINATION_MODES
from usage_top.sim.openai.usage import COST_LAG_HOURS, USAGE_LAG
from usage_top.sim.server import SimServer

__all__ = [
    "API_PREFIX",
    "COST_LAG_HOURS",
    "DEMO_ADMIN_KEY",
    "DEMO_PROJECT_KEY",
    "HISTORY_DAYS",
    "MODELS",
    "PAGINATION_MODES",
    "PRICES_AS_OF",
    "USAGE_LAG",
    "ApiKey",
    "Faults",
    "Meter",
    "Model",
    "OpenAISimulator",
    "Organisation",
    "Project",
    "SimServer",
]
