"""Burn rate and projections: equal to a hand calculation from the stored readings."""

from __future__ import annotations

import datetime as dt

import pytest

from usage_top.domain.measures import REQUESTS
from usage_top.domain.model import Period, PollResult, ScopeUsage
from usage_top.oncall.projection import Projection, first_to_run_out, project, projections

from .conftest import FROZEN

UTC = dt.UTC
MIDNIGHT = dt.datetime(2026, 11, 19, tzinfo=UTC)


def _at(hour: int, minute: int = 0, day: int = 18, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _ingest(store, at, *scopes: tuple[str, int, int | None, dt.datetime | None]) -> None:
    store.ingest(PollResult(fetched_at=at, scopes=tuple(
        ScopeUsage(scope=name.split(".")[0], period=Period(name.split(".")[1]), used=used,
                   unit=REQUESTS, limit=limit, resets_at=resets_at)
        for name, used, limit, resets_at in scopes)))


def test_daily_projection_by_hand(store):
    for at, used in ((_at(10), 400), (_at(10, 30), 430), (_at(11), 460)):
        _ingest(store, at, ("api.daily", used, 1000, MIDNIGHT))
    now = _at(11, 5)
    (proj,) = projections(store, now).values()
    # 60 requests in 1 h; 13 h to midnight; 540 left to the limit = 9 h after 11:00.
    assert proj.rate_per_hour == pytest.approx(60.0)
    assert proj.projected_at_reset == pytest.approx(460 + 60 * 13)
    assert proj.projected_percent == pytest.approx(124.0)
    assert proj.limit_at == _at(20)
    assert proj.eta == dt.timedelta(hours=8, minutes=55)
    assert proj.text == "limit in 8h 55m"
    assert first_to_run_out({"api.daily": proj}) == "api.daily"


def test_ok_until_reset_when_the_rate_does_not_reach_the_limit(store):
    for at, used in ((_at(20), 400), (_at(22), 500)):
        _ingest(store, at, ("api.daily", used, 1000, MIDNIGHT))
    proj = projections(store, _at(22))["api.daily"]
    assert proj.rate_per_hour == pytest.approx(50.0)
    assert proj.projected_at_reset == pytest.approx(600.0)
    assert proj.limit_at is None and proj.text == "ok until reset"
    assert first_to_run_out({"api.daily": proj}) is None


def test_reached_unknown_and_no_limit(store):
    _ingest(store, _at(14, 10), ("api.hourly", 90, 100, _at(15)), ("api.daily", 5, 1000, MIDNIGHT),
            ("portal.daily", 5, None, MIDNIGHT))
    _ingest(store, _at(14, 20), ("api.hourly", 100, 100, _at(15)), ("portal.daily", 9, None, MIDNIGHT))
    _ingest(store, _at(14, 30), ("api.hourly", 120, 100, _at(15)))
    projs = projections(store, _at(14, 30))
    hourly = projs["api.hourly"]
    assert hourly.text == "limit reached" and hourly.limit_at == _at(14, 20)  # the first reading at the limit
    assert hourly.rate_per_hour == pytest.approx(90.0) and hourly.projected_at_reset == pytest.approx(165.0)
    assert projs["api.daily"].rate_per_hour is None and projs["api.daily"].text == ""  # one reading
    assert projs["portal.daily"].text == "" and projs["portal.daily"].limit_at is None
    assert projs["portal.daily"].rate_per_hour == pytest.approx(24.0)
    assert first_to_run_out(projs) == "api.hourly"


def test_readings_of_the_previous_period_are_ignored(store):
    # Monthly: the 24 h window reaches back into October; the reset cuts it off.
    december = dt.datetime(2026, 12, 1, tzinfo=UTC)
    november = dt.datetime(2026, 11, 1, tzinfo=UTC)
    _ingest(store, _at(20, day=31, month=10), ("api.monthly", 100_000, 200_000, november))
    _ingest(store, _at(2, day=1), ("api.monthly", 100, 200_000, december))
    _ingest(store, _at(6, day=1), ("api.monthly", 500, 200_000, december))
    proj = projections(store, _at(6, day=1))["api.monthly"]
    assert proj.rate_per_hour == pytest.approx(100.0)
    assert proj.projected_at_reset == pytest.approx(500 + 100 * (30 * 24 - 6))
    # A small decrease is a correction within the period, not a reset.
    usage = ScopeUsage(scope="api", period=Period.HOURLY, used=70, unit=REQUESTS, limit=100, resets_at=_at(15))
    proj = project(usage, [(_at(14), 10), (_at(14, 10), 40), (_at(14, 20), 38), (_at(14, 30), 70)], _at(14, 30))
    assert proj.rate_per_hour == pytest.approx(120.0)
    assert proj.limit_at == _at(14, 45)


def test_the_monthly_rate_is_the_last_24_hours(store):
    december = dt.datetime(2026, 12, 1, tzinfo=UTC)
    _ingest(store, _at(0, day=10), ("api.monthly", 1000, 100_000, december))
    _ingest(store, _at(10, day=11), ("api.monthly", 5000, 100_000, december))
    _ingest(store, _at(10, day=12), ("api.monthly", 5480, 100_000, december))
    assert projections(store, _at(10, day=12))["api.monthly"].rate_per_hour == pytest.approx(20.0)


def test_a_reading_from_an_ended_period_projects_nothing():
    usage = ScopeUsage(scope="api", period=Period.HOURLY, used=50, unit=REQUESTS, limit=100, resets_at=_at(15))
    proj = project(usage, [(_at(14), 10), (_at(14, 30), 50)], _at(15, 1))
    assert (proj.rate_per_hour, proj.limit_at, proj.text) == (None, None, "")


@pytest.mark.parametrize("minutes", [0.5, 59, 61, 60 * 30, 60 * 24 * 31 - 1])
def test_text_stays_short(minutes):
    now = _at(0, day=1)
    proj = Projection("api.monthly", 1.0, 2.0, now + dt.timedelta(minutes=minutes),
                      now + dt.timedelta(days=32), 1, 100, now)
    assert proj.text.startswith("limit in ") and len(proj.text) <= 18


async def test_projections_of_the_simulator_equal_a_hand_calculation(store, collector, clock):
    assert (await collector.poll_once()).ok
    clock.advance(minutes=10)
    assert (await collector.poll_once()).ok
    now = clock()
    projs = projections(store, now)

    (t1, u1), (t2, u2) = store.scope_history("api.daily", FROZEN)
    daily = next(u for u, _ in store.latest_scopes() if u.name == "api.daily")
    rate = (u2 - u1) / ((t2 - t1).total_seconds() / 3600)
    assert projs["api.daily"].rate_per_hour == pytest.approx(rate)
    assert projs["api.daily"].projected_at_reset == pytest.approx(u2 + rate * (MIDNIGHT - t2).total_seconds() / 3600)
    limit_at = t2 + dt.timedelta(hours=(daily.limit - u2) / rate)
    assert limit_at < MIDNIGHT
    assert abs(projs["api.daily"].limit_at - limit_at) < dt.timedelta(microseconds=10)

    # The hourly scope went over its limit between the two polls: reached, first to run out.
    hourly = projs["api.hourly"]
    assert hourly.text == "limit reached" and hourly.limit_at == t2
    assert first_to_run_out(projs) == "api.hourly"
    assert set(projs) == {f"{scope}.{period}" for scope in ("api", "portal")
                          for period in ("monthly", "daily", "hourly")}


def test_an_overview_row_burns_at_the_rate_of_the_scope_its_outlook_names(store):
    """The hourly window is the worst scope (95%) but flat; the daily one rises 60 an hour
    and is the limit hit first. Burn beside 'limit in 8h 55m' is the daily rate, not the
    flat window's '0/h'."""
    from usage_top.providers.pubrio_capabilities import CAPABILITIES
    from usage_top.views.overview import AccountSource, account_row
    from usage_top.views.scopes import default_thresholds

    for at, used in ((_at(10), 400), (_at(10, 30), 430), (_at(11), 460)):
        _ingest(store, at, ("api.daily", used, 1000, MIDNIGHT), ("api.hourly", 95, 100, _at(12)))
    source = AccountSource("prod", "pubrio", store, CAPABILITIES, UTC, default_thresholds)

    row = account_row(source, _at(11, 5))

    assert row.worst.usage.name == "api.hourly" and row.percent == pytest.approx(95.0)
    assert row.outlook == "limit in 8h 55m" and row.outlook_scope == "api daily"
    assert row.burn == "60/h"
