"""Anthropic's usage and cost report buckets read into per-day tallies, money exact.

A usage result carries token counts (uncached input, cache reads, cache writes
of two kinds, output), web search requests and the group fields asked for; a
cost result carries ``amount``, a decimal *string in cents*, with the workspace,
description and model it was grouped by. Both are added, day by day (a bucket's
UTC start date), into one :class:`DayTally` per day: totals, per key and per item
of the model and workspace dimensions.

The estimate (``cost_est``) is priced row by row as the rows arrive, because the
price depends on the model, the day and each token kind (the two cache-write
kinds are priced apart though they are reported as one measure). A model the
price table does not know gets no estimate, and is noted in ``unpriced``.

Sums are exact (ints and Decimals) and only become the model's floats at the end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from usage_top.providers.errors import BadResponse
from usage_top.providers.prices import PriceTable, TokenCounts

T = TypeVar("T")

MAX_COUNT = 10**15
"""Largest count taken from the vendor: far above any real day of tokens."""
MAX_CENTS = Decimal(10**14)
CENTS = Decimal(100)
DIMENSIONS = ("model", "workspace")


class Unusable(ValueError):
    """A value usage-top cannot use; its message names the field."""


def _utf8(text: str) -> str:
    """JSON may carry lone surrogates (``"\\ud800"``) that SQLite cannot store."""
    return text.encode("utf-8", "replace").decode("utf-8")


Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Cents = Annotated[Decimal, Field(ge=0, le=MAX_CENTS, allow_inf_nan=False)]
Text = Annotated[str, AfterValidator(_utf8)]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class _CacheCreation(_Lenient):
    ephemeral_1h_input_tokens: Count = 0
    ephemeral_5m_input_tokens: Count = 0


class _ServerToolUse(_Lenient):
    web_search_requests: Count = 0


class _UsageRow(_Lenient):
    uncached_input_tokens: Count = 0
    cache_read_input_tokens: Count = 0
    cache_creation: _CacheCreation | None = None
    output_tokens: Count = 0
    server_tool_use: _ServerToolUse | None = None
    api_key_id: Text | None = None
    workspace_id: Text | None = None
    model: Text | None = None

    def counts(self) -> TokenCounts:
        cache = self.cache_creation or _CacheCreation()
        tools = self.server_tool_use or _ServerToolUse()
        return TokenCounts(
            uncached_input=self.uncached_input_tokens,
            output=self.output_tokens,
            cache_read=self.cache_read_input_tokens,
            cache_write_5m=cache.ephemeral_5m_input_tokens,
            cache_write_1h=cache.ephemeral_1h_input_tokens,
            web_searches=tools.web_search_requests,
        )


class _CostRow(_Lenient):
    amount: Cents
    currency: Text = "USD"
    workspace_id: Text | None = None
    model: Text | None = None


class Listed(_Lenient):
    """An item of the key or workspace listing: what names it."""

    id: Annotated[Text, Field(min_length=1)]
    name: Text | None = None
    partial_key_hint: Text | None = None


class _UsageBucket(_Lenient):
    starting_at: dt.datetime
    results: list[_UsageRow] = []


class _CostBucket(_Lenient):
    starting_at: dt.datetime
    results: list[_CostRow] = []


def figures_of(counts: TokenCounts) -> dict[str, Decimal]:
    """A usage row's measures (the two cache-write kinds summed, as the UI shows them)."""
    return {
        "input_tokens": Decimal(counts.uncached_input),
        "cache_read_tokens": Decimal(counts.cache_read),
        "cache_write_tokens": Decimal(counts.cache_write_5m + counts.cache_write_1h),
        "output_tokens": Decimal(counts.output),
        "web_searches": Decimal(counts.web_searches),
    }


@dataclass
class Tally:
    """One row's exact sums by measure id; a measure never added stays absent."""

    sums: dict[str, Decimal] = field(default_factory=dict)

    def add(self, figures: Mapping[str, Decimal]) -> None:
        for measure, value in figures.items():
            self.sums[measure] = self.sums.get(measure, Decimal(0)) + value

    def figures(self) -> dict[str, float]:
        return {measure: float(value) for measure, value in self.sums.items()}


