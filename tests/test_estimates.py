"""Estimates say "est." in every figure, and a last use the vendor does not report is "—":
``report`` on the Anthropic simulator over loopback (its cost report has no per-key
split, its key list no last use), and the rule itself on one measure."""

from __future__ import annotations

import datetime as dt

from usage_top.domain.measures import Measure, money
from usage_top.domain.periods import Range
from usage_top.providers.anthropic import CAPABILITIES
from usage_top.sim.demos import demo_api

from .test_vendor_errors import Case, _run, vendor  # noqa: F401 (vendor: the fixture)

ESTIMATE = Measure("cost_est", "Cost est.", money("USD"), estimate=True)


def test_an_estimate_says_so_in_every_form_and_an_absent_one_is_a_dash():
    assert ESTIMATE.cell(1234.5) == "$1,234.50 est."
    assert ESTIMATE.text({}) == "—"
    assert ESTIMATE.with_label({"cost_est": 3.1}) == "$3.10 est."
    assert ESTIMATE.labelled("$1.2k", 1234.5) == "$1.2k est." and ESTIMATE.labelled("—", None) == "—"
    vendor = Measure("cost", "Cost", money("USD"))
    assert vendor.cell(3.1) == "$3.10"


def test_keys_show_the_measures_keys_have_and_the_estimate_is_their_primary():
    keys = CAPABILITIES.per_key()
    assert [m.id for m in keys.shown_measures] == ["input_tokens", "output_tokens", "cost_est"]
    assert keys.primary == "cost_est" and keys.own_metric("cost") == "cost_est"
    assert keys.own_metric("output_tokens") == "output_tokens"
    assert not CAPABILITIES.key_last_used


def test_the_report_labels_estimates_and_says_no_last_use(vendor, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # room for every column
    flags, _ = vendor(Case("anthropic", "anthropic", (), 0))
    code, out, err = _run(capsys, "report", *flags)
    assert code == 0, err
    keys = out.split("Top keys", 1)[1].split("Reconciliation", 1)[0]
    rows = [line for line in keys.splitlines() if line.startswith("│")]
    assert len(rows) == 8
    for row in rows:
        cells = [cell.strip() for cell in row.strip("│ ").split("│")]
        assert cells[3].startswith("$") and cells[3].endswith(" est."), cells  # Cost est.
        assert cells[4] == "—", cells  # Last used: not reported, not "never"
    assert "never" not in out
    models = out.split("Top models", 1)[1].split("Top keys", 1)[0]
    priced = [line for line in models.splitlines() if "claude-" in line]
    assert priced and all(line.count(" est.") == 2 for line in priced)  # the estimate, its ratio


def test_report_json_and_the_export_name_the_estimated_fields(vendor, capsys):
    import json

    flags, _ = vendor(Case("anthropic", "anthropic", (), 0))
    code, out, err = _run(capsys, "report", "--json", *flags)
    assert code == 0, err
    assert json.loads(out)["estimates"] == ["cost_est", "cost_est_per_1m_tokens"]
    code, out, err = _run(capsys, "export", "--format", "json", "--since", "2026-11-17", *flags)
    assert code == 0, err
    assert json.loads(out)["meta"]["estimates"] == ["cost_est", "cost_est_per_1m_tokens"]


async def test_prometheus_top_keys_are_the_biggest_by_the_estimate(store, clock):
    """Anthropic keys have no vendor cost: the metrics' top keys are ranked by cost_est, not
    by their ids."""
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from usage_top.exporter.metrics import OTHER, Target, registry_for
    from usage_top.pipeline.collector import Collector
    from usage_top.sim.server import SimServer
    from usage_top.views.scopes import default_thresholds

    from .tui.conftest import _vendor_provider

    api = demo_api("anthropic", clock=clock)
    with SimServer(api.simulator).start() as server:
        vendor = _vendor_provider("anthropic", server.url + api.prefix, api.key, clock)
        collector = Collector(vendor, store, tz=dt.UTC, clock=clock, interval=60)
        assert (await collector.poll_once()).ok
        await vendor.aclose()
    target = Target("acme", "anthropic", CAPABILITIES, dt.UTC, 60.0, default_thresholds)
    registry, _ = registry_for([(store, target)], clock, 3)
    samples = [s for family in text_string_to_metric_families(generate_latest(registry).decode())
               for s in family.samples if s.name == "usage_top_key_usage"
               and s.labels["range"] == "month" and s.labels["measure"] == "cost_est"]
    shown = [s.labels["key"] for s in samples]
    start, end = Range.MONTH.dates(clock().date())
    biggest = sorted(store.key_breakdown(start, end), key=lambda r: -r.figures.get("cost_est", 0))
    assert shown == [row.id for row in biggest[:3]] + [OTHER]


def test_a_keys_models_add_up_to_its_totals_when_read_moments_apart(isolated_env, monkeypatch, capsys):
    """Anthropic lists every model: a key's model rows and its totals, read by two
    requests seconds apart on a live day (the second report's poll is newer than the
    key's cached split), differ by a few tokens; that is not an "Other models" row,
    and the first report's totals are those of the models fetched with them."""
    import json

    from usage_top.commands.cli import main
    from usage_top.sim.server import SimServer

    now = [dt.datetime(2026, 11, 18, 14, 37, tzinfo=dt.UTC)]
    api = demo_api("anthropic", clock=lambda: now[0])
    monkeypatch.setenv("USAGE_TOP_API_KEY", api.key)
    with SimServer(api.simulator).start() as server:
        flags = ["--provider", "anthropic", "--base-url", server.url + api.prefix,
                 "--db", str(isolated_env / "usage.db"), "--json"]
        main(["report", *flags], clock=lambda: now[0])
        key = json.loads(capsys.readouterr().out)["by_key"][0]["key"]
        documents = []
        for _ in range(2):
            assert main(["report", *flags, "--key", key], clock=lambda: now[0]) == 0
            documents.append(json.loads(capsys.readouterr().out))
            now[0] += dt.timedelta(seconds=10)  # the live hour goes on
    first, second = documents
    assert first["totals"]["input_tokens"] == sum(m["input_tokens"] for m in first["by_model"])
    assert second["totals"]["input_tokens"] > first["totals"]["input_tokens"]  # a newer poll
    assert first["other_model"] is None and second["other_model"] is None
