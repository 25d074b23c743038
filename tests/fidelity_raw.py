"""What each vendor's simulator served, summed by the tests themselves from raw API answers.

Plain HTTP (``httpx``) to the simulator with the demo key, no usage-top code: the
fidelity suite compares the dashboard, ``report --json`` and the export to these sums.
Every sum covers the days ``days`` lists (the vendor's own days: Pubrio's in the
workspace timezone, OpenAI's and Anthropic's UTC buckets). Money is ``Decimal``,
counts are ``int``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

Figures = dict[str, Decimal | int]


@dataclass
class Served:
    """The sums: per day, per item of the provider's dimension, and the scopes' readings."""

    days: dict[dt.date, Figures] = field(default_factory=lambda: defaultdict(dict))
    items: dict[str, Figures] = field(default_factory=lambda: defaultdict(dict))
    keys: dict[str, Figures] = field(default_factory=lambda: defaultdict(dict))
    scopes: dict[tuple[str, str], tuple[Decimal | int, Decimal | int | None]] = field(default_factory=dict)

    def totals(self) -> Figures:
        out: dict[str, Any] = defaultdict(int)
        for figures in self.days.values():
            for measure, value in figures.items():
                out[measure] += value
        return dict(out)


def _add(figures: Figures, measure: str, value: Decimal | int) -> None:
    figures[measure] = figures.get(measure, 0) + value


# --- Pubrio -------------------------------------------------------------------------


def pubrio(url: str, key: str, days: list[dt.date]) -> Served:
    """Each day's ``/api_keys/usage/breakdown`` and the scopes of ``/profile/usage``."""
    served = Served()
    headers = {"pubrio-api-key": key}
    with httpx.Client(base_url=url, headers=headers, timeout=5) as client:
        for day in days:
            body = {"start_date": day.isoformat(), "end_date": day.isoformat()}
            data = client.post("/api_keys/usage/breakdown", json=body).raise_for_status().json()["data"]
            for measure in ("credits", "requests"):
                _add(served.days[day], measure, data["totals"][measure])
            for row in data["by_endpoint"]:
                for measure in ("credits", "requests"):
                    _add(served.items[row["slug"]], measure, row[measure])
            for row in data["by_key"]:
                for measure in ("credits", "requests"):
                    _add(served.keys[row["name"]], measure, row[measure])
        profile = client.post("/profile/usage", json={}).raise_for_status().json()["data"]
    shared = profile["is_quota_sharing_enabled"]
    for scope in ("api", "portal"):
        for period in ("monthly", "daily", "hourly"):
            seat = profile[f"max_{scope}_{period}_query"]
            total = profile[f"total_max_{scope}_{period}_query"]
            served.scopes[(scope, period)] = (profile[f"{scope}_{period}_usage"],
                                              total if shared and total else seat)
    return served


# --- OpenAI -------------------------------------------------------------------------


