"""The data layer and the CLI's non-TUI paths never import textual; screens and widgets
never reach past the store's public API (nor into the CLI's report)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import usage_top

MODULES = (
    "usage_top.store",
    "usage_top.providers.pubrio",
    "usage_top.providers.http",
    "usage_top.pipeline.collector",
    "usage_top.sim",
    "usage_top.commands.report",
    "usage_top.commands.cli",
    "usage_top.oncall.check",
    "usage_top.views.scopes",
    "usage_top.views.ranges",
    "usage_top.views.serialise",
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


def test_every_providers_capabilities_come_without_its_adapter():
    """What the first frame and the accounts overview read of each provider (its
    capabilities) imports neither httpx nor pydantic: those are the adapters', built
    at the first poll."""
    from usage_top.providers import registry

    modules = [registry.vendor(name).capabilities_module for name in registry.names()]
    loaded = _top_level_modules_after_importing(*modules)
    assert "usage_top" in loaded
    assert not {"httpx", "pydantic"} & loaded
    adapters = [registry.vendor(name).adapter_module for name in registry.names()]
    assert {"httpx", "pydantic"} <= _top_level_modules_after_importing(*adapters)  # not vacuous


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


PACKAGE = Path(usage_top.__file__).parent
FORBIDDEN_IN_UI = ("usage_top.store.queries", "usage_top.store.ingest", "usage_top.store.schema",
                   "usage_top.store.readings", "usage_top.store.slots", "usage_top.store.migration_v5",
                   "usage_top.commands.report")
"""What a screen or widget must not import: the store's internals (it reads view models,
built from the ``Store`` API) and the CLI's report (JSON comes from ``views.serialise``)."""


def _imported(path: Path) -> set[str]:
    """Every module an ``import`` or ``from … import`` in ``path`` names, functions'
    lazy imports included; ``from a import b`` names both ``a`` and ``a.b``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the file's package
                package = path.parent.relative_to(PACKAGE.parent).parts
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _ui_files() -> list[Path]:
    return sorted(path for folder in ("tui", "widgets") for path in (PACKAGE / folder).rglob("*.py"))


def test_screens_and_widgets_do_not_import_the_store_internals():
    offenders = {
        f"{path.relative_to(PACKAGE)}: {module}"
        for path in _ui_files() for module in _imported(path)
        if any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN_IN_UI)
    }
    assert not offenders, sorted(offenders)


def test_the_import_scan_would_see_an_offender(tmp_path):
    """The scan is not vacuous: each way of writing the import is caught."""
    sample = tmp_path / "sample.py"
    sample.write_text("import usage_top.store.schema\n"
                      "from usage_top.store import queries\n"
                      "def later():\n    from usage_top.store.ingest import write_result\n",
                      encoding="utf-8")
    found = _imported(sample)
    assert {"usage_top.store.schema", "usage_top.store.queries", "usage_top.store.ingest"} <= found
    assert _ui_files(), "no screen or widget module found"
