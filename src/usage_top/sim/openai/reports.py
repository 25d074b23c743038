"""Usage and costs pages: buckets of grouped results, as the vendor shapes them.

A page is ``{"object": "page", "data": [buckets], "has_more", "next_page"}``;
each bucket ``{"object": "bucket", "start_time", "end_time", "results"}``.
Results carry every group field of their kind, null unless grouped by; a
bucket with nothing to report has ``results: []``. Buckets stop at the one
holding the simulator's "now" (no future buckets).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from usage_top.sim.openai import catalogue as cat
from usage_top.sim.openai.query import Query, bucket_bounds, encode_cursor
from usage_top.sim.openai.usage import USAGE_LAG, Cell, Traffic, between, days_between

UTC = dt.UTC
PAGINATION_MODES = ("normal", "endless", "repeat")
"""normal: as the vendor; endless: ``has_more`` is always true (pages past the end are
empty, each with a new cursor); repeat: ``has_more`` is always true and a page asked
for with a cursor names that same cursor as its ``next_page``."""


def page(traffic: Traffic, query: Query, now: dt.datetime, mode: str) -> dict[str, Any]:
    """The page of buckets ``query`` asks for, as seen at ``now``."""
    end = _effective_end(query, now)
    bounds = bucket_bounds(query.start, query.seconds, end, query.limit)
    has_more, next_page = _next(query, bounds, end, mode)
    fill = _costs if query.kind.name == "costs" else _usage
    data = [
        {
            "object": "bucket",
            "start_time": a,
            "end_time": b,
            "results": fill(traffic, query, _at(a), _at(b), now),
        }
        for a, b in bounds
    ]
    return {"object": "page", "data": data, "has_more": has_more, "next_page": next_page}


def _at(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, UTC)


def _effective_end(query: Query, now: dt.datetime) -> int:
    """``end_time``, but no later than the end of the bucket holding ``now``."""
    stamp = int(now.timestamp())
    current_end = (stamp // query.seconds + 1) * query.seconds
    return current_end if query.end is None else min(query.end, current_end)


def _next(
    query: Query, bounds: list[tuple[int, int]], end: int, mode: str
) -> tuple[bool, str | None]:
    """``has_more`` and ``next_page`` for a page, as the pagination mode has them."""
    last = bounds[-1][1] if bounds else query.start
    more = last < end
    if mode == "endless":
        following = last if more else query.start + query.limit * query.seconds
        return True, encode_cursor(following, query.start_time)
    if mode == "repeat":
        return True, query.page or encode_cursor(last, query.start_time)
    return more, encode_cursor(last, query.start_time) if more else None


# Usage ------------------------------------------------------------------------


def _cells(
    traffic: Traffic, query: Query, start: dt.datetime, end: dt.datetime
) -> Iterator[tuple[dt.date, Cell]]:
    """The cells a query covers on the days ``[start, end)`` touches, past its filters.

    A usage query covers its kind's models; the costs query every billed model.
    """
    for day in days_between(start, end):
        for cell in traffic.cells(day):
            model = cat.MODELS[cell.model]
            if query.kind.name == "costs":
                covered = any(meter.price for meter in model.meters)
            else:
                covered = model.kind == query.kind.name
            if covered and _passes(traffic, query, cell):
                yield day, cell


def _group_values(traffic: Traffic, cell: Cell) -> dict[str, Any]:
    """Every group field's value for a cell (the kind picks the ones it has)."""
    key = traffic.org.keys[cell.key]
    model = cat.MODELS[cell.model]
    return {
        "project_id": traffic.org.projects[key.project].id,
        "user_id": None if key.owner.is_service_account else key.owner.id,
        "api_key_id": key.id,
        "model": model.name,
        "batch": False,
        "service_tier": "default",
        **dict(model.extra),
    }


_FILTER_FIELDS = {
    "project_ids": "project_id",
    "user_ids": "user_id",
    "api_key_ids": "api_key_id",
    "models": "model",
    "sources": "source",
    "sizes": "size",
}


def _passes(traffic: Traffic, query: Query, cell: Cell) -> bool:
    values = _group_values(traffic, cell)
    if query.batch is not None and values["batch"] != query.batch:
        return False
    return all(values.get(_FILTER_FIELDS[name]) in wanted for name, wanted in query.filters.items())


