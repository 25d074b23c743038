"""The Prometheus metrics of a store the collector filled from the simulator (frozen time).

What a scrape says is checked against the store's own answers: scope readings,
levels and thresholds, the top keys and items plus one ``other`` series, and
figures left out once stale. The real server, Prometheus and promtool are in
test_prometheus.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from usage_top.commands.cli import main
from usage_top.commands.listen import ListenError, check_host, split_address
from usage_top.domain.periods import Range
from usage_top.exporter.metrics import OTHER, STALE_INTERVALS, Target, error_kind, registry_for
from usage_top.providers.pubrio_capabilities import CAPABILITIES
from usage_top.sim import DEMO_API_KEY, Simulator
from usage_top.views.scopes import default_thresholds

INTERVAL = 30.0


def _target(thresholds=default_thresholds) -> Target:
    return Target("acme", "pubrio", CAPABILITIES, dt.UTC, INTERVAL, thresholds)


def _scrape(store, clock, top=20, thresholds=default_thresholds):
    registry, polls = registry_for([(store, _target(thresholds))], clock, top)
    text = generate_latest(registry).decode()
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return text, samples, polls


def _by(samples, name, label):
    return {s.labels[label]: s for s in samples.get(name, [])}


@pytest.fixture
async def polled(collector, store, clock):
    outcome = await collector.poll_once()
    assert outcome.ok, outcome.error
    return store


def test_scope_gauges_are_the_stored_readings(polled, clock):
    store = polled
    _, samples, _ = _scrape(store, clock, thresholds=lambda name: (50.0, 80.0))
    used = _by(samples, "usage_top_scope_used", "scope")
    ratio = _by(samples, "usage_top_scope_used_ratio", "scope")
    level = _by(samples, "usage_top_scope_level", "scope")
    latest = store.latest_scopes()
    assert latest and set(used) == {usage.name for usage, _ in latest}
    for usage, _ in latest:
        sample = used[usage.name]
        assert sample.value == usage.used
        assert sample.labels == {"account": "acme", "provider": "pubrio", "scope": usage.name,
                                 "unit": usage.unit.name}
        assert ratio[usage.name].value == pytest.approx(usage.used / usage.limit)
        percent = 100 * usage.used / usage.limit
        assert level[usage.name].value == (2 if percent >= 80 else 1 if percent >= 50 else 0)
        reset = _by(samples, "usage_top_scope_reset_timestamp_seconds", "scope")[usage.name]
        assert reset.value == usage.resets_at.timestamp()
    thresholds = {(s.labels["scope"], s.labels["level"]): s.value
                  for s in samples["usage_top_scope_threshold_ratio"]}
    assert set(thresholds.values()) == {0.5, 0.8}
    assert samples["usage_top_last_success_timestamp_seconds"][0].value == \
        store.last_success().finished_at.timestamp()


def test_no_projection_without_a_rate(polled, clock):
    _, samples, _ = _scrape(polled, clock)
    assert samples["usage_top_scope_used"]
    assert "usage_top_scope_projected_at_reset" not in samples  # one reading: no rate, no figure


async def test_projection_after_two_readings(collector, store, clock):
    assert (await collector.poll_once()).ok
    clock.advance(minutes=10)
    assert (await collector.poll_once()).ok
    _, samples, _ = _scrape(store, clock)
    projected = _by(samples, "usage_top_scope_projected_at_reset", "scope")
    used = _by(samples, "usage_top_scope_used", "scope")
    assert projected, "a rate over ten minutes projects every scope with a reset"
    for scope, sample in projected.items():
        assert sample.value >= used[scope].value


def test_top_keys_and_items_plus_one_other_series(polled, clock):
    store = polled
    top = 3
    _, samples, _ = _scrape(store, clock, top=top)
    today = clock().date()
    for name, range_ in (("today", Range.TODAY), ("month", Range.MONTH)):
        start, end = range_.dates(today)
        rows = store.key_breakdown(start, end, order_by=("credits",))
        assert len(rows) > top
        credits = {s.labels["key"]: s.value for s in samples["usage_top_key_usage"]
                   if s.labels["range"] == name and s.labels["measure"] == "credits"}
        assert list(credits) == [row.id for row in rows[:top]] + [OTHER]
        assert credits[OTHER] == pytest.approx(sum(row.figures["credits"] for row in rows[top:]))
        assert sum(credits.values()) == pytest.approx(store.totals(start, end)["credits"])
        items = store.item_breakdown("endpoint", start, end, order_by=("credits",))
        item_series = [s for s in samples["usage_top_item_usage"]
                       if s.labels["range"] == name and s.labels["measure"] == "requests"]
        assert len(item_series) == min(len(items), top) + (len(items) > top)
        account = {s.labels["measure"]: s.value for s in samples["usage_top_account_usage"]
                   if s.labels["range"] == name}
        assert account == pytest.approx(store.totals(start, end))


class TestMoreKeysThanTheVendorLists:
    """400 keys: the vendor's per-day lists (its top 100) fall short of its totals."""

    @pytest.fixture
    def sim(self, clock):
        return Simulator(seed=7, clock=clock, keys=400)

    def test_other_holds_what_the_top_keys_leave_of_the_vendors_totals(self, polled, clock):
        store = polled
        _, samples, _ = _scrape(store, clock)
        for name, range_ in (("today", Range.TODAY), ("month", Range.MONTH)):
            start, end = range_.dates(clock().date())
            totals = store.totals(start, end)["credits"]
            rows = store.key_breakdown(start, end, order_by=("credits",))
            assert sum(row.figures["credits"] for row in rows) < totals  # lists fall short
            credits = {s.labels["key"]: s.value for s in samples["usage_top_key_usage"]
                       if s.labels["range"] == name and s.labels["measure"] == "credits"}
            top = sum(row.figures["credits"] for row in rows[:20])
            assert credits[OTHER] == pytest.approx(totals - top) and credits[OTHER] > 0
            assert sum(credits.values()) == pytest.approx(totals)  # numbers that add up


