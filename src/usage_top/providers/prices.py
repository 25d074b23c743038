"""Anthropic list prices, the one place usage-top's cost estimates come from.

The cost report cannot be split by API key, so per-key (and per-model) money is
an *estimate*: tokens x these prices. Estimates are labelled "est." and never
added to the vendor's figures; reconciliation puts the two side by side.

The table is dated twice: ``AS_OF`` says when it was last written down, and each
model's prices carry the day they took effect, so history is priced as of its
day. Users override any model (or add one) from the config; a model the table
does not know is *unpriced*: its estimate is absent, never 0.

Prices are US dollars per million tokens. Cache writes and reads follow the
vendor's multipliers of the input price (5-minute writes 1.25x, 1-hour writes
2x, reads 0.1x) unless an override gives them. Long-context and batch or
priority tiers are not modelled: the usage report is not grouped by them here,
which is one reason the vendor's cost and the estimate differ.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

AS_OF = dt.date(2026, 12, 1)
"""When this table was last written down from the vendor's pricing page."""

WEB_SEARCH_PER_1K = Decimal("10")
"""US dollars per 1,000 web search requests."""

MILLION = Decimal(1_000_000)
MAX_PRICE = Decimal(100_000)
"""Highest price taken from the config: far above any real one, so a typo is caught."""
_DATE_SUFFIX = re.compile(r"-\d{8}$")
_FIELDS = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h")


@dataclass(frozen=True)
class ModelPrice:
    """One model's prices per million tokens, in force from ``since``."""

    since: dt.date
    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write_5m: Decimal
    cache_write_1h: Decimal

    @classmethod
    def listed(cls, since: str, input_: str, output: str) -> ModelPrice:
        """A price with the vendor's standard cache multipliers of the input price."""
        base = Decimal(input_)
        return cls(
            dt.date.fromisoformat(since), base, Decimal(output),
            base * Decimal("0.1"), base * Decimal("1.25"), base * 2,
        )


@dataclass(frozen=True)
class TokenCounts:
    """The token counts of one usage row, as the estimate needs them (writes by kind)."""

    uncached_input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    web_searches: int = 0


LIST_PRICES: dict[str, tuple[ModelPrice, ...]] = {
    model: (ModelPrice.listed(since, input_, output),)
    for model, since, input_, output in (
        ("claude-opus-4-6", "2026-02-05", "5", "25"),
        ("claude-sonnet-4-6", "2026-02-17", "3", "15"),
        ("claude-opus-4-5", "2025-11-24", "5", "25"),
        ("claude-opus-4-1", "2025-08-05", "15", "75"),
        ("claude-opus-4", "2025-05-22", "15", "75"),
        ("claude-sonnet-4-5", "2025-09-29", "3", "15"),
        ("claude-sonnet-4", "2025-05-22", "3", "15"),
        ("claude-3-7-sonnet", "2025-02-24", "3", "15"),
        ("claude-haiku-4-5", "2025-10-15", "1", "5"),
        ("claude-3-5-haiku", "2024-11-04", "0.80", "4"),
        ("claude-3-haiku", "2024-03-13", "0.25", "1.25"),
        ("claude-3-opus", "2024-03-04", "15", "75"),
    )
}
"""Keyed by model id without its date suffix: ``claude-sonnet-4-5-20250929`` is
priced as ``claude-sonnet-4-5``. Exact ids win, so an override can price one
dated snapshot apart from its family."""


class PriceTable:
    """Dated per-model prices and the web search price; estimates in exact decimals."""

    def __init__(
        self,
        prices: Mapping[str, tuple[ModelPrice, ...]] = LIST_PRICES,
        web_search_per_1k: Decimal = WEB_SEARCH_PER_1K,
        as_of: dt.date = AS_OF,
    ) -> None:
        self._prices = {
            model: tuple(sorted(rows, key=lambda price: price.since))
            for model, rows in prices.items()
        }
        self.web_search_per_1k = web_search_per_1k
        self.as_of = as_of

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self._prices)

    def price(self, model: str, day: dt.date) -> ModelPrice | None:
        """The price of ``model`` on ``day``; None when the table does not know the model.

        A day before the model's first dated price takes that first price: the
        model was in use, so it had one, and the date is only when we know it from.
        """
        rows = self._prices.get(model) or self._prices.get(_DATE_SUFFIX.sub("", model))
        if not rows:
            return None
        current = rows[0]
        for row in rows:
            if row.since <= day:
                current = row
        return current

    def estimate(self, model: str, day: dt.date, tokens: TokenCounts) -> Decimal | None:
        """US dollars for these tokens and web searches at list price; None if unpriced."""
        price = self.price(model, day)
        if price is None:
            return None
        token_cost = (
            tokens.uncached_input * price.input
            + tokens.output * price.output
            + tokens.cache_read * price.cache_read
            + tokens.cache_write_5m * price.cache_write_5m
            + tokens.cache_write_1h * price.cache_write_1h
        ) / MILLION
        return token_cost + tokens.web_searches * self.web_search_per_1k / 1000

    def overridden(self, overrides: Mapping[str, Mapping[str, object]]) -> PriceTable:
        """This table with the config's prices laid over it (ValueError naming a bad entry).

        ``{"claude-sonnet-4-5": {"input": 3, "output": 15}}`` replaces that model's
        prices for every day; with ``"since": "2026-06-01"`` it is added as a new
        dated price instead. Cache prices not given follow the input price.
        ``{"web_search": {"per_1k": 10}}`` sets the web search price.
        """
        prices = dict(self._prices)
        web = self.web_search_per_1k
        for model, fields in overrides.items():
            if model == "web_search":
                web = _amount(fields, "per_1k", model)
                continue
            price = _override_price(model, fields)
            prices[model] = (*prices.get(model, ()), price) if "since" in fields else (price,)
        return PriceTable(prices, web, self.as_of)


def _override_price(model: str, fields: Mapping[str, object]) -> ModelPrice:
    unknown = set(fields) - {*_FIELDS, "since"}
    if unknown:
        known = ", ".join((*_FIELDS, "since"))
        raise ValueError(f"prices.{model}: unknown field {sorted(unknown)[0]!r} (known: {known})")
    since = fields.get("since", "1970-01-01")
    try:
        day = since if isinstance(since, dt.date) else dt.date.fromisoformat(str(since))
    except ValueError:
        raise ValueError(f"prices.{model}.since: not a date (YYYY-MM-DD)") from None
    input_, output = (str(_amount(fields, name, model)) for name in ("input", "output"))
    base = ModelPrice.listed(day.isoformat(), input_, output)
    given = {name: _amount(fields, name, model) for name in _FIELDS[2:] if name in fields}
    return replace(base, **given)


def _amount(fields: Mapping[str, object], name: str, model: str) -> Decimal:
    """A price from the config: a finite, non-negative number."""
    value = fields.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"prices.{model}.{name}: a price in US dollars is required")
    try:
        amount = Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"prices.{model}.{name}: not a number") from None
    if not amount.is_finite() or not 0 <= amount <= MAX_PRICE:
        raise ValueError(f"prices.{model}.{name}: must be a price from 0 to {MAX_PRICE}")
    return amount
