"""The seeded traffic: what each key sent to each model, day by day, and when.

A day's full amounts per (key, model) cell depend only on the seed, the key
and the date, so they are generated once and cached. Within a UTC day they
accrue along the shared intraday curve (quiet at night, busiest mid-afternoon),
and the amount by an instant is ``floor(full * curve(fraction))``: counts
over adjacent buckets add up exactly to the day's and never shrink as the
clock advances.

Late data, deterministic from the clock:
- usage is reported up to ``USAGE_LAG`` before now (the current hour's
  figures trail by a few minutes);
- each cell's cost trails its usage by its own lag of 1 to 24 hours, so the
  cost of today and yesterday is partial and rows appear and grow, cell by
  cell, as the clock advances; older days are settled.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import threading
from typing import NamedTuple

from usage_top.sim.daytime import curve
from usage_top.sim.openai import catalogue as cat
from usage_top.sim.openai.org import Organisation

UTC = dt.UTC
DAY = 86_400
USAGE_LAG = dt.timedelta(minutes=5)
COST_LAG_HOURS = (1.0, 24.0)
"""A cell's cost lags its usage by a lag drawn from this range (hours)."""
GROWTH_PER_DAY = 0.004
"""Traffic grows by about 0.4% a day over the history."""
VECTOR_GROWTH_PER_DAY = 0.01


class Cell(NamedTuple):
    """One key's full-day traffic to one model."""

    key: int
    model: int
    requests: int
    amounts: tuple[int, ...]
    """One full-day amount per meter of the model, in the model's order."""
    cost_lag: dt.timedelta


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), UTC)


def accrued(full: int, day: dt.date, at: dt.datetime) -> int:
    """How much of a day's ``full`` amount had accrued by instant ``at``."""
    fraction = (at - day_start(day)).total_seconds() / DAY
    if fraction <= 0:
        return 0
    if fraction >= 1:
        return full
    return math.floor(full * curve(fraction))


def between(full: int, day: dt.date, start: dt.datetime, end: dt.datetime) -> int:
    """The part of a day's ``full`` amount that accrued in ``[start, end)``."""
    if end <= start:
        return 0
    return accrued(full, day, end) - accrued(full, day, start)


class Traffic:
    """Every cell of every day of the organisation's history."""

    def __init__(self, org: Organisation, seed: int) -> None:
        self.org = org
        self.seed = seed
        self._days: dict[dt.date, tuple[Cell, ...]] = {}
        self._lock = threading.Lock()

    def cells(self, day: dt.date) -> tuple[Cell, ...]:
        """The full-day cells of ``day`` (none before the history starts)."""
        with self._lock:
            cached = self._days.get(day)
        if cached is None:
            cached = self._generate(day) if day >= self.org.history_start else ()
            with self._lock:
                self._days[day] = cached
        return cached

    def _generate(self, day: dt.date) -> tuple[Cell, ...]:
        weekend = day.weekday() >= 5
        trend = 1 + GROWTH_PER_DAY * (day - self.org.history_start).days
        cells = []
        for index, key in enumerate(self.org.keys):
            if not key.active_on(day):
                continue
            rng = random.Random(f"{self.seed}:{day.isoformat()}:{index}")
            volume = key.rate * trend * (key.weekend if weekend else 1.0)
            volume *= rng.lognormvariate(0, 0.12)
            for model_index, share in key.mix:
                cell = self._cell(rng, index, model_index, volume * share)
                if cell.requests:
                    cells.append(cell)
        return tuple(cells)

    @staticmethod
    def _cell(rng: random.Random, key: int, model_index: int, volume: float) -> Cell:
        model = cat.MODELS[model_index]
        requests = round(volume * rng.lognormvariate(0, 0.08))
        amounts = tuple(
            round(requests * meter.per_request * rng.lognormvariate(0, 0.1))
            for meter in model.meters
        )
        lag = dt.timedelta(hours=rng.uniform(*COST_LAG_HOURS))
        return Cell(key, model_index, requests, amounts, lag)

    def vector_store_bytes(self, project: int, day: dt.date) -> int:
        """A project's vector storage on ``day`` (0 before the history or if unused)."""
        gb = self.org.projects[project].vector_store_gb
        if not gb or day < self.org.history_start:
            return 0
        growth = 1 + VECTOR_GROWTH_PER_DAY * (day - self.org.history_start).days
        return round(gb * growth * 2**30)


def days_between(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """The UTC dates that ``[start, end)`` touches."""
    first, last = start.date(), (end - dt.timedelta(microseconds=1)).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
