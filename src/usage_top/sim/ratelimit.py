"""The vendor's soft rate limit: at most 300 requests in any rolling minute.

Counted in real (monotonic) time, not the simulator's clock, because it limits
how fast clients actually call; a frozen test clock must not freeze it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

SOFT_LIMIT = 300
WINDOW_SECONDS = 60.0


class RateWindow:
    """Admits requests while fewer than ``limit`` arrived in the last ``seconds``.

    Refused requests are not counted, so a client that backs off recovers.
    With ``enforce`` off it only counts (for the rate-limit headers).
    """

    def __init__(
        self, limit: int = SOFT_LIMIT, seconds: float = WINDOW_SECONDS, enforce: bool = True
    ) -> None:
        self.limit = limit
        self.seconds = seconds
        self.enforce = enforce
        self._arrivals: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self, now: float | None = None) -> bool:
        """Count a request arriving at ``now``; False if it is over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._expire(now)
            if self.enforce and len(self._arrivals) >= self.limit:
                return False
            self._arrivals.append(now)
            return True

    def remaining(self, now: float | None = None) -> int:
        """Requests still allowed in the current window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._expire(now)
            return max(0, self.limit - len(self._arrivals))

    def reset_after(self, now: float | None = None) -> int:
        """Whole seconds until the oldest counted request leaves the window."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._expire(now)
            if not self._arrivals:
                return 0
            return max(1, math.ceil(self._arrivals[0] + self.seconds - now))

    def _expire(self, now: float) -> None:
        while self._arrivals and self._arrivals[0] <= now - self.seconds:
            self._arrivals.popleft()