def test_stale_figures_are_left_out_never_zero(polled, clock):
    store = polled
    clock.advance(seconds=STALE_INTERVALS * INTERVAL - 1)
    _, fresh, _ = _scrape(store, clock)
    assert fresh["usage_top_scope_used"] and fresh["usage_top_key_usage"]
    clock.advance(seconds=2)
    text, stale, _ = _scrape(store, clock)
    for name in ("usage_top_scope_used", "usage_top_scope_used_ratio", "usage_top_scope_level",
                 "usage_top_account_usage", "usage_top_key_usage", "usage_top_item_usage"):
        assert name not in stale, name
    assert "# TYPE usage_top_scope_used gauge" in text  # the family is still declared
    assert stale["usage_top_last_success_timestamp_seconds"][0].value > 0


def test_no_key_material_in_the_scrape(polled, clock):
    registry, polls = registry_for([(polled, _target())], clock)
    polls.observe(_target(), clock(), clock(),
                  "the API key was rejected (HTTP 401): check PUBRIO_API_KEY")
    text = generate_latest(registry).decode()
    assert DEMO_API_KEY not in text
    assert DEMO_API_KEY[4:-4] not in text  # nor its unmasked middle
    keys = {sample.labels["key"] for family in text_string_to_metric_families(text)
            if family.name == "usage_top_key_usage" for sample in family.samples} - {OTHER}
    assert keys and all("•" in key for key in keys)


def test_poll_metrics_count_errors_by_kind(polled, clock):
    registry, polls = registry_for([(polled, _target())], clock)
    later = clock() + dt.timedelta(seconds=2)
    polls.observe(_target(), clock(), later, None)
    polls.observe(_target(), clock(), later, "rate limited by the API (HTTP 429): wait a minute")
    polls.observe(_target(), clock(), later, "rate limited by the API (HTTP 429): wait a minute")
    text = generate_latest(registry).decode()
    assert 'usage_top_poll_errors_total{account="acme",kind="rate_limited",provider="pubrio"} 2.0' \
        in text
    assert 'usage_top_poll_duration_seconds_count{account="acme",provider="pubrio"} 3.0' in text


