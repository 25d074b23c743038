"""``usage-top report``: one poll, then scopes, top items and top keys as text or JSON.

The columns are the provider's: one per measure it reports (labelled and written
by its unit, "—" where a figure is not reported), its ratio when it declares one,
and the shares of the activity and primary measures. A provider without a
dimension or per-key figures gets a line saying so instead of that table.
"""

from __future__ import annotations

import datetime as dt
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from usage_top.domain.capabilities import Capabilities
from usage_top.domain.format import key_text, utc_text
from usage_top.domain.measures import MISSING, Measure
from usage_top.domain.model import Usage
from usage_top.domain.parts import DAYS, SCOPES, PartFailure
from usage_top.domain.periods import Range, local_today
from usage_top.pipeline.runtime import Runtime
from usage_top.store.polls import Footprint
from usage_top.views import serialise
from usage_top.views.context import Context
from usage_top.views.footprint import footprint_json
from usage_top.views.ranges import RangeView, other_hint, range_view, ratio_of, share_of
from usage_top.views.reconciliation import (
    ReconciliationView,
    reconciliation_json,
    reconciliation_text,
    reconciliation_view,
)
from usage_top.views.redact import runtime_reader
from usage_top.views.scopes import ScopeView, scope_views
from usage_top.views.zone_check import zone_mismatch

TOP_ROWS = 10


@dataclass(frozen=True)
class Report:
    """Everything a report shows, read from one store snapshot."""

    provider: str
    account: str
    simulated: bool
    capabilities: Capabilities
    generated_at: dt.datetime
    data_as_of: dt.datetime | None
    error: str | None
    range_: Range
    zone: ZoneInfo
    """The calendar of the range's days (the provider's time basis)."""
    key: str | None
    scopes: list[ScopeView]
    view: RangeView
    reconciliation: ReconciliationView | None = None
    """The vendor's cost against the estimate (providers that reconcile; not per key)."""
    failed: tuple[PartFailure, ...] = ()
    """Parts of the poll that failed while the rest landed: their figures are the stored ones."""
    footprint: Footprint | None = None
    """usage-top's own requests to the vendor (the poll log)."""
    zone_note: str = ""
    """What in the data contradicts the configured timezone ('' when nothing does)."""


def range_dates(runtime: Runtime, range_: Range) -> tuple[dt.date, dt.date]:
    """The first and last day of ``range_`` ending today, in the provider's calendar."""
    zone = runtime.capabilities.day_zone(runtime.settings.tz)
    return range_.dates(local_today(runtime.now(), zone))


def build_report(runtime: Runtime, range_: Range, key: str | None, error: str | None,
                 failed: tuple[PartFailure, ...] = ()) -> Report:
    """The report of ``range_`` (and ``key``) as of now; ``error`` is the failed poll's,
    ``failed`` the parts that did not land (the poll's ``failed``)."""
    settings, capabilities = runtime.settings, runtime.capabilities
    store = runtime_reader(runtime)  # names as pseudonyms if asked
    redactor = store.redactor
    start, end = range_dates(runtime, range_)
    with store.snapshot():  # every figure from the same poll
        view = range_view(store, capabilities, start, end, key)
        scopes = scope_views(store, settings.thresholds_for)
        last = store.last_success()
        ctx = Context(store, capabilities, settings.tz, runtime.now(), range_)
        reconciled = reconciliation_view(ctx, start, end) if key is None else None
        footprint = store.footprint(runtime.now())
        zone_note = zone_mismatch(store, capabilities, settings.tz, runtime.now())
    return Report(
        provider=runtime.collector.provider.name, account=redactor.alias("account", runtime.account),
        simulated=settings.simulated, capabilities=capabilities, generated_at=runtime.now(),
        data_as_of=last.finished_at if last else None,
        error=redactor.text(error), range_=range_, zone=capabilities.day_zone(settings.tz),
        key=redactor.text(key),
        scopes=scopes, view=view, reconciliation=reconciled, footprint=footprint, zone_note=zone_note,
        failed=tuple(dataclasses.replace(part, error=redactor.text(part.error)) for part in failed),
    )


