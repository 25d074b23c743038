"""OpenAI usage and cost buckets read into per-day tallies, money exact.

A usage bucket's results carry counts (``num_model_requests``, ``input_tokens``…)
and the group fields asked for; a cost result carries ``amount: {value, currency}``
and its ``line_item``. Both are added, day by day (a bucket's UTC start date),
into one :class:`DayTally` per day: its totals, per key, and per dimension item.

Money is summed as :class:`~decimal.Decimal` and only turned into the model's
float at the end, quantised to :data:`MONEY_PLACES` decimals, so a day's total
is the exact sum of its rows however many there are. Amounts reach us as floats
(the HTTP client's JSON decoder) or, if it is told to, as Decimals; a float is
read through its shortest repr, which is the JSON text for any number a JSON
encoder wrote, so no binary noise enters the sum.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from usage_top.providers.errors import BadResponse

MONEY_PLACES = 10
"""Decimals kept of a money sum: the vendor writes at most about this many, and a
float still holds them exactly up to some hundred thousand dollars."""
_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)
MAX_COUNT = 10**15
"""Largest count taken from the vendor: far above any real day of tokens."""
MAX_MONEY = Decimal(10**12)
MAX_UNIX = 2**37
"""Unix times from here on (year 6325) are not real: refused before datetime overflows."""

COUNT_FIELDS = {
    "requests": "num_model_requests",
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cached_tokens": "input_cached_tokens",
}
"""Measure id -> usage result field. A family whose results lack a field (images have no
tokens) leaves that measure absent from its rows."""

DIMENSIONS = ("model", "project", "line_item")


class Unusable(ValueError):
    """A value usage-top cannot use; its message names the field."""


@dataclass
class Tally:
    """Figures of one row being summed: counts as ints, cost as a Decimal."""

    counts: dict[str, int] = field(default_factory=dict)
    cost: Decimal = Decimal(0)

    def add(self, counts: dict[str, int], cost: Decimal) -> None:
        for measure, value in counts.items():
            self.counts[measure] = self.counts.get(measure, 0) + value
        self.cost += cost

    def figures(self) -> dict[str, float]:
        """The row's figures: cost is always there (we asked for it), counts where seen."""
        return {**self.counts, "cost": to_float(self.cost)}


def to_float(amount: Decimal) -> float:
    return float(amount.quantize(_QUANTUM))


@dataclass
class DayTally:
    """One UTC day's (or one range's) tallies: in total, by key, by dimension item."""

    totals: Tally = field(default_factory=lambda: Tally(dict.fromkeys(COUNT_FIELDS, 0)))
    keys: dict[str, Tally] = field(default_factory=dict)
    items: dict[str, dict[str, Tally]] = field(
        default_factory=lambda: {kind: {} for kind in DIMENSIONS}
    )

    def add(self, groups: dict[str, str], counts: dict[str, int], cost: Decimal) -> None:
        """Add one result; ``groups`` has its ``key`` and each dimension's item ('' unmapped)."""
        self.totals.add(counts, cost)
        self.keys.setdefault(groups["key"], Tally()).add(counts, cost)
        for kind in DIMENSIONS:
            if kind in groups:
                self.items[kind].setdefault(groups[kind], Tally()).add(counts, cost)


Accept = Callable[[dict[str, str]], bool]
"""Whether a result with these groups counts (filters the API cannot apply itself)."""


def add_usage(
    tallies: dict[dt.date, DayTally],
    buckets: Iterable[Any],
    accept: Accept = lambda groups: True,
) -> None:
    """Add every usage result of ``buckets`` whose day has a tally and ``accept`` takes."""
    for index, bucket in enumerate(buckets):
        tally, results = _bucket(tallies, bucket, f"data[{index}]")
        for number, result in enumerate(results):
            spot = f"data[{index}].results[{number}]"
            groups, counts = _usage_groups(result, spot), _counts(result, spot)
            if tally is not None and accept(groups):
                tally.add(groups, counts, Decimal(0))