def _usage(
    traffic: Traffic, query: Query, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> list[dict[str, Any]]:
    """A usage bucket's results: the cells' amounts, summed per group."""
    visible = min(end, now - USAGE_LAG)
    if query.kind.name == "vector_stores":
        return _vector_stores(traffic, query, start, visible)
    totals: dict[tuple[Any, ...], list[int]] = {}
    for day, cell in _cells(traffic, query, start, end):
        sums = [between(full, day, start, visible) for full in (cell.requests, *cell.amounts)]
        values = _group_values(traffic, cell)
        group = tuple(values[field] for field in query.group_by)
        row = totals.setdefault(group, [0] * len(sums))
        for i, amount in enumerate(sums):
            row[i] += amount
    model = next(m for m in cat.MODELS if m.kind == query.kind.name)
    return [_usage_result(query, model, group, row) for group, row in totals.items() if any(row)]


def _usage_result(
    query: Query, model: cat.Model, group: tuple[Any, ...], row: list[int]
) -> dict[str, Any]:
    requests, *amounts = row
    counts = {meter.field: amount for meter, amount in zip(model.meters, amounts)}
    if query.kind.name == "completions":
        counts = _completion_counts(counts)
    if model.requests:
        counts[model.requests] = requests
    name = f"organization.usage.{query.kind.name}.result"
    return {"object": name, **counts, **_group_fields(query, group)}


def _group_fields(query: Query, group: tuple[Any, ...]) -> dict[str, Any]:
    chosen = dict(zip(query.group_by, group))
    return {field: chosen.get(field) for field in query.kind.groups}


def _completion_counts(counts: dict[str, int]) -> dict[str, int]:
    """Every token field of a completions result; the simulated traffic is text only."""
    uncached, cached = counts["input_uncached_tokens"], counts["input_cached_tokens"]
    output = counts["output_tokens"]
    return {
        "input_tokens": uncached + cached,
        "input_cached_tokens": cached,
        "input_cache_write_tokens": 0,
        "input_uncached_tokens": uncached,
        "output_tokens": output,
        "input_text_tokens": uncached,
        "output_text_tokens": output,
        "input_cached_text_tokens": cached,
        "input_audio_tokens": 0,
        "input_cached_audio_tokens": 0,
        "output_audio_tokens": 0,
        "input_image_tokens": 0,
        "input_cached_image_tokens": 0,
        "output_image_tokens": 0,
    }


def _vector_stores(
    traffic: Traffic, query: Query, start: dt.datetime, visible: dt.datetime
) -> list[dict[str, Any]]:
    """Storage is a level, not a flow: each bucket reports the bytes stored on its day."""
    if visible <= start:
        return []
    totals: dict[tuple[Any, ...], int] = {}
    for index, project in enumerate(traffic.org.projects):
        wanted = query.filters.get("project_ids")
        stored = traffic.vector_store_bytes(index, start.date())
        if stored and (wanted is None or project.id in wanted):
            group = (project.id,) if query.group_by else ()
            totals[group] = totals.get(group, 0) + stored
    name = "organization.usage.vector_stores.result"
    return [
        {"object": name, "usage_bytes": stored, **_group_fields(query, group)}
        for group, stored in totals.items()
    ]


# Costs ------------------------------------------------------------------------


def _costs(
    traffic: Traffic, query: Query, start: dt.datetime, end: dt.datetime, now: dt.datetime
) -> list[dict[str, Any]]:
    """Each cell's billed meters, priced, as far as its own cost lag lets them show."""
    totals: dict[tuple[Any, ...], list[Any]] = {}
    for day, cell in _cells(traffic, query, start, end):
        model = cat.MODELS[cell.model]
        values = _group_values(traffic, cell)
        visible = min(end, now - cell.cost_lag)
        for meter, full in zip(model.meters, cell.amounts):
            quantity = between(full, day, start, visible)
            if not quantity or meter.line_item is None:
                continue
            values["line_item"] = meter.line_item
            group = tuple(values[field] for field in query.group_by)
            row = totals.setdefault(group, [0.0, 0, meter.quantity_unit])
            row[0] += quantity * meter.price
            row[1] += quantity
    return [_cost_result(query, group, row) for group, row in totals.items()]


def _cost_result(query: Query, group: tuple[Any, ...], row: list[Any]) -> dict[str, Any]:
    value, quantity, unit = row
    by_line_item = "line_item" in query.group_by
    return {
        "object": "organization.costs.result",
        "amount": {"value": round(value, 10), "currency": "usd"},
        **_group_fields(query, group),
        "quantity": quantity if by_line_item else None,
        "quantity_unit": unit if by_line_item else None,
    }
