"""Anomaly flags: a key spending far more today than it usually does.

A key is anomalous when its figure of the provider's primary measure (its
spend, in money or the vendor's own units) today exceeds ``multiple`` times the
median of its figures on the 7 days before today, days without usage counting
as 0. A key with no baseline (a
median of 0: idle on at least 4 of the 7 days) is never flagged: there is
nothing to compare with, and a new key's first day is not an anomaly. Today is
the provider's today (its calendar, see ``Capabilities.day_zone``) and is still running, so
the comparison only errs on the quiet side.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    from usage_top.store import Store

BASELINE_DAYS = 7


def baseline_range(today: dt.date) -> tuple[dt.date, dt.date]:
    """The days the median is taken over: the 7 days before ``today``."""
    return today - dt.timedelta(days=BASELINE_DAYS), today - dt.timedelta(days=1)


def find_anomalies(
    values: dict[str, dict[dt.date, float]], today: dt.date, multiple: float
) -> dict[str, tuple[float, float]]:
    """``values``: key -> day -> figure, covering ``baseline_range(today)`` and today."""
    first, last = baseline_range(today)
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    found: dict[str, tuple[float, float]] = {}
    for key, by_day in values.items():
        spent = by_day.get(today, 0.0)
        median = statistics.median(by_day.get(day, 0.0) for day in days)
        if median > 0 and spent > multiple * median:
            found[key] = (spent, median)
    return dict(sorted(found.items(), key=lambda item: (-item[1][0] / item[1][1], item[0])))


def anomalous_keys(
    store: Store, measure: str, today: dt.date, multiple: float
) -> dict[str, tuple[float, float]]:
    """Masked key -> (``measure`` today, its 7-day median) for each key whose figure today
    exceeds ``multiple`` x its median; the most anomalous first."""
    first, _ = baseline_range(today)
    return find_anomalies(store.key_day_values(measure, first, today), today, multiple)
