"""The dashboard App's own key bindings, in a module of their own.

The start-up benchmark's bare Textual app (``benchmarks/bare_app.py``) shows the
same footer, so its first frame pays for the same keys: the ratio then measures
what usage-top adds, not what any app with these bindings costs.
"""

from __future__ import annotations

from textual.binding import Binding

APP_BINDINGS = [
    Binding("q", "quit", "Quit", id="quit"),
    Binding("question_mark", "help", "Help", key_display="?", id="help"),
    Binding("p", "toggle_pause", "Pause", id="pause"),
    Binding("r", "poll_now", "Refresh", id="refresh"),
    Binding("1", "set_range('today')", "Today", id="range_today"),
    Binding("2", "set_range('7d')", "7 days", id="range_7d"),
    Binding("3", "set_range('30d')", "30 days", id="range_30d"),
    Binding("4", "set_range('month')", "Month", show=False, id="range_month"),
    Binding("K", "pick_key", "Key filter", id="pick_key"),
    Binding("c", "toggle_metric", "Cost/use", tooltip="Switch between the cost and the activity view",
            id="metric"),
    Binding("b", "billing", "Billing", id="billing"),
    Binding("v", "events", "Events", id="events"),
    Binding("R", "reconcile", "Reconcile", show=False,
            tooltip="The vendor's cost against the estimate from tokens x prices",
            id="reconcile"),
    Binding("u", "scope", "Scope curve", tooltip="The focused card's scope, else the one "
            "nearest its limit", id="scope"),
    Binding("y", "copy_line", "Copy line", tooltip="Copy the focused scope, key or row as "
            "one line (an incident note)", id="copy_line"),
    Binding("x", "toggle_redact", "Redact", tooltip="Share-safe: names as pseudonyms",
            show=False, id="redact"),
    Binding("e", "export('csv')", "Export CSV", id="export_csv"),
    Binding("E", "export('json')", "Export JSON", show=False, id="export_json"),
    Binding("d", "poll_interval", "Poll interval", show=False,
            tooltip="Seconds between polls, for this session (htop's delay)", id="interval"),
    Binding("n", "dismiss_toasts", "Dismiss toasts", show=False,
            tooltip="Clear the toasts now (alerts stay in the events pane, v)",
            id="dismiss_toasts"),
    Binding("escape", "back", "Back / all keys", show=False, id="back"),
    Binding("left_square_bracket", "history(-1)", "History back", key_display="[",
            show=False, id="history_back"),
    Binding("right_square_bracket", "history(1)", "History forward", key_display="]",
            show=False, id="history_forward"),
    Binding("tab", "cycle_focus(1)", "Next pane", show=False, priority=True, id="next_pane"),
    Binding("shift+tab", "cycle_focus(-1)", "Previous pane", show=False, priority=True,
            id="previous_pane"),
]
