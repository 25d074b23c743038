"""Where the database lives unless the user says otherwise."""

from __future__ import annotations

import os
from pathlib import Path


def default_db_path() -> Path:
    """``$XDG_DATA_HOME/usage-top/usage.db``, or ``~/.local/share/usage-top/usage.db``.

    The XDG spec says a relative ``XDG_DATA_HOME`` is invalid and must be ignored.
    """
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "usage-top" / "usage.db"