def report_json(report: Report) -> dict[str, Any]:
    """The report as plain data (``views.serialise``'s fields)."""
    view, capabilities = report.view, report.capabilities
    document: dict[str, Any] = {
        "provider": report.provider,
        "account": report.account,
        "simulated": report.simulated,
        "generated_at": utc_text(report.generated_at),
        "data_as_of": utc_text(report.data_as_of),
        "stale": report.error is not None,
        "error": report.error,
        "failed_parts": [{"part": failure.name, "figures": failure.fills, "error": failure.error,
                          "day": failure.day.isoformat() if failure.day else None}
                         for failure in report.failed],
        "range": {"name": report.range_.value, "start": view.start.isoformat(),
                  "end": view.end.isoformat(), "timezone": str(report.zone)},
        "timezone_note": report.zone_note or None,
        "key": report.key,
        "scopes": [serialise.scope_json(scope) for scope in report.scopes],
        "totals": serialise.figures_json(view.totals, capabilities),
    }
    if view.kind is not None:
        document[f"by_{view.kind}"] = [serialise.item_json(row, view.totals, capabilities)
                                       for row in view.by_item]
    document["by_key"] = [serialise.key_json(row, view.totals, capabilities) for row in view.by_key]
    others = [("other_keys", view.other_keys, "keys")]
    if view.kind is not None:  # a provider without a dimension has no "other items" row
        plural = capabilities.dimension.plural.lower()
        others.insert(0, (f"other_{view.kind}", view.other_items, plural))
    for name, rest, what in others:
        document[name] = None if not rest else {
            **serialise.figures_json(rest, capabilities),
            **serialise.shares_json(rest, view.totals, capabilities),
            "note": other_hint(capabilities, what)}
    if report.reconciliation is not None:
        document["reconciliation"] = reconciliation_json(report.reconciliation)
    if report.footprint is not None:
        document["footprint"] = footprint_json(report.footprint)
    document["dimension"] = view.kind
    document["units"] = serialise.units_json(capabilities)
    document["estimates"] = serialise.estimates_json(capabilities)
    return document


def render_json(report: Report) -> str:
    return json.dumps(report_json(report), indent=2, ensure_ascii=False)


def render_text(report: Report, console: Console, tz: ZoneInfo) -> None:
    """Readable tables, moments in the workspace timezone ``tz``; the top rows only (the
    JSON has them all)."""
    view, capabilities = report.view, report.capabilities
    title = f"{report.account} · {view.start} → {view.end} ({report.zone})"
    if report.key:
        title += f" · key {report.key}"
    console.print(f"[bold]{title}[/]")
    for line in [*filter(None, [report.zone_note]), *missing_lines(report.failed)]:
        console.print(line, style="yellow", highlight=False, markup=False)
    console.print(_scopes_table(report.scopes, tz))
    totals = (measure.with_label(view.totals) for measure in capabilities.shown_measures)
    console.print("Total: " + ", ".join(totals))
    if view.empty:
        console.print("No usage in this range.")
        return
    dimension = capabilities.dimension
    if dimension is None:
        console.print("This provider reports no breakdown by item.")
    else:
        console.print(_rows_table(f"Top {dimension.plural.lower()}", view.by_item,
                                  _item_columns(report), console.width))
        if view.other_items:
            console.print(_other_line(dimension.plural.lower(), view.other_items, view.totals,
                                      capabilities), highlight=False, markup=False)
    if not capabilities.key_breakdown:
        console.print("This provider reports no figures per key.")
    else:
        console.print(_rows_table("Top keys", view.by_key, _key_columns(report, tz),
                                  console.width, KEY_MIN))
        if view.other_keys:
            console.print(_other_line("keys", view.other_keys, view.totals, capabilities),
                          highlight=False, markup=False)
    if report.reconciliation is not None:
        for line in reconciliation_text(report.reconciliation):
            console.print(line, highlight=False, markup=False)


def _other_line(what: str, rest: dict[str, float], totals: dict[str, float],
                capabilities: Capabilities) -> str:
    """'Other keys (not listed): 3,112 credits (0.6%) of the totals; the vendor lists its
    top 100 keys only'."""
    primary = capabilities.measure(capabilities.per_key().primary)
    part = share_of(rest, totals, primary.id)
    percent = f" ({part:.1f}%)" if part is not None else ""
    return (f"Other {what} (not listed): {primary.with_label(rest)}{percent} of the totals; "
            f"{other_hint(capabilities, what)}")


def missing_lines(failed: tuple[PartFailure, ...]) -> list[str]:
    """'Missing: scopes (/profile/usage): <why>. Stored figures shown, marked stale.'"""
    if not failed:
        return []
    names = dict.fromkeys(failure.name for failure in failed)
    what = {SCOPES: "the scopes below are the last stored", DAYS: "some days are the last stored"}
    stale = "; ".join(dict.fromkeys(what[failure.fills] for failure in failed if failure.fills in what))
    lines = []
    for name in names:
        failures = [failure for failure in failed if failure.name == name]
        days = f" ({len(failures)} days)" if len(failures) > 1 else (
            f" ({failures[0].day})" if failures[0].day else "")
        lines.append(f"Missing: {name}{days}: {failures[0].error}")
    return lines + ([f"Stale: {stale}."] if stale else [])


_LEVEL_STYLE = {"normal": "green", "amber": "yellow", "red": "bold red"}

Column = tuple[str, Callable[[Usage], str]]
"""A header and how one row's cell is written."""


