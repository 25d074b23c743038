"""What Pubrio reports, apart from the adapter so it is cheap to import.

The views need a provider's capabilities even when nothing polls (``--no-poll``),
and the adapter's response models cost about 30 ms to import; this module costs
nothing beyond the domain.
"""

from __future__ import annotations

from usage_top.domain.capabilities import Capabilities, Dimension, Ratio, TimeBasis
from usage_top.domain.measures import REQUESTS, Measure, Unit, UnitKind

NAME = "pubrio"
CREDITS = Unit(UnitKind.AMOUNT, "credits")
ENDPOINT = Dimension("endpoint", "Endpoint", "Endpoints", "Unmapped requests")
"""A Pubrio "log type": its ``slug`` is the item id."""

CAPABILITIES = Capabilities(
    measures=(
        Measure("requests", "Requests", REQUESTS, "req"),
        Measure("credits", "Credits", CREDITS, "cred"),
    ),
    primary="credits",
    activity="requests",
    dimensions=(ENDPOINT,),
    key_breakdown=True,
    key_filter=True,
    dimension_filter=True,
    billing=True,
    top_rows=100,
    range_keys=True,
    time_basis=TimeBasis.WORKSPACE,
    ratio=Ratio("Cost/call", "cost_per_call", "credits", ("requests",), phrase="credits per call"),
    labels={"requests": "Calls"},
)
