"""The vendor's usage endpoints: validate a request body, build the payload.

Shapes follow the vendor reference (usage-apis.md, and the public OpenAPI spec
of ``/api_keys/usage/breakdown``, which is served exactly). The item fields of
``/api_keys/usage/daily`` (``series`` and ``by_log_type``) are not public:
they are inferred as {date, requests, credits} and {slug, name, series}.
``/profile`` beyond its documented fields (credit, topup_credit, subscription
limits, credit costs, refill dates) is a plausible guess.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from usage_top.sim import plan as plans
from usage_top.sim.data import Summary, UsageData
from usage_top.sim.daytime import iso_utc, next_month, timestamp

TOP_ROWS = 100
MAX_RANGE_DAYS = 366
FILTER_FIELDS = ("profile_id", "start_date", "end_date", "keys", "log_type_slugs")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class BadRequest(Exception):
    """A body the vendor would refuse with 400 ``{code, message, details}``."""

    def __init__(self, message: str, details: dict[str, str]) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def payload(self) -> dict[str, Any]:
        """The vendor's general error body."""
        return {"code": 40001, "message": self.message, "details": self.details}


@dataclass(frozen=True)
class RangeQuery:
    """A validated usage request: an inclusive local date range and filters."""

    start: dt.date
    end: dt.date
    keys: tuple[str, ...] | None
    slugs: tuple[str, ...] | None
    echo: dict[str, Any]


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object (an empty body counts as ``{}``)."""
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Request body must be valid JSON.", {"body": "invalid JSON"}) from None
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object.", {"body": "not an object"})
    return data


def parse_range(body: bytes) -> RangeQuery:
    """Validate a breakdown/daily body; raise BadRequest listing every problem."""
    data = json_object(body)
    errors: dict[str, str] = {}
    start = _date(data, "start_date", errors)
    end = _date(data, "end_date", errors)
    if start and end and end < start:
        errors["end_date"] = "end_date must not be before start_date"
    elif start and end and (end - start).days + 1 > MAX_RANGE_DAYS:
        errors["end_date"] = f"date range must not exceed {MAX_RANGE_DAYS} days"
    keys = _strings(data, "keys", errors)
    slugs = _strings(data, "log_type_slugs", errors)
    if errors or start is None or end is None:
        raise BadRequest("Invalid request parameters.", errors)
    echo = {f: data[f] for f in FILTER_FIELDS if data.get(f) not in (None, "", [], {})}
    return RangeQuery(start, end, keys, slugs, echo)


def _date(data: dict[str, Any], field: str, errors: dict[str, str]) -> dt.date | None:
    """A required ``YYYY-MM-DD`` field, or None with the problem noted."""
    value = data.get(field)
    if value is None or value == "":
        errors[field] = f"{field} is required"
        return None
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        errors[field] = f"{field} must be a date in YYYY-MM-DD format"
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[field] = f"{field} is not a valid date"
        return None


def _strings(data: dict[str, Any], field: str, errors: dict[str, str]) -> tuple[str, ...] | None:
    """An optional list-of-strings filter; None (no filter) when absent or empty."""
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[field] = f"{field} must be a list of strings"
        return None
    return tuple(value) or None


def _summarize(data: UsageData, query: RangeQuery, at: dt.datetime) -> Summary:
    """Aggregate the query's range and filters as seen at ``at``."""
    keys = data.key_ids(query.keys) if query.keys is not None else None
    slugs = data.endpoint_ids(query.slugs) if query.slugs is not None else None
    return data.summarize(query.start, query.end, at, keys, slugs)


def _percent(part: int, whole: int) -> float:
    """``part`` as a percentage of ``whole``, to three decimals (0 when empty)."""
    return round(100 * part / whole, 3) if whole else 0.0


