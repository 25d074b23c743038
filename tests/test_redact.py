"""--redact: no real account, key or email name survives in any output made while it is on.

The names are read from the real SQLite file the simulator's polls filled; the outputs
are the real commands (report, export, check) and the real dashboard's screens, toasts
and TUI export, all on the simulator over loopback.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from usage_top.commands.cli import main
from usage_top.domain.format import BULLET, short_key
from usage_top.domain.model import Breakdown, PollResult, Usage
from usage_top.store import Store
from usage_top.views.redact import Redactor

from .conftest import FROZEN

ACCOUNT = "demo workspace"
"""The account name the TUI tests' app is given."""


def real_names(store: Store, private: tuple[str, ...] = ()) -> set[str]:
    """Every name --redact must hide: the account, each key's masked id, short form and
    name, and the ids and names of the ``private`` dimensions' items (projects…)."""
    names = {ACCOUNT}
    for masked, name in store.keys().items():
        names |= {masked, short_key(masked), name}
    for kind in private:
        names |= {text for ident, name in store.items(kind).items() if ident
                  for text in (ident, name)}
    return names


def leaks(text: str, names: set[str]) -> list[str]:
    text = html.unescape(text).replace("\xa0", " ")  # an SVG screenshot's text as shown
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)  # JSON's
    found = sorted(name for name in names if name and name in text)
    return found + ([BULLET] if BULLET in text else [])


def _keys_seen(store: Store, *masked: str) -> None:
    """A day on which the file first sees these keys (in this order)."""
    keys = tuple(Usage(key, f"{key} bot", {"requests": 1.0}) for key in masked)
    store.ingest(PollResult(fetched_at=FROZEN, day_breakdowns=(
        Breakdown(FROZEN.date(), FROZEN.date(), {"requests": float(len(keys))}, keys),)))


def test_redactor_gives_stable_pseudonyms(store):
    _keys_seen(store, "b••••2", "a••••1")
    redactor = Redactor(enabled=True, store=store, accounts={"acme prod": 2})
    assert redactor.alias("key", "a••••1") == "key-02"  # numbered in the order the file saw them
    assert redactor.alias("key", "b••••2") == "key-01"
    assert redactor.alias("account", "acme prod") == "account-2"  # its place in the config
    assert redactor.alias("account", "globex") == "account-x1"  # not configured: in the order shown
    text = redactor.text("acme prod: key b••••2 spiked, ask jane.doe@acme.io or c••••9")
    assert text == "account-2: key key-01 spiked, ask email-1 or key-x1"
    assert redactor.real("key-01") == "b••••2"
    row = redactor.key_row(Usage("a••••1", "a••••1 bot", {"requests": 3.0}))
    assert (row.id, row.name, row.figures) == ("key-02", "key-02", {"requests": 3.0})
    assert redactor.text("a••••1 bot used 3") == "key-02 used 3"  # names known before shown


def test_pseudonyms_survive_a_new_run_and_a_new_key(store):
    """Another process (another command, the next run) gives every key the same name,
    and a key the file sees later takes the next number without moving the others."""
    _keys_seen(store, "m••••5", "c••••3")
    before = {key: Redactor(True, store).alias("key", key) for key in ("m••••5", "c••••3")}
    _keys_seen(store, "a••••0")  # sorts first, seen last
    again = Redactor(True, store)
    assert {key: again.alias("key", key) for key in before} == before == {
        "m••••5": "key-01", "c••••3": "key-02"}
    assert again.alias("key", "a••••0") == "key-03"


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


def test_collect_redact_logs_pseudonyms(settings, clock, capsys):
    """``collect --redact``'s log lines (its polls and the alerts they raise, a key's
    anomaly naming the key) say pseudonyms, as every other output does."""
    assert main(["collect", "--once", "--redact"], clock=clock) == 0
    err = capsys.readouterr().err
    store = Store(settings.db)
    try:
        names = real_names(store) - {ACCOUNT}
    finally:
        store.close()
    assert " alert " in err and "key-0" in err, err  # an alert naming a key was logged
    assert leaks(err, names) == []
