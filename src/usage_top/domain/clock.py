"""The one clock type every layer takes, so tests can freeze and move time.

Code that needs "now" takes a ``Clock`` instead of calling ``datetime.now``:
the collector, the alert engine and the commands all read the same injected
clock, and a test (or the demo's simulator) decides what time it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
"""Returns the current moment as an aware datetime."""


def utc_now() -> dt.datetime:
    """The real clock: now, aware, in UTC."""
    return dt.datetime.now(dt.UTC)
