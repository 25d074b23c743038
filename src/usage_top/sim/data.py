"""The seeded usage generator: which key called which endpoint, how often, when.

Every figure the simulator serves is derived from ``UsageData.calls``: the
calls of one (key, endpoint) cell on one workspace day, as seen at an instant.
A day's full counts depend only on the seed and the date (plus the history
start and spike days, both fixed at construction), so they are generated once
and cached. Up to an instant, a cell has made the calls whose place on the
intraday curve has passed, so today's counts grow smoothly, never decrease,
and breakdown, daily and profile figures all agree with one another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from usage_top.sim.catalogue import Endpoint
from usage_top.sim.catalogue import endpoints as catalogue_endpoints
from usage_top.sim.daytime import WorkspaceDays

HISTORY_DAYS = 400
WEEKDAY_CALLS = 4_500
"""Calls on an ordinary weekday, all keys together (before noise and spike)."""
WEEKEND_FACTOR = 0.35
SPIKE_FACTOR = 8.0
SPIKE_DAYS = 2
"""The spiking key runs at 8x its volume on the construction day and the day before."""


@dataclass(frozen=True)
class Key:
    """One API key: its masked name, weekday volume, endpoint mix and lifetime."""

    name: str
    rate: float
    mix: tuple[tuple[int, float], ...]
    first_day: dt.date
    last_day: dt.date | None = None

    def active_on(self, day: dt.date) -> bool:
        """Whether the key existed and was in use on ``day``."""
        if self.rate <= 0 or day < self.first_day:
            return False
        return self.last_day is None or day <= self.last_day


class Cell(NamedTuple):
    """One key's full-day calls to one endpoint, and where they fall."""

    key: int
    endpoint: int
    calls: int
    place: float
    """In [0, 1): offsets each call's place on the intraday curve."""
    odd: float
    """In [0, 1): where the endpoint's odd-priced calls fall."""


class Tally(NamedTuple):
    """A cell as seen at an instant: calls made, credits, place of the last call."""

    key: int
    endpoint: int
    requests: int
    credits: int
    last: float


@dataclass
class KeyTotal:
    """Running totals of one key over a range, and where its last call was."""

    requests: int = 0
    credits: int = 0
    last_day: dt.date | None = None
    last_share: float = 0.0


@dataclass
class Summary:
    """A range aggregated by key, by endpoint, by day and by endpoint and day."""

    days: list[dt.date]
    by_key: dict[int, KeyTotal] = field(default_factory=dict)
    by_endpoint: dict[int, list[int]] = field(default_factory=dict)
    by_day: list[list[int]] = field(default_factory=list)
    by_endpoint_day: dict[int, list[list[int]]] = field(default_factory=dict)

    @property
    def requests(self) -> int:
        """Total requests in the range."""
        return sum(day[0] for day in self.by_day)

    @property
    def credits(self) -> int:
        """Total credits in the range."""
        return sum(day[1] for day in self.by_day)


def masked_names(seed: int, count: int) -> list[str]:
    """Distinct vendor-style masked key names: ``0••••••••••••••••f39``."""
    names: list[str] = []
    seen: set[str] = set()
    salt = 0
    while len(names) < count:
        digest = hashlib.sha256(f"{seed}:key:{len(names)}:{salt}".encode()).hexdigest()
        name = digest[0] + "\u2022" * 16 + digest[-3:]
        if name in seen:
            salt += 1
            continue
        seen.add(name)
        names.append(name)
        salt = 0
    return names


