"""One card per API scope: used / limit, a progress bar, percent, rate limit, reset."""

from __future__ import annotations

import datetime as dt

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive

from usage_top.domain.format import age_text
from usage_top.domain.measures import Unit, UnitKind, compact_number
from usage_top.domain.model import ScopeUsage
from usage_top.views.scopes import Level, ScopeView
from usage_top.widgets.bars import bar
from usage_top.widgets.redraw import RedrawOnChange

SHORT_PERIODS = {"minute": "min", "hourly": "hr", "daily": "day", "monthly": "mo"}
"""A one-line card's period when the full title leaves no room for the figures."""

FORMATS = ((True, " / "), (True, "/"), (False, " / "), (False, "/"))
"""A card's used / limit, from the roomiest form to the tightest (exact, separator)."""

MIN_BAR = 3
"""A one-line card's bar, below which exact figures give way to compact ones."""


def limit_text(unit: Unit, value: float) -> str:
    """A limit in the compact form, as many places as it takes to be exact: '48k',
    '193.5k', '2.133k'; in full ('1,234,567') when that takes more than three: a compact
    figure never hides what the limit is (194k for 193,500)."""
    exact = unit.text(value)
    if unit.kind is UnitKind.MONEY:
        compact = unit.compact(value)
        return compact if compact.replace(",", "") == exact.replace(".00", "").replace(",", "") else exact
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            for places in range(4):
                figure = f"{value / scale:.{places}f}"
                if round(float(figure) * scale, 6) == round(value, 6):
                    return figure + suffix
            break
    return exact


def used_and_limit(usage: ScopeUsage, exact: bool, sep: str = " / ") -> str:
    """'5,408 / 193,500' exact, '5.4k / 193.5k' compact (the limit stays exact)."""
    unit = usage.unit
    used = unit.text(usage.used) if exact else unit.compact(usage.used)
    if usage.limit is None:
        return used
    return f"{used}{sep}{unit.text(usage.limit) if exact else limit_text(unit, usage.limit)}"