def _top_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Key rows ordered by credits then requests (descending), the top 100."""
    rows.sort(key=lambda r: (-r["credits"], -r["requests"], r["name"]))
    return rows[:TOP_ROWS]


def _ranked_endpoints(data: UsageData, s: Summary) -> list[tuple[int, int, int]]:
    """(endpoint, requests, credits) of endpoints used, ranked like key rows."""
    used = [(e, r, c) for e, (r, c) in s.by_endpoint.items() if r]
    used.sort(key=lambda u: (-u[2], -u[1], data.endpoints[u[0]].name))
    return used[:TOP_ROWS]


def breakdown(data: UsageData, query: RangeQuery, at: dt.datetime) -> dict[str, Any]:
    """``/api_keys/usage/breakdown``: usage by key and by endpoint, with totals."""
    s = _summarize(data, query, at)
    requests, credits = s.requests, s.credits
    by_key = [
        {
            "name": data.keys[k].name,
            "requests": t.requests,
            "credits": t.credits,
            "last_used": _last_used(data, t.last_day, t.last_share),
            "percent_of_requests": _percent(t.requests, requests),
            "percent_of_credits": _percent(t.credits, credits),
        }
        for k, t in s.by_key.items()
        if t.requests
    ]
    by_endpoint = [
        {
            "slug": data.endpoints[e].slug,
            "name": data.endpoints[e].name,
            "requests": r,
            "credits": c,
            "cost_per_call": round(c / r, 2),
            "percent_of_requests": _percent(r, requests),
            "percent_of_credits": _percent(c, credits),
        }
        for e, r, c in _ranked_endpoints(data, s)
    ]
    return {
        "metadata": {"filters": query.echo},
        "data": {
            "by_key": _top_keys(by_key),
            "by_endpoint": by_endpoint,
            "totals": {"credits": credits, "requests": requests},
        },
    }


def _last_used(data: UsageData, day: dt.date | None, share: float) -> str | None:
    """The vendor's local timestamp of a key's last call in the range."""
    return timestamp(data.days.moment(day, share)) if day else None


def daily(data: UsageData, query: RangeQuery, at: dt.datetime) -> dict[str, Any]:
    """``/api_keys/usage/daily``: a per-day series and one per endpoint used."""
    s = _summarize(data, query, at)
    dates = [day.isoformat() for day in s.days]

    def series(points: list[list[int]]) -> list[dict[str, Any]]:
        return [
            {"date": date, "requests": r, "credits": c} for date, (r, c) in zip(dates, points)
        ]

    by_log_type = [
        {
            "slug": data.endpoints[e].slug,
            "name": data.endpoints[e].name,
            "series": series(s.by_endpoint_day[e]),
        }
        for e, _, _ in _ranked_endpoints(data, s)
    ]
    return {
        "metadata": {"filters": query.echo},
        "data": {
            "series": series(s.by_day),
            "by_log_type": by_log_type,
            "totals": {"credits": s.credits, "requests": s.requests},
        },
    }


def profile_usage(data: UsageData, plan: plans.Plan, at: dt.datetime) -> dict[str, Any]:
    """``/profile/usage``: usage of each scope and period against its limits."""
    refreshed = iso_utc(at)
    fields: dict[str, Any] = {}
    for period in plans.PERIODS:
        api = plans.usage(data, period, at)
        fields[f"api_{period}_usage"] = api
        fields[f"portal_{period}_usage"] = plans.portal_usage(api)
    for scope, limits in (("api", plan.api), ("portal", plan.portal)):
        for period in plans.PERIODS:
            fields[f"max_{scope}_{period}_query"] = limits[period]
            fields[f"total_max_{scope}_{period}_query"] = limits[period] * plan.seats
    fields |= {
        "api_last_refreshed": refreshed,
        "portal_last_refreshed": refreshed,
        "is_api_access_available": True,
        "is_quota_sharing_enabled": True,
        "is_quota_sharing_available": True,
    }
    return {"data": fields}


def profile(data: UsageData, plan: plans.Plan, at: dt.datetime) -> dict[str, Any]:
    """``/profile``: credit balance, subscription limits, prices, billing cycle."""
    first = data.days.month_start(at)
    subscription: dict[str, Any] = {"name": plan.name, "seats": plan.seats}
    for scope, limits in (("api", plan.api), ("portal", plan.portal)):
        for period in plans.PERIODS:
            subscription[f"max_{scope}_{period}_query"] = limits[period]
    subscription["monthly_credit"] = plan.monthly_credit
    spent = plans.credits_this_month(data, at)
    return {
        "data": {
            "credit": max(0, plan.monthly_credit - spent),
            "topup_credit": plan.topup_credit,
            "subscription": subscription,
            "credit_costs": {e.slug: e.cost for e in data.endpoints if e.slug},
            "last_refill_date": first.isoformat(),
            "next_refill_date": next_month(first).isoformat(),
        }
    }