def _local(stamp: dt.datetime | None, tz: ZoneInfo) -> str | None:
    """'2026-11-18 14:36' in the workspace timezone."""
    return None if stamp is None else stamp.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _scopes_table(scopes: list[ScopeView], tz: ZoneInfo) -> Table:
    table = Table(title="Scopes", title_justify="left")
    for column in ("Scope", "Used", "Limit", "%", "Rate/min", "Resets"):
        table.add_column(column, justify="left" if column in ("Scope", "Resets") else "right")
    for scope in scopes:
        usage = scope.usage
        percent = MISSING if usage.percent is None else f"{usage.percent:.1f}%"
        rate = usage.rate_limit_per_minute
        table.add_row(
            usage.title,
            usage.unit.text(usage.used),
            usage.unit.text(usage.limit),
            f"[{_LEVEL_STYLE[scope.level.value]}]{percent}[/]",
            MISSING if rate is None else f"{rate:,.0f}",
            _local(usage.resets_at, tz) or MISSING,
        )
    return table


def _measure_columns(measures: Sequence[Measure], labels: dict[str, str]) -> list[Column]:
    return [(labels.get(m.id, m.label), lambda row, m=m: m.text(row.figures)) for m in measures]


def _share_columns(report: Report, capabilities: Capabilities) -> list[Column]:
    """The shares of the activity and the primary measure, of the range's totals."""
    view = report.view
    shown = dict.fromkeys((capabilities.activity, capabilities.primary))
    columns: list[Column] = []
    for measure in (capabilities.measure(measure_id) for measure_id in shown):
        def cell(row: Usage, measure: Measure = measure) -> str:
            part = view.share(row, measure.id)
            return MISSING if part is None else f"{part:.1f}%"

        columns.append((f"% {measure.label.lower()}", cell))
    return columns


def _item_columns(report: Report) -> list[Column]:
    capabilities = report.capabilities
    columns: list[Column] = [(capabilities.dimension.label, lambda row: row.name)]
    columns += _measure_columns(capabilities.shown_measures, capabilities.labels)
    ratio = capabilities.ratio
    if ratio is not None:
        def cell(row: Usage) -> str:
            value = ratio_of(ratio, row.figures)
            text = MISSING if value is None else f"{value:,.{ratio.digits}f}"
            return capabilities.measure(ratio.numerator).labelled(text, value)

        columns.append((ratio.label, cell))
    return columns + _share_columns(report, capabilities)


def _key_columns(report: Report, tz: ZoneInfo) -> list[Column]:
    """Key, the measures keys have, last used ('—' where the vendor does not say), shares."""
    capabilities = report.capabilities.per_key()
    columns: list[Column] = [("Key", lambda row: key_text(row, KEY_MIN))]  # as the dashboard names it
    columns += _measure_columns(capabilities.shown_measures, {})
    if capabilities.key_last_used:
        columns.append(("Last used", lambda row: _local(row.last_used, tz) or "never"))
    else:
        columns.append(("Last used", lambda row: MISSING))
    return columns + _share_columns(report, capabilities)


NAME_MIN = 16
"""Columns an item's name may shrink to, with an ellipsis, before figures go."""
KEY_MIN = 32
"""Columns of a key kept whole before figures go: cut keys cannot be told apart."""


def _rows_table(
    title: str, rows: list[Usage], columns: list[Column], width: int, name_min: int = NAME_MIN
) -> Table:
    """The top rows, never a figure cut: each figure column keeps its widest cell (its
    header wraps at spaces); the name column shrinks first (to ``name_min``), then
    columns from the right are left out, and the caption says which."""
    cells = [[cell(row) for _, cell in columns] for row in rows[:TOP_ROWS]]
    needs = [max([len(word) for word in header.split(" ")] + [len(line[i]) for line in cells])
             for i, (header, _) in enumerate(columns)]
    needs[0] = max([len(columns[0][0])] + [len(line[0]) for line in cells])
    shown = len(columns)

    def room(count: int) -> int:  # what the first column has beside the others' figures
        return width - sum(needs[1:count]) - 3 * count - 1

    while shown > 2 and room(shown) < min(needs[0], name_min):
        shown -= 1
    widths = [max(1, min(needs[0], room(shown)))] + needs[1:shown]
    table = Table(title=title, title_justify="left")
    for index, (header, _) in enumerate(columns[:shown]):
        table.add_column(header, justify="left" if index == 0 else "right",
                         width=widths[index], no_wrap=index == 0)
    for line in cells:
        table.add_row(*line[:shown])
    notes = []
    if len(rows) > TOP_ROWS:
        notes.append(f"{len(rows) - TOP_ROWS} more")
    if shown < len(columns):
        notes.append(", ".join(header for header, _ in columns[shown:]) + f" left out at {width} "
                     "columns")
    if notes:
        table.caption = "; ".join(notes) + " (use --json for all)"
    return table
