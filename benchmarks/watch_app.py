"""usage-top as the watch benchmark runs it: the real command, with optional changes.

    python benchmarks/watch_app.py [--frozen-sim] [--virtual-tables] [--quiet-header]
                                   [--trace FILE] -- <usage-top arguments>

- ``--frozen-sim``: the built-in simulator's clock stops at start-up, so every
  poll returns the same figures (*unchanged data*) while the app's own clock runs
  (the header's ages and countdowns still tick, as they would for a user).
- ``--virtual-tables``: the endpoint and key tables on ``VirtualTable`` (swap.py).
- ``--quiet-header``: the header's once-a-second tick is dropped (an experiment
  that measures what that tick costs on the wire).
- ``--repaint-on-change ScopeCard,StatusBar``: those widgets repaint only when what
  they draw (text, styles, border titles, classes) changed, not whenever one of
  their inputs was set (an experiment for the fix BENCHMARKS.md proposes).
- ``--quiet-statics``: ``Static.update`` with the content already shown does
  nothing (it otherwise asks for a layout, which repaints every scrollbar).
- ``--no-polling-flicker``: the header does not switch to "polling…" and back
  around each poll (one repaint per poll instead of two).
- ``--skip-unchanged-db``: a read-only dashboard (``--no-poll``) re-reads the
  database only when ``PRAGMA data_version`` says another process wrote to it
  (or the range, key, metric, screen or minute changed).
- ``--trace FILE``: on exit, write how many times each widget asked to be
  repainted, and how many cells that covered, as JSON.
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def freeze_simulator() -> None:
    from usage_top.runtime import Runtime

    frozen = dt.datetime.now(dt.UTC)
    open_runtime = Runtime.open.__func__

    def open_frozen(cls, settings, clock=None, sim_clock=None):
        from usage_top.collector import utc_now

        return open_runtime(cls, settings, clock or utc_now, sim_clock=lambda: frozen)

    Runtime.open = classmethod(open_frozen)


def quiet_header() -> None:
    from usage_top.tui.frame import DataScreen

    DataScreen.tick = lambda self, now: None


def repaint_on_change(names: list[str]) -> None:
    """Make a full repaint of these widget classes wait until the current handler is
    done, then happen only if the widget would draw something different."""
    from textual.widget import Widget

    from usage_top.widgets.scope_card import ScopeCard
    from usage_top.widgets.status_bar import StatusBar

    classes = {"ScopeCard": ScopeCard, "StatusBar": StatusBar}
    for name in names:
        cls = classes[name]
        refresh = cls.refresh if "refresh" in cls.__dict__ else Widget.refresh

        def drawn(self):
            rendered = self.render()
            spans = tuple((span.start, span.end, str(span.style)) for span in getattr(rendered, "spans", ()))
            return (getattr(rendered, "plain", str(rendered)), spans, str(getattr(rendered, "style", "")),
                    self.border_title, self.border_subtitle, tuple(sorted(self.classes)), self.size)

        def check(self, refresh=refresh):
            self._repaint_pending = False
            state = drawn(self)
            if state != getattr(self, "_drawn_state", None):
                self._drawn_state = state
                refresh(self)

        def on_change(self, *regions, refresh=refresh, check=check, **kwargs):
            if regions or kwargs.get("layout") or kwargs.get("recompose") or not self.is_mounted:
                return refresh(self, *regions, **kwargs)
            if not getattr(self, "_repaint_pending", False):
                self._repaint_pending = True
                self.call_next(check, self)
            return self

        cls.refresh = on_change


def quiet_statics() -> None:
    from textual.widgets import Static

    update = Static.update
    missing = object()

    def update_on_change(self, content="", *, layout=True):
        if getattr(self, "_bench_content", missing) == content:
            return
        self._bench_content = content
        update(self, content, layout=layout)

    Static.update = update_on_change


def no_polling_flicker() -> None:
    from usage_top.widgets.status_bar import StatusBar

    timing = StatusBar._timing

    def steady(self, status, now):
        from dataclasses import replace

        return timing(self, replace(status, in_flight=False) if status.in_flight else status, now)

    StatusBar._timing = steady


def skip_unchanged_db() -> None:
    from usage_top.tui.app import UsageTopApp

    refresh_view = UsageTopApp.refresh_view

    def refresh_if_changed(self):
        if self.collector is None:
            version = self.store._conn.execute("PRAGMA data_version").fetchone()[0]
            state = (version, self.range_, self.key_filter, self.metric, id(self.screen),
                     self.clock().replace(second=0, microsecond=0))
            if state == getattr(self, "_bench_state", None):
                return
            self._bench_state = state
        refresh_view(self)

    UsageTopApp.refresh_view = refresh_if_changed


def trace_repaints(path: Path) -> None:
    """Log every ``Widget.refresh`` call: when (``perf_counter``, which is the system's
    monotonic clock, as the benchmark's), which widget, and how many cells it covers."""
    import time

    from textual.widget import Widget

    events: list[tuple[float, str, int]] = []
    refresh = Widget.refresh

    def logged(self, *regions, **kwargs):
        if self.is_mounted and (kwargs.get("repaint", True) or kwargs.get("layout")):
            name = f"{type(self).__name__}#{self.id}" if self.id else type(self).__name__
            width, height = self.outer_size
            area = sum(r.area for r in regions) if regions else width * height
            events.append((time.perf_counter(), name, area))
        return refresh(self, *regions, **kwargs)

    Widget.refresh = logged
    atexit.register(lambda: path.write_text(json.dumps(events)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frozen-sim", action="store_true")
    parser.add_argument("--virtual-tables", action="store_true")
    parser.add_argument("--quiet-header", action="store_true")
    parser.add_argument("--repaint-on-change", default="")
    parser.add_argument("--quiet-statics", action="store_true")
    parser.add_argument("--no-polling-flicker", action="store_true")
    parser.add_argument("--skip-unchanged-db", action="store_true")
    parser.add_argument("--trace", type=Path)
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    if options.trace:  # first, so that it sees the refreshes of the patches below
        trace_repaints(options.trace)
    if options.frozen_sim:
        freeze_simulator()
    if options.virtual_tables:
        sys.path.insert(0, str(HERE))
        import swap

        swap.patch_app()
    if options.quiet_header:
        quiet_header()
    if options.repaint_on_change:
        repaint_on_change(options.repaint_on_change.split(","))
    if options.quiet_statics:
        quiet_statics()
    if options.no_polling_flicker:
        no_polling_flicker()
    if options.skip_unchanged_db:
        skip_unchanged_db()
    from usage_top.cli import main as usage_top

    return usage_top(args)


if __name__ == "__main__":
    sys.exit(main())