class UsageData:
    """The workspace's calls, generated from a seed around an anchor date."""

    def __init__(
        self, seed: int, days: WorkspaceDays, anchor: dt.date, keys: int, endpoints: int
    ) -> None:
        if keys < 1:
            raise ValueError(f"keys must be at least 1, not {keys}")
        self.seed = seed
        self.days = days
        self.endpoints: tuple[Endpoint, ...] = catalogue_endpoints(endpoints)
        self.history_start = anchor - dt.timedelta(days=HISTORY_DAYS)
        self.spike_days = {anchor - dt.timedelta(days=n) for n in range(SPIKE_DAYS)}
        self.keys, self.spike_key = _make_keys(seed, keys, self.endpoints, anchor)
        self._key_index = {key.name: i for i, key in enumerate(self.keys)}
        self._slug_index = {e.slug: i for i, e in enumerate(self.endpoints) if e.slug}
        self._cells: dict[dt.date, tuple[Cell, ...]] = {}
        self._full: dict[dt.date, tuple[Tally, ...]] = {}
        self._lock = threading.Lock()

    def key_ids(self, names: Iterable[str]) -> set[int]:
        """Indices of the keys with these masked names (unknown names match none)."""
        return {self._key_index[n] for n in names if n in self._key_index}

    def endpoint_ids(self, slugs: Iterable[str]) -> set[int]:
        """Indices of the endpoints with these slugs (unknown slugs match none)."""
        return {self._slug_index[s] for s in slugs if s in self._slug_index}

    def cells(self, day: dt.date) -> tuple[Cell, ...]:
        """The full-day calls of ``day`` (future days too: limits plan with them)."""
        with self._lock:
            cached = self._cells.get(day)
        if cached is None:
            cached = self._generate(day)
            with self._lock:
                self._cells[day] = cached
        return cached

    def calls(self, day: dt.date, at: dt.datetime) -> Sequence[Tally]:
        """The cells of ``day`` with the calls made by instant ``at``."""
        share = self.days.share(day, at)
        if share <= 0.0:
            return ()
        if share >= 1.0:
            return self._finished(day)
        tallies = (self._tally(cell, share) for cell in self.cells(day))
        return [t for t in tallies if t.requests]

    def requests(self, day: dt.date, at: dt.datetime) -> int:
        """All requests made on ``day`` by instant ``at``."""
        return sum(t.requests for t in self.calls(day, at))

    def full_requests(self, day: dt.date) -> int:
        """All requests ``day`` will have seen once it is over."""
        return sum(cell.calls for cell in self.cells(day))

    def full_credits(self, day: dt.date) -> int:
        """All credits ``day`` will have seen once it is over."""
        return sum(t.credits for t in self._finished(day))

    def summarize(
        self,
        start: dt.date,
        end: dt.date,
        at: dt.datetime,
        keys: set[int] | None = None,
        endpoints: set[int] | None = None,
    ) -> Summary:
        """Aggregate ``start``..``end`` (inclusive) as seen at ``at``, filtered."""
        days = [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
        summary = Summary(days=days)
        for index, day in enumerate(days):
            summary.by_day.append(self._add_day(summary, index, day, at, keys, endpoints))
        return summary

    def _add_day(
        self,
        summary: Summary,
        index: int,
        day: dt.date,
        at: dt.datetime,
        keys: set[int] | None,
        endpoints: set[int] | None,
    ) -> list[int]:
        """Fold one day's tallies into ``summary``; return the day's totals."""
        day_total = [0, 0]
        for t in self.calls(day, at):
            if (keys is not None and t.key not in keys) or (
                endpoints is not None and t.endpoint not in endpoints
            ):
                continue
            day_total[0] += t.requests
            day_total[1] += t.credits
            key = summary.by_key.get(t.key)
            if key is None:
                key = summary.by_key[t.key] = KeyTotal()
            key.requests += t.requests
            key.credits += t.credits
            if key.last_day != day or t.last > key.last_share:
                key.last_day, key.last_share = day, t.last
            ep = summary.by_endpoint.setdefault(t.endpoint, [0, 0])
            ep[0] += t.requests
            ep[1] += t.credits
            series = summary.by_endpoint_day.get(t.endpoint)
            if series is None:
                series = summary.by_endpoint_day[t.endpoint] = [[0, 0] for _ in summary.days]
            series[index][0] += t.requests
            series[index][1] += t.credits
        return day_total

    def _finished(self, day: dt.date) -> tuple[Tally, ...]:
        """The tallies of a day that is over (cached: past days never change)."""
        with self._lock:
            cached = self._full.get(day)
        if cached is None:
            cached = tuple(self._tally(cell, 1.0) for cell in self.cells(day))
            with self._lock:
                self._full[day] = cached
        return cached

    def _tally(self, cell: Cell, share: float) -> Tally:
        """The calls of ``cell`` made once ``share`` of the day has passed.

        Call ``i`` (1-based) sits at share ``(i - place) / calls``, so calls are
        spread along the intraday curve and the last one precedes the instant.
        """
        made = min(cell.calls, int(cell.calls * share + cell.place))
        credits = self.endpoints[cell.endpoint].credits(made, cell.odd)
        last = (made - cell.place) / cell.calls if made else 0.0
        return Tally(cell.key, cell.endpoint, made, credits, last)

    def _generate(self, day: dt.date) -> tuple[Cell, ...]:
        """Draw ``day``'s calls from a generator seeded by the seed and the date."""
        if day < self.history_start:
            return ()
        rng = random.Random(f"{self.seed}:{day.isoformat()}")
        season = WEEKEND_FACTOR if day.weekday() >= 5 else 1.0
        cells: list[Cell] = []
        for k, key in enumerate(self.keys):
            if not key.active_on(day):
                continue
            level = key.rate * season * rng.lognormvariate(-0.02, 0.2)
            if k == self.spike_key and day in self.spike_days:
                level *= SPIKE_FACTOR
            for e, share in key.mix:
                calls = int(level * share * rng.lognormvariate(-0.01, 0.15) + rng.random())
                if calls:
                    cells.append(Cell(k, e, calls, rng.random(), rng.random()))
        return tuple(cells)


def _make_keys(
    seed: int, count: int, endpoints: Sequence[Endpoint], anchor: dt.date
) -> tuple[tuple[Key, ...], int]:
    """Keys with power-law volumes (a few heavy, many light, some idle).

    Returns the keys and the index of the one that spikes. The three heaviest
    keys are always in use; lighter ones may be new, retired or never used.
    """
    rng = random.Random(f"{seed}:keys")
    ranks = list(range(count))
    rng.shuffle(ranks)
    start = anchor - dt.timedelta(days=HISTORY_DAYS)
    drafts = []
    for rank, name in zip(ranks, masked_names(seed, count)):
        first, last, used = _lifetime(rng, rank, start, anchor)
        weight = 1 / (rank + 1) ** 1.1 if used else 0.0
        drafts.append((name, weight, _mix(rng, endpoints), first, last))
    current = sum(w for _, w, _, _, last in drafts if last is None) or 1.0
    keys = tuple(
        Key(name, WEEKDAY_CALLS * w / current, mix, first, last)
        for name, w, mix, first, last in drafts
    )
    steady = [i for i, k in enumerate(keys) if k.first_day == start and k.active_on(anchor)]
    spike = min(steady, key=lambda i: abs(ranks[i] - 3))
    return keys, spike


def _lifetime(
    rng: random.Random, rank: int, start: dt.date, anchor: dt.date
) -> tuple[dt.date, dt.date | None, bool]:
    """First day, last day (None: still in use) and whether the key is used at all."""
    roll = rng.random()
    if rank < 3 or roll < 0.6:
        return start, None, True
    if roll < 0.75:
        return start, None, False
    if roll < 0.87:
        return start, anchor - dt.timedelta(days=rng.randint(40, 300)), True
    return anchor - dt.timedelta(days=rng.randint(10, 200)), None, True


def _mix(rng: random.Random, endpoints: Sequence[Endpoint]) -> tuple[tuple[int, float], ...]:
    """3 to 8 endpoints picked by popularity, each with its share of the key's calls."""
    size = min(rng.randint(3, 8), len(endpoints))
    pool = list(range(len(endpoints)))
    picked: list[int] = []
    for _ in range(size):
        choice = rng.choices(pool, weights=[endpoints[i].popularity for i in pool])[0]
        pool.remove(choice)
        picked.append(choice)
    picked.sort()
    weights = [endpoints[i].popularity * rng.uniform(0.5, 1.5) for i in picked]
    total = sum(weights)
    return tuple((i, w / total) for i, w in zip(picked, weights))
