"""One card per API scope: used / limit, a progress bar, percent, rate limit, reset."""

from __future__ import annotations

import datetime as dt

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive

from usage_top.domain.format import age_text
from usage_top.domain.measures import compact_number
from usage_top.views.scopes import Level, ScopeView
from usage_top.widgets.bars import bar
from usage_top.widgets.redraw import RedrawOnChange

class ScopeCard(RedrawOnChange, can_focus=True):
    """A scope's usage against its limit, coloured by level.

    Tab reaches the cards; ``Enter`` on one posts :class:`ScopeCard.Opened` (the
    scope screen opens).

    The bar and the percentage take ``$success`` below the amber threshold,
    ``$warning`` from amber and ``$error`` from red, so themes and NO_COLOR apply.
    A card whose reading is older than its stale age gets the ``-stale`` class:
    dimmed, a dashed border and its age in the subtitle.

    Component classes: ``scope-card--normal``, ``scope-card--amber``,
    ``scope-card--red`` (bar and percent), ``scope-card--track`` (empty bar).
    """

    COMPONENT_CLASSES = {
        "scope-card--normal",
        "scope-card--amber",
        "scope-card--red",
        "scope-card--track",
        "scope-card--dim",
    }

    DEFAULT_CSS = """
    ScopeCard {
        height: 6;
        border: round $primary-muted;
        border-title-color: $text;
        border-title-style: bold;
        padding: 0 0;
    }
    ScopeCard.-amber { border: round $warning; }
    ScopeCard.-red { border: heavy $error; }
    ScopeCard.-stale { border: dashed $foreground-muted; color: $text-muted; }
    ScopeCard:focus { border-title-color: $accent; border-title-style: bold reverse; }
    ScopeCard.-stale > .scope-card--normal,
    ScopeCard.-stale > .scope-card--amber,
    ScopeCard.-stale > .scope-card--red { text-style: dim; }
    ScopeCard > .scope-card--normal { color: $success; }
    ScopeCard > .scope-card--amber { color: $warning; text-style: bold; }
    ScopeCard > .scope-card--red { color: $error; text-style: bold; }
    ScopeCard > .scope-card--track { color: $foreground 20%; }
    ScopeCard > .scope-card--dim { color: $text-muted; }
    """

    BINDINGS = [Binding("enter", "open", "Open this scope", show=False)]

    class Opened(Message):
        """Enter on a card: open its scope screen."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name
            """The scope's name ('api.hourly')."""

    def action_open(self) -> None:
        if self.view is not None:
            self.post_message(self.Opened(self.view.usage.name))

    view: reactive[ScopeView | None] = reactive(None, repaint=False)
    """The reading shown; None until the first poll lands."""

    now: reactive[dt.datetime | None] = reactive(None, repaint=False)
    """The clock as of the last data refresh, for reset and age texts."""

    stale_after: reactive[float] = reactive(90.0, repaint=False)
    """Seconds after which the reading is shown as stale (3 poll intervals)."""

    key_share: reactive[str] = reactive("", repaint=False)
    """With a key filter: that key's part of this scope, e.g. 'key 1,204 (9.8%)'."""

    projection: reactive[str] = reactive("", repaint=False)
    """At the current burn rate: 'limit in 3d 4h', 'ok until reset'… ('' when unknown)."""

    first_out: reactive[bool] = reactive(False, repaint=False)
    """This scope's limit is the first to run out at the current rates."""

    state: reactive[str] = reactive("", repaint=False)
    """What the last poll said went wrong with this scope ('credits exhausted…'): shown
    in red in place of the outlook, and the card is red."""

    def _watch_inputs(self) -> None:
        self.redraw()

    watch_view = watch_now = watch_stale_after = watch_key_share = _watch_inputs
    watch_projection = watch_first_out = watch_state = _watch_inputs

    def update_frame(self) -> None:
        """Title, level and staleness: the border and the classes that colour it."""
        view = self.view
        if view is None:
            return
        for name in Level:
            red = name is Level.RED and bool(self.state)
            self.set_class(red or (view.level is name and name is not Level.NORMAL), f"-{name.value}")
        stale = self.is_stale
        self.set_class(stale, "-stale")
        if stale and self.now:
            subtitle = f"stale {age_text((self.now - view.fetched_at).total_seconds())}"
        else:
            subtitle = "over" if view.over else "runs out first" if self.first_out else ""
        self.set_border(self._title(), subtitle)

    def _title(self) -> str:
        """'API monthly': the scope's label and its period."""
        return self.view.usage.title

    @property
    def is_stale(self) -> bool:
        if self.view is None or self.now is None:
            return False
        return (self.now - self.view.fetched_at).total_seconds() > self.stale_after

    def render(self) -> Text:
        if self.view is None:
            return Text("waiting for data…", style=self.get_component_rich_style("scope-card--dim"))
        usage, width = self.view.usage, max(4, self.content_region.width or self.size.width - 2)
        style = self.get_component_rich_style(f"scope-card--{self.view.level.value}")
        dim = self.get_component_rich_style("scope-card--dim")
        if self.size.height == 1:
            return self._one_line(width, style)
        percent = "no limit" if usage.percent is None else f"{usage.percent:.1f}%"
        fraction = 0.0 if usage.percent is None else usage.percent / 100
        # red also reads without colour (NO_COLOR): the percentage is reversed
        emphasis = style + Style(reverse=True) if self.view.level is Level.RED else style
        lines = [
            _spread(Text(self._used_text(width - len(percent) - 1)), Text(percent, style=emphasis), width),
            bar(fraction, width, style, self.get_component_rich_style("scope-card--track")),
            _spread(Text(self._reset_text(), style=dim), Text(self._rate_text(), style=dim), width),
        ]
        if self.state:
            lines.append(Text(self.state, style=self.get_component_rich_style("scope-card--red")))
        elif self.key_share or self.projection:  # the key's part when narrowed, else the outlook
            lines.append(Text(self.key_share or self.projection, style=dim if self.key_share else style))
        return Text("\n").join(lines)

    def _one_line(self, width: int, style) -> Text:
        """Compact layout: 'API monthly    ████━━━━  62.1%  78.9k/127k', aligned across cards."""
        usage = self.view.usage
        name = self._title()
        percent = "  n/a " if usage.percent is None else f"{usage.percent:5.1f}%"
        unit = usage.unit
        limit = "∞" if usage.limit is None else unit.compact(usage.limit)
        figures = f" {percent} {unit.compact(usage.used) + '/' + limit:>10}"
        if self.is_stale:
            figures = f" stale{figures}"
        if self.state:
            figures = f" {self.state.split(' · ')[0]}{figures}"
            style = self.get_component_rich_style("scope-card--red")
        bar_width = max(3, width - 14 - len(figures))
        fraction = 0.0 if usage.percent is None else usage.percent / 100
        line = Text(f"{name:<14}"[:14])
        line.append_text(bar(fraction, bar_width, style, self.get_component_rich_style("scope-card--track")))
        line.append(figures, style=style)
        return line

    def _used_text(self, room: int) -> str:
        """'78,937 / 127,200' when it fits, else '78.9k / 127k'."""
        usage = self.view.usage
        unit = usage.unit
        if usage.limit is None:
            return unit.text(usage.used)
        full = f"{unit.text(usage.used)} / {unit.text(usage.limit)}"
        return full if len(full) <= room else f"{unit.compact(usage.used)} / {unit.compact(usage.limit)}"

    def _reset_text(self) -> str:
        usage = self.view.usage
        if not (usage.resets_at and self.now):
            return ""
        return f"↻ {age_text((usage.resets_at - self.now).total_seconds())}"

    def _rate_text(self) -> str:
        rate = self.view.usage.rate_limit_per_minute
        return f"{compact_number(rate)}/min" if rate else ""


def _spread(left: Text, right: Text, width: int) -> Text:
    """Left text, then right text flush with the right edge."""
    line = left.copy()
    line.append(" " * max(1, width - len(left) - len(right)))
    line.append_text(right)
    return line