def walk(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every bucket of an OpenAI- or Anthropic-style report, following ``next_page`` (bounded)."""
    buckets: list[dict[str, Any]] = []
    for _ in range(50):
        page = client.get(path, params=params).raise_for_status().json()
        buckets += page["data"]
        if not page["has_more"]:
            return buckets
        params["page"] = page["next_page"]
    raise AssertionError("pagination did not end")


def _utc_window(days: list[dt.date]) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(days[0], dt.time(), dt.UTC)
    return start, dt.datetime.combine(days[-1], dt.time(), dt.UTC) + dt.timedelta(days=1)


def _bucket_day(bucket: dict[str, Any]) -> dt.date:
    start = bucket.get("start_time")
    if start is None:
        return dt.date.fromisoformat(bucket["starting_at"][:10])
    return dt.datetime.fromtimestamp(start, dt.UTC).date()


def openai(url: str, key: str, days: list[dt.date], now: dt.datetime) -> Served:
    """``/organization/costs`` (by line item: the model before the comma) per UTC day,
    ``/organization/usage/completions`` by model, and the month to date's cost."""
    served = Served()
    start, end = _utc_window(days)
    window = {"start_time": int(start.timestamp()), "end_time": int(end.timestamp()),
              "bucket_width": "1d", "limit": 31}
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=5) as client:
        for bucket in walk(client, "/organization/costs", **window, **{"group_by[]": "line_item"}):
            for row in bucket["results"]:
                value = Decimal(str(row["amount"]["value"]))
                _add(served.days[_bucket_day(bucket)], "cost", value)
                line = row.get("line_item") or ""
                if "," in line:  # '<model>, input'; other lines ('web search') are no model's
                    _add(served.items[line.split(",")[0].strip()], "cost", value)
        for bucket in walk(client, "/organization/usage/completions", **window,
                            **{"group_by[]": "model"}):
            for row in bucket["results"]:
                figures = served.items[row["model"]]
                _add(figures, "requests", row["num_model_requests"])
                _add(figures, "input_tokens", row["input_tokens"])
                _add(figures, "output_tokens", row["output_tokens"])
        month = dt.datetime(now.year, now.month, 1, tzinfo=dt.UTC)
        spent = Decimal(0)
        for bucket in walk(client, "/organization/costs", start_time=int(month.timestamp()),
                            end_time=int(end.timestamp()), bucket_width="1d", limit=31):
            spent += sum((Decimal(str(row["amount"]["value"])) for row in bucket["results"]), Decimal(0))
    served.scopes[("budget", "monthly")] = (spent, None)
    return served


# --- Anthropic ----------------------------------------------------------------------

ANTHROPIC_TOKENS = {
    "input_tokens": lambda row: row["uncached_input_tokens"],
    "cache_read_tokens": lambda row: row["cache_read_input_tokens"],
    "cache_write_tokens": lambda row: sum(row["cache_creation"].values()),
    "output_tokens": lambda row: row["output_tokens"],
    "web_searches": lambda row: row["server_tool_use"]["web_search_requests"],
}
"""The Messages usage report's fields, as the measures they are reported in."""


def anthropic(url: str, key: str, days: list[dt.date], now: dt.datetime) -> Served:
    """``usage_report/messages`` by model and ``cost_report`` by description per UTC day
    (amounts are cents, as decimal strings), and the month to date's cost."""
    served = Served()
    start, end = _utc_window(days)
    window = {"starting_at": start.isoformat().replace("+00:00", "Z"),
              "ending_at": end.isoformat().replace("+00:00", "Z"), "limit": 31}
    headers = {"x-api-key": key, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=url + "/v1/organizations", headers=headers, timeout=5) as client:
        for bucket in walk(client, "/usage_report/messages", **window,
                                       bucket_width="1d", **{"group_by[]": "model"}):
            for row in bucket["results"]:
                for measure, read in ANTHROPIC_TOKENS.items():
                    _add(served.days[_bucket_day(bucket)], measure, read(row))
                    _add(served.items[row["model"]], measure, read(row))
        for bucket in walk(client, "/cost_report", **window,
                                       **{"group_by[]": "description"}):
            for row in bucket["results"]:
                dollars = Decimal(row["amount"]) / 100
                _add(served.days[_bucket_day(bucket)], "cost", dollars)
                if row.get("model"):
                    _add(served.items[row["model"]], "cost", dollars)
        month = dt.datetime(now.year, now.month, 1, tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")
        spent = Decimal(0)
        for bucket in walk(client, "/cost_report", starting_at=month, ending_at=window["ending_at"],
                           limit=31, **{"group_by[]": "workspace_id"}):  # as the budget asks
            spent += sum((Decimal(row["amount"]) / 100 for row in bucket["results"]), Decimal(0))
    served.scopes[("budget", "monthly")] = (spent, None)
    return served


# --- Lusha --------------------------------------------------------------------------


def lusha(url: str, key: str) -> Served:
    """``/v3/account/usage``: the credits of the billing cycle and the request windows
    (Lusha reports no days)."""
    served = Served()
    body = httpx.get(url + "/v3/account/usage", headers={"api_key": key}, timeout=5).raise_for_status().json()
    served.scopes[("credits", "cycle")] = (body["credits"]["used"], body["credits"]["total"])
    for period, window in body["rateLimits"].items():
        served.scopes[("requests", period)] = (window["used"], window["limit"])
    return served
