"""The simulated organisation: its models and their dated prices, workspaces and keys.

Prices are Anthropic's published list prices per million tokens (cache writes
at 1.25x input for 5 minutes and 2x for an hour, cache reads at 0.1x, web
search at $10 per 1,000 requests). Each model's table is dated so history can
be priced as of its day; a model has no usage before its first price.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

WEB_SEARCH_PER_1K = Decimal("10")
"""US dollars per 1,000 web search requests."""

BATCH_FACTOR = Decimal("0.5")
"""The Message Batches API bills half the standard price."""

LONG_CONTEXT_INPUT = Decimal("2")
LONG_CONTEXT_OUTPUT = Decimal("1.5")
"""Price factors for a request over 200k input tokens (context window ``200k-1M``)."""

TOKEN_TYPES = (
    "uncached_input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
)
"""The cost report's ``token_type`` values, in the order rows are listed."""

TOKEN_LABELS = {
    "uncached_input_tokens": "Input Tokens",
    "output_tokens": "Output Tokens",
    "cache_read_input_tokens": "Input Tokens (Cache Read)",
    "cache_creation.ephemeral_5m_input_tokens": "Input Tokens (Cache Write 5m)",
    "cache_creation.ephemeral_1h_input_tokens": "Input Tokens (Cache Write 1h)",
}
"""Description suffixes. ``Input Tokens`` and ``Output Tokens`` follow the wording
of public cost-report samples ("Claude Sonnet 4 Usage - Input Tokens"); the cache
wordings are not public and are this simulator's guess."""

WEB_SEARCH_DESCRIPTION = "Web Search Usage"


@dataclass(frozen=True)
class Price:
    """List prices in US dollars per million tokens, from ``since`` on."""

    since: dt.date
    input: Decimal
    output: Decimal

    def per_million(self, token_type: str) -> Decimal:
        """The price of one million tokens of ``token_type``."""
        factors = {
            "uncached_input_tokens": self.input,
            "output_tokens": self.output,
            "cache_read_input_tokens": self.input * Decimal("0.1"),
            "cache_creation.ephemeral_5m_input_tokens": self.input * Decimal("1.25"),
            "cache_creation.ephemeral_1h_input_tokens": self.input * 2,
        }
        return factors[token_type]


@dataclass(frozen=True)
class Model:
    """A model id as the API reports it, its display name and dated prices."""

    id: str
    display: str
    prices: tuple[Price, ...]

    def price_on(self, day: dt.date) -> Price | None:
        """The price in force on ``day`` (None before the model existed)."""
        current = None
        for price in self.prices:
            if price.since <= day:
                current = price
        return current


def _price(since: str, input_: str, output: str) -> Price:
    return Price(dt.date.fromisoformat(since), Decimal(input_), Decimal(output))


MODELS: dict[str, Model] = {
    model.id: model
    for model in (
        Model("claude-opus-4-6", "Claude Opus 4.6", (_price("2026-02-05", "5", "25"),)),
        Model("claude-sonnet-4-6", "Claude Sonnet 4.6", (_price("2026-02-17", "3", "15"),)),
        Model(
            "claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", (_price("2025-09-29", "3", "15"),)
        ),
        Model(
            "claude-haiku-4-5-20251001", "Claude Haiku 4.5", (_price("2025-10-15", "1", "5"),)
        ),
        Model(
            "claude-3-5-haiku-20241022", "Claude Haiku 3.5", (_price("2024-11-04", "0.80", "4"),)
        ),
    )
}


@dataclass(frozen=True)
class Workspace:
    """A workspace as ``/v1/organizations/workspaces`` lists it."""

    id: str
    name: str
    display_color: str
    created_days_ago: int


@dataclass(frozen=True)
class Slot:
    """A share of a key's traffic on one model, service tier and context window."""

    model: str
    share: float
    service_tier: str = "standard"
    context_window: str = "0-200k"


@dataclass(frozen=True)
class KeySpec:
    """One API key: where it lives, how busy it is and how it calls."""

    name: str
    workspace: int | None
    """Index into the workspaces (None: the default workspace)."""
    daily_input: int
    """Uncached input tokens on an ordinary weekday, all slots together."""
    slots: tuple[Slot, ...]
    created_days_ago: int
    status: str = "active"
    last_used_days_ago: int = 0
    cache_read_ratio: float = 1.5
    one_hour_cache_share: float = 0.0
    web_searches_per_mtok: float = 0.0


WORKSPACE_SPECS = (
    ("Production", "#6C5BB9", 400),
    ("Research", "#3B82F6", 300),
    ("Internal Tools", "#10B981", 200),
)

KEY_SPECS = (
    KeySpec("prod-backend", 0, 9_000_000, (
        Slot("claude-sonnet-4-6", 0.75), Slot("claude-haiku-4-5-20251001", 0.25),
    ), 180, cache_read_ratio=3.0),
    KeySpec("prod-batch-jobs", 0, 14_000_000, (
        Slot("claude-sonnet-4-5-20250929", 0.6, "batch"),
        Slot("claude-haiku-4-5-20251001", 0.4, "batch"),
    ), 150, cache_read_ratio=0.2),
    KeySpec("ci-smoke-tests", 0, 600_000, (
        Slot("claude-haiku-4-5-20251001", 1.0),
    ), 20, cache_read_ratio=0.5),
    KeySpec("research-notebooks", 1, 2_500_000, (
        Slot("claude-opus-4-6", 0.8), Slot("claude-sonnet-4-6", 0.2),
    ), 120, one_hour_cache_share=0.6, web_searches_per_mtok=30),
    KeySpec("research-evals", 1, 4_000_000, (
        Slot("claude-opus-4-6", 0.5, "priority"), Slot("claude-sonnet-4-6", 0.5, "priority"),
    ), 90),
    KeySpec("internal-slackbot", 2, 1_200_000, (
        Slot("claude-3-5-haiku-20241022", 1.0),
    ), 365, cache_read_ratio=4.0),
    KeySpec("internal-docs-search", 2, 2_000_000, (
        Slot("claude-sonnet-4-5-20250929", 0.7),
        Slot("claude-sonnet-4-5-20250929", 0.3, context_window="200k-1M"),
    ), 100, web_searches_per_mtok=120),
    KeySpec("console-sandbox", None, 300_000, (
        Slot("claude-sonnet-4-6", 1.0),
    ), 60),
    KeySpec("old-prototype", None, 800_000, (
        Slot("claude-3-5-haiku-20241022", 1.0),
    ), 300, status="inactive", last_used_days_ago=40),
)
"""Nine keys: ``prod-batch-jobs`` runs on the batch tier (half price), and
``research-evals`` on the priority tier, whose cost never appears in the cost
report; ``old-prototype`` was deactivated 40 days ago; ``ci-smoke-tests`` is new."""


def tagged_id(prefix: str, seed: int, name: str) -> str:
    """A vendor-style id: ``apikey_01`` + 22 base-58 characters, stable per seed."""
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number = int.from_bytes(hashlib.sha256(f"{seed}:{prefix}:{name}".encode()).digest(), "big")
    chars = []
    for _ in range(22):
        number, digit = divmod(number, len(alphabet))
        chars.append(alphabet[digit])
    return f"{prefix}_01{''.join(chars)}"


def workspaces(seed: int) -> tuple[Workspace, ...]:
    """The organisation's workspaces (the default workspace is not one of them)."""
    return tuple(
        Workspace(tagged_id("wrkspc", seed, name), name, color, days)
        for name, color, days in WORKSPACE_SPECS
    )
