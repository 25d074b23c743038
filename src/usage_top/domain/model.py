"""The normalised usage model every provider maps to.

Nothing above ``providers/`` knows a vendor's JSON: adapters turn responses into
these objects, the store persists them and the views render them. Figures are
values by measure id (see ``measures``); a measure a vendor does not report is
absent, never 0. Adapters validate what they read (non-negative, finite), so
these are plain frozen dataclasses, cheap to build by the thousand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from usage_top.domain.measures import Figures, Unit


class Period(StrEnum):
    """The window a scope's usage is counted over before it resets."""

    MINUTE = "minute"
    HOURLY = "hourly"
    DAILY = "daily"
    MONTHLY = "monthly"
    CYCLE = "cycle"
    """A billing cycle whose dates the vendor gives (``resets_at``)."""


@dataclass(frozen=True, slots=True)
class ScopeUsage:
    """Usage of one scope (a quota, a budget, a rate-limit window) against its limit.

    ``scope`` and ``period`` together name it (``api.monthly``); names, labels and
    the order scopes are shown in come from the provider.
    """

    scope: str
    period: Period
    used: float
    unit: Unit
    label: str = ""
    """Display name of the scope without its period ("API"); ``scope`` when empty."""
    limit: float | None = None
    rate_limit_per_minute: float | None = None
    refreshed_at: dt.datetime | None = None
    resets_at: dt.datetime | None = None
    measure: str | None = None
    """The measure this scope counts when a key's part of it can be read from that
    key's figures (daily and monthly periods only); None when keys do not use it."""

    @property
    def name(self) -> str:
        """Stable identifier: scope and period, e.g. ``api.monthly``."""
        return f"{self.scope}.{self.period.value}"

    @property
    def title(self) -> str:
        """'API monthly': the scope's label and its period."""
        return f"{self.label or self.scope} {self.period.value}"

    @property
    def percent(self) -> float | None:
        """Share of the limit used, or None when the scope has no limit."""
        if not self.limit:
            return None
        return 100.0 * self.used / self.limit


@dataclass(frozen=True, slots=True)
class Usage:
    """One row of a breakdown: a key's, or one dimension item's, figures over a range."""

    id: str
    """A masked key, or the item's id within its dimension ('' for unmapped usage)."""
    name: str
    """What the UI shows: the key's name or masked id, the item's display name."""
    figures: Figures
    last_used: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class DayFigures:
    """The figures of one day (in the provider's time basis)."""

    day: dt.date
    figures: Figures


@dataclass(frozen=True, slots=True)
class ItemDaily:
    """One dimension item's daily series."""

    id: str
    name: str
    series: tuple[DayFigures, ...]


@dataclass(frozen=True)
class Breakdown:
    """Usage over one date range by key and by dimension item, with totals.

    ``by_dimension`` maps a dimension kind ("endpoint", "model") to its items.
    """

    start: dt.date
    end: dt.date
    totals: Figures
    by_key: tuple[Usage, ...] = ()
    by_dimension: Mapping[str, tuple[Usage, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class DailyUsage:
    """A per-day series over a range, and the same split per dimension item."""

    start: dt.date
    end: dt.date
    series: tuple[DayFigures, ...]
    by_dimension: Mapping[str, tuple[ItemDaily, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class KeyDaily:
    """One key's daily usage split per dimension item (the drilldown of one key)."""

    key: str
    daily: DailyUsage
    own_days: bool = False
    """The series is the key's own per-day figures: the store raises the key's per-day
    figures to it. Where the vendor lists its top keys only, a key outside a day's top
    is not undercounted; for every vendor, the key's totals are then at least those of
    its items fetched with them (a poll's lists, read moments earlier, fall a little
    short of a live day's)."""


@dataclass(frozen=True)
class ItemKeys:
    """Which keys used one dimension item over a range (the drilldown of an item)."""

    kind: str
    item: str
    breakdown: Breakdown


@dataclass(frozen=True)
class Billing:
    """The account's balance and billing cycle, as the provider reports them."""

    plan: str | None = None
    balance: float | None = None
    topup: float | None = None
    cycle_allowance: float | None = None
    """Granted at each refill, when the plan says."""
    cycle_start: dt.date | None = None
    cycle_end: dt.date | None = None
    """The next refill or renewal date."""
    prices: Mapping[str, float] = field(default_factory=dict)
    """What each action costs, in the balance's unit."""


@dataclass(frozen=True)
class PollResult:
    """Everything one poll fetched; the store ingests it in one transaction.

    ``day_breakdowns`` each cover exactly one day (start == end) for all keys:
    they are how per-key figures for any range are built from the store.
    ``account_daily`` is the account-wide per-day and per-item series.
    ``key_daily`` holds per-key per-item series (drilldowns, or every key where
    the vendor groups by key and item at once), and ``item_keys`` the keys of
    an item over a range. ``range_keys`` are breakdowns over a whole range, whose
    keys' figures are exact where the per-day lists of a vendor that lists its top
    keys only miss a key on the days it was outside them.
    """

    fetched_at: dt.datetime
    scopes: tuple[ScopeUsage, ...] = ()
    day_breakdowns: tuple[Breakdown, ...] = ()
    account_daily: DailyUsage | None = None
    key_daily: tuple[KeyDaily, ...] = ()
    item_keys: tuple[ItemKeys, ...] = ()
    billing: Billing | None = None
    range_keys: tuple[Breakdown, ...] = ()
