"""The events pane's model: every recorded event, what is raised, what is snoozed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from usage_top.domain.format import age_text
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