def add_costs(
    tallies: dict[dt.date, DayTally],
    buckets: Iterable[Any],
    accept: Accept = lambda groups: True,
) -> None:
    """Add every cost result of ``buckets`` whose day has a tally and ``accept`` takes."""
    for index, bucket in enumerate(buckets):
        tally, results = _bucket(tallies, bucket, f"data[{index}]")
        for number, result in enumerate(results):
            spot = f"data[{index}].results[{number}]"
            groups = _cost_groups(result, spot)
            if tally is not None and accept(groups):
                tally.add(groups, {}, _amount(result, spot))


def model_of(line_item: str) -> str:
    """The model a line item bills ("gpt-4o-2024-08-06, input" -> "gpt-4o-2024-08-06");
    '' (unattributed) for one that names none ("code interpreter sessions")."""
    model, comma, _ = line_item.rpartition(", ")
    return model.strip() if comma else ""


def utc_day(stamp: int) -> dt.date:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).date()


def _bucket(
    tallies: dict[dt.date, DayTally], bucket: Any, spot: str
) -> tuple[DayTally | None, list[Any]]:
    """The tally of a bucket's day (None: a day not asked for) and its results."""
    if not isinstance(bucket, dict):
        raise Unusable(f"{spot}: not an object")
    start = bucket.get("start_time")
    if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start < MAX_UNIX:
        raise Unusable(f"{spot}.start_time: not a unix time")
    results = bucket.get("results")
    if not isinstance(results, list):
        raise Unusable(f"{spot}.results: not a list")
    return tallies.get(utc_day(start)), results


def _object(result: Any, spot: str) -> dict[str, Any]:
    if not isinstance(result, dict):
        raise Unusable(f"{spot}: not an object")
    return result


def _text(result: dict[str, Any], name: str, spot: str) -> str:
    """A group field: '' when null (not grouped, or not attributable)."""
    value = result.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Unusable(f"{spot}.{name}: not a string")
    return value.encode("utf-8", "replace").decode("utf-8").strip()


def _usage_groups(result: Any, spot: str) -> dict[str, str]:
    result = _object(result, spot)
    return {
        "key": _text(result, "api_key_id", spot),
        "model": _text(result, "model", spot),
        "project": _text(result, "project_id", spot),
    }


def _cost_groups(result: Any, spot: str) -> dict[str, str]:
    result = _object(result, spot)
    line_item = _text(result, "line_item", spot)
    return {
        "key": _text(result, "api_key_id", spot),
        "model": model_of(line_item),
        "project": _text(result, "project_id", spot),
        "line_item": line_item,
    }


def _counts(result: dict[str, Any], spot: str) -> dict[str, int]:
    counts = {}
    for measure, name in COUNT_FIELDS.items():
        value = result.get(name)
        if value is None:
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
            raise Unusable(f"{spot}.{name}: not a count")
        counts[measure] = value
    return counts


def _amount(result: dict[str, Any], spot: str) -> Decimal:
    """A cost result's amount in USD, exactly as written. Negative amounts (credits,
    adjustments) are kept: dropping them would overstate the spend."""
    amount = result.get("amount")
    if not isinstance(amount, dict):
        raise Unusable(f"{spot}.amount: not an object")
    currency = amount.get("currency")
    if not isinstance(currency, str) or currency.lower() != "usd":
        raise Unusable(f"{spot}.amount.currency: {str(currency)[:10]!r}, usage-top expects usd")
    return _decimal(amount.get("value"), f"{spot}.amount.value")


def _decimal(value: Any, spot: str) -> Decimal:
    if isinstance(value, float) and math.isfinite(value):
        value = repr(value)
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal):
        raise Unusable(f"{spot}: not a number")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise Unusable(f"{spot}: not a number") from None
    if not number.is_finite() or abs(number) > MAX_MONEY:
        raise Unusable(f"{spot}: out of range")
    return number


def parse(build: Callable[[], Any], where: str) -> Any:
    """Run a parse step; an :class:`Unusable` value becomes a one-line BadResponse."""
    try:
        return build()
    except Unusable as exc:
        raise BadResponse(f"{where} returned data usage-top cannot use ({exc})") from None
