"""The floor of a terminal program's output: what changed on screen, and what that costs.

A program that redraws only what changed still has to send, per update, each
changed character and a cursor move to every run of changed cells. That is the
floor: every byte above it is a repaint of something that did not change (or
styling). The output is replayed through a VT emulator (``pyte``) and the screen
is compared before and after each *update*: chunks of output that arrive less
than ``GAP`` seconds apart (one frame may take several reads).

A changed cell is one whose character or style changed; its cost is the UTF-8
length of its character; a run of changed cells on one line costs one cursor
move (``ESC [ row ; col H``). Colour changes (SGR) are not counted: the floor is
a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

GAP = 0.05
"""Seconds of silence that end an update."""


@dataclass
class Floor:
    updates: int = 0
    """Updates (frames) that changed at least one cell."""
    cells: int = 0
    """Cells changed, over all updates."""
    runs: int = 0
    """Runs of adjacent changed cells (each needs a cursor move)."""
    bytes: int = 0
    """The floor: the changed characters' bytes plus the cursor moves."""
    per_update: list[int] = field(default_factory=list)
    """Cells changed in each update."""


def _cell(char) -> tuple:
    return (char.data, char.fg, char.bg, char.bold, char.italics, char.underscore, char.reverse)


def _snapshot(screen) -> list[list[tuple]]:
    return [[_cell(line[x]) for x in range(screen.columns)] for line in
            (screen.buffer[y] for y in range(screen.lines))]


def _diff(before: list[list[tuple]], after: list[list[tuple]], floor: Floor) -> int:
    changed = 0
    for y, (old, new) in enumerate(zip(before, after)):
        in_run = False
        for x, (a, b) in enumerate(zip(old, new)):
            if a != b:
                changed += 1
                floor.bytes += len(b[0].encode()) or 1
                if not in_run:
                    floor.runs += 1
                    floor.bytes += len(f"\x1b[{y + 1};{x + 1}H")
                in_run = True
            else:
                in_run = False
    return changed


def measure_floor(chunks: list[tuple[float, bytes]], start: float, end: float,
                  columns: int, rows: int) -> Floor | None:
    """The floor of the output written between ``start`` and ``end`` (``perf_counter``
    times, as ``PtyProcess.chunks``); None without ``pyte`` installed."""
    try:
        import pyte
    except ImportError:
        return None
    screen = pyte.Screen(columns, rows)
    stream = pyte.ByteStream(screen)
    floor = Floor()
    before: list[list[tuple]] | None = None
    last = None
    for at, data in chunks:
        if at >= end:
            break
        if at >= start:
            if before is None:
                before = _snapshot(screen)
            elif last is not None and at - last > GAP:
                after = _snapshot(screen)
                _count(before, after, floor)
                before = after
            last = at
        stream.feed(data)
    if before is not None:
        _count(before, _snapshot(screen), floor)
    return floor


def _count(before: list[list[tuple]], after: list[list[tuple]], floor: Floor) -> None:
    changed = _diff(before, after, floor)
    if changed:
        floor.updates += 1
        floor.cells += changed
        floor.per_update.append(changed)
