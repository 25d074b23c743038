"""usage-top as the watch benchmark runs it: the real command, traced.

    python benchmarks/watch_app.py [--trace FILE] -- <usage-top arguments>

``--trace FILE``: on exit, write every time a widget asked to be repainted, and
how many cells that covered, as JSON (which widgets cost the bytes).
"""

from __future__ import annotations

import argparse
import atexit
import json
import sys
from pathlib import Path


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
    parser.add_argument("--trace", type=Path)
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    if options.trace:
        trace_repaints(options.trace)
    from usage_top.commands.cli import main as usage_top

    return usage_top(args)


if __name__ == "__main__":
    sys.exit(main())
