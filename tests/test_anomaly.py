"""Anomaly flags: a key whose primary measure today exceeds a multiple of its own 7-day median."""

from __future__ import annotations

import datetime as dt

from usage_top.config import Settings
from usage_top.domain.model import Breakdown, PollResult, Usage
from usage_top.oncall.alerts import AlertEngine
from usage_top.oncall.anomaly import anomalous_keys
from usage_top.providers import registry

from .conftest import FROZEN

TODAY = FROZEN.date()
PUBRIO = registry.capabilities("pubrio")


def _day(store, day: dt.date, credits: dict[str, float]) -> None:
    keys = tuple(Usage(key, key, {"requests": float(int(value)), "credits": value})
                 for key, value in credits.items())
    totals = {"requests": float(sum(int(value) for value in credits.values())),
              "credits": sum(credits.values())}
    store.ingest(PollResult(fetched_at=FROZEN, day_breakdowns=(Breakdown(day, day, totals, keys),)))


def _history(store, today: dt.date, baseline: dict[str, list[float]], spent: dict[str, float]) -> None:
    """``baseline``: each key's credits on the 7 days before today, oldest first (None: no row)."""
    for offset in range(7, 0, -1):
        day = today - dt.timedelta(days=offset)
        _day(store, day, {key: values[7 - offset] for key, values in baseline.items()
                          if values[7 - offset] is not None})
    _day(store, today, spent)


def test_flags_keys_above_the_multiple_of_their_median(store):
    _history(store, TODAY, {
        "steady": [10, 10, 10, 10, 10, 10, 10],
        "spiky": [10, 12, 8, 100, 9, 11, 10],     # median 10: one busy day does not move it
        "edge": [10, 10, 10, 10, 10, 10, 10],
        "new": [None, None, None, None, None, 5, 5],  # idle 5 of 7 days: median 0, no baseline
        "sparse": [None, None, None, 4, 4, 4, 4],  # missing days count as 0: median 4
    }, {"steady": 29, "spiky": 45, "edge": 30, "new": 500, "sparse": 13})
    assert anomalous_keys(store, "credits", TODAY, 3.0) == {"spiky": (45.0, 10.0), "sparse": (13.0, 4.0)}
    assert anomalous_keys(store, "credits", TODAY, 4.0) == {"spiky": (45.0, 10.0)}
    assert anomalous_keys(store, "credits", TODAY + dt.timedelta(days=1), 3.0) == {}  # nothing spent tomorrow


def test_one_event_per_key_per_day(store, clock):
    engine = AlertEngine(store, Settings(_env_file=None, anomaly_multiple=3), clock, capabilities=PUBRIO)
    _history(store, TODAY, {"0••••a11": [10] * 7}, {"0••••a11": 50})
    (event,) = engine.evaluate()
    assert (event.kind, event.scope, event.level, event.state) == ("anomaly", "key:0••••a11", "amber", "raised")
    assert event.message == "key 0••••a11: 50 credits today, 5.0x its 7-day median of 10"
    assert event.used == 50 and event.percent is None
    clock.advance(minutes=30)
    _day(store, TODAY, {"0••••a11": 80})
    assert engine.evaluate() == []
    # The next day, still anomalous: a new event.
    tomorrow = TODAY + dt.timedelta(days=1)
    clock.now = dt.datetime.combine(tomorrow, dt.time(9), tzinfo=dt.UTC)
    _day(store, tomorrow, {"0••••a11": 200})
    assert [e.scope for e in engine.evaluate()] == ["key:0••••a11"]
    assert [e.kind for e in store.events()] == ["anomaly", "anomaly"]


async def test_the_simulators_spiking_key_is_flagged(settings, store, collector, clock, sim):
    assert (await collector.poll_once()).ok  # backfills the 31 days the median needs
    flagged = anomalous_keys(store, "credits", TODAY, settings.anomaly_multiple)
    assert list(flagged) == [sim.spike_key]
    spent, median = flagged[sim.spike_key]
    history = store.key_day_values("credits", TODAY - dt.timedelta(days=7), TODAY)[sim.spike_key]
    assert spent == history[TODAY]
    baseline = sorted(history.get(TODAY - dt.timedelta(days=n), 0.0) for n in range(1, 8))
    assert median == baseline[3] and spent > 3 * median
