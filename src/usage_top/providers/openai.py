"""OpenAI's organisation Usage and Costs Admin API mapped to the normalised model.

Endpoints (all ``GET``, header ``Authorization: Bearer <admin key>``, paths appended
to the base URL ``https://api.openai.com/v1``): ``/organization/usage/<family>``
for requests and tokens, ``/organization/costs`` for money, and the project and
key lists for names. Buckets are UTC days; a bucket belongs to the UTC date it
starts on, whatever the workspace's timezone.

One poll of N days (N <= 31) costs one request per usage family and one for
costs, each a single page (``limit=31``): 7 requests, plus 1 for the budget
scopes' month to date, plus the name listings (1 + one per project) at most
hourly. Vector stores (bytes) and code interpreter (sessions) are not fetched:
they report none of the declared measures, and their cost is in ``/costs``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from usage_top.domain.model import (
    Breakdown,
    DailyUsage,
    Period,
    ScopeUsage,
    Usage,
)
from usage_top.domain.parts import Part, scopes_and_days
from usage_top.providers import openai_lists, openai_rows
from usage_top.providers.errors import AuthError, ProviderError
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
from usage_top.providers.openai_capabilities import CAPABILITIES, NAME, USD
from usage_top.providers.openai_lists import ApiKeyInfo, RateLimit
from usage_top.providers.openai_rows import DayTally, parse
from usage_top.providers.pages import AFTER_LAST_ID, collect, page_bound

log = logging.getLogger("usage_top.openai")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
KEY_ENV = "OPENAI_ADMIN_KEY"
BASE_URL_ENV = "OPENAI_BASE_URL"

USAGE_FAMILIES = (
    "completions",
    "embeddings",
    "moderations",
    "images",
    "audio_speeches",
    "audio_transcriptions",
)
COSTS = "/organization/costs"
PROJECTS = "/organization/projects"
USAGE_GROUPS = ("project_id", "api_key_id", "model")
COST_GROUPS = ("project_id", "api_key_id", "line_item")
LIST_PAGE = 100
MAX_LIST_PAGES = 50
"""5,000 projects or keys of one project: beyond that the list is taken as endless."""
NAMES_TTL = 3600.0
"""Seconds the project and key names are kept: they change rarely, and listing
them costs a request per project."""
MAX_IN_FLIGHT = 4
"""Requests sent at once: a poll's parts go together, but politely (OpenAI publishes
no limit for these endpoints)."""
UNKEYED = "(no key)"
"""Name of cost rows the vendor gives no API key (fine-tuning, storage…)."""

class AdminKeyRejected(AuthError):
    """HTTP 401 from OpenAI: the key is wrong or revoked, or not an admin key."""

    key_variable = KEY_ENV

    def __init__(self) -> None:
        ProviderError.__init__(
            self,
            f"the OpenAI key was rejected (HTTP 401): usage-top needs an organisation admin "
            f"key; check {KEY_ENV} or the config file",
            status=401,
        )


def auth_headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def connect(
    base_url: str,
    api_key: str,
    *,
    tz: ZoneInfo,
    timeout: float,
    budgets: Mapping[str, Decimal | float] | None = None,
    max_wait: float | None = None,
) -> OpenAIProvider:
    """A provider with its own HTTP client (the registry's entry point). ``tz`` is not
    used: OpenAI's days are UTC whatever the workspace's timezone."""
    client = ApiClient(base_url.rstrip("/"), auth_headers(api_key), timeout=timeout,
                       max_retry_after=max_wait)
    return OpenAIProvider(client, budgets)


class OpenAIProvider:
    """Reads one OpenAI organisation's usage and costs through an :class:`ApiClient`.

    budgets: monthly USD budgets, "" for the whole organisation, else a project id
        or name; each becomes a scope card (the API has no spending limit of its own).
    clock: seconds for the names cache (monotonic; injectable for tests).
    """

    name = NAME
    capabilities = CAPABILITIES

    def __init__(
        self,
        client: ApiClient,
        budgets: Mapping[str, Decimal | float] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._get = client.get_json
        self._budgets = _checked_budgets(budgets or {})
        self._clock = clock
        self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._names_at: float | None = None
        self.projects: dict[str, str] = {}
        """Project id -> name, from the last listing."""
        self.keys: dict[str, ApiKeyInfo] = {}
        """Key id -> its listing record (name, redacted value, project, last used)."""

    @property
    def requests_made(self) -> int:
        return self._client.stats.requests_sent

    async def aclose(self) -> None:
        await self._client.aclose()

    # Scopes -------------------------------------------------------------------

    async def scopes(self, now: dt.datetime) -> list[ScopeUsage]:
        """Month-to-date cost against the user's budgets: the organisation's always
        (without a limit when none is set), then each budgeted project's."""
        today = now.astimezone(dt.UTC).date()
        month = today.replace(day=1)
        spent = DayTally()
        buckets = await self._pages(COSTS, _costs_params(month, today, ("project_id",)),
                                    (today - month).days + 1)
        parse(lambda: openai_rows.add_costs(shared(month, today, spent), buckets), COSTS)
        resets = next_month(month)
        scopes = [self._org_scope(spent, resets)]
        if set(self._budgets) - {""}:
            await self._refresh_names()
        for wanted, limit in self._budgets.items():
            if wanted:
                scopes.append(self._project_scope(wanted, limit, spent, resets))
        return scopes

    def _org_scope(self, spent: DayTally, resets: dt.datetime) -> ScopeUsage:
        limit = self._budgets.get("")
        return ScopeUsage(
            scope="budget",
            period=Period.MONTHLY,
            used=openai_rows.to_float(spent.totals.cost),
            unit=USD,
            label="Budget" if limit else "Spend",
            limit=limit,
            resets_at=resets,
            measure="cost",
        )

    def _project_scope(
        self, wanted: str, limit: float, spent: DayTally, resets: dt.datetime
    ) -> ScopeUsage:
        """A project's budget; named by id or name (an unknown one shows $0, labelled)."""
        project_id = self._project_id(wanted)
        tally = spent.items["project"].get(project_id) if project_id else None
        label = self.projects.get(project_id, f"{wanted} (no such project)")
        return ScopeUsage(
            scope=f"budget.{project_id or wanted}",
            period=Period.MONTHLY,
            used=openai_rows.to_float(tally.cost) if tally else 0.0,
            unit=USD,
            label=f"Budget {label}",
            limit=limit,
            resets_at=resets,
        )

    def _project_id(self, wanted: str) -> str | None:
        if wanted in self.projects:
            return wanted
        folded = wanted.casefold()
        return next((pid for pid, name in self.projects.items() if name.casefold() == folded),
                    None)

    # Breakdowns ---------------------------------------------------------------

    def poll_parts(self, now: dt.datetime, days: Sequence[dt.date], *, scopes: bool = True) -> list[Part]:
        """Two parts: the budgets (month-to-date costs), and the usage and cost reports
        of every day, which write the same rows (a day's tokens and its cost) together."""
        return scopes_and_days(now, days, scopes=scopes, read_scopes=self.scopes,
                               read_days=self.day_breakdowns, scopes_name=f"budgets ({COSTS})",
                               days_name="usage and cost reports")

    async def day_breakdowns(self, days: Sequence[dt.date]) -> list[Breakdown]:
        """One breakdown per UTC day asked for, in that order, all keys: totals, by key,
        by model, project and line item (cost per model read from the line items)."""
        tallies = {day: DayTally() for day in days}
        await self._fill(tallies, {}, _everything)
        await self._refresh_names()
        return [self._breakdown(day, day, tallies[day]) for day in days]

    async def key_daily(self, key: str, start: dt.date, end: dt.date) -> DailyUsage:
        """One key's days, split by model, project and line item ('' = cost with no key)."""
        tallies = {day: DayTally() for day in dates(start, end)}
        filters = {"api_key_ids[]": [key]} if key else {}
        await self._fill(tallies, filters, lambda groups: groups["key"] == key)
        await self._refresh_names()
        return self._daily(start, end, tallies)

    async def item_keys(self, kind: str, item: str, start: dt.date, end: dt.date) -> Breakdown:
        """The keys that used one model, project or line item over a range."""
        if kind not in openai_rows.DIMENSIONS:
            raise ValueError(f"OpenAI usage has no dimension {kind!r}")
        range_tally = DayTally()
        filters = _item_filters(kind, item)
        await self._fill(shared(start, end, range_tally), filters,
                         lambda groups: groups.get(kind) == item,
                         usage=kind != "line_item")
        await self._refresh_names()
        return self._breakdown(start, end, range_tally)

    async def _fill(
        self,
        tallies: dict[dt.date, DayTally],
        filters: dict[str, list[str]],
        accept: openai_rows.Accept,
        usage: bool = True,
    ) -> None:
        """Fetch usage and costs for the tallies' days, at once, and add them in."""
        jobs: list[Coroutine[Any, Any, tuple[str, list[Any]]]] = []
        for first, last in windows(sorted(tallies)):
            span = (last - first).days + 1
            if usage:
                for family in USAGE_FAMILIES:
                    path = f"/organization/usage/{family}"
                    params = {**_usage_params(first, last), **filters}
                    jobs.append(self._part(path, params, span))
            costs_filters = {k: v for k, v in filters.items() if k != "models[]"}
            jobs.append(self._part(COSTS, {**_costs_params(first, last, COST_GROUPS),
                                           **costs_filters}, span))
        for path, buckets in await run_all(jobs):
            add = openai_rows.add_costs if path == COSTS else openai_rows.add_usage
            parse(lambda: add(tallies, buckets, accept), path)

    async def _part(self, path: str, params: dict[str, Any], days: int) -> tuple[str, list[Any]]:
        return path, await self._pages(path, params, days)

    async def _pages(self, path: str, params: dict[str, Any], days: int) -> list[Any]:
        """Every bucket of a report, its page loop bounded by the days it covers."""
        return await collect(self._fetcher(path), params, where=path,
                             max_pages=page_bound(days, DAYS_PER_PAGE))

    def _fetcher(self, path: str) -> Callable[[dict[str, Any]], Awaitable[Any]]:
        async def fetch(params: dict[str, Any]) -> Any:
            try:
                async with self._in_flight:
                    return await self._get(path, params)
            except AuthError:
                raise AdminKeyRejected() from None

        return fetch

    # Names and limits ---------------------------------------------------------

    async def _refresh_names(self) -> None:
        """List projects and their keys when the names are older than ``NAMES_TTL``.

        Names are only labels: a failed listing (an admin key without the
        management scope, a 5xx) keeps the names there are, even none, so usage is
        shown by ids rather than not at all; it is tried again at the next call.
        """
        if self._names_at is not None and self._clock() - self._names_at < NAMES_TTL:
            return
        try:
            projects = await self._list(PROJECTS, {"include_archived": "true"})
            named = parse(lambda: openai_lists.projects(projects), PROJECTS)
            listed = await run_all([self._project_keys(pid) for pid in named])
        except ProviderError as failure:
            log.warning("could not list OpenAI projects and keys: %s", failure)
            return
        self.projects = named
        self.keys = {key_id: info for keys in listed for key_id, info in keys.items()}
        self._names_at = self._clock()

    async def _project_keys(self, project_id: str) -> dict[str, ApiKeyInfo]:
        path = f"{PROJECTS}/{project_id}/api_keys"
        items = await self._list(path, {})
        return parse(lambda: openai_lists.api_keys(items, project_id), path)

    async def rate_limits(self, project_id: str) -> tuple[RateLimit, ...]:
        """A project's per-model rate limits, for the project or model drilldown.

        Not scope cards: the API gives each model's ceiling but no usage against it.
        """
        path = f"{PROJECTS}/{project_id}/rate_limits"
        items = await self._list(path, {})
        return parse(lambda: openai_lists.rate_limits(items), path)

    async def _list(self, path: str, params: dict[str, Any]) -> list[Any]:
        return await collect(self._fetcher(path), {"limit": LIST_PAGE, **params}, where=path,
                             max_pages=MAX_LIST_PAGES, cursor=AFTER_LAST_ID)

    # Rows ---------------------------------------------------------------------

    def _breakdown(self, start: dt.date, end: dt.date, tally: DayTally) -> Breakdown:
        return Breakdown(
            start=start,
            end=end,
            totals=tally.totals.figures(),
            by_key=tuple(
                self._key_row(key, row, start, end) for key, row in sorted(tally.keys.items())
            ),
            by_dimension={
                kind: tuple(Usage(item, self._item_name(kind, item), row.figures())
                            for item, row in sorted(rows.items()))
                for kind, rows in tally.items.items()
            },
        )

    def _key_row(self, key: str, row: openai_rows.Tally, start: dt.date, end: dt.date) -> Usage:
        info = self.keys.get(key)
        last_used = info.last_used_at if info else None
        if last_used is not None and not start <= last_used.date() <= end:
            last_used = None
        return Usage(key, info.label if info else key or UNKEYED, row.figures(), last_used)

    def _item_name(self, kind: str, item: str) -> str:
        if not item:
            return next(d.unmapped for d in CAPABILITIES.dimensions if d.kind == kind)
        return self.projects.get(item, item) if kind == "project" else item

    def _daily(self, start: dt.date, end: dt.date, tallies: dict[dt.date, DayTally]) -> DailyUsage:
        return daily_usage(start, end, tallies, openai_rows.DIMENSIONS, self._item_name)


def _everything(groups: dict[str, str]) -> bool:
    return True


def _item_filters(kind: str, item: str) -> dict[str, list[str]]:
    """The API's own filter for an item (none for unattributed rows, or line items,
    which only the costs rows carry and are picked out as they are read)."""
    if not item or kind == "line_item":
        return {}
    return {"models[]": [item]} if kind == "model" else {"project_ids[]": [item]}


def _checked_budgets(budgets: Mapping[str, Decimal | float]) -> dict[str, float]:
    checked = {}
    for scope, limit in budgets.items():
        value = float(limit)
        if not value > 0 or value == float("inf"):
            raise ValueError(f"budget {scope or 'organisation'!r} must be a positive amount")
        checked[scope.strip()] = value
    return checked


def _unix(day: dt.date) -> int:
    return int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp())


def _range_params(first: dt.date, last: dt.date) -> dict[str, Any]:
    end = _unix(last + dt.timedelta(days=1))
    return {"start_time": _unix(first), "end_time": end, "bucket_width": "1d",
            "limit": DAYS_PER_PAGE}


def _usage_params(first: dt.date, last: dt.date) -> dict[str, Any]:
    return {**_range_params(first, last), "group_by[]": list(USAGE_GROUPS)}


def _costs_params(first: dt.date, last: dt.date, groups: Sequence[str]) -> dict[str, Any]:
    return {**_range_params(first, last), "group_by[]": list(groups)}
