"""deploy/: the systemd units run commands usage-top accepts, hardened, and parse.

(The alert rules, the scrape config and the Grafana dashboard are proven against a
real Prometheus in test_prometheus.py.)
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from usage_top.commands.cli import build_parser

UNITS = sorted((Path(__file__).resolve().parent.parent / "deploy" / "systemd").glob("*.service"))
HARDENING = {"DynamicUser": "yes", "ProtectSystem": "strict", "StateDirectory": "usage-top",
             "ProtectHome": "yes", "PrivateTmp": "yes", "UMask": "0077"}


def _service(path: Path) -> dict[str, list[str]]:
    """Key -> its values, in order (systemd lets a key repeat, so no configparser)."""
    values: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_units_are_hardened_and_run_what_usage_top_accepts(unit):
    service = _service(unit)
    for key, value in HARDENING.items():
        assert service.get(key) == [value], key
    assert service["EnvironmentFile"] == ["/etc/usage-top/env"]  # the key: not in the unit
    argv = shlex.split(service["ExecStart"][0])[1:]
    args = build_parser().parse_args(argv)
    assert args.command in ("collect", "serve")
    assert str(args.db).startswith("/var/lib/usage-top/")  # the StateDirectory
    if args.command == "collect":
        assert args.metrics.startswith("127.0.0.1:")
    else:
        assert args.host == "127.0.0.1"


@pytest.mark.parametrize("unit", UNITS, ids=lambda path: path.name)
def test_units_pass_systemd_analyze(unit, tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    text = unit.read_text().replace("/opt/usage-top/bin/usage-top",
                                    str(Path(sys.executable).with_name("usage-top")))
    copy = tmp_path / unit.name
    copy.write_text(text)
    checked = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True,
                             timeout=60)
    problems = [line for line in (checked.stdout + checked.stderr).splitlines()
                if unit.name in line or "Unknown" in line]
    assert checked.returncode == 0 and not problems, checked.stdout + checked.stderr
