"""The simulated workspace's plan: per-seat query limits and monthly credits.

Limits are chosen once, at construction, from the usage at that moment, so a
freshly started demo shows one scope of each colour: api monthly about 62%
(normal), daily about 81% (amber), hourly about 93% (red). Portal scopes sit
near 30%. When a period has only just begun, usage so far says little, so the
limit is planned from the period's expected full volume instead.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from usage_top.sim.data import UsageData
from usage_top.sim.daytime import next_month

SEATS = 3
PERIODS = ("monthly", "daily", "hourly")
API_TARGETS = {"monthly": 0.62, "daily": 0.81, "hourly": 0.93}
PORTAL_TARGET = 0.30
PORTAL_RATIO = 0.12
"""Portal (web app) queries, as a share of API queries."""
EARLY = 0.1
"""Below this share of the expected period volume, plan from the expectation."""


@dataclass(frozen=True)
class Plan:
    """Per-seat limits per scope and period, and the monthly credit allotment."""

    name: str
    seats: int
    api: dict[str, int]
    portal: dict[str, int]
    monthly_credit: int
    topup_credit: int


def nice(value: float) -> int:
    """``value`` rounded to three significant figures (at least 1)."""
    if value < 1:
        return 1
    step = 10 ** max(0, int(math.log10(value)) - 2)
    return max(step, round(value / step) * step)


def portal_usage(api_usage: int) -> int:
    """Portal queries that accompany ``api_usage`` API queries (grows with it)."""
    return int(api_usage * PORTAL_RATIO)


def usage(data: UsageData, period: str, at: dt.datetime) -> int:
    """API requests in the local month, day or hour containing ``at``."""
    today = data.days.today(at)
    if period == "hourly":
        return data.requests(today, at) - data.requests(today, data.days.hour_start(at))
    if period == "daily":
        return data.requests(today, at)
    first = data.days.month_start(at)
    days = (today - first).days + 1
    return sum(data.requests(first + dt.timedelta(days=n), at) for n in range(days))


def expected(data: UsageData, period: str, at: dt.datetime) -> float:
    """API requests the whole local month, day or hour containing ``at`` will see."""
    today = data.days.today(at)
    if period == "monthly":
        first = data.days.month_start(at)
        days = (next_month(first) - first).days
        return sum(data.full_requests(first + dt.timedelta(days=n)) for n in range(days))
    full = data.full_requests(today)
    if period == "daily":
        return full
    hour = data.days.hour_start(at)
    after = data.days.share(today, hour + dt.timedelta(hours=1))
    return full * (after - data.days.share(today, hour))


def choose_plan(data: UsageData, at: dt.datetime) -> Plan:
    """Limits such that usage at ``at`` sits at the target share of each scope."""
    api: dict[str, int] = {}
    portal: dict[str, int] = {}
    for period in PERIODS:
        now, whole = usage(data, period, at), expected(data, period, at)
        basis = now if now >= EARLY * whole else whole
        api[period] = nice(basis / API_TARGETS[period] / SEATS)
        portal[period] = nice(basis * PORTAL_RATIO / PORTAL_TARGET / SEATS)
    return Plan(
        name="Business",
        seats=SEATS,
        api=api,
        portal=portal,
        monthly_credit=nice(_month_credits(data, at) * 1.5),
        topup_credit=random.Random(f"{data.seed}:topup").choice((0, 2_500, 5_000, 10_000)),
    )


def credits_this_month(data: UsageData, at: dt.datetime) -> int:
    """Credits spent since the billing cycle (the local calendar month) began."""
    first = data.days.month_start(at)
    return data.summarize(first, data.days.today(at), at).credits


def _month_credits(data: UsageData, at: dt.datetime) -> int:
    """Credits the whole local month containing ``at`` will see."""
    first = data.days.month_start(at)
    days = (next_month(first) - first).days
    return sum(data.full_credits(first + dt.timedelta(days=n)) for n in range(days))
