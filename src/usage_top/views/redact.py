"""Share-safe output (``--redact``): names that identify a customer become pseudonyms.

Account and workspace names, key names and key fragments, the items of private
dimensions (projects, workspaces) and email-like strings are replaced by stable
pseudonyms (``key-07``, ``account-1``). Redaction happens in one place: every
output reads the store through :class:`RedactedStore`, which hands out rows with
pseudonyms and maps pseudonyms given back to it (a key filter, a drilldown) to the
real names; free text (the account, toasts, event messages, errors) goes through
:meth:`Redactor.text`. Widgets, the report, exports and ``check`` never redact.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from usage_top.domain.capabilities import Capabilities
from usage_top.domain.format import short_key
from usage_top.domain.model import Usage

if TYPE_CHECKING:
    from usage_top.config import Settings
    from usage_top.pipeline.runtime import Runtime
    from usage_top.store import Store

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MASKED = re.compile(r"[^\s•()]*•+[^\s•(),]*")
"""A vendor-masked key or a fragment of one: '0••••f39', 'sk-…••••abcd'."""
ACCOUNT = "account-{}"
"""A configured account's pseudonym, by its number (``Settings.account_number``)."""


class Redactor:
    """Real name <-> pseudonym, per kind ('key', 'account', 'project'…), for one account.

    When disabled every method returns what it was given, so one code path serves
    both modes and the user can toggle redaction while usage-top runs.

    A pseudonym is the same in every run and every command that reads the same
    configuration and database (``key-07`` on the dashboard, in ``report`` and in
    ``check``), because it is a place in an order that only grows:

    * an account: its place among the configured accounts (``Settings.account_number``);
      every configured account is known by name, so a toast about another account is
      redacted too;
    * a key: its place in the order the account's database first saw its keys (the
      key table's ids, never reused): ``key-07`` is the seventh key the file stored,
      and a new key never renumbers the old ones;
    * an item of a private dimension: its place among that dimension's items, alike.

    The number says nothing of the name: it is not a hash or a fragment of it (a
    hash of a short masked id could be searched back to it). A mapping table in the
    database would hold the same order, but viewers and reports open the file
    read-only, and the interning ids already are that mapping. What the database
    does not list (an email in an error text, a key fragment it never stored, an
    account not configured) is numbered in the order shown, with an ``x``
    (``key-x1``) so it can never take a listed name's number; emails are always so.
    """

    def __init__(self, enabled: bool = False, store: Store | None = None,
                 private: Iterable[str] = (), accounts: Mapping[str, int] | None = None) -> None:
        """``store``: the account's database, whose keys and ``private`` dimensions'
        items are numbered; ``accounts``: every configured account's names -> its number."""
        self.enabled = enabled
        self.private = frozenset(private)
        """The dimensions whose items are the customer's own (``Dimension.private``)."""
        self._store = store
        self._alias: dict[str, str] = {}
        """Real name (and a key's short form and display name) -> pseudonym."""
        self._real: dict[str, str] = {}
        self._count: dict[str, int] = {}
        self._listed: dict[str, int] = {}
        """Per kind, how many of the database's names are numbered."""
        self._pattern: re.Pattern | None = None
        for name, number in (accounts or {}).items():
            self._remember(name, ACCOUNT.format(number))

    def alias(self, kind: str, real: str | None) -> str | None:
        """The pseudonym of ``real`` ('key-07'); '' and None stay."""
        if not self.enabled or not real:
            return real
        known = self._alias.get(real)
        if known is None and self._store is not None and (kind == "key" or kind in self.private):
            self.learn()  # a key or item the database stored since the last look
            known = self._alias.get(real)
        if known is not None:
            return known
        mark = "" if kind == "email" else "x"
        number = self._count[kind] = self._count.get(kind, 0) + 1
        alias = f"{kind}-{mark}{number}"
        self._remember(real, alias)
        return alias

    def learn(self) -> None:
        """Number the database's keys and private items not numbered yet, in the order
        it first saw them; cheap when nothing is new (the key list is cached)."""
        from usage_top.store import StoreError

        if not self.enabled or self._store is None:
            return
        try:
            self._number("key", self._store.keys(), "key-{:02d}")
            for kind in sorted(self.private):
                self._number(kind, self._store.items(kind), f"{kind}-{{}}")
        except StoreError:  # a damaged file: what is known stays, masked keys still go
            pass

    def _number(self, kind: str, names: Mapping[str, str], form: str) -> None:
        listed = [(real, name) for real, name in names.items() if real]
        for number, (real, name) in enumerate(listed[self._listed.get(kind, 0):],
                                              self._listed.get(kind, 0) + 1):
            alias = form.format(number)
            self._remember(real, alias)
            if kind == "key":
                self._remember(short_key(real), alias)
            if name and name != real:
                self._remember(name, alias)
        self._listed[kind] = len(listed)

    def _remember(self, real: str, alias: str) -> None:
        self._alias.setdefault(real, alias)
        self._real.setdefault(alias, real)
        self._pattern = None

    def real(self, shown: Any) -> Any:
        """The real name behind a pseudonym; anything else as given (in either mode)."""
        return self._real.get(shown, shown) if isinstance(shown, str) else shown

    def shown(self, real: str | None) -> str | None:
        """What the current mode shows for a real name (to carry state across a toggle)."""
        if not self.enabled or not real:
            return real
        if real not in self._alias:
            self.learn()  # just turned on: nothing shown yet
        return self._alias.get(real, real)

    def text(self, text: str) -> str:
        """Free text with every known real name, email and masked key replaced."""
        if not self.enabled or not text:
            return text
        self.learn()
        if self._alias:
            if self._pattern is None:
                names = sorted(self._alias, key=len, reverse=True)
                self._pattern = re.compile(
                    "|".join(rf"(?<![\w-]){re.escape(name)}(?![\w-])" for name in names))
            text = self._pattern.sub(lambda m: self._alias[m.group(0)], text)
        text = EMAIL.sub(lambda m: self.alias("email", m.group(0)), text)
        return MASKED.sub(lambda m: self.alias("key", m.group(0)), text)

    def key_row(self, row: Usage) -> Usage:
        """A key's row: its id and its name become the key's pseudonym."""
        if not self.enabled:
            return row
        alias = self.alias("key", row.id)
        if row.name and row.name != row.id:
            self._remember(row.name, alias)
        return dataclasses.replace(row, id=alias, name=alias if row.name else row.name)

    def item_row(self, kind: str, row: Usage) -> Usage:
        """An item of a private dimension: its id and name become one pseudonym."""
        if not self.enabled or not row.id:
            return row
        alias = self.alias(kind, row.id)
        if row.name and row.name != row.id:
            self._remember(row.name, alias)
        return dataclasses.replace(row, id=alias, name=alias)


