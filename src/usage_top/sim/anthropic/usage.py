"""The seeded token usage of the organisation's keys, and what of it has been reported.

A key's traffic on one UTC day is split into cells (one per model, service tier
and context window it uses); a cell's full-day token counts depend only on the
seed, the day and the anchor date, so they are generated once and cached.
Within the day the tokens follow the shared intraday curve (busiest at 14:00
UTC): up to an instant a cell has used ``floor(full * share)`` of each count,
so counts grow smoothly, never decrease, and hourly or minute buckets add up
exactly to the day.

Reported data lags: usage up to ``now - USAGE_LAG``, cost up to ``now - COST_LAG``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import threading
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from usage_top.sim.anthropic.catalogue import KEY_SPECS, MODELS, KeySpec, Slot, tagged_id
from usage_top.sim.daytime import UTC, WorkspaceDays

HISTORY_DAYS = 90
WEEKEND_FACTOR = 0.35
GROWTH = 0.3
"""Traffic grows by 30% over the history (the oldest day runs at 1/1.3 of today)."""
OUTPUT_RATIO = 0.25
CACHE_WRITE_RATIO = 0.12
"""Output and cache-write tokens per uncached input token (before noise)."""

USAGE_LAG = dt.timedelta(minutes=5)
"""The usage report shows usage up to this long ago: the last minutes come in late."""
COST_LAG = dt.timedelta(hours=4)
"""The cost report shows cost up to this long ago: today's and yesterday's rows arrive late."""

DAYS = WorkspaceDays(ZoneInfo("UTC"))
"""Usage and cost buckets are UTC days."""


class Tokens(NamedTuple):
    """The counts a usage row reports (there is no request count)."""

    uncached_input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    ephemeral_5m_input_tokens: int = 0
    ephemeral_1h_input_tokens: int = 0
    web_search_requests: int = 0

    def share(self, fraction: float) -> Tokens:
        """The counts made by ``fraction`` of the day (rounded down)."""
        return Tokens(*(math.floor(count * fraction) for count in self))

    def plus(self, other: Tokens) -> Tokens:
        """Both counts together."""
        return Tokens(*(a + b for a, b in zip(self, other, strict=True)))

    def minus(self, other: Tokens) -> Tokens:
        """These counts less ``other``."""
        return Tokens(*(a - b for a, b in zip(self, other, strict=True)))

    def by_token_type(self) -> dict[str, int]:
        """The token counts keyed by the cost report's ``token_type``."""
        return {
            "uncached_input_tokens": self.uncached_input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation.ephemeral_5m_input_tokens": self.ephemeral_5m_input_tokens,
            "cache_creation.ephemeral_1h_input_tokens": self.ephemeral_1h_input_tokens,
        }


@dataclass(frozen=True)
class Key:
    """One API key of the organisation, resolved from its spec."""

    id: str
    spec: KeySpec
    workspace_id: str | None
    created_at: dt.datetime
    partial_key_hint: str
    created_by: str

    def active_on(self, day: dt.date, anchor: dt.date) -> bool:
        """Whether the key made calls on ``day`` (from the day after its creation)."""
        if day <= self.created_at.date():
            return False
        return day <= anchor - dt.timedelta(days=self.spec.last_used_days_ago)


class Cell(NamedTuple):
    """One key's full-day usage on one model, tier and context window."""

    key: Key
    slot: Slot
    day: dt.date
    tokens: Tokens

    def used(self, start: dt.datetime, end: dt.datetime) -> Tokens:
        """The tokens used from ``start`` to ``end`` (both within this cell's day)."""
        done = self.tokens.share(DAYS.share(self.day, end))
        return done.minus(self.tokens.share(DAYS.share(self.day, start)))


class Usage:
    """The organisation's keys and their calls, generated around an anchor date."""

    def __init__(self, seed: int, anchor: dt.date, workspace_ids: tuple[str, ...]) -> None:
        self.seed = seed
        self.anchor = anchor
        self.history_start = anchor - dt.timedelta(days=HISTORY_DAYS)
        self.keys = tuple(_make_key(seed, anchor, spec, workspace_ids) for spec in KEY_SPECS)
        self._cells: dict[dt.date, tuple[Cell, ...]] = {}
        self._lock = threading.Lock()

    def cells(self, day: dt.date) -> tuple[Cell, ...]:
        """Every cell of ``day`` with any usage (cached)."""
        with self._lock:
            cached = self._cells.get(day)
        if cached is None:
            cached = tuple(self._generate(day))
            with self._lock:
                self._cells[day] = cached
        return cached

    def _generate(self, day: dt.date) -> list[Cell]:
        if not self.history_start <= day <= self.anchor + dt.timedelta(days=HISTORY_DAYS):
            return []
        cells = []
        for index, key in enumerate(self.keys):
            if not key.active_on(day, self.anchor):
                continue
            for number, slot in enumerate(key.spec.slots):
                if MODELS[slot.model].price_on(day) is None:
                    continue
                rng = random.Random(f"{self.seed}:{day.isoformat()}:{index}:{number}")
                cells.append(Cell(key, slot, day, self._tokens(key.spec, slot, day, rng)))
        return cells

    def _tokens(self, spec: KeySpec, slot: Slot, day: dt.date, rng: random.Random) -> Tokens:
        """A cell's full-day counts: volume by weekday and trend, mix by the key's habits."""
        weekday = WEEKEND_FACTOR if day.weekday() >= 5 else 1.0
        age = (self.anchor - day).days / HISTORY_DAYS
        trend = 1 / (1 + GROWTH * max(0.0, min(age, 1.0)))
        uncached = spec.daily_input * slot.share * weekday * trend * rng.uniform(0.8, 1.2)
        writes = uncached * CACHE_WRITE_RATIO * rng.uniform(0.7, 1.3)
        return Tokens(
            uncached_input_tokens=round(uncached),
            output_tokens=round(uncached * OUTPUT_RATIO * rng.uniform(0.8, 1.25)),
            cache_read_input_tokens=round(uncached * spec.cache_read_ratio * rng.uniform(0.8, 1.2)),
            ephemeral_5m_input_tokens=round(writes * (1 - spec.one_hour_cache_share)),
            ephemeral_1h_input_tokens=round(writes * spec.one_hour_cache_share),
            web_search_requests=round(uncached * spec.web_searches_per_mtok / 1_000_000),
        )


def _make_key(seed: int, anchor: dt.date, spec: KeySpec, workspace_ids: tuple[str, ...]) -> Key:
    """Resolve a key spec: its id, workspace, creation time and masked hint."""
    key_id = tagged_id("apikey", seed, spec.name)
    created_day = anchor - dt.timedelta(days=spec.created_days_ago)
    rng = random.Random(f"{seed}:created:{spec.name}")
    created_at = dt.datetime.combine(created_day, dt.time(), UTC) + dt.timedelta(
        seconds=rng.randrange(8 * 3600, 18 * 3600), microseconds=rng.randrange(1_000_000)
    )
    secret = tagged_id("secret", seed, spec.name)[-7:]
    return Key(
        id=key_id,
        spec=spec,
        workspace_id=None if spec.workspace is None else workspace_ids[spec.workspace],
        created_at=created_at,
        partial_key_hint=f"sk-ant-api03-{secret[:3]}...{secret[3:]}",
        created_by=tagged_id("user", seed, "admin"),
    )
