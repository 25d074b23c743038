"""The log types (endpoints) the simulated workspace calls, with their prices.

Slugs, names and list prices follow the vendor's public docs (people_search 3,
email_redeem 15, phone_number_redeem 30, people_redeem about 10.08 a call). The
order matters: ``Simulator(endpoints=n)`` keeps the first ``n - 1`` log types
plus the unmapped "Other requests" bucket.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    """A log type: what a call costs and how popular it is among keys.

    Some log types charge an occasional call differently (a search that finds
    nothing is free; a redeem that unlocks two records costs more), which is
    why the vendor's average cost per call is not always an integer.
    """

    slug: str | None
    name: str
    cost: int
    popularity: float
    odd_every: int = 0
    odd_delta: int = 0

    def credits(self, calls: int, jitter: float) -> int:
        """Credits charged for ``calls`` calls; never decreases as calls grow.

        ``jitter`` in [0, 1) decides where the odd calls fall. ``odd_delta`` is
        never below ``-cost``, so one more call never lowers the sum.
        """
        odd = int(calls / self.odd_every + jitter) if self.odd_every else 0
        return calls * self.cost + odd * self.odd_delta


CATALOGUE: tuple[Endpoint, ...] = (
    Endpoint("people_search", "People Search", 3, 30, odd_every=300, odd_delta=-3),
    Endpoint("company_search", "Company Search", 3, 18, odd_every=200, odd_delta=-3),
    Endpoint("people_redeem", "Redeem People", 10, 14, odd_every=25, odd_delta=2),
    Endpoint("email_redeem", "Redeem Email", 15, 6),
    Endpoint("phone_number_redeem", "Redeem Phone Number", 30, 2),
    Endpoint("people_enrich", "People Enrichment", 5, 8),
    Endpoint("company_enrich", "Company Enrichment", 3, 8),
    Endpoint("lookalike", "Company Lookalike", 5, 3),
    Endpoint("job_search", "Job Search", 1, 5),
    Endpoint("news_search", "News Search", 1, 4),
    Endpoint("ads_search", "Advertisement Search", 1, 3),
    Endpoint("technology_lookup", "Technology Lookup", 1, 4),
    Endpoint("linkedin_people_lookup", "LinkedIn People Lookup", 2, 5),
    Endpoint("linkedin_company_lookup", "LinkedIn Company Lookup", 2, 4),
    Endpoint("people_lookup", "People Lookup", 1, 6),
    Endpoint("company_lookup", "Company Lookup", 1, 6),
    Endpoint("job_lookup", "Job Lookup", 1, 2),
    Endpoint("news_lookup", "News Lookup", 1, 2),
    Endpoint("ads_lookup", "Advertisement Lookup", 1, 1),
)

OTHER = Endpoint(None, "Other requests", 0, 6)
"""Requests the vendor does not map to a billable log type (slug null)."""

MAX_ENDPOINTS = len(CATALOGUE) + 1


def endpoints(count: int) -> tuple[Endpoint, ...]:
    """The first ``count - 1`` log types and the unmapped bucket."""
    if not 1 <= count <= MAX_ENDPOINTS:
        raise ValueError(f"endpoints must be between 1 and {MAX_ENDPOINTS}, not {count}")
    return CATALOGUE[: count - 1] + (OTHER,)