def _tally(rows: dict[str, Tally], item: str) -> Tally:
    return rows.setdefault(item, Tally())


@dataclass
class DayTally:
    """One UTC day's (or one range's) tallies: in total, by key, by dimension item.

    ``costed`` says the cost report gave a bucket for it: the vendor's cost is then
    present (0 for an item it billed nothing for), and absent otherwise.
    """

    totals: Tally = field(default_factory=Tally)
    keys: dict[str, Tally] = field(default_factory=dict)
    items: dict[str, dict[str, Tally]] = field(
        default_factory=lambda: {kind: {} for kind in DIMENSIONS}
    )
    costed: bool = False

    def add_usage(self, key: str, model: str, workspace: str, figures: dict[str, Decimal]) -> None:
        for tally in (self.totals, _tally(self.keys, key), _tally(self.items["model"], model),
                      _tally(self.items["workspace"], workspace)):
            tally.add(figures)

    def add_cost(self, model: str, workspace: str, dollars: Decimal) -> None:
        """The vendor's cost: in total and per item, never per key (it has no key split)."""
        cost = {"cost": dollars}
        for tally in (self.totals, _tally(self.items["model"], model),
                      _tally(self.items["workspace"], workspace)):
            tally.add(cost)

    def settle_cost(self) -> None:
        """Give every item a vendor cost (0 when billed nothing) once the day is costed."""
        if not self.costed:
            return
        zero = {"cost": Decimal(0)}
        items = (*self.items["model"].values(), *self.items["workspace"].values())
        for tally in (self.totals, *items):
            tally.add(zero)


Accept = Callable[[_UsageRow], bool]


def add_usage(
    tallies: Mapping[dt.date, DayTally],
    buckets: Iterable[Any],
    prices: PriceTable,
    unpriced: set[str],
    accept: Accept = lambda row: True,
) -> None:
    """Add usage buckets to the tallies of their days; unknown models go to ``unpriced``."""
    for bucket in map(_UsageBucket.model_validate, buckets):
        day = _day(bucket.starting_at)
        tally = tallies.get(day)
        if tally is None:
            continue
        for row in bucket.results:
            if accept(row):
                tally.add_usage(row.api_key_id or "", row.model or "", row.workspace_id or "",
                                _priced(row, day, prices, unpriced))


def _priced(row: _UsageRow, day: dt.date, prices: PriceTable, unpriced: set[str]) -> dict:
    counts = row.counts()
    figures = figures_of(counts)
    estimate = prices.estimate(row.model or "", day, counts)
    if estimate is None:
        unpriced.add(row.model or "")
    else:
        figures["cost_est"] = estimate
    return figures


def add_costs(tallies: Mapping[dt.date, DayTally], buckets: Iterable[Any]) -> None:
    """Add cost buckets (cents) to the tallies of their days, in dollars."""
    for bucket in map(_CostBucket.model_validate, buckets):
        tally = tallies.get(_day(bucket.starting_at))
        if tally is None:
            continue
        tally.costed = True
        for row in bucket.results:
            if row.currency.upper() != "USD":
                raise Unusable(f"currency: {row.currency!r}, usage-top reads USD only")
            tally.add_cost(row.model or "", row.workspace_id or "", row.amount / CENTS)


def _day(starting_at: dt.datetime) -> dt.date:
    """The UTC date a bucket starts on (a zoneless stamp is taken as UTC)."""
    if starting_at.tzinfo is None:
        return starting_at.date()
    return starting_at.astimezone(dt.UTC).date()


def parse(build: Callable[[], T], path: str) -> T:
    """Run a parse step, turning any failure of the vendor's data into a one-line BadResponse."""
    try:
        return build()
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        reason = f"{where}: {error['msg']}"
    except Unusable as exc:
        reason = str(exc)
    except (TypeError, AttributeError, ValueError, OverflowError, RecursionError) as exc:
        reason = type(exc).__name__
    raise BadResponse(f"{path} returned data usage-top cannot use ({reason})")
