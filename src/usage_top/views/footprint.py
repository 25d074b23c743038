"""What usage-top itself costs the vendor: its own requests, from the poll log.

A monitor that polls every 5 s sends thousands of requests a day; vendors limit
their usage endpoints (Lusha 5 a minute, Anthropic asks for one poll a minute),
so the help screen and ``report --json`` say what this one sent.
"""

from __future__ import annotations

from typing import Any

from usage_top.store.polls import Footprint


def footprint_text(footprint: Footprint, interval: float | None) -> str:
    """"usage-top's own requests: 2 in the last poll (every 30 s) · 240 in the last hour
    (120 polls) · 5,760 in the last 24 h" (``interval`` None: this process does not poll)."""
    if footprint.last_poll is None:
        return "usage-top's own requests: none yet (no poll recorded)"
    every = f" (every {interval:g} s)" if interval else " (this viewer does not poll)"
    return (f"usage-top's own requests: {footprint.last_poll:,} in the last poll{every} · "
            f"{footprint.requests_hour:,} in the last hour ({_polls(footprint.polls_hour)}) · "
            f"{footprint.requests_day:,} in the last 24 h")


def footprint_json(footprint: Footprint) -> dict[str, Any]:
    """The same for ``report --json`` (its ``footprint``): the HTTP requests sent in
    the last poll (whoever polled: this report, a dashboard or a collector on the
    same database), and the polls and requests ``sent`` in the last hour and day.
    Not named "requests": that is a measure some vendors report and others do not."""
    return {
        "last_poll": footprint.last_poll,
        "last_hour": {"polls": footprint.polls_hour, "sent": footprint.requests_hour},
        "last_day": {"polls": footprint.polls_day, "sent": footprint.requests_day},
    }


def _polls(count: int) -> str:
    return "1 poll" if count == 1 else f"{count:,} polls"