def shown_account(settings: Settings) -> str:
    """A configured account's name as outputs give it: its pseudonym under ``--redact``."""
    return ACCOUNT.format(settings.account_number) if settings.redact else settings.account


def account_numbers(accounts: Mapping[str, Settings], *shown: str) -> dict[str, int]:
    """Each configured account's name -> its number (``Settings.account_number``);
    ``shown``: other names of the first one (the vendor's, which a lone account's header
    shows). The configured names come first: a pseudonym given back means them."""
    numbers = {name: settings.account_number for name, settings in accounts.items()}
    first = next(iter(numbers.values()), 1)
    return {**numbers, **{name: first for name in shown if name and name not in numbers}}


def redacting(store: Store, settings: Settings, capabilities: Capabilities,
              accounts: Mapping[str, int]) -> RedactedStore:
    """The store as one account's output reads it: with ``settings.redact``, names as
    pseudonyms numbered as :class:`Redactor` says (``accounts``: ``account_numbers``)."""
    private = [d.kind for d in capabilities.dimensions if d.private]
    return RedactedStore(store, Redactor(settings.redact, store, private, accounts))


def runtime_reader(runtime: Runtime) -> RedactedStore:
    """The store as one command's output reads it (``report``, ``export``, ``check``):
    the account's pseudonym, also for the vendor's name of it, is its configured place."""
    settings = runtime.settings
    numbers = account_numbers({settings.account: settings}, runtime.account)
    return redacting(runtime.store, settings, runtime.capabilities, numbers)


