"""--redact: no real account, key or email name survives in any output made while it is on.

The names are read from the real SQLite file the simulator's polls filled; the outputs
are the real commands (report, export, check) and the real dashboard's screens, toasts
and TUI export, all on the simulator over loopback.
"""

from __future__ import annotations

import json
from pathlib import Path

from usage_top.commands.cli import main
from usage_top.domain.format import BULLET, short_key
from usage_top.domain.model import Usage
from usage_top.store import Store
from usage_top.views.redact import Redactor

ACCOUNT = "demo workspace"
"""The account name the TUI tests' app is given."""


def real_names(store: Store) -> set[str]:
    """Every name --redact must hide: the account, each key's masked id, short form and name."""
    names = {ACCOUNT}
    for masked, name in store.keys().items():
        names |= {masked, short_key(masked), name}
    return names


def leaks(text: str, names: set[str]) -> list[str]:
    found = sorted(name for name in names if name and name in text)
    return found + ([BULLET] if BULLET in text else [])


def test_redactor_gives_stable_pseudonyms():
    redactor = Redactor(enabled=True)
    redactor.learn_keys(["b••••2", "a••••1"])
    assert redactor.alias("key", "a••••1") == "key-01"  # numbered in the order of their ids
    assert redactor.alias("key", "b••••2") == "key-02"
    assert redactor.alias("account", "acme prod") == "account-1"
    assert redactor.alias("account", "acme prod") == "account-1"
    text = redactor.text("acme prod: key b••••2 spiked, ask jane.doe@acme.io or c••••9")
    assert text == "account-1: key key-02 spiked, ask email-1 or key-03"
    assert redactor.real("key-02") == "b••••2"
    row = redactor.key_row(Usage("a••••1", "billing-bot", {"requests": 3.0}))
    assert (row.id, row.name, row.figures) == ("key-01", "key-01", {"requests": 3.0})
    assert redactor.text("billing-bot used 3") == "key-01 used 3"


def test_redactor_off_changes_nothing():
    redactor = Redactor(enabled=False)
    row = Usage("a••••1", "billing-bot", {})
    assert redactor.key_row(row) is row
    assert redactor.text("jane@acme.io a••••1") == "jane@acme.io a••••1"
    assert redactor.alias("account", "acme") == "acme"


def test_no_real_name_in_report_export_or_check(settings, clock, capsys, isolated_env: Path):
    assert main(["collect", "--once"], clock=clock) == 0
    store = Store(settings.db)
    try:
        names = real_names(store) - {ACCOUNT}
    finally:
        store.close()
    capsys.readouterr()
    assert main(["report", "--json"], clock=clock) == 0
    account = json.loads(capsys.readouterr().out)["account"]
    names.add(account)
    outputs = {}
    for argv in (["report", "--redact"], ["report", "--redact", "--json", "--range", "30d"],
                 ["export", "--redact", "--since", "2026-11-12", "--format", "json"],
                 ["export", "--redact", "--since", "2026-11-12"],
                 ["check", "--redact", "--json"], ["check", "--redact"]):
        main(argv, clock=clock)
        out, err = capsys.readouterr()
        outputs[" ".join(argv)] = out + err
    assert all(outputs.values())
    for argv, text in outputs.items():
        assert leaks(text, names) == [], argv
    assert "key-01" in outputs["report --redact --json --range 30d"]
    report = json.loads(outputs["report --redact --json --range 30d"])
    assert report["account"] == "account-1"
