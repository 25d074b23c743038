"""``usage-top export``: daily usage per key and endpoint, read back and checked against the store."""

from __future__ import annotations

import csv
import datetime as dt
import json

import httpx
import pytest

from usage_top.commands.cli import main
from usage_top.store import Store

from .conftest import FROZEN

SINCE, UNTIL = dt.date(2026, 9, 25), dt.date(2026, 11, 18)  # 55 days: older than the poll window


def _export(capsys, clock, *args: str) -> tuple[int, str, str]:
    code = main(["export", "--since", SINCE.isoformat(), "--until", UNTIL.isoformat(), *args], clock=clock)
    out, err = capsys.readouterr()
    return code, out, err


def test_csv_export_equals_the_store_and_the_vendor(settings, clock, capsys, isolated_env):
    code, out, err = _export(capsys, clock, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(out.splitlines()))
    assert rows and set(rows[0]) == {"day", "timezone", "day_start_utc", "day_end_utc", "key",
                                     "endpoint_id", "endpoint_name", "requests", "credits"}
    assert {row["day"] for row in rows} == {
        (SINCE + dt.timedelta(days=n)).isoformat() for n in range((UNTIL - SINCE).days + 1)}
    assert all(row["day_start_utc"].endswith("Z") and row["timezone"] == "UTC" for row in rows)
    with Store(isolated_env / "usage.db") as store:
        # every key's per-endpoint rows add up to that key's totals from the day breakdowns
        for key in {row["key"] for row in rows}:
            mine = [row for row in rows if row["key"] == key]
            assert sum(int(row["requests"]) for row in mine) == store.totals(SINCE, UNTIL, key)["requests"]
        # and all rows add up to the account's totals for the range
        assert sum(int(row["requests"]) for row in rows) == store.totals(SINCE, UNTIL)["requests"]
        assert sum(float(row["credits"]) for row in rows) == pytest.approx(store.totals(SINCE, UNTIL)["credits"])


def test_json_export_for_one_key_and_to_a_file(settings, clock, capsys, isolated_env, sim):
    key = sim.spike_key
    path = isolated_env / "export.json"
    code, out, err = _export(capsys, clock, "--format", "json", "--key", key, "--output", str(path))
    assert code == 0 and out == "" and f"to {path}" in err
    document = json.loads(path.read_text())
    assert document["meta"]["key"] == key and document["meta"]["complete"] is True
    assert document["meta"]["dimension"] == "endpoint"
    assert document["meta"]["units"] == {"requests": "requests", "credits": "credits"}
    assert document["meta"]["exported_at_utc"] == FROZEN.isoformat().replace("+00:00", "Z")
    assert {row["key"] for row in document["rows"]} == {key}
    with Store(isolated_env / "usage.db") as store:
        by_endpoint = {r.id: r.figures["requests"] for r in store.item_breakdown("endpoint", SINCE, UNTIL, key)}
    exported: dict[str, int] = {}
    for row in document["rows"]:
        assert isinstance(row["requests"], int) and isinstance(row["credits"], int | float)
        exported[row["endpoint_id"] or ""] = exported.get(row["endpoint_id"] or "", 0) + row["requests"]
    assert exported == by_endpoint


def test_a_second_export_fetches_no_past_day_again(settings, clock, capsys, sim):
    assert _export(capsys, clock)[0] == 0
    breakdowns = sim.request_count("/api_keys/usage/breakdown")
    clock.advance(hours=1)  # the per-key series are no longer fresh, the past days are final
    assert _export(capsys, clock)[0] == 0
    assert sim.request_count("/api_keys/usage/breakdown") == breakdowns + 1  # today only


@pytest.mark.parametrize(("args", "message"), [
    (["--since", "2026-08-01", "--until", "2026-11-18"], "at most 60 days"),
    (["--since", "2026-11-18", "--until", "2026-11-01"], "is after"),
    (["--since", "yesterday"], "is not a date"),
    (["--since", "2026-11-01", "--format", "xml"], "invalid choice"),
])
def test_bad_export_arguments_are_one_line_and_exit_2(settings, clock, capsys, args, message):
    code = main(["export", *args], clock=clock)
    _, err = capsys.readouterr()
    assert code == 2 and message in err and err.count("\n") == 1


def test_with_more_keys_than_the_vendor_lists_each_day_adds_up_with_an_other_row(
        isolated_env, monkeypatch, clock, capsys):
    from usage_top.sim import DEMO_API_KEY, SimServer, Simulator

    since = UNTIL - dt.timedelta(days=1)
    with SimServer(Simulator(seed=7, clock=clock, keys=400)).start() as server:
        monkeypatch.setenv("PUBRIO_API_KEY", DEMO_API_KEY)
        monkeypatch.setenv("PUBRIO_BASE_URL", server.url)
        monkeypatch.setenv("USAGE_TOP_DB", str(isolated_env / "usage.db"))
        code = main(["export", "--since", since.isoformat(), "--until", UNTIL.isoformat(),
                     "--format", "csv"], clock=clock)
        out, err = capsys.readouterr()
        assert code == 0, err
        served = {}
        for n in range(2):
            day = (since + dt.timedelta(days=n)).isoformat()
            body = {"start_date": day, "end_date": day}
            served[day] = httpx.post(server.url + "/api_keys/usage/breakdown", json=body,
                                     headers={"pubrio-api-key": DEMO_API_KEY}).json()["data"]
    rows = list(csv.DictReader(out.splitlines()))
    for day, answer in served.items():
        mine = [row for row in rows if row["day"] == day]
        others = [row for row in mine if row["key"] == "(other keys)"]
        assert len(answer["by_key"]) == 100 and len(others) == 1  # the vendor's top 100 a day
        assert others[0]["endpoint_name"] == "not listed: the vendor lists its top 100 keys only"
        assert float(others[0]["credits"]) > 0 and int(others[0]["requests"]) > 0
        assert sum(int(row["requests"]) for row in mine) == answer["totals"]["requests"]
        assert sum(float(row["credits"]) for row in mine) == pytest.approx(answer["totals"]["credits"])
