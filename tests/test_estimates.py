"""Estimates say "est." in every figure, and a last use the vendor does not report is "—":
``report`` on the Anthropic simulator over loopback (its cost report has no per-key
split, its key list no last use), and the rule itself on one measure."""

from __future__ import annotations

from usage_top.domain.measures import Measure, money
from usage_top.providers.anthropic import CAPABILITIES

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
    rows = [line for line in keys.splitlines() if "apikey_" in line]
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
