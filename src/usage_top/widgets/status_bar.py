"""The header line: provider, account, badges, data age and time to the next poll."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..format import age_text


@dataclass(frozen=True)
class Status:
    """Everything the header says; the app builds it, the header only renders it."""

    provider: str
    account: str
    demo: bool = False
    paused: bool = False
    polling: bool = True
    error: str | None = None
    last_success: dt.datetime | None = None
    next_poll: dt.datetime | None = None
    in_flight: bool = False
    scope: str = "All keys"
    range_label: str = "last 7 days"


class StatusBar(Widget):
    """One line at the top. Badges use theme colours; ages are relative to ``now``.

    Component classes: ``status-bar--title``, ``status-bar--demo``,
    ``status-bar--paused``, ``status-bar--error``, ``status-bar--dim``.
    """

    COMPONENT_CLASSES = {
        "status-bar--title",
        "status-bar--demo",
        "status-bar--paused",
        "status-bar--error",
        "status-bar--dim",
    }

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    StatusBar > .status-bar--title { text-style: bold; color: $primary; }
    StatusBar > .status-bar--demo { background: $accent; color: $background; text-style: bold; }
    StatusBar > .status-bar--paused { background: $warning; color: $background; text-style: bold; }
    StatusBar > .status-bar--error { background: $error; color: $background; text-style: bold; }
    StatusBar > .status-bar--dim { color: $text-muted; }
    """

    status: reactive[Status | None] = reactive(None)
    now: reactive[dt.datetime | None] = reactive(None)

    def render(self) -> Text:
        status, now = self.status, self.now
        if status is None or now is None:
            return Text("usage-top", style=self._style("title"))
        text = self._line(status, now, with_account=True)
        if text.cell_len > self.content_region.width:  # the account goes first when short of room
            text = self._line(status, now, with_account=False)
        return text

    def _line(self, status: Status, now: dt.datetime, with_account: bool) -> Text:
        text = Text()
        text.append("usage-top", style=self._style("title"))
        text.append(f"  {status.provider} · {status.account}  " if with_account else "  ")
        if status.demo:
            text.append(" DEMO ", style=self._style("demo"))
            text.append(" ")
        if status.paused:
            text.append(" PAUSED ", style=self._style("paused"))
            text.append(" ")
        if status.error:
            text.append(" ERROR ", style=self._style("error"))
            text.append(" ")
        text.append(f"{status.scope} · {status.range_label}", style="bold")
        text.append("  ")
        text.append(self._timing(status, now), style=self._style("dim"))
        return text

    def _timing(self, status: Status, now: dt.datetime) -> str:
        if status.last_success is None:
            age = "no data yet"
        else:
            age = f"updated {age_text((now - status.last_success).total_seconds())} ago"
        if status.in_flight:
            return f"{age} · polling…"
        if not status.polling:
            return f"{age} · read-only"
        if status.paused or status.next_poll is None:
            return age
        return f"{age} · next {age_text((status.next_poll - now).total_seconds())}"

    def _style(self, name: str):
        return self.get_component_rich_style(f"status-bar--{name}")