def short_title(usage: ScopeUsage) -> str:
    """'Portal hr': the title with its period shortened."""
    period = usage.period.value
    return f"{usage.label or usage.scope} {SHORT_PERIODS.get(period, period)}"


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

    def watch_view(self) -> None:
        for card in self._row():  # one format for every card: theirs may change with this one
            card.redraw()

    watch_now = watch_stale_after = watch_key_share = _watch_inputs
    watch_projection = watch_first_out = watch_state = _watch_inputs

    def tick(self, now: dt.datetime) -> None:
        """The clock moved on: ``now`` is set only when what the card says of it changes
        (staleness, its age, the time to the reset, all at minute precision), so most
        ticks wake no card: a card's check renders the whole row's format."""
        if self.now is None or self._clock_texts(now) != self._clock_texts(self.now):
            self.now = now

    def _clock_texts(self, now: dt.datetime) -> tuple:
        """What the card shows of the clock at ``now`` (``is_stale``, ``update_frame``'s
        subtitle, ``_reset_text``)."""
        if self.view is None:
            return ()
        age = (now - self.view.fetched_at).total_seconds()
        resets_at = self.view.usage.resets_at
        return (age > self.stale_after and age_text(age),
                resets_at and age_text((resets_at - now).total_seconds()))

    def _row(self) -> list[ScopeCard]:
        """This card and the ones drawn beside it, which share its number format."""
        siblings = self.parent.children if self.parent is not None else [self]
        return [card for card in siblings if isinstance(card, ScopeCard) and card.view is not None]

    def _room(self) -> int:
        """The narrowest card's text width: the one the row's format must fit."""
        return min(max(4, card.content_region.width or card.size.width - 2) for card in self._row())

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
        percent = _percent(usage)
        fraction = 0.0 if usage.percent is None else usage.percent / 100
        # red also reads without colour (NO_COLOR): the percentage is reversed
        emphasis = style + Style(reverse=True) if self.view.level is Level.RED else style
        lines = [
            _spread(Text(used_and_limit(usage, *self._format())), Text(percent, style=emphasis), width),
            bar(fraction, width, style, self.get_component_rich_style("scope-card--track")),
            _spread(Text(self._reset_text(), style=dim), Text(self._rate_text(), style=dim), width),
        ]
        if self.state:
            lines.append(Text(self.state, style=self.get_component_rich_style("scope-card--red")))
        elif self.key_share or self.projection:  # the key's part when narrowed, else the outlook
            lines.append(Text(self.key_share or self.projection, style=dim if self.key_share else style))
        return Text("\n").join(lines)

    def _format(self) -> tuple[bool, str]:
        """(exact, separator): exact figures on every card when each card's fit the
        narrowest one beside its percentage, else compact ones on every card (one format
        for the row); '5,408/193,500' before '5.4k / 193.5k', then '5.4k/193.5k'."""
        room, row = self._room(), self._row()
        for exact, sep in FORMATS:
            if all(len(used_and_limit(card.view.usage, exact, sep)) + 1
                   + len(_percent(card.view.usage)) <= room for card in row):
                return exact, sep
        return FORMATS[-1]

    def _one_line(self, width: int, style) -> Text:
        """Compact layout: 'API monthly    ████━━━━  62.1% 78.9k/127.2k', aligned across
        cards; the bar gives way first, then the titles shorten (figures and % stay)."""
        usage, row = self.view.usage, self._row()
        room = self._room()
        titles = max(len(card._title()) for card in row) + 1
        exact = titles + MIN_BAR + _tail_width(row, True) <= room
        figures = f" {_one_line_percent(usage):>{_widest(row, _one_line_percent)}} " \
                  f"{_one_line_figures(usage, exact):>{_widest(row, lambda u: _one_line_figures(u, exact))}}"
        if self.is_stale:
            figures = f" stale{figures}"
        if self.state:
            figures = f" {self.state.split(' · ')[0]}{figures}"
            style = self.get_component_rich_style("scope-card--red")
        left = width - len(figures)
        name = self._title()
        if left < titles:  # the titles shorten before any figure goes; with no bar left,
            # the space before the percentage is the gap
            name = short_title(usage)
            titles = max(1, min(left, max(len(short_title(card.view.usage)) for card in row) + 1))
            name = name if len(name) <= titles else name[:titles - 1] + "…"
        fraction = 0.0 if usage.percent is None else usage.percent / 100
        line = Text(f"{name:<{titles}}"[:titles])
        line.append_text(bar(fraction, max(0, left - titles), style,
                             self.get_component_rich_style("scope-card--track")))
        line.append(figures, style=style)
        return line

    def _reset_text(self) -> str:
        usage = self.view.usage
        if not (usage.resets_at and self.now):
            return ""
        return f"↻ {age_text((usage.resets_at - self.now).total_seconds())}"

    def _rate_text(self) -> str:
        rate = self.view.usage.rate_limit_per_minute
        return f"{compact_number(rate)}/min" if rate else ""


def _percent(usage: ScopeUsage) -> str:
    return "no limit" if usage.percent is None else f"{usage.percent:.1f}%"


def _one_line_percent(usage: ScopeUsage) -> str:
    return "n/a" if usage.percent is None else f"{usage.percent:.1f}%"


def _widest(row: list[ScopeCard], text) -> int:
    return max(len(text(card.view.usage)) for card in row)


def _tail_width(row: list[ScopeCard], exact: bool) -> int:
    """A one-line card's ' 62.1% 78,937/127,200' as wide as the row's widest."""
    return 2 + _widest(row, _one_line_percent) + _widest(row, lambda u: _one_line_figures(u, exact))


def _one_line_figures(usage: ScopeUsage, exact: bool) -> str:
    """'5.4k/193.5k', '$249.10/∞' (one line has no room to say 'no limit')."""
    return used_and_limit(usage, exact, "/") + ("/∞" if usage.limit is None else "")


def _spread(left: Text, right: Text, width: int) -> Text:
    """Left text, then right text flush with the right edge."""
    line = left.copy()
    line.append(" " * max(1, width - len(left) - len(right)))
    line.append_text(right)
    return line
