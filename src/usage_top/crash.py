"""Last resort for bugs: the user gets one line, the traceback goes to a file."""

from __future__ import annotations

import datetime as dt
import os
import traceback
from pathlib import Path


def crash_log_path() -> Path:
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "usage-top" / "crash.log"


def write_crash_log(exc: BaseException) -> Path:
    """Append the traceback to ``crash.log``: no local variables, so no secrets."""
    path = crash_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"--- {dt.datetime.now(dt.UTC).isoformat()}\n")
        handle.write("".join(traceback.format_exception(exc)))
    return path


def crash_line(exc: BaseException) -> str:
    """The one line a user sees, pointing at the log."""
    return f"usage-top: internal error ({type(exc).__name__}); details in {write_crash_log(exc)}"
