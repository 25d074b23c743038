"""``usage-top report``: one poll, then scopes, top endpoints and top keys as text or JSON."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from usage_top.commands.export import utc_text
from usage_top.domain.periods import Range, local_today
from usage_top.pipeline.runtime import Runtime
from usage_top.views.ranges import ScopeView, range_view, scope_views

TOP_ROWS = 10


def build_report(runtime: Runtime, range_: Range, key: str | None, error: str | None) -> dict[str, Any]:
    """The report as plain data: the JSON output and the source of the text tables."""
    settings, store = runtime.settings, runtime.store
    now = runtime.now()
    start, end = range_.dates(local_today(now, settings.tz))
    with store.snapshot():  # every figure from the same poll
        view = range_view(store, start, end, key)
        scopes = scope_views(store, settings.thresholds_for)
        last = store.last_success()
    as_of = last.finished_at if last else None
    return {
        "provider": runtime.collector.provider.name,
        "account": runtime.account,
        "simulated": settings.simulated,
        "generated_at": _iso(now),
        "data_as_of": _iso(as_of),
        "stale": error is not None,
        "error": error,
        "range": {"name": range_.value, "start": start.isoformat(), "end": end.isoformat(),
                  "timezone": settings.timezone},
        "key": key,
        "scopes": [_scope_json(scope) for scope in scopes],
        "totals": view.totals.model_dump(),
        "by_endpoint": [endpoint_json(row) for row in view.by_endpoint],
        "by_key": [key_json(row) for row in view.by_key],
    }


def render_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, ensure_ascii=False)


def render_text(report: dict[str, Any], console: Console, tz) -> None:
    """Readable tables in the workspace timezone; the top rows only (the JSON has them all)."""
    range_ = report["range"]
    title = f"{report['account']} · {range_['start']} → {range_['end']} ({range_['timezone']})"
    if report["key"]:
        title += f" · key {report['key']}"
    console.print(f"[bold]{title}[/]")
    console.print(_scopes_table(report["scopes"], tz))
    totals = report["totals"]
    console.print(f"Total: {totals['requests']:,} requests, {totals['credits']:,.0f} credits")
    if not totals["requests"] and not totals["credits"]:
        console.print("No API activity in this range.")
        return
    console.print(_rows_table("Top endpoints", report["by_endpoint"], _ENDPOINT_COLUMNS))
    keys = [{**row, "last_used": _local(row["last_used"], tz)} for row in report["by_key"]]
    console.print(_rows_table("Top keys", keys, _KEY_COLUMNS))


_LEVEL_STYLE = {"normal": "green", "amber": "yellow", "red": "bold red"}

_ENDPOINT_COLUMNS = (
    ("Endpoint", "name", "{}"),
    ("Calls", "requests", "{:,}"),
    ("Credits", "credits", "{:,.0f}"),
    ("Cost/call", "cost_per_call", "{:.2f}"),
    ("% credits", "percent_of_credits", "{:.1f}%"),
)
_KEY_COLUMNS = (
    ("Key", "key", "{}"),
    ("Requests", "requests", "{:,}"),
    ("Credits", "credits", "{:,.0f}"),
    ("Last used", "last_used", "{}"),
    ("% requests", "percent_of_requests", "{:.1f}%"),
    ("% credits", "percent_of_credits", "{:.1f}%"),
)


def _local(stamp: str | None, tz) -> str | None:
    """'2026-11-18 14:36' in the workspace timezone, from the report's UTC ISO text."""
    if stamp is None:
        return None
    return dt.datetime.fromisoformat(stamp).astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _scopes_table(scopes: list[dict[str, Any]], tz) -> Table:
    table = Table(title="Scopes", title_justify="left")
    for column in ("Scope", "Used", "Limit", "%", "Rate/min", "Resets"):
        table.add_column(column, justify="left" if column in ("Scope", "Resets") else "right")
    for scope in scopes:
        percent = "—" if scope["percent"] is None else f"{scope['percent']:.1f}%"
        table.add_row(
            f"{scope['scope']} {scope['period']}",
            f"{scope['used']:,}",
            "—" if scope["limit"] is None else f"{scope['limit']:,}",
            f"[{_LEVEL_STYLE[scope['level']]}]{percent}[/]",
            "—" if scope["rate_limit_per_minute"] is None else f"{scope['rate_limit_per_minute']:,}",
            _local(scope["resets_at"], tz) or "—",
        )
    return table


def _rows_table(title: str, rows: list[dict[str, Any]], columns) -> Table:
    table = Table(title=title, title_justify="left")
    for index, (header, _, _) in enumerate(columns):
        table.add_column(header, justify="left" if index == 0 else "right", no_wrap=True)
    for row in rows[:TOP_ROWS]:
        table.add_row(*(_cell(fmt, row[field]) for _, field, fmt in columns))
    if len(rows) > TOP_ROWS:
        table.caption = f"{len(rows) - TOP_ROWS} more (use --json for all)"
    return table


def _cell(fmt: str, value: Any) -> str:
    return "never" if value is None else fmt.format(value)


def _iso(stamp: dt.datetime | None) -> str | None:
    return utc_text(stamp) if stamp else None


def _scope_json(view: ScopeView) -> dict[str, Any]:
    usage = view.usage
    return {
        "scope": usage.scope,
        "period": usage.period.value,
        "used": usage.used,
        "limit": usage.limit,
        "percent": None if usage.percent is None else round(usage.percent, 2),
        "level": view.level.value,
        "rate_limit_per_minute": usage.rate_limit_per_minute,
        "resets_at": _iso(usage.resets_at),
        "refreshed_at": _iso(usage.refreshed_at),
        "fetched_at": _iso(view.fetched_at),
    }


def endpoint_json(row) -> dict[str, Any]:
    return {
        "slug": row.slug or None,
        "name": row.name,
        "requests": row.requests,
        "credits": row.credits,
        "cost_per_call": round(row.cost_per_call, 4),
        "percent_of_requests": round(row.percent_of_requests, 3),
        "percent_of_credits": round(row.percent_of_credits, 3),
    }


def key_json(row) -> dict[str, Any]:
    return {
        "key": row.key,
        "requests": row.requests,
        "credits": row.credits,
        "last_used": _iso(row.last_used),
        "percent_of_requests": round(row.percent_of_requests, 3),
        "percent_of_credits": round(row.percent_of_credits, 3),
    }
