"""The incident line (``y``): one scope, key or row as one line of plain text.

"14:37Z pubrio/prod api.hourly 92.9% (66/72) red, limit in 12m": the time (UTC,
said by its 'Z'), the provider and account, then the figures, ready to paste into
an incident channel. Names arrive redacted when redaction is on (the rows come
from the redacting store, the account through the redactor).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from usage_top.domain.capabilities import Capabilities
from usage_top.domain.format import short_key
from usage_top.domain.measures import Figures, share
from usage_top.domain.model import Usage
from usage_top.views.ranges import OTHER_ROW
from usage_top.views.scopes import Level, ScopeView

if TYPE_CHECKING:
    from usage_top.views.overview import AccountRow


def stamp(now: dt.datetime, provider: str, account: str) -> str:
    """'14:37Z pubrio/prod'."""
    return f"{now.astimezone(dt.UTC):%H:%M}Z {provider}/{account}"


def scope_line(head: str, scope: ScopeView, outlook: str = "") -> str:
    """'<head> api.hourly 92.9% (66/72) red, limit in 12m'."""
    usage, unit = scope.usage, scope.usage.unit
    if usage.limit:
        figures = f"{usage.percent:.1f}% ({unit.text(usage.used)}/{unit.text(usage.limit)})"
    else:
        figures = f"{unit.with_name(usage.used)} (no limit)"
    line = f"{head} {usage.name} {figures}"
    if usage.limit:
        line += f" {scope.level.value}" if scope.level is not Level.NORMAL else " ok"
    return f"{line}, {outlook}" if outlook else line


def account_line(now: dt.datetime, row: AccountRow) -> str:
    """An overview row: '<head> api.hourly 92.9% (66/72) red, limit in 12m' for its
    scope nearest the limit (what runs out first added when that is another scope)."""
    head = stamp(now, row.provider, row.name)
    if row.error:
        return f"{head} error: {' '.join(row.error.split())}"
    if row.worst is None:
        return f"{head} no scope with a limit"
    same = row.outlook_scope in ("", row.worst.usage.title)
    line = scope_line(head, row.worst, row.outlook if same else "")
    return line if same else f"{line}; first out: {row.outlook_scope}, {row.outlook}"


def row_line(head: str, what: str, row: Usage, totals: Figures, capabilities: Capabilities,
             metric: str) -> str:
    """'<head> key key-07: 1,204 req, 5,310 cred (9.8% of cred)'; a dimension's row
    says its kind ('endpoint person-search: …'). Absent figures read '—'."""
    name = short_key(row.id) if what == "key" else (row.id or row.name)
    if what == "key":  # only the measures keys have, the share of the key's primary
        capabilities = capabilities.per_key()
        metric = capabilities.own_metric(metric)
    parts = [measure.abbreviated(row.figures) for measure in capabilities.shown_measures]
    line = f"{head} {what} {name}: {', '.join(parts)}"
    if row.id == OTHER_ROW:  # the rest of the totals: 'other keys (not listed): …'
        line = f"{head} {row.name.lower()} (not listed): {', '.join(parts)}"
    part = share(row.figures.get(metric), totals.get(metric))
    if part is not None:
        measure = capabilities.measure(metric)
        line += f" ({part:.1f}% of {measure.abbr or measure.label.lower()})"
    return line
