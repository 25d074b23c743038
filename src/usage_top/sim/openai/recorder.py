"""Fault switching and request recording, as the Pubrio simulator offers them.

Kept apart from the routing so ``OpenAISimulator`` reads as the vendor's
behaviour; the semantics (a ``Faults`` value for its next ``count`` matching
requests, requests counted per path) are the Pubrio simulator's, so tests and
``/_sim/`` control calls work the same against either.
"""

from __future__ import annotations

import threading
from collections import Counter, deque

from usage_top.sim.api import RECORD_LIMIT, RecordedRequest
from usage_top.sim.faults import NO_FAULTS, Faults


class Recorder:
    """The faults in force and the requests answered so far (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults = NO_FAULTS
        self._faults_left = 0
        self._records: deque[RecordedRequest] = deque(maxlen=RECORD_LIMIT)
        self._counts: Counter[str] = Counter()

    @property
    def faults(self) -> Faults:
        """The faults in force (``Faults()`` once their count is used up)."""
        with self._lock:
            return self._faults

    def set_faults(self, faults: Faults) -> None:
        """Install ``faults`` for the next ``faults.count`` matching requests."""
        with self._lock:
            self._faults = faults if faults.count else NO_FAULTS
            self._faults_left = faults.count

    def draw_faults(self, path: str) -> Faults:
        """The faults that apply to this request, using up one of their count."""
        with self._lock:
            faults = self._faults
            if not faults.active or not faults.matches(path) or self._faults_left == 0:
                return NO_FAULTS
            if self._faults_left > 0:
                self._faults_left -= 1
                if self._faults_left == 0:
                    self._faults = NO_FAULTS
            return faults

    def record(self, arrived: float, method: str, path: str, status: int) -> None:
        """Note an answered request (``arrived`` is ``time.monotonic()`` at arrival)."""
        with self._lock:
            self._records.append(RecordedRequest(arrived, method, path, status))
            self._counts[path] += 1

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._records)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
