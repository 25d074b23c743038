"""The header line: provider, account, badges, data age and time to the next poll."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.text import Text
from textual.reactive import reactive

from usage_top.domain.format import age_text, clock_text, interval_text, minutes_age_turn
from usage_top.widgets.redraw import RedrawOnChange


@dataclass(frozen=True)
class Status:
    """Everything the header says; the app builds it, the header only renders it."""

    provider: str
    account: str
    demo: bool = False
    redacted: bool = False
    """Names are pseudonyms (``--redact``): safe to share the screen."""
    paused: bool = False
    polling: bool = True
    error: str | None = None
    last_success: dt.datetime | None = None
    interval: float | None = None
    """Seconds between polls; None while no poll is scheduled (a rejected key)."""
    tz: dt.tzinfo = dt.UTC
    in_flight: bool = False
    scope: str = "All keys"
    range_label: str = "last 7 days"


class StatusBar(RedrawOnChange):
    """One line at the top. Badges use theme colours; ages are relative to ``now``.

    Component classes: ``status-bar--title``, ``status-bar--demo``,
    ``status-bar--redacted``, ``status-bar--paused``, ``status-bar--error``,
    ``status-bar--dim``.
    """

    COMPONENT_CLASSES = {
        "status-bar--title",
        "status-bar--demo",
        "status-bar--redacted",
        "status-bar--paused",
        "status-bar--error",
        "status-bar--dim",
    }

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    StatusBar > .status-bar--title { text-style: bold; color: $primary; }
    StatusBar > .status-bar--demo { background: $accent; color: $background; text-style: bold; }
    StatusBar > .status-bar--redacted { background: $success; color: $background; text-style: bold; }
    StatusBar > .status-bar--paused { background: $warning; color: $background; text-style: bold; }
    StatusBar > .status-bar--error { background: $error; color: $background; text-style: bold; }
    StatusBar > .status-bar--dim { color: $text-muted; }
    """

    status: reactive[Status | None] = reactive(None, repaint=False)
    now: reactive[dt.datetime | None] = reactive(None, repaint=False)
    """Set every second; the line is repainted only when its text changes."""

    def watch_status(self) -> None:
        self.redraw()

    def tick(self, now: dt.datetime) -> None:
        """The clock moved on: ``now`` is set only when the line would say something
        else (its age is at minute precision, once a minute old), so most seconds wake
        nothing: a reactive set and the line's check cost more than the tick itself."""
        status, shown = self.status, self.now
        if status is None or shown is None or self._timing(status, now) != self._timing(status, shown):
            self.now = now

    def next_turn(self, now: dt.datetime) -> dt.datetime | None:
        """When the line next reads differently with the clock: its age shows once a
        minute old, then as ``age_text``."""
        status = self.status
        if status is None or status.last_success is None:
            return None
        return minutes_age_turn(status.last_success, now)

    def watch_now(self) -> None:
        self.redraw()

    def render(self) -> Text:
        status, now = self.status, self.now
        if status is None or now is None:
            return Text("usage-top", style=self._style("title"))
        width = self.content_region.width
        # short of room, the account goes first, then how often it polls
        for with_account, with_interval in ((True, True), (False, True), (False, False)):
            text = self._line(status, now, with_account, with_interval)
            if text.cell_len <= width:
                break
        return text

    def _line(self, status: Status, now: dt.datetime, with_account: bool,
              with_interval: bool = True) -> Text:
        text = Text()
        text.append("usage-top", style=self._style("title"))
        text.append(f"  {status.provider} · {status.account}  " if with_account else "  ")
        if status.demo:
            text.append(" DEMO ", style=self._style("demo"))
            text.append(" ")
        if status.redacted:
            text.append(" REDACTED ", style=self._style("redacted"))
            text.append(" ")
        if status.paused:
            text.append(" PAUSED ", style=self._style("paused"))
            text.append(" ")
        if status.error:
            text.append(" ERROR ", style=self._style("error"))
            text.append(" ")
        text.append(f"{status.scope} · {status.range_label}", style="bold")
        text.append("  ")
        text.append(self._timing(status, now, with_interval), style=self._style("dim"))
        return text

    def _timing(self, status: Status, now: dt.datetime, with_interval: bool = True) -> str:
        """When the data is from, and how it is kept up to date.

        The time of the last update rather than a seconds counter, and no countdown
        to the next poll: either would repaint the header every second, which over
        SSH costs more than everything else the dashboard draws (htop does not tick
        either). The age is added at minute precision once it is a minute old.
        """
        if status.last_success is None:
            age = "no data yet"
        else:
            seconds = (now - status.last_success).total_seconds()
            at = clock_text(status.last_success, status.tz)
            age = (f"updated {at}" if seconds < 60 else f"updated {at} ({age_text(seconds)} ago)"
                   if seconds < 86400 else f"updated {age_text(seconds)} ago")
        if status.in_flight:
            return f"{age} · polling…"
        if not status.polling:
            return f"{age} · read-only"
        if status.paused or status.interval is None or not with_interval:
            return age
        return f"{age} · every {interval_text(status.interval)}"

    def _style(self, name: str):
        return self.get_component_rich_style(f"status-bar--{name}")
