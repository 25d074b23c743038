"""The usage and cost reports: time buckets, their pages, grouped and priced rows.

Buckets snap to the start of the UTC minute, hour or day that contains
``starting_at`` and run while a bucket starts before ``ending_at`` (default:
now), so today's partial bucket is included. ``limit`` counts buckets; a page
token is ``page_`` + base64 of the next bucket's start, the form of the
vendor's documented example.

Cost is tokens x the dated list price, with two rules a naive estimate
(tokens x standard price) misses: batch-tier usage is billed at half price,
and priority-tier usage never appears in the cost report (the vendor bills it
separately). Requests over 200k input tokens (``200k-1M``) are billed at the
long-context rates.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from usage_top.sim.anthropic.catalogue import (
    BATCH_FACTOR,
    LONG_CONTEXT_INPUT,
    LONG_CONTEXT_OUTPUT,
    MODELS,
    TOKEN_LABELS,
    TOKEN_TYPES,
    WEB_SEARCH_DESCRIPTION,
    WEB_SEARCH_PER_1K,
)
from usage_top.sim.anthropic.query import BadRequest, Query
from usage_top.sim.anthropic.usage import COST_LAG, DAYS, USAGE_LAG, Cell, Tokens, Usage

WIDTHS = {"1d": dt.timedelta(days=1), "1h": dt.timedelta(hours=1), "1m": dt.timedelta(minutes=1)}
LIMITS = {"1d": (7, 31), "1h": (24, 168), "1m": (60, 1440)}
"""Default and maximum number of buckets per page, by bucket width."""
COST_LIMITS = (7, 31)

Rows = Callable[[dt.datetime, dt.datetime], list[dict[str, Any]]]
"""Gives the results of the bucket from the first instant to the second."""

USAGE_GROUPS = ("api_key_id", "workspace_id", "model", "service_tier", "context_window")
COST_GROUPS = ("workspace_id", "description")
FILTERS = {
    "api_key_ids": "api_key_id",
    "workspace_ids": "workspace_id",
    "models": "model",
    "service_tiers": "service_tier",
    "context_window": "context_window",
}
"""Usage-report filter parameters and the dimension each restricts."""


class Paging(str, Enum):
    """How the reports paginate: as the vendor does, or two ways a client must survive."""

    NORMAL = "normal"
    ENDLESS = "endless"
    """``has_more`` is always true; pages past the range come back empty."""
    REPEAT = "repeat"
    """``has_more`` is always true and ``next_page`` is the cursor just used."""


@dataclass(frozen=True)
class Page:
    """The buckets of one page and what to say about the next."""

    starts: list[dt.datetime]
    width: dt.timedelta
    has_more: bool
    next_page: str | None

    def envelope(self, rows: Rows) -> dict[str, Any]:
        """The report body, ``rows(start, end)`` giving each bucket's results."""
        data = [
            {"starting_at": stamp(start), "ending_at": stamp(start + self.width),
             "results": rows(start, start + self.width)}
            for start in self.starts
        ]
        return {"data": data, "has_more": self.has_more, "next_page": self.next_page}


def stamp(at: dt.datetime) -> str:
    """A bucket boundary as the vendor writes it: ``2025-05-14T00:00:00Z``."""
    return f"{at:%Y-%m-%dT%H:%M:%S}Z"


def page_token(start: dt.datetime) -> str:
    """The cursor of the page that begins with the bucket starting at ``start``."""
    return "page_" + base64.urlsafe_b64encode(stamp(start).encode()).decode()


