"""``usage-top check``: one fresh poll judged like a Nagios/Icinga plugin.

Exit codes follow the plugin convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
UNKNOWN means the tool could not tell (the API unreachable or refusing the key,
a bad flag or configuration, a bug), never that a limit was hit. The output is
one line, ``USAGE <STATUS> - <summary> | <performance data>``, the performance
data being each limited scope's percentage with its thresholds
(``'<scope>.daily'=81.1%;75;90;0;100``); or, with ``--json``, every scope's state,
figures (numbers in the scope's unit: counts whole), projection and ETA. Scopes,
their names and their order are the provider's (``views.scopes``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from usage_top.config import Settings
from usage_top.domain.format import utc_text
from usage_top.domain.model import ScopeUsage
from usage_top.oncall.projection import Projection, first_to_run_out, projections
from usage_top.store import Store
from usage_top.views.scopes import Level, ScopeView, scope_views
from usage_top.views.serialise import figure

OK, WARNING, CRITICAL, UNKNOWN = "OK", "WARNING", "CRITICAL", "UNKNOWN"
EXIT_CODES = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3}
_STATES = {Level.NORMAL: OK, Level.AMBER: WARNING, Level.RED: CRITICAL}


class CheckUsageError(ValueError):
    """Thresholds that cannot be used (warn not below crit)."""


@dataclass(frozen=True)
class ScopeCheck:
    """One scope judged: its view (levelled at ``warn`` and ``crit``) and projection."""

    view: ScopeView
    warn: float
    crit: float
    projection: Projection | None

    @property
    def usage(self) -> ScopeUsage:
        return self.view.usage

    @property
    def name(self) -> str:
        return self.usage.name

    @property
    def state(self) -> str:
        """The plugin state: the scope's level at warn and crit, as the cards colour it."""
        return _STATES[self.view.level]


@dataclass(frozen=True)
class CheckResult:
    status: str
    checked_at: dt.datetime
    scopes: list[ScopeCheck]
    first_to_run_out: str | None = None
    error: str | None = None
    missing: str | None = None
    """Parts of the poll that failed while the scopes landed (named in the summary)."""

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def thresholds(settings: Settings, name: str, warn: float | None, crit: float | None) -> tuple[float, float]:
    """The flags where given, else the scope's configured amber and red."""
    amber, red = settings.thresholds_for(name)
    warn = amber if warn is None else warn
    crit = red if crit is None else crit
    if warn >= crit:
        raise CheckUsageError(f"for {name}, warn ({warn:g}) must be below crit ({crit:g})")
    return warn, crit


def evaluate(
    store: Store, settings: Settings, now: dt.datetime,
    warn: float | None = None, crit: float | None = None,
) -> CheckResult:
    """Judge the latest reading of every scope (the caller has just polled)."""
    projs = projections(store, now)

    def limits(name: str) -> tuple[float, float]:
        return thresholds(settings, name, warn, crit)

    checks = [ScopeCheck(view, *limits(view.usage.name), projs.get(view.usage.name))
              for view in scope_views(store, limits)]
    if not any(check.usage.percent is not None for check in checks):
        return CheckResult(UNKNOWN, now, checks, error="the provider reported no scope with a limit")
    states = {check.state for check in checks}
    status = CRITICAL if CRITICAL in states else WARNING if WARNING in states else OK
    return CheckResult(status, now, checks, first_to_run_out(projs))


def unknown(now: dt.datetime, error: str) -> CheckResult:
    return CheckResult(UNKNOWN, now, [], error=error)


def summary(result: CheckResult) -> str:
    """The one plugin line: status, what matters, then the performance data."""
    if result.error is not None:
        return f"USAGE {UNKNOWN} - {_one_line(result.error)}"
    return f"USAGE {result.status} - {_text(result)} | {' '.join(_perf(result))}"


