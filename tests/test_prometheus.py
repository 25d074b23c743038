"""A real Prometheus scraping ``usage-top collect --metrics`` on the simulator.

One scenario (the processes take seconds to start, so it is shared by the tests
of this module, in order):

1. ``usage-top sim`` serves the Pubrio simulator; collector A polls it (every 60 s,
   so nothing but ``report`` writes while the gauges are compared) and serves its
   metrics; Prometheus scrapes them every second and evaluates deploy/'s rules.
   ``report --json`` polls once more: Prometheus's scope gauges become what it says.
2. The simulator starts answering garbage; collector B (same database, account and
   port, polling every 5 s) fails every poll: after three intervals without a
   success the scope figures disappear from Prometheus while the target is up and
   the last success is still reported, and the failures are counted by kind.

Prometheus and promtool are the Debian package ``prometheus``; without them the
tests are skipped (``.ci/run`` installs it where it can).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.live import Process, clean_env, free_port, tool, wait_for
from usage_top.sim import DEMO_API_KEY

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "deploy" / "prometheus" / "usage-top.rules.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "usage-top.json"


class Scenario:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.prometheus = tool("prometheus", "prometheus")
        self.promtool = tool("promtool", "prometheus")
        self.sim_port, self.metrics_port, self.prom_port = free_port(), free_port(), free_port()
        self.sim_url = f"http://127.0.0.1:{self.sim_port}"
        self.metrics_url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        self.api = f"http://127.0.0.1:{self.prom_port}/api/v1"
        self.env = clean_env(tmp, PUBRIO_API_KEY=DEMO_API_KEY, PUBRIO_BASE_URL=self.sim_url,
                             USAGE_TOP_DB=str(tmp / "usage.db"))
        self.processes: list[Process] = []
        self.started = time.time()

    def usage_top(self, name: str, *argv: str) -> Process:
        process = Process.usage_top(*argv, env=self.env, log_dir=self.tmp, name=name)
        self.processes.append(process)
        return process

    def collector(self, name: str, interval: int) -> Process:
        process = self.usage_top(name, "collect", "--interval", str(interval),
                                 "--metrics", f"127.0.0.1:{self.metrics_port}")
        wait_for(f"{name}'s metrics", lambda: process.alive() and "usage_top_account_info"
                 in httpx.get(self.metrics_url, timeout=2).text, timeout=30)
        return process

    def start_prometheus(self) -> None:
        config = self.tmp / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            f"rule_files: ['{RULES}']\n"
            "scrape_configs:\n"
            "  - job_name: usage-top\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{self.metrics_port}']}}]\n")
        process = Process([self.prometheus, f"--config.file={config}",
                           f"--storage.tsdb.path={self.tmp / 'tsdb'}",
                           f"--web.listen-address=127.0.0.1:{self.prom_port}"],
                          self.env, self.tmp, "prometheus")
        self.processes.append(process)
        wait_for("Prometheus to be ready", lambda: httpx.get(
            f"http://127.0.0.1:{self.prom_port}/-/ready", timeout=2).status_code == 200)

    def query(self, expr: str, **params: object) -> list[dict]:
        answer = httpx.get(f"{self.api}/query", params={"query": expr, **params}, timeout=10)
        answer.raise_for_status()
        return answer.json()["data"]["result"]

    def query_range(self, expr: str) -> list[dict]:
        params = {"query": expr, "start": self.started - 5, "end": time.time(), "step": "1s"}
        answer = httpx.get(f"{self.api}/query_range", params=params, timeout=10)
        assert answer.status_code == 200, (expr, answer.text)
        return answer.json()["data"]["result"]

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("prometheus")
    scenario = Scenario(tmp)
    try:
        sim = scenario.usage_top("sim", "sim", "--port", str(scenario.sim_port))
        wait_for("the simulator", lambda: sim.alive() and httpx.get(
            f"{scenario.sim_url}/_sim/faults", timeout=2).status_code == 200)
        scenario.collector_a = scenario.collector("collect-a", interval=60)
        scenario.start_prometheus()
        yield scenario
    finally:
        scenario.close()


def _scope_values(results: list[dict]) -> dict[str, float]:
    return {series["metric"]["scope"]: float(series["value"][1]) for series in results}


def test_scope_gauges_equal_the_report(scenario):
    report = subprocess.run([*_usage_top(), "report", "--json"], env=scenario.env,
                            capture_output=True, text=True, timeout=60)
    assert report.returncode == 0, report.stderr
    scopes = {f"{s['scope']}.{s['period']}": s for s in json.loads(report.stdout)["scopes"]}
    assert scopes
    want = {name: float(scope["used"]) for name, scope in scopes.items()}
    seen = wait_for("Prometheus to scrape report's readings",
                    lambda: (found := _scope_values(scenario.query("usage_top_scope_used")))
                    == want and found, timeout=30)
    assert seen == want
    limits = _scope_values(scenario.query("usage_top_scope_limit"))
    assert limits == {name: float(scope["limit"]) for name, scope in scopes.items()}
    ratios = _scope_values(scenario.query("usage_top_scope_used_ratio"))
    levels = _scope_values(scenario.query("usage_top_scope_level"))
    for name, scope in scopes.items():
        assert ratios[name] * 100 == pytest.approx(scope["percent"], abs=0.006)
        assert levels[name] == {"normal": 0, "amber": 1, "red": 2}[scope["level"]]
    resets = _scope_values(scenario.query("usage_top_scope_reset_timestamp_seconds"))
    assert set(resets) == set(scopes)
    series = scenario.query("usage_top_scope_used")[0]["metric"]
    assert series["account"] == f"127.0.0.1:{scenario.sim_port}" and series["provider"] == "pubrio"


def test_a_scrape_passes_promtool_and_holds_no_key(scenario):
    text = httpx.get(scenario.metrics_url, timeout=5).text
    checked = subprocess.run([scenario.promtool, "check", "metrics"], input=text,
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert DEMO_API_KEY not in text and DEMO_API_KEY[4:-4] not in text
    series = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert 'key="other"' in text and len(series) < 400  # top 20 keys + other, bounded


def test_alert_rules_pass_promtool(scenario):
    checked = subprocess.run([scenario.promtool, "check", "rules", str(RULES)],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run([scenario.promtool, "test", "rules", "usage-top.rules.test.yml"],
                            cwd=RULES.parent, capture_output=True, text=True, timeout=30)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    rules = httpx.get(f"{scenario.api}/rules", timeout=5).json()["data"]["groups"]
    assert {rule["name"] for group in rules for rule in group["rules"]} >= {
        "UsageTopScopeAmber", "UsageTopScopeRed", "UsageTopDataStale"}
    assert all(rule["health"] == "ok" for group in rules for rule in group["rules"]), rules


def test_a_stale_figure_disappears(scenario):
    scenario.collector_a.stop()
    faults = httpx.post(f"{scenario.sim_url}/_sim/faults", json={"invalid_json": True}, timeout=5)
    assert faults.status_code == 200
    scenario.collector("collect-b", interval=5)

    def gone() -> bool:
        up = scenario.query('up{job="usage-top"}')
        return (bool(up) and up[0]["value"][1] == "1"
                and not scenario.query("usage_top_scope_used")
                and bool(scenario.query("usage_top_poll_errors_total")))

    wait_for("the scope figures to go stale", gone, timeout=60, every=0.5)
    for name in ("usage_top_scope_used_ratio", "usage_top_scope_level", "usage_top_key_usage",
                 "usage_top_account_usage"):
        assert not scenario.query(name), name  # left out, never 0
    last_success = scenario.query("usage_top_last_success_timestamp_seconds")
    assert last_success and scenario.started < float(last_success[0]["value"][1]) < time.time()
    errors = scenario.query("usage_top_poll_errors_total")
    assert {series["metric"]["kind"] for series in errors} == {"bad_response"}
    text = httpx.get(scenario.metrics_url, timeout=5).text
    assert "usage_top_last_success_timestamp_seconds{" in text
    assert not re.search(r"^usage_top_scope_used\{", text, re.M)
    seen = scenario.query_range("usage_top_scope_used")
    assert seen and all(series["values"] for series in seen)  # it was there before


def test_every_dashboard_query_returns_data(scenario):
    """Each panel's PromQL, with the dashboard's variables set as Grafana would, over the
    scenario's time range (the scope panels had data in step 1, the poll panel in 2)."""
    dashboard = json.loads(DASHBOARD.read_text())
    primary = scenario.query("usage_top_account_info")[0]["metric"]["primary_measure"]
    values = {"$account": ".*", "$scope": ".*", "$measure": primary, "$range": "today"}
    variables = {var["name"] for var in dashboard["templating"]["list"]}
    assert {name[1:] for name in values} <= variables
    exprs = [(panel["title"], target["expr"]) for panel in dashboard["panels"]
             for target in panel["targets"]]
    exprs += [(var["name"], var["definition"]) for var in dashboard["templating"]["list"]
              if var["type"] == "query"]
    assert len(exprs) >= 10
    empty = []
    for title, expr in exprs:
        for name, value in values.items():
            expr = expr.replace(name, value)
        match = re.fullmatch(r"label_values\((.*), (\w+)\)", expr)
        if match:
            if not scenario.query_range(f"count by ({match[2]}) ({match[1]})"):
                empty.append((title, expr))
            continue
        if not scenario.query_range(expr):
            empty.append((title, expr))
    assert not empty, empty


def _usage_top() -> list[str]:
    import sys

    return [sys.executable, "-m", "usage_top"]
