"""The incident line (``y``): one scope, key or row as one line of plain text.

"14:37Z pubrio/prod api.hourly 92.9% (66/72) red, limit in 12m": the time (UTC,
said by its 'Z'), the provider and account, then the figures, ready to paste into
an incident channel. Names arrive redacted when redaction is on (the rows come
from the redacting store, the account through the redactor).
"""

from __future__ import annotations

import datetime as dt

from usage_top.domain.capabilities import Capabilities
from usage_top.domain.format import short_key
from usage_top.domain.measures import Figures, share
from usage_top.domain.model import Usage
from usage_top.views.scopes import Level, ScopeView


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
    part = share(row.figures.get(metric), totals.get(metric))
    if part is not None:
        measure = capabilities.measure(metric)
        line += f" ({part:.1f}% of {measure.abbr or measure.label.lower()})"
    return line