def _token_start(token: str) -> dt.datetime:
    try:
        text = base64.urlsafe_b64decode(token.removeprefix("page_").encode()).decode()
        return dt.datetime.fromisoformat(text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("page: Invalid page token") from None


def _snap(at: dt.datetime, width: dt.timedelta) -> dt.datetime:
    day = dt.datetime.combine(at.date(), dt.time(), at.tzinfo)
    return day + (at - day) // width * width


def paginate(
    query: Query, now: dt.datetime, width_name: str, limits: tuple[int, int], paging: Paging
) -> Page:
    """The page of buckets a report request asks for."""
    width = WIDTHS[width_name]
    start = query.instant("starting_at", required=True)
    assert start is not None
    end = query.instant("ending_at") or now
    if end <= start:
        raise BadRequest("ending_at: must be after starting_at")
    limit = query.number("limit", limits[0], 1, limits[1])
    first = _snap(start, width)
    token = query.text("page")
    begin = first if token is None else _token_start(token)
    if begin < first or begin != _snap(begin, width) or (begin >= end and paging is Paging.NORMAL):
        raise BadRequest("page: Invalid page token")
    starts = [begin + n * width for n in range(limit) if begin + n * width < end]
    following = begin + limit * width
    if paging is Paging.REPEAT:
        return Page(starts, width, True, page_token(begin))
    if paging is Paging.ENDLESS:
        return Page(starts, width, True, page_token(following))
    more = following < end
    return Page(starts, width, more, page_token(following) if more else None)


def _spans(start: dt.datetime, end: dt.datetime) -> Iterator[tuple[dt.date, dt.datetime, dt.datetime]]:
    """The UTC days a bucket covers, each with the part of the bucket inside it."""
    day = start.date()
    while start < end:
        day_start, day_end = DAYS.bounds(day)
        if day_start >= end:
            return
        yield day, max(start, day_start), min(end, day_end)
        day += dt.timedelta(days=1)


def _dimensions(cell: Cell) -> dict[str, str | None]:
    return {
        "api_key_id": cell.key.id,
        "workspace_id": cell.key.workspace_id,
        "model": cell.slot.model,
        "service_tier": cell.slot.service_tier,
        "context_window": cell.slot.context_window,
    }


def _used(
    usage: Usage, start: dt.datetime, end: dt.datetime, until: dt.datetime
) -> Iterator[tuple[Cell, Tokens]]:
    """Each cell's tokens used in the bucket and already reported at ``until``."""
    for day, part_start, part_end in _spans(start, min(end, until)):
        for cell in usage.cells(day):
            tokens = cell.used(part_start, part_end)
            if any(tokens):
                yield cell, tokens


def usage_rows(usage: Usage, query: Query, now: dt.datetime) -> Rows:
    """A function giving the usage report's results for one bucket."""
    groups = query.texts("group_by", USAGE_GROUPS)
    filters = {dimension: set(query.texts(name)) for name, dimension in FILTERS.items()}
    filters = {dimension: values for dimension, values in filters.items() if values}

    def rows(start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        totals: dict[tuple[str | None, ...], Tokens] = {}
        for cell, tokens in _used(usage, start, end, now - USAGE_LAG):
            dims = _dimensions(cell)
            if any(dims[name] not in values for name, values in filters.items()):
                continue
            group = tuple(dims[name] if name in groups else None for name in USAGE_GROUPS)
            totals[group] = totals.get(group, Tokens()).plus(tokens)
        return [_usage_row(group, totals[group]) for group in sorted(totals, key=_order)]

    return rows


def _order(group: Sequence[str | None]) -> tuple[tuple[bool, str], ...]:
    """Rows in a stable order: by each dimension, nulls first."""
    return tuple((value is not None, value or "") for value in group)


def _usage_row(group: tuple[str | None, ...], tokens: Tokens) -> dict[str, Any]:
    return {
        "uncached_input_tokens": tokens.uncached_input_tokens,
        "cache_creation": {
            "ephemeral_1h_input_tokens": tokens.ephemeral_1h_input_tokens,
            "ephemeral_5m_input_tokens": tokens.ephemeral_5m_input_tokens,
        },
        "cache_read_input_tokens": tokens.cache_read_input_tokens,
        "output_tokens": tokens.output_tokens,
        "server_tool_use": {"web_search_requests": tokens.web_search_requests},
        **dict(zip(USAGE_GROUPS, group, strict=True)),
    }


@dataclass(frozen=True)
class CostLine:
    """One priced component of a cell's usage: what the cost report itemises."""

    cost_type: str
    description: str
    model: str | None
    token_type: str | None
    context_window: str | None
    service_tier: str | None
    amount: Decimal
    """In cents."""


def cost_lines(cell: Cell, tokens: Tokens) -> list[CostLine]:
    """The billed lines of some of a cell's tokens (none for the priority tier)."""
    slot = cell.slot
    if slot.service_tier == "priority":
        return []
    model = MODELS[slot.model]
    price = model.price_on(cell.day)
    assert price is not None
    tier = BATCH_FACTOR if slot.service_tier == "batch" else Decimal(1)
    lines = []
    for token_type, count in tokens.by_token_type().items():
        if count:
            long = slot.context_window == "200k-1M"
            factor = (LONG_CONTEXT_OUTPUT if token_type == "output_tokens" else LONG_CONTEXT_INPUT)
            rate = price.per_million(token_type) * tier * (factor if long else 1)
            lines.append(CostLine(
                "tokens", f"{model.display} Usage - {TOKEN_LABELS[token_type]}", model.id,
                token_type, slot.context_window, slot.service_tier, count * rate / 10_000,
            ))
    if tokens.web_search_requests:
        amount = tokens.web_search_requests * WEB_SEARCH_PER_1K / 10
        lines.append(CostLine("web_search", WEB_SEARCH_DESCRIPTION, None, None, None, None, amount))
    return lines


def cost_rows(usage: Usage, query: Query, now: dt.datetime) -> Rows:
    """A function giving the cost report's results for one daily bucket."""
    groups = query.texts("group_by", COST_GROUPS)
    by_description = "description" in groups

    def rows(start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
        totals: dict[tuple[Any, ...], Decimal] = {}
        for cell, tokens in _used(usage, start, end, now - COST_LAG):
            workspace = cell.key.workspace_id if "workspace_id" in groups else None
            for line in cost_lines(cell, tokens):
                item = _cost_item(line) if by_description else (None,) * 6
                group = (workspace, *item)
                totals[group] = totals.get(group, Decimal(0)) + line.amount
        return [_cost_row(group, totals[group]) for group in sorted(totals, key=_cost_order)]

    return rows


def _cost_item(line: CostLine) -> tuple[str | None, ...]:
    return (line.description, line.cost_type, line.model, line.token_type,
            line.context_window, line.service_tier)


def _cost_order(group: tuple[Any, ...]) -> tuple[Any, ...]:
    """Workspace, then model, then the token types in their documented order."""
    workspace, description, _, model, token_type, context, tier = group
    rank = TOKEN_TYPES.index(token_type) if token_type in TOKEN_TYPES else len(TOKEN_TYPES)
    return (*_order((workspace, model, context, tier)), rank, description or "")


def _cost_row(group: tuple[Any, ...], amount: Decimal) -> dict[str, Any]:
    workspace, description, cost_type, model, token_type, context, tier = group
    return {
        "amount": format(amount.quantize(Decimal("0.000001")).normalize(), "f"),
        "currency": "USD",
        "cost_type": cost_type,
        "description": description,
        "model": model,
        "token_type": token_type,
        "context_window": context,
        "service_tier": tier,
        "inference_geo": None,
        "workspace_id": workspace,
    }