class RedactedStore:
    """The store as outputs read it: rows with pseudonyms, pseudonyms taken back.

    Everything it does not name (snapshots, polls, alert transactions, figures) is
    the store's own, unchanged.
    """

    def __init__(self, store: Store, redactor: Redactor) -> None:
        self._store = store
        self.redactor = redactor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        real = self.redactor.real
        return getattr(self._store, name)(*map(real, args), **{k: real(v) for k, v in kwargs.items()})

    def _rows(self, kind: str, rows: list[Usage]) -> list[Usage]:
        if not self.redactor.enabled:
            return rows
        if kind == "key":
            return [self.redactor.key_row(row) for row in rows]
        if kind in self.redactor.private:
            return [self.redactor.item_row(kind, row) for row in rows]
        return rows

    def _item(self, kind: str, item: str) -> str:
        return self.redactor.alias(kind, item) if kind in self.redactor.private else item

    def _key(self, key: str) -> str:
        return self.redactor.alias("key", key)

    # reads that carry names -------------------------------------------------
    def key_breakdown(self, *args: Any, **kwargs: Any) -> list[Usage]:
        return self._rows("key", self._call("key_breakdown", *args, **kwargs))

    def item_breakdown(self, kind: str, *args: Any, **kwargs: Any) -> list[Usage]:
        return self._rows(kind, self._call("item_breakdown", kind, *args, **kwargs))

    def item_keys(self, kind: str, *args: Any, **kwargs: Any):
        found = self._call("item_keys", kind, *args, **kwargs)
        return found if found is None else (self._rows("key", found[0]), found[1])

    def key_item_days(self, *args: Any, **kwargs: Any):
        rows = self._call("key_item_days", *args, **kwargs)
        if not self.redactor.enabled:
            return rows
        named = []
        for day, key, kind, item, name, figures in rows:
            shown = self._item(kind, item)
            named.append((day, self._key(key), kind, shown, shown if shown != item else name, figures))
        return named

    def key_day_values(self, *args: Any, **kwargs: Any):
        values = self._call("key_day_values", *args, **kwargs)
        return {self._key(key): days for key, days in values.items()}

    def keys(self) -> dict[str, str]:
        return {self._key(key): self._key(key) if self.redactor.enabled else name
                for key, name in self._store.keys().items()}

    def latest_scopes(self):
        text = self.redactor.text
        return [(dataclasses.replace(usage, label=text(usage.label)), at)
                for usage, at in self._store.latest_scopes()]

    def events(self, *args: Any, **kwargs: Any):
        text = self.redactor.text
        return [event.model_copy(update={"scope": text(event.scope), "message": text(event.message)})
                for event in self._store.events(*args, **kwargs)]

    def active_alerts(self) -> dict[str, str]:
        return self._scoped(self._store.active_alerts())

    def snoozes(self):
        return self._scoped(self._store.snoozes())

    def _scoped(self, by_scope: dict) -> dict:
        return {self.redactor.text(scope): value for scope, value in by_scope.items()}

    # reads whose arguments may be pseudonyms --------------------------------
    def _passing(name: str) -> Callable[..., Any]:  # noqa: N805 - a factory used in the body
        def method(self: RedactedStore, *args: Any, **kwargs: Any) -> Any:
            return self._call(name, *args, **kwargs)

        method.__name__ = name
        return method

    totals = _passing("totals")
    daily_series = _passing("daily_series")
    item_series = _passing("item_series")
    fetched_days = _passing("fetched_days")
    scope_history = _passing("scope_history")
    del _passing
