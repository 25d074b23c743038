"""Scope readings as the cards, the report and ``check`` show them: in order, with a level.

The one place for the level rule (normal, amber from the amber threshold, red from
the red one) and for the order scopes are shown in: the provider's, as the store
returns it, so no code above the adapters names a scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from usage_top.domain.model import ScopeUsage

if TYPE_CHECKING:  # views are data: a widget importing them does not load the store
    from usage_top.store import Store

Thresholds = Callable[[str], tuple[float, float]]
"""A scope name -> its (amber, red) percentages (``Settings.thresholds_for``)."""


class Level(StrEnum):
    """How close a scope is to its limit."""

    NORMAL = "normal"
    AMBER = "amber"
    RED = "red"


def level(percent: float | None, amber: float = 75.0, red: float = 90.0) -> Level:
    """Normal below ``amber``, amber from ``amber``, red from ``red`` percent; a scope
    without a limit (``percent`` None) is always normal."""
    if percent is None or percent < amber:
        return Level.NORMAL
    return Level.RED if percent >= red else Level.AMBER


def default_thresholds(name: str) -> tuple[float, float]:
    return 75.0, 90.0


@dataclass(frozen=True)
class ScopeView:
    """One scope card: the latest reading, when it was fetched, and its level."""

    usage: ScopeUsage
    fetched_at: dt.datetime
    level: Level

    @property
    def over(self) -> bool:
        """The limit is reached: the scope cannot "run out" any more, it is over."""
        return bool(self.usage.limit) and self.usage.used >= self.usage.limit


def scope_views(store: Store, thresholds: Thresholds = default_thresholds) -> list[ScopeView]:
    """The latest reading of every scope in the provider's order, each coloured by its
    own (amber, red) thresholds, as its alerts are."""
    return [
        ScopeView(usage, fetched_at, level(usage.percent, *thresholds(usage.name)))
        for usage, fetched_at in store.latest_scopes()
    ]


def figures_at(store: Store) -> dt.datetime | None:
    """When the figures the dashboard shows were fetched: the newest scope reading, or,
    for a provider without scopes, the last successful poll. Drilldown, billing and
    export fetches are polls too, but they leave the cards as old as they were."""
    fetched = [fetched_at for _, fetched_at in store.latest_scopes()]
    if fetched:
        return max(fetched)
    record = store.last_success()
    return record.finished_at if record else None
