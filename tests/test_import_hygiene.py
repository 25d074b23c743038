"""The data layer and the CLI's non-TUI paths never import textual."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

MODULES = (
    "usage_top.store",
    "usage_top.providers.pubrio",
    "usage_top.providers.http",
    "usage_top.pipeline.collector",
    "usage_top.sim",
    "usage_top.commands.report",
    "usage_top.commands.cli",
)

_PROBE = """
import importlib, json, sys
for name in sys.argv[1:]:
    importlib.import_module(name)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _top_level_modules_after_importing(*modules: str) -> set[str]:
    result = subprocess.run([sys.executable, "-c", _PROBE, *modules], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def test_the_non_ui_modules_do_not_import_textual():
    loaded = _top_level_modules_after_importing(*MODULES)
    assert "usage_top" in loaded  # the probe did import them
    assert "textual" not in loaded


@pytest.mark.parametrize("module", MODULES)
def test_each_module_alone_does_not_import_textual(module):
    """One at a time too, so a module cannot hide behind another's import order."""
    assert "textual" not in _top_level_modules_after_importing(module)


def test_the_probe_would_see_textual():
    """The check is not vacuous: importing the TUI does load textual."""
    assert "textual" in _top_level_modules_after_importing("usage_top.tui.app")


def test_running_a_report_does_not_import_textual(tmp_path):
    """Not just the imports: a whole ``report --demo`` run stays clear of the UI."""
    import os

    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("PUBRIO_", "USAGE_TOP_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"))
    probe = (
        "import sys\n"
        "from usage_top.commands.cli import main\n"
        "code = main(['report', '--demo', '--json', '--range', 'today'])\n"
        "print('textual' in sys.modules, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["simulated"] is True
    assert result.stderr.strip() == "False"
