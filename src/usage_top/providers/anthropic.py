"""Anthropic's Admin API usage and cost reports mapped to the normalised model.

Endpoints (all ``GET``, headers ``x-api-key: <admin key>`` and ``anthropic-version:
2023-06-01``, base URL ``https://api.anthropic.com``): the usage report
``/v1/organizations/usage_report/messages`` (daily buckets grouped by key, model
and workspace) for tokens and web searches, the cost report
``/v1/organizations/cost_report`` (grouped by workspace and description) for the
vendor's money, and the key and workspace lists for names. Buckets are UTC days.

There is no request count, so ``requests`` is not a measure here at all. The cost
report has no per-key split: a key's money is only ever the estimate
``cost_est`` (tokens x :mod:`~usage_top.providers.prices`), kept apart from the
vendor's ``cost``; per model and per workspace both are given.

One poll of N days (N <= 31) costs 2 requests (one page of each report, ``limit``
31), plus 1 for the budget scopes' month to date, plus the two name listings at
most hourly. The vendor asks for at most one poll a minute: ``min_interval``.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from pydantic import TypeAdapter

from usage_top.domain.parts import Part, scopes_and_days
from usage_top.domain.model import (
    Breakdown,
    DailyUsage,
    Period,
    ScopeUsage,
    Usage,
)
from usage_top.providers import anthropic_rows
from usage_top.providers.anthropic_capabilities import CAPABILITIES, MODEL, USD, WORKSPACE
from usage_top.providers.anthropic_rows import DayTally, Listed, parse
from usage_top.providers.errors import AuthError, ForbiddenError, ProviderError
from usage_top.providers.http import ApiClient
from usage_top.providers.report_days import (
    DAYS_PER_PAGE,
    daily_usage,
    dates,
    next_month,
    run_all,
    shared,
    windows,
)
from usage_top.providers.pages import AFTER_ID, collect, page_bound
from usage_top.providers.prices import PriceTable

NAME = "anthropic"
DEFAULT_BASE_URL = "https://api.anthropic.com"
KEY_ENV = "ANTHROPIC_ADMIN_KEY"
BASE_URL_ENV = "ANTHROPIC_BASE_URL"
API_VERSION = "2023-06-01"
ADMIN_PREFIX = "sk-ant-admin"

USAGE = "/v1/organizations/usage_report/messages"
COSTS = "/v1/organizations/cost_report"
KEYS = "/v1/organizations/api_keys"
WORKSPACES = "/v1/organizations/workspaces"
DEFAULT_PAGE = 7
"""The reports' default page (in days): the page loop's bound assumes no more than
this, so a vendor that ignores ``limit`` is still followed to the end."""
USAGE_GROUPS = ("api_key_id", "model", "workspace_id")
COST_GROUPS = ("workspace_id", "description")
LIST_PAGE = 1000
MAX_LIST_PAGES = 20
NAMES_TTL = 3600.0
"""Seconds key and workspace names are kept: they change rarely."""
NO_KEY = "(no API key)"
"""Usage the vendor reports without a key (the Console's workbench)."""



class AdminKeyRejected(AuthError):
    """HTTP 401 from the Admin API: the key is wrong or revoked, or not an admin key."""

    key_variable = KEY_ENV

    def __init__(self, looks_admin: bool) -> None:
        hint = "" if looks_admin else f" (this key does not start with {ADMIN_PREFIX})"
        ProviderError.__init__(
            self,
            f"the Anthropic key was rejected (HTTP 401): the Admin API needs an organisation "
            f"admin key, {ADMIN_PREFIX}…{hint}; check {KEY_ENV} or the config file",
            status=401,
        )


class AdminKeyForbidden(ForbiddenError):
    """HTTP 403 from the Admin API: the key may not read the organisation's reports."""

    def __init__(self) -> None:
        ProviderError.__init__(
            self,
            f"the Anthropic key may not read usage (HTTP 403): the Admin API needs an "
            f"organisation admin key, {ADMIN_PREFIX}… (individual accounts have none)",
            status=403,
        )


def auth_headers(key: str) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": API_VERSION}


def connect(
    base_url: str,
    api_key: str,
    *,
    tz: Any = None,
    timeout: float = 10.0,
    budgets: Mapping[str, Decimal | float] | None = None,
    prices: PriceTable | None = None,
    max_wait: float | None = None,
) -> AnthropicProvider:
    """A provider with its own HTTP client (``tz`` is unused: the reports are in UTC)."""
    client = ApiClient(base_url, auth_headers(api_key), timeout=timeout,
                       max_retry_after=max_wait)
    return AnthropicProvider(client, budgets=budgets, prices=prices,
                             admin_key=api_key.startswith(ADMIN_PREFIX))


@dataclass(frozen=True)
class KeyInfo:
    """A key as the listing names it."""

    name: str
    hint: str


_LISTED = TypeAdapter(list[Listed])


class AnthropicProvider:
    """Reads one Anthropic organisation's usage and cost reports through an :class:`ApiClient`.

    budgets: monthly USD budgets, "" for the whole organisation, else a workspace id
        or name; each becomes a scope card (the API has no spending limit of its own).
    prices: the price table for estimates (:meth:`PriceTable.overridden` for the config's).
    clock: seconds for the names cache (monotonic; injectable for tests).
    admin_key: whether the key looks like an admin key (said in a 401's message).
    """

    name = NAME
    capabilities = CAPABILITIES

    def __init__(
        self,
        client: ApiClient,
        budgets: Mapping[str, Decimal | float] | None = None,
        prices: PriceTable | None = None,
        clock: Callable[[], float] = time.monotonic,
        admin_key: bool = True,
    ) -> None:
        self._client = client
        self._get = client.get_json
        self._budgets = _checked_budgets(budgets or {})
        self.prices = prices or PriceTable()
        self._clock = clock
        self._admin_key = admin_key
        self._names_at: float | None = None
        self._unpriced: set[str] = set()
        self.keys: dict[str, KeyInfo] = {}
        """Key id -> its name and hint, from the last listing."""
        self.workspaces: dict[str, str] = {}
        """Workspace id -> name, from the last listing."""

    @property
    def requests_made(self) -> int:
        return self._client.stats.requests_sent

    async def aclose(self) -> None:
        await self._client.aclose()

    def unpriced_models(self) -> tuple[str, ...]:
        """Models seen in the last fetch that the price table does not know (no estimate)."""
        return tuple(sorted(self._unpriced))

    # Scopes -------------------------------------------------------------------

    async def scopes(self, now: dt.datetime) -> list[ScopeUsage]:
        """Month-to-date vendor cost against the user's budgets: the organisation's
        always (without a limit when none is set), then each budgeted workspace's."""
        today = now.astimezone(dt.UTC).date()
        month = today.replace(day=1)
        spent = DayTally()
        buckets = await self._pages(COSTS, _report_params(month, today, ("workspace_id",)),
                                    (today - month).days + 1)
        parse(lambda: anthropic_rows.add_costs(shared(month, today, spent), buckets), COSTS)
        spent.settle_cost()
        resets = next_month(month)
        scopes = [self._org_scope(spent, resets)]
        if set(self._budgets) - {""}:
            await self._refresh_names()
        for wanted, limit in self._budgets.items():
            if wanted:
                scopes.append(self._workspace_scope(wanted, limit, spent, resets))
        return [replace(scope, refreshed_at=now) for scope in scopes]

    def _org_scope(self, spent: DayTally, resets: dt.datetime) -> ScopeUsage:
        limit = self._budgets.get("")
        return ScopeUsage(
            scope="budget", period=Period.MONTHLY, used=spent.totals.figures()["cost"],
            unit=USD, label="Budget" if limit else "Spend", limit=limit, resets_at=resets,
        )

    def _workspace_scope(
        self, wanted: str, limit: float, spent: DayTally, resets: dt.datetime
    ) -> ScopeUsage:
        """A workspace's budget; named by id or name (an unknown one shows $0, labelled)."""
        workspace = self._workspace_id(wanted)
        tally = spent.items["workspace"].get(workspace) if workspace is not None else None
        if workspace is None:
            label = f"{wanted} (no such workspace)"
        else:
            label = self._item_name("workspace", workspace)
        return ScopeUsage(
            scope=f"budget.{workspace or wanted}", period=Period.MONTHLY,
            used=tally.figures()["cost"] if tally else 0.0, unit=USD,
            label=f"Budget {label}", limit=limit, resets_at=resets,
        )

    def _workspace_id(self, wanted: str) -> str | None:
        """The workspace a budget names: an id, a name, or the default workspace ('')."""
        if wanted in self.workspaces:
            return wanted
        folded = wanted.casefold()
        if folded in ("default", WORKSPACE.unmapped.casefold()):
            return ""
        return next((wid for wid, name in self.workspaces.items() if name.casefold() == folded),
                    None)

    # Breakdowns ---------------------------------------------------------------

    def poll_parts(self, now: dt.datetime, days: Sequence[dt.date], *, scopes: bool = True) -> list[Part]:
        """Two parts: the budgets (month-to-date costs), and the usage and cost reports
        of every day, which write the same rows (a day's tokens and its cost) together."""
        return scopes_and_days(now, days, scopes=scopes, read_scopes=self.scopes,
                               read_days=self.day_breakdowns, scopes_name=f"budgets ({COSTS})",
                               days_name="usage and cost reports")

    async def day_breakdowns(self, days: Sequence[dt.date]) -> list[Breakdown]:
        """One breakdown per UTC day asked for, all keys: totals, by key (tokens and the
        estimate), by model and workspace (tokens, the vendor's cost and the estimate)."""
        days = sorted(set(days))
        tallies = {day: DayTally() for day in days}
        await self._fill(tallies, {}, lambda row: True, costs=True)
        await self._refresh_names()
        return [self._breakdown(day, day, tallies[day]) for day in days]

    async def key_daily(self, key: str, start: dt.date, end: dt.date) -> DailyUsage:
        """One key's days, split by model and workspace ('' = usage with no key)."""
        tallies = {day: DayTally() for day in dates(start, end)}
        filters = {"api_key_ids[]": [key]} if key else {}
        await self._fill(tallies, filters, lambda row: (row.api_key_id or "") == key)
        await self._refresh_names()
        return self._daily(start, end, tallies)

    async def item_keys(self, kind: str, item: str, start: dt.date, end: dt.date) -> Breakdown:
        """The keys that used one model or workspace over a range (tokens and estimate)."""
        field = {"model": "model", "workspace": "workspace_id"}.get(kind)
        if field is None:
            raise ValueError(f"Anthropic usage has no dimension {kind!r}")
        filters = {f"{field}s[]": [item]} if item else {}
        tally = DayTally()
        await self._fill(shared(start, end, tally), filters,
                         lambda row: (getattr(row, field) or "") == item)
        await self._refresh_names()
        return self._breakdown(start, end, tally)

    async def _fill(
        self,
        tallies: dict[dt.date, DayTally],
        filters: dict[str, list[str]],
        accept: anthropic_rows.Accept,
        costs: bool = False,
    ) -> None:
        """Fetch the usage (and, for all keys, the cost) report for the tallies' days."""
        jobs: list[Coroutine[Any, Any, tuple[str, list[Any]]]] = []
        for first, last in windows(sorted(tallies)):
            span = (last - first).days + 1
            jobs.append(self._part(USAGE, {**_report_params(first, last, USAGE_GROUPS),
                                           **filters}, span))
            if costs:
                jobs.append(self._part(COSTS, _report_params(first, last, COST_GROUPS), span))
        unpriced: set[str] = set()
        for path, buckets in await run_all(jobs):
            if path == COSTS:
                parse(lambda: anthropic_rows.add_costs(tallies, buckets), path)
            else:
                parse(lambda: anthropic_rows.add_usage(tallies, buckets, self.prices, unpriced,
                                                       accept), path)
        for tally in tallies.values():
            tally.settle_cost()
        self._unpriced = unpriced

    async def _part(self, path: str, params: dict[str, Any], days: int) -> tuple[str, list[Any]]:
        return path, await self._pages(path, params, days)

    async def _pages(self, path: str, params: dict[str, Any], days: int) -> list[Any]:
        """Every bucket of a report, its page loop bounded by the days it covers."""
        return await collect(self._fetcher(path), params, where=path,
                             max_pages=page_bound(days, DEFAULT_PAGE))

    def _fetcher(self, path: str) -> Callable[[dict[str, Any]], Awaitable[Any]]:
        async def fetch(params: dict[str, Any]) -> Any:
            try:
                return await self._get(path, params)
            except AuthError:
                raise AdminKeyRejected(self._admin_key) from None
            except ForbiddenError:
                raise AdminKeyForbidden() from None

        return fetch

    # Names --------------------------------------------------------------------

    async def _refresh_names(self) -> None:
        """List keys and workspaces when the names are older than ``NAMES_TTL``.

        A failed refresh keeps the old names (they are only labels) when there are
        some; the first listing's failure is raised like any other.
        """
        if self._names_at is not None and self._clock() - self._names_at < NAMES_TTL:
            return
        try:
            keys, workspaces = await run_all([self._list(KEYS), self._list(WORKSPACES)])
        except ProviderError:
            if self._names_at is None:
                raise
            return
        self.keys = {row.id: KeyInfo(row.name or "", row.partial_key_hint or "") for row in keys}
        self.workspaces = {row.id: row.name or row.id for row in workspaces}
        self._names_at = self._clock()

    async def _list(self, path: str) -> list[Listed]:
        items = await collect(self._fetcher(path), {"limit": LIST_PAGE}, where=path,
                              max_pages=MAX_LIST_PAGES, cursor=AFTER_ID)
        return parse(lambda: _LISTED.validate_python(items), path)

    # Rows ---------------------------------------------------------------------

    def _breakdown(self, start: dt.date, end: dt.date, tally: DayTally) -> Breakdown:
        return Breakdown(
            start=start,
            end=end,
            totals=tally.totals.figures(),
            by_key=tuple(Usage(key, self._key_name(key), row.figures())
                         for key, row in sorted(tally.keys.items())),
            by_dimension={
                kind: tuple(Usage(item, self._item_name(kind, item), row.figures())
                            for item, row in sorted(rows.items()))
                for kind, rows in tally.items.items()
            },
        )

    def _key_name(self, key: str) -> str:
        """The listing's name, else its hint, else the id (a key the listing lacks)."""
        if not key:
            return NO_KEY
        info = self.keys.get(key)
        return (info.name or info.hint or key) if info else key

    def _item_name(self, kind: str, item: str) -> str:
        if not item:
            return MODEL.unmapped if kind == "model" else WORKSPACE.unmapped
        return self.workspaces.get(item, item) if kind == "workspace" else item

    def _daily(self, start: dt.date, end: dt.date, tallies: dict[dt.date, DayTally]) -> DailyUsage:
        return daily_usage(start, end, tallies, anthropic_rows.DIMENSIONS, self._item_name)


def _checked_budgets(budgets: Mapping[str, Decimal | float]) -> dict[str, float]:
    checked = {}
    for scope, limit in budgets.items():
        value = float(limit)
        if not 0 < value < float("inf"):
            raise ValueError(f"budget {scope or 'organisation'!r} must be a positive amount")
        checked[scope.strip()] = value
    return checked


def _stamp(day: dt.date) -> str:
    """A UTC midnight as RFC 3339, the reports' ``starting_at``/``ending_at``."""
    return f"{day.isoformat()}T00:00:00Z"


def _report_params(first: dt.date, last: dt.date, groups: Sequence[str]) -> dict[str, Any]:
    return {"starting_at": _stamp(first), "ending_at": _stamp(last + dt.timedelta(days=1)),
            "bucket_width": "1d", "limit": DAYS_PER_PAGE, "group_by[]": list(groups)}
