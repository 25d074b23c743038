"""Horizontal bars in eighths of a cell, shared by scope cards and table cells."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

_EIGHTHS = " ▏▎▍▌▋▊▉"
FULL = "█"
TRACK = "━"


def bar(fraction: float, width: int, style: Style | str = "", track: Style | str = "") -> Text:
    """A bar ``width`` cells wide filled to ``fraction`` (clamped to 0..1).

    The unfilled part is drawn as a thin track so the bar's extent is visible
    even without colour (NO_COLOR terminals).
    """
    fraction = min(1.0, max(0.0, fraction))
    eighths = round(fraction * width * 8)
    full, part = divmod(eighths, 8)
    filled = FULL * full + (_EIGHTHS[part] if part else "")
    text = Text(filled, style=style)
    if track is not None:
        text.append(TRACK * (width - len(filled)), style=track)
    return text
