"""Reading and checking a usage or costs query, and cutting its range into buckets.

Array parameters arrive both as ``group_by=model&group_by=api_key_id`` and
as ``group_by[]=model`` (the official Python SDK's bracket format); both are
read. Limits, defaults and accepted values are the published spec's.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass
from urllib.parse import parse_qs

from usage_top.sim.openai.errors import BadRequest, supported

WIDTHS = {"1m": 60, "1h": 3_600, "1d": 86_400}
USAGE_LIMITS = {"1m": (60, 1_440), "1h": (24, 168), "1d": (7, 31)}
"""Per bucket width: (default, maximum) number of buckets a page holds."""
COSTS_LIMITS = {"1d": (7, 180)}
CURSOR_PREFIX = "page_"

_KEY_GROUPS = ("project_id", "user_id", "api_key_id", "model")
_KEY_FILTERS = ("project_ids", "user_ids", "api_key_ids", "models")


@dataclass(frozen=True)
class Kind:
    """What one endpoint accepts: group fields, filters, widths and page sizes."""

    name: str
    groups: tuple[str, ...]
    filters: tuple[str, ...]
    limits: dict[str, tuple[int, int]]


KINDS = {
    kind.name: kind
    for kind in (
        Kind(
            "completions",
            (*_KEY_GROUPS, "batch", "service_tier"),
            (*_KEY_FILTERS, "batch"),
            USAGE_LIMITS,
        ),
        Kind("embeddings", _KEY_GROUPS, _KEY_FILTERS, USAGE_LIMITS),
        Kind("moderations", _KEY_GROUPS, _KEY_FILTERS, USAGE_LIMITS),
        Kind(
            "images",
            (*_KEY_GROUPS, "size", "source"),
            (*_KEY_FILTERS, "sources", "sizes"),
            USAGE_LIMITS,
        ),
        Kind("audio_speeches", _KEY_GROUPS, _KEY_FILTERS, USAGE_LIMITS),
        Kind("audio_transcriptions", _KEY_GROUPS, _KEY_FILTERS, USAGE_LIMITS),
        Kind("vector_stores", ("project_id",), ("project_ids",), USAGE_LIMITS),
        Kind("code_interpreter_sessions", ("project_id",), ("project_ids",), USAGE_LIMITS),
        Kind(
            "costs",
            ("project_id", "line_item", "api_key_id"),
            ("project_ids", "api_key_ids"),
            COSTS_LIMITS,
        ),
    )
}


@dataclass(frozen=True)
class Query:
    """A checked query. ``start`` is where this page begins (the cursor's, if any)."""

    kind: Kind
    start_time: int
    start: int
    end: int | None
    width: str
    group_by: tuple[str, ...]
    filters: dict[str, frozenset[str]]
    batch: bool | None
    limit: int
    page: str | None

    @property
    def seconds(self) -> int:
        return WIDTHS[self.width]


def parse(kind: Kind, query: str) -> Query:
    """Read ``query`` (the URL's query string) for ``kind``; BadRequest if invalid."""
    params = parse_qs(query, keep_blank_values=True)
    start_time = integer_param(params, "start_time", required=True)
    assert start_time is not None
    end = integer_param(params, "end_time")
    if end is not None and end <= start_time:
        raise BadRequest("Invalid 'end_time': must be greater than 'start_time'.", "end_time")
    width = _one(params, "bucket_width") or "1d"
    if width not in kind.limits:
        raise _unsupported(width, tuple(kind.limits), "bucket_width")
    group_by = tuple(_array(params, "group_by"))
    for field in group_by:
        if field not in kind.groups:
            raise _unsupported(field, kind.groups, "group_by")
    page = _one(params, "page")
    return Query(
        kind=kind,
        start_time=start_time,
        start=start_time if page is None else decode_cursor(page, start_time),
        end=end,
        width=width,
        group_by=tuple(dict.fromkeys(group_by)),
        filters=_filters(params, kind),
        batch=_boolean(params, "batch") if "batch" in kind.filters else None,
        limit=_limit(params, kind.limits[width]),
        page=page,
    )


def _unsupported(value: str, accepted: tuple[str, ...], param: str) -> BadRequest:
    message = f"Invalid value: '{value}'. Supported values are: {supported(accepted)}."
    return BadRequest(message, param)


def _filters(params: dict[str, list[str]], kind: Kind) -> dict[str, frozenset[str]]:
    """The list filters given (``batch`` is a flag, read apart)."""
    given = {name: _array(params, name) for name in kind.filters if name != "batch"}
    return {name: frozenset(values) for name, values in given.items() if values}


def _values(params: dict[str, list[str]], name: str) -> list[str]:
    return params.get(name, []) + params.get(f"{name}[]", [])


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = _values(params, name)
    return values[-1] if values else None


def _array(params: dict[str, list[str]], name: str) -> list[str]:
    return [v for v in _values(params, name) if v != ""]


def integer_param(
    params: dict[str, list[str]], name: str, required: bool = False
) -> int | None:
    """An integer query parameter (None if absent).

    BadRequest if it is required but missing, or not a number.
    """
    value = _one(params, name)
    if value is None or value == "":
        if required:
            message = f"Missing required parameter: '{name}'."
            raise BadRequest(message, name, "missing_required_parameter")
        return None
    try:
        return int(value)
    except ValueError:
        message = f"Invalid type for '{name}': expected an integer, but got a string instead."
        raise BadRequest(message, name, "invalid_type") from None


def _boolean(params: dict[str, list[str]], name: str) -> bool | None:
    value = _one(params, name)
    if value is None:
        return None
    if value.lower() not in ("true", "false"):
        message = f"Invalid type for '{name}': expected a boolean, but got a string instead."
        raise BadRequest(message, name, "invalid_type")
    return value.lower() == "true"


def _limit(params: dict[str, list[str]], bounds: tuple[int, int]) -> int:
    default, maximum = bounds
    limit = integer_param(params, "limit")
    if limit is None:
        return default
    if limit < 1:
        message = "integer below minimum value. Expected a value >= 1"
        raise BadRequest(f"Invalid 'limit': {message}, but got {limit} instead.", "limit",
                         "integer_below_min_value")
    if limit > maximum:
        message = f"integer above maximum value. Expected a value <= {maximum}"
        raise BadRequest(f"Invalid 'limit': {message}, but got {limit} instead.", "limit",
                         "integer_above_max_value")
    return limit


def encode_cursor(next_start: int, start_time: int) -> str:
    """An opaque cursor, shaped like the vendor's (``page_`` and 16 bytes of base64)."""
    return CURSOR_PREFIX + base64.b64encode(struct.pack(">QQ", next_start, start_time)).decode()


def decode_cursor(cursor: str, start_time: int) -> int:
    """Where the page a cursor names begins; it must come from a query with this start_time."""
    invalid = BadRequest("Invalid 'page': the cursor is not valid for this query.", "page")
    if not cursor.startswith(CURSOR_PREFIX):
        raise invalid
    try:
        raw = base64.b64decode(cursor[len(CURSOR_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise invalid from None
    if len(raw) != 16:
        raise invalid
    next_start, origin = struct.unpack(">QQ", raw)
    if origin != start_time or next_start < start_time:
        raise invalid
    return next_start


def bucket_bounds(start: int, seconds: int, end: int, count: int) -> list[tuple[int, int]]:
    """Up to ``count`` buckets from ``start``: the first ends at the next aligned boundary."""
    bounds = []
    while start < end and len(bounds) < count:
        boundary = min((start // seconds + 1) * seconds, end)
        bounds.append((start, boundary))
        start = boundary
    return bounds
