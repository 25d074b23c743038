"""The events pane's model: every recorded event, what is raised, what is snoozed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from usage_top.domain.format import age_text, short_key
from usage_top.views.context import Context

if TYPE_CHECKING:
    from usage_top.store.events import AlertEvent


@dataclass(frozen=True)
class EventsView:
    events: list[AlertEvent]
    active: str
    """'api.daily amber, api.hourly red', or 'none'."""
    snoozed: str
    """'api.daily for 42m', '' when nothing is snoozed."""


def events_view(ctx: Context) -> EventsView:
    store, now = ctx.store, ctx.now
    events = store.events()
    active = store.active_alerts()
    snoozes = store.snoozes()
    snoozed = [f"{scope} for {age_text((until - now).total_seconds())}"
               for scope, until in sorted(snoozes.items())
               if until > now and any(event.scope == scope for event in events)]
    return EventsView(
        events=events,
        active=", ".join(f"{scope} {level}" for scope, level in sorted(active.items())) or "none",
        snoozed=", ".join(snoozed),
    )


def event_message(event: AlertEvent) -> str:
    """The event's message with its key shortened as everywhere on screen."""
    _, _, key = event.scope.partition(":")
    return event.message.replace(key, short_key(key)) if key else event.message


TOAST_SECONDS = 8
"""How long an alert toast stays: long enough to read, short enough not to hide the
tables for long (``n`` dismisses it sooner; the events pane keeps every event)."""

TOAST_HINT = "v: events · n: dismiss"


@dataclass(frozen=True)
class AlertToast:
    """One toast for the alerts of one look at the store: a line per event, so three
    alerts take five rows, not three toasts of five rows each."""

    title: str
    lines: tuple[str, ...]
    severity: str
    """'error' if anything went red, 'warning' if raised, 'information' if only cleared."""

    @property
    def text(self) -> str:
        return "\n".join((*self.lines, TOAST_HINT))


def alert_toast(events: list[AlertEvent], account: str | None = None) -> AlertToast | None:
    """The toast for ``events`` (oldest first), or None when there is nothing to say."""
    if not events:
        return None
    raised = [event for event in events if event.state == "raised"]
    severity = ("error" if any(event.level == "red" for event in raised)
                else "warning" if raised else "information")
    lines = tuple(event_message(event) for event in events)  # each names its scope and level
    count = f"{len(events)} alerts" if len(events) > 1 else "alert"
    return AlertToast(f"{account} · {count}" if account else count, lines, severity)
