"""What Lusha reports, apart from the adapter so it is cheap to import.

The views need a provider's capabilities before the first frame and when nothing
polls (``--no-poll``, the accounts overview); the adapter imports httpx and pydantic.
"""

from __future__ import annotations

from usage_top.domain.capabilities import Capabilities, TimeBasis
from usage_top.domain.measures import Measure, Unit, UnitKind

REQUESTS_PER_MINUTE = 5
"""What the usage endpoint allows."""
MIN_INTERVAL = 60.0 / REQUESTS_PER_MINUTE

CREDITS = Unit(UnitKind.AMOUNT, "credits")
CAPABILITIES = Capabilities(
    measures=(Measure("credits", "Credits", CREDITS, "cred"),),
    primary="credits",
    activity="credits",
    billing=True,
    time_basis=TimeBasis.UTC,
    min_interval=MIN_INTERVAL,
    cumulative="credits.cycle",
)
"""No dimensions and no key breakdown: the vendor reports none, so ``day_breakdowns``
gives nothing and the chart comes from stored readings of the credits scope
(``cumulative``: the cycle's ``used`` only grows until the cycle renews)."""
