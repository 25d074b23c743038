"""The normalised usage model every provider maps to.

Nothing above ``providers/`` knows a vendor's JSON: adapters turn responses into
these objects, the store persists them and the UI and CLI render them. Counts are
validated to be non-negative so that a surprising response becomes a typed error
at the adapter, not a negative bar on screen.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt


class Period(StrEnum):
    """The window a scope's usage is counted over before it resets."""

    MINUTE = "minute"
    HOURLY = "hourly"
    DAILY = "daily"
    MONTHLY = "monthly"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScopeUsage(_Frozen):
    """Usage of one API scope (for example ``api`` monthly) against its limit."""

    scope: str
    period: Period
    used: NonNegativeInt
    limit: NonNegativeInt | None = None
    rate_limit_per_minute: NonNegativeInt | None = None
    refreshed_at: dt.datetime | None = None
    resets_at: dt.datetime | None = None

    @property
    def name(self) -> str:
        """Stable identifier: scope and period, e.g. ``api.monthly``."""
        return f"{self.scope}.{self.period.value}"

    @property
    def percent(self) -> float | None:
        """Share of the limit used, or None when the scope has no limit."""
        if not self.limit:
            return None
        return 100.0 * self.used / self.limit


class KeyUsage(_Frozen):
    """One API key's requests and credits over a range."""

    key: str = Field(description="Masked key identifier as the vendor shows it.")
    requests: NonNegativeInt
    credits: NonNegativeFloat
    last_used: dt.datetime | None = None
    percent_of_requests: NonNegativeFloat = 0.0
    percent_of_credits: NonNegativeFloat = 0.0


class EndpointUsage(_Frozen):
    """One endpoint's (log type's) requests and credits over a range."""

    slug: str = Field(description="Stable identifier; '' for unmapped requests.")
    name: str
    requests: NonNegativeInt
    credits: NonNegativeFloat
    percent_of_requests: NonNegativeFloat = 0.0
    percent_of_credits: NonNegativeFloat = 0.0

    @property
    def cost_per_call(self) -> float:
        """Average credits per request (0 when there were no requests)."""
        return self.credits / self.requests if self.requests else 0.0


class Totals(_Frozen):
    """Requests and credits summed over a range."""

    requests: NonNegativeInt = 0
    credits: NonNegativeFloat = 0.0


class DailyPoint(_Frozen):
    """Requests and credits of one day (in the workspace timezone)."""

    day: dt.date
    requests: NonNegativeInt
    credits: NonNegativeFloat


class EndpointDaily(_Frozen):
    """One endpoint's daily series."""

    slug: str
    name: str
    series: tuple[DailyPoint, ...]


class Breakdown(_Frozen):
    """Usage over one date range grouped by key and by endpoint, with totals."""

    start: dt.date
    end: dt.date
    by_key: tuple[KeyUsage, ...]
    by_endpoint: tuple[EndpointUsage, ...]
    totals: Totals


class DailyUsage(_Frozen):
    """A per-day series over a range, and the same split per endpoint."""

    start: dt.date
    end: dt.date
    series: tuple[DailyPoint, ...]
    by_endpoint: tuple[EndpointDaily, ...]
    totals: Totals


class KeyDaily(_Frozen):
    """One key's daily usage split per endpoint (the drilldown of one key)."""

    key: str
    daily: DailyUsage


class EndpointKeys(_Frozen):
    """Which keys called one endpoint over a range (the drilldown of one endpoint)."""

    slug: str
    breakdown: Breakdown


class Billing(_Frozen):
    """The account's credit balance and billing cycle, from the provider's profile."""

    plan: str | None = None
    credit_balance: NonNegativeFloat | None = None
    topup_credit: NonNegativeFloat | None = None
    cycle_allowance: NonNegativeFloat | None = Field(
        default=None, description="Credits granted at each refill, when the plan says.")
    last_refill: dt.date | None = None
    next_refill: dt.date | None = None
    credit_costs: dict[str, NonNegativeFloat] = Field(default_factory=dict)


class PollResult(_Frozen):
    """Everything one poll fetched; the store ingests it in one transaction.

    ``day_breakdowns`` each cover exactly one day (start == end) for all keys:
    they are how per-key figures for any range are built from the store.
    ``account_daily`` is the account-wide per-day and per-endpoint series.
    ``key_daily`` holds per-key per-endpoint series fetched for drilldowns, and
    ``endpoint_keys`` the keys of an endpoint over a range.
    """

    fetched_at: dt.datetime
    scopes: tuple[ScopeUsage, ...] = ()
    day_breakdowns: tuple[Breakdown, ...] = ()
    account_daily: DailyUsage | None = None
    key_daily: tuple[KeyDaily, ...] = ()
    endpoint_keys: tuple[EndpointKeys, ...] = ()
    billing: Billing | None = None
