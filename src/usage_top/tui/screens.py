"""Modal screens: the help listing every binding, and the API key picker."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from usage_top.domain.format import short_key
from usage_top.domain.capabilities import Capabilities
from usage_top.domain.measures import EST, Figures, Measure
from usage_top.domain.model import Usage

ALL_KEYS = "__all__"
MAX_INTERVAL = 86400.0
"""A day: the longest poll interval (as the config's ``interval``)."""
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


class HelpScreen(ModalScreen[None]):
    """Every binding of the dashboard and of its panes, with its description.

    The listing scrolls (``↑`` ``↓`` ``j`` ``k`` ``PgUp`` ``PgDn`` ``Home`` ``End``, the
    mouse wheel) between the title and the footer, which stay in sight: the box is
    a fixed share of the screen, so its last line is never cut."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close help"),
        Binding("j", "scroll('down')", "Scroll down", show=False),
        Binding("k", "scroll('up')", "Scroll up", show=False),
    ]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str, str]]]],
                 footprint: str = "") -> None:
        """``footprint``: what usage-top's own polling costs (``views.footprint``)."""
        super().__init__()
        self._sections = sections
        self._footprint = footprint

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static("usage-top · keys", id="help-title")
            if self._footprint:  # above the table, which scrolls: always in sight
                yield Static(self._footprint, id="help-footprint")
            with VerticalScroll(id="help-scroll"):
                yield Static(self._listing(), id="help-table")
            yield Static("Esc, q or ? closes · every action is also in the command palette (Ctrl+P) · "
                         "remap a key by its name in the config file's [keymap]", id="help-footer",
                         markup=False)

    def _listing(self) -> Table:
        """Sections of bindings: keys, what they do, and the name to remap them by."""
        table = Table.grid(padding=(0, 2))
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        table.add_column(no_wrap=True, style="dim")
        for title, rows in self._sections:
            table.add_row(Text(title, style="bold"), "", "")
            for keys, description, name in rows:
                table.add_row(Text(f"  {keys}", style="bold"), description, name)
        return table

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()  # its own keys scroll it: arrows, PgDn, End

    def action_scroll(self, direction: str) -> None:
        scroll = self.query_one("#help-scroll", VerticalScroll)
        (scroll.scroll_down if direction == "down" else scroll.scroll_up)(animate=False)

    def action_dismiss(self) -> None:
        self.dismiss(None)


def parse_interval(text: str, minimum: float) -> float:
    """Seconds from '45', '45s', '2m' or '1h'; ValueError saying what it must be."""
    text = text.strip().lower()
    unit = text[-1:] if text[-1:] in _UNITS and not text[-1:].isdigit() else ""
    rule = f"a number of seconds between {minimum:g} and {MAX_INTERVAL:g} (or 2m, 1h)"
    try:
        seconds = float(text.removesuffix(unit)) * _UNITS[unit]
    except ValueError:
        raise ValueError(f"{repr(text) if text else 'nothing'} is not {rule}") from None
    if not minimum <= seconds <= MAX_INTERVAL:  # nan and inf fail here too
        raise ValueError(f"{text!r} is not {rule}")
    return seconds


class IntervalPrompt(ModalScreen[float | None]):
    """``d``: the seconds between polls, for this session; at least ``minimum`` (the
    config's floor, or the vendor's where it asks for fewer polls). Returns the new
    interval, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: float, minimum: float) -> None:
        super().__init__()
        self._current = current
        self._minimum = minimum

    def compose(self) -> ComposeResult:
        with Vertical(id="interval-box"):
            yield Static("Poll interval", id="interval-title")
            yield Input(value=f"{self._current:g}", id="interval-input")
            yield Static(self._hint(), id="interval-hint")

    def _hint(self) -> str:
        return (f"Seconds between polls, {self._minimum:g} to {MAX_INTERVAL:g} (or 2m, 1h). "
                "Enter applies, Esc cancels.")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _apply(self, event: Input.Submitted) -> None:
        hint = self.query_one("#interval-hint", Static)
        try:
            seconds = parse_interval(event.value, self._minimum)
        except ValueError as exc:
            hint.update(Text(f"{exc}. Esc cancels."))
            hint.add_class("-error")
            return
        self.dismiss(seconds)

    def action_cancel(self) -> None:
        self.dismiss(None)


class KeyPicker(ModalScreen[str | None]):
    """Pick 'All keys' or one key; type to narrow the list. Returns the masked key."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, keys: list[Usage], current: str | None, capabilities: Capabilities) -> None:
        super().__init__()
        self._keys = keys
        self._current = current
        self._capabilities = capabilities

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Static("Filter by API key", id="picker-title")
            yield Input(placeholder="type part of a key…", id="picker-input")
            yield OptionList(id="picker-list")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, needle: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        if not needle:
            options.add_option(Option("All keys", id=ALL_KEYS))
        for row in self._keys:
            if needle.lower() in row.id.lower() or needle.lower() in short_key(row.id).lower():
                options.add_option(Option(self._label(row), id=row.id))
        current = self._current or ALL_KEYS
        try:
            options.highlighted = options.get_option_index(current)
        except Exception:
            options.highlighted = 0 if options.option_count else None

    def _label(self, row: Usage) -> Text:
        """'0••••f39    1,204 req    5,310 cred': the key, its activity and its cost."""
        caps = self._capabilities.per_key()
        figures = [caps.measure(measure) for measure in dict.fromkeys((caps.activity, caps.primary))]
        shown = " ".join(f"{m.unit.text(m.value(row.figures)):>9} {_short_name(m, row.figures)}"
                         for m in figures)
        return Text(f"{short_key(row.id):<10} {shown}")

    @on(Input.Changed)
    def _narrow(self, event: Input.Changed) -> None:
        self._fill(event.value.strip())

    @on(Input.Submitted)
    def _take_highlighted(self) -> None:
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._choose(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _take_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def on_key(self, event) -> None:
        """Up/down in the input move the list, so typing and choosing mix freely."""
        if event.key in ("up", "down") and self.focused is self.query_one(Input):
            options = self.query_one(OptionList)
            (options.action_cursor_up if event.key == "up" else options.action_cursor_down)()
            event.stop()

    def _choose(self, option_id: str | None) -> None:
        self.dismiss(None if option_id in (None, ALL_KEYS) else option_id)

    def action_cancel(self) -> None:
        self.dismiss(self._current)


def _short_name(measure: Measure, figures: Figures) -> str:
    """What follows a figure in a picker line: 'req', 'cred', or 'est.' for an estimate."""
    if measure.estimate and measure.value(figures) is not None:
        return EST
    return measure.abbr or measure.label.lower()
