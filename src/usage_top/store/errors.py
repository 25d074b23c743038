"""The one error type the store raises, and the translation of SQLite's errors into it.

The CLI and the TUI show a ``StoreError`` to the user as is, so its message is a
single line that names the database file and says what is wrong, never a traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class StoreError(Exception):
    """The database cannot be opened, read or written; the message is one line.

    ``permanent``: retrying will not help (a damaged, foreign or unreadable file),
    as opposed to a database another process held too long.
    """

    def __init__(self, message: str, *, permanent: bool = True, corrupt: bool = False) -> None:
        super().__init__(" ".join(message.split()))
        self.permanent = permanent
        self.corrupt = corrupt


def describe(path: Path, exc: sqlite3.Error) -> str:
    """A one-line, user-facing account of an SQLite error on ``path``."""
    reason = str(exc) or type(exc).__name__
    if reason == "file is not a database":
        return f"{path} is not an SQLite database ({reason}); it was left untouched"
    if "malformed" in reason:
        return f"{path} is corrupt ({reason}); it was left untouched"
    if "locked" in reason or "busy" in reason:
        return f"{path} is busy: another process held it too long ({reason})"
    if "unable to open" in reason:
        return f"cannot open {path} ({reason})"
    return f"{path}: {reason}"


@contextmanager
def sqlite_errors(path: Path) -> Iterator[None]:
    """Re-raise any SQLite error inside the block as a one-line ``StoreError``."""
    try:
        yield
    except sqlite3.Error as exc:
        reason = str(exc)
        raise StoreError(
            describe(path, exc),
            permanent=not ("locked" in reason or "busy" in reason),
            corrupt="malformed" in reason or reason == "file is not a database",
        ) from exc