def _text(result: CheckResult) -> str:
    """What matters in one account's result: the scopes past a threshold, or the highest."""
    if result.error is not None:
        return _one_line(result.error)
    limited = [check for check in result.scopes if check.usage.percent is not None]
    bad = [check for check in limited if check.state != OK]
    bad.sort(key=lambda check: -check.usage.percent)
    if bad:
        text = ", ".join(
            f"{check.name} {check.usage.percent:.1f}% >= "
            f"{check.crit if check.state == CRITICAL else check.warn:g}%"
            for check in bad)
    else:
        top = max(limited, key=lambda check: check.usage.percent)
        text = (f"{len(limited)} scopes under their thresholds "
                f"(highest {top.name} {top.usage.percent:.1f}%)")
    first = result.first_to_run_out
    if first is not None:
        projection = next(check.projection for check in result.scopes if check.name == first)
        text += f"; first to run out: {first} ({projection.text})"
    if result.missing:
        text += f"; missing: {_one_line(result.missing)}"
    return text


def _perf(result: CheckResult, account: str = "") -> list[str]:
    """Each limited scope's percentage and thresholds; labelled 'account/scope' with several."""
    prefix = f"{account}/" if account else ""
    return [f"'{prefix}{check.name}'={check.usage.percent:.1f}%;{check.warn:g};{check.crit:g};0;100"
            for check in result.scopes if check.usage.percent is not None]


_SEVERITY = (CRITICAL, WARNING, UNKNOWN, OK)
"""Worst first, as plugin aggregators rank states: a limit past red anywhere matters more
than an account that cannot be read."""


def worst(statuses: Iterable[str]) -> str:
    return min(statuses, key=_SEVERITY.index, default=UNKNOWN)


def accounts_summary(results: Mapping[str, CheckResult]) -> str:
    """The plugin line over several accounts: the worst state, each account's state and
    what matters, then every account's scopes as 'account/scope' performance data."""
    status = worst(result.status for result in results.values())
    text = "; ".join(f"{name} {result.status}: {_text(result)}" for name, result in results.items())
    perf = " ".join(item for name, result in results.items() for item in _perf(result, name))
    return f"USAGE {status} - {text}" + (f" | {perf}" if perf else "")


def accounts_json(results: Mapping[str, CheckResult]) -> str:
    """``--json`` over several accounts: the worst state, and each account's document."""
    status = worst(result.status for result in results.values())
    document = {
        "status": status,
        "exit_code": EXIT_CODES[status],
        "summary": accounts_summary(results),
        "accounts": {name: json.loads(to_json(result)) for name, result in results.items()},
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "/")


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _projection(projection: Projection | None) -> dict[str, Any]:
    if projection is None:
        return {"rate_per_hour": None, "projected_at_reset": None, "projected_percent": None,
                "limit_at": None}
    return {
        "rate_per_hour": _round(projection.rate_per_hour),
        "projected_at_reset": _round(projection.projected_at_reset),
        "projected_percent": _round(projection.projected_percent),
        "limit_at": utc_text(projection.limit_at),
    }


def to_json(result: CheckResult) -> str:
    """Every scope's state, used, limit, percent, thresholds, projection and ETA."""
    scopes = []
    for check in result.scopes:
        usage, projection = check.usage, check.projection
        eta = projection.eta if projection is not None else None
        scopes.append({
            "name": check.name,
            "scope": usage.scope,
            "period": usage.period.value,
            "state": check.state,
            "used": figure(usage.used, usage.unit),
            "limit": figure(usage.limit, usage.unit),
            "percent": _round(usage.percent),
            "warn": check.warn,
            "crit": check.crit,
            "fetched_at": utc_text(check.view.fetched_at),
            "resets_at": utc_text(usage.resets_at),
            "projection": _projection(projection),
            "eta": projection.text if projection is not None else "",
            "eta_seconds": None if eta is None else round(eta.total_seconds()),
        })
    document = {
        "status": result.status,
        "exit_code": result.exit_code,
        "checked_at": utc_text(result.checked_at),
        "summary": summary(result),
        "error": result.error,
        "first_to_run_out": result.first_to_run_out,
        "missing": result.missing,
        "scopes": scopes,
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
