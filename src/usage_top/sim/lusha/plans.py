"""Lusha's plans: per-key request windows, credits per billing cycle, action prices.

The request limits are the published ones (Free and Starter have no hourly
window). Credits per cycle, the background traffic and the names in
``PRICING`` are not public and are this simulator's choice; the pricing
entries have the documented shape ``{"credits", "perQuantity"}``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """One plan: its windows, its credits and how busy its simulated account is."""

    category: str
    minute: int
    hourly: int | None
    daily: int
    credits: int
    """Credits per monthly billing cycle."""
    weekday_calls: int
    """API calls the account makes on an ordinary weekday (outside the simulator's view)."""
    credits_per_call: float
    """Credits charged per call on average (only matches are charged)."""
    renews: bool = True
    """Paid plans renew (``endDate`` set); the free plan has no end date."""


PLANS = {
    "free": Plan("free", 40, None, 100, 70, 12, 0.12, renews=False),
    "starter": Plan("starter", 40, None, 100, 480, 45, 0.4),
    "pro": Plan("professional", 50, 150, 1_500, 2_400, 420, 0.22),
    "premium": Plan("premium", 300, 1_800, 18_000, 12_000, 3_200, 0.14),
    "scale": Plan("scale", 300, 5_000, 50_000, 60_000, 11_000, 0.18),
}

PRICING = {
    "contactEnrich": {"credits": 1, "perQuantity": 1},
    "contactRevealEmail": {"credits": 1, "perQuantity": 1},
    "contactRevealPhone": {"credits": 5, "perQuantity": 1},
    "companyEnrich": {"credits": 1, "perQuantity": 1},
    "prospectingContactSearch": {"credits": 0, "perQuantity": 1},
    "signals": {"credits": 1, "perQuantity": 25},
    "lookalikes": {"credits": 1, "perQuantity": 10},
}
"""Credits per action (inferred names; the shape is the documented one)."""