def test_several_accounts_one_family_each_and_an_unreadable_file_costs_its_own(
        polled, clock, tmp_path):
    """Two accounts' stores in one scrape: each family once (else the text would not
    parse), a series per account; a file that fails is said unreadable, not a 500."""
    import sqlite3
    from dataclasses import replace

    from usage_top.store import Store

    broken = Store(tmp_path / "broken.db")
    with sqlite3.connect(tmp_path / "broken.db") as raw:
        raw.execute("DROP TABLE poll")
    acme, beta, gone = _target(), replace(_target(), account="beta"), replace(
        _target(), account="gone")
    registry, polls = registry_for([(polled, acme), (polled, beta), (broken, gone)], clock)
    polls.observe(gone, clock(), clock(), "the API key was rejected (HTTP 401)")
    text = generate_latest(registry).decode()
    families = list(text_string_to_metric_families(text))
    names = [family.name for family in families]
    assert len(names) == len(set(names))
    by_name = {family.name: family for family in families}
    used = by_name["usage_top_scope_used"].samples
    assert {sample.labels["account"] for sample in used} == {"acme", "beta"}
    assert len(used) == 2 * len(polled.latest_scopes())
    readable = {sample.labels["account"]: sample.value
                for sample in by_name["usage_top_account_readable"].samples}
    assert readable == {"acme": 1.0, "beta": 1.0, "gone": 0.0}
    assert 'usage_top_poll_errors_total{account="gone",kind="auth",provider="pubrio"} 1.0' in text
    broken.close()


@pytest.mark.parametrize("error, kind", [
    ("the API key was rejected (HTTP 401): check PUBRIO_API_KEY", "auth"),
    ("access denied: not an admin key (HTTP 403)", "forbidden"),
    ("the API server is failing (HTTP 503, 4 attempts): try again", "server"),
    ("the API did not answer within 10 s (3 attempts): check your network", "timeout"),
    ("could not talk to api.example (connection refused): check", "connection"),
    ("database: the file is locked", "database"),
    ("alerts not evaluated: database: locked", "alerts"),
    ("internal error: KeyError: 'x'", "internal"),
    ("something new", "other"),
])
def test_error_kinds(error, kind):
    assert error_kind(error) == kind


@pytest.mark.parametrize("text, expected", [
    ("127.0.0.1:9464", ("127.0.0.1", 9464)), ("localhost:1", ("localhost", 1)),
    ("[::1]:9464", ("::1", 9464)),
])
def test_listen_addresses(text, expected):
    host, port = split_address(text)
    assert (check_host(host, False, "x"), port) == expected


@pytest.mark.parametrize("text", ["9464", "127.0.0.1:", ":9464", "127.0.0.1:99999", "h:p"])
def test_bad_listen_addresses(text):
    with pytest.raises(ListenError):
        split_address(text)


@pytest.mark.parametrize("argv", [
    ["collect", "--demo", "--metrics", "0.0.0.0:9464"],
    ["collect", "--demo", "--metrics", "192.0.2.7:9464"],
    ["collect", "--demo", "--metrics", "nonsense"],
    ["collect", "--demo", "--allow-remote"],
    ["collect", "--demo", "--metrics", "127.0.0.1:9464", "--metrics-top", "0"],
    ["serve", "--demo", "--host", "0.0.0.0"],
    ["serve", "--demo", "--port", "0"],
])
def test_remote_or_bad_addresses_are_refused_in_one_line(isolated_env, capsys, clock, argv):
    assert main(argv, clock=clock) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage-top: ") and err.count("\n") == 1, err
