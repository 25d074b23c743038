"""Modal screens: the help listing every binding, and the API key picker."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, OptionList, Static
from textual.widgets.option_list import Option

from usage_top.domain.format import short_key
from usage_top.domain.capabilities import Capabilities
from usage_top.domain.model import Usage

ALL_KEYS = "__all__"


class HelpScreen(ModalScreen[None]):
    """Every binding of the dashboard and of its panes, with its description."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close help")]

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
            table = DataTable(id="help-table", cursor_type="none", show_header=False, zebra_stripes=False)
            yield table
            yield Static("Esc, q or ? closes · every action is also in the command palette (Ctrl+P) · "
                         "remap a key by its name in the config file's [keymap]", id="help-footer")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "action", "name")
        for title, rows in self._sections:
            table.add_row(Text(title, style="bold"), "", "")
            for keys, description, name in rows:
                table.add_row(Text(f"  {keys}", style="bold"), description, Text(name, style="dim"))

    def action_dismiss(self) -> None:
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
        caps = self._capabilities
        figures = [caps.measure(measure) for measure in dict.fromkeys((caps.activity, caps.primary))]
        shown = " ".join(f"{m.text(row.figures):>9} {m.abbr or m.label.lower()}" for m in figures)
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
