"""A provider that is not Pubrio (money in USD, tokens, no request count, models, UTC days)
through ``report``, ``check``, ``export`` and ``collect``: its units, its names, and "—" or
null for the figures it does not report (what a key cost). See ``second_provider``."""

from __future__ import annotations

import csv
import json

import pytest

from usage_top.commands.cli import main

from .second_provider import (  # noqa: F401 (fixtures)
    BUDGET,
    KEYS,
    TOKEN_WINDOW,
    token_cli,
    token_server,
    token_settings,
)

DAY_COST, DAY_INPUT, DAY_OUTPUT = 12.34, 800_000, 150_000


def _run(capsys, clock, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


def test_report_json_has_the_providers_measures_and_nulls(token_cli, clock, capsys):
    code, out, err = _run(capsys, clock, "report", "--json", "--range", "7d")
    assert code == 0, err
    report = json.loads(out)
    assert report["provider"] == "tokenco" and report["dimension"] == "model"
    assert report["units"] == {"input_tokens": "tokens", "output_tokens": "tokens", "cost": "USD"}
    # UTC buckets although the workspace is in Tokyo (where it is already the 19th)
    assert report["range"] == {"name": "7d", "start": "2026-11-12", "end": "2026-11-18", "timezone": "UTC"}
    assert report["totals"] == {"input_tokens": 7 * DAY_INPUT, "output_tokens": 7 * DAY_OUTPUT,
                                "cost": round(7 * DAY_COST, 2)}
    assert all(isinstance(report["totals"][m], int) for m in ("input_tokens", "output_tokens"))
    assert "by_endpoint" not in report and "requests" not in json.dumps(report)

    models = {row["id"]: row for row in report["by_model"]}
    assert list(models) == ["large-2", "small-1"]  # by cost, the primary measure
    assert models["large-2"]["cost"] == round(7 * 10.25, 2) and models["large-2"]["name"] == "Large v2"
    assert models["small-1"]["percent_of_cost"] == pytest.approx(100 * 2.09 / DAY_COST, abs=0.001)
    assert "cost_per_call" not in models["large-2"]  # no ratio declared

    keys = {row["key"]: row for row in report["by_key"]}
    assert set(keys) == set(KEYS) and keys["tk-••••a1f3"]["name"] == "ci"
    ci = keys["tk-••••a1f3"]
    assert ci["cost"] is None and ci["percent_of_cost"] is None  # not reported per key: null, not 0
    assert ci["input_tokens"] == 7 * 400_000 and ci["percent_of_input_tokens"] == 50.0

    scopes = {(s["scope"], s["period"]): s for s in report["scopes"]}
    assert list(scopes) == [("budget", "monthly"), ("tokens", "minute")]  # the provider's order
    assert scopes[("budget", "monthly")]["used"] == BUDGET[0] and scopes[("budget", "monthly")]["limit"] == 100
    assert scopes[("budget", "monthly")]["level"] == "amber"
    assert scopes[("tokens", "minute")]["used"] == TOKEN_WINDOW[0]
    assert isinstance(scopes[("tokens", "minute")]["used"], int)


def test_report_text_writes_money_tokens_and_dashes(token_cli, clock, capsys):
    code, out, err = _run(capsys, clock, "report", "--range", "today")
    assert code == 0, err
    assert "Total: 800,000 input tokens, 150,000 output tokens, $12.34" in out
    assert "Top models" in out and "Top keys" in out
    lines = out.splitlines()
    large = next(line for line in lines if "Large v2" in line)
    assert "500,000" in large and "$10.25" in large and "83.1%" in large
    ci = next(line for line in lines if line.startswith("│ ci "))  # the key's name
    assert "400,000" in ci and ci.count("—") == 2  # its cost and its share of the cost
    budget = next(line for line in lines if "Budget monthly" in line)
    assert "$81.23" in budget and "$100.00" in budget and "81.2%" in budget
    tokens = next(line for line in lines if "Tokens minute" in line)
    assert "12,000" in tokens and "40,000" in tokens
    for header in ("Requests", "Calls", "Cost/call", "credits", "Endpoint"):
        assert header not in out


def test_check_judges_the_providers_scopes(token_cli, clock, capsys):
    code, out, _ = _run(capsys, clock, "check")
    assert code == 1
    assert out == ("USAGE WARNING - budget.monthly 81.2% >= 75% | "
                   "'budget.monthly'=81.2%;75;90;0;100 'tokens.minute'=30.0%;75;90;0;100\n")
    code, out, _ = _run(capsys, clock, "check", "--json")
    scopes = {scope["name"]: scope for scope in json.loads(out)["scopes"]}
    assert (scopes["budget.monthly"]["used"], scopes["budget.monthly"]["limit"]) == (81.23, 100)
    assert scopes["tokens.minute"]["used"] == 12_000 and isinstance(scopes["tokens.minute"]["used"], int)
    assert scopes["budget.monthly"]["state"] == "WARNING" and scopes["tokens.minute"]["state"] == "OK"


def test_export_has_the_model_columns_and_null_costs(token_cli, clock, capsys, isolated_env):
    code, out, err = _run(capsys, clock, "export", "--since", "2026-11-16", "--until", "2026-11-18")
    assert code == 0, err
    rows = list(csv.DictReader(out.splitlines()))
    assert list(rows[0]) == ["day", "timezone", "day_start_utc", "day_end_utc", "key", "model_id",
                             "model_name", "input_tokens", "output_tokens", "cost"]
    assert len(rows) == 3 * 3  # three days, three (key, model) pairs
    assert {row["timezone"] for row in rows} == {"UTC"} and rows[0]["day_start_utc"] == "2026-11-16T00:00:00Z"
    assert {row["cost"] for row in rows} == {""}  # absent, not 0
    assert sum(int(row["input_tokens"]) for row in rows) == 3 * DAY_INPUT

    path = isolated_env / "export.json"
    code, _, err = _run(capsys, clock, "export", "--since", "2026-11-18", "--format", "json",
                        "--output", str(path))
    assert code == 0, err
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["meta"]["dimension"] == "model" and document["meta"]["timezone"] == "UTC"
    assert document["meta"]["units"]["cost"] == "USD"
    assert all(row["cost"] is None and isinstance(row["output_tokens"], int) for row in document["rows"])
    assert {row["model_id"] for row in document["rows"]} == {"large-2", "small-1"}


def test_collect_alerts_in_the_scopes_unit(token_cli, clock, capsys):
    code, _, err = _run(capsys, clock, "collect", "--once")
    assert code == 0, err
    assert ("2026-11-18T14:37:00Z alert threshold budget.monthly amber raised: "
            "budget.monthly amber: 81.2% ($81.23 of $100.00), threshold 75%") in err
