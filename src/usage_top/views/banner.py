"""The banner under the header: what went wrong in the last poll, in sentences.

Errors come from many places (the HTTP client, adapters, the store), some ending in
a full stop and some not, all starting in lower case; the banner joins them into
sentences that start with a capital and end with one full stop. A failed poll says
how old the figures on screen are (the App re-shows it each second, so the age
ticks) and when the next try is, with its zone; after a 429 it says it is backing
off and until when.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from usage_top.domain.format import age_text, clock_text

RATE_LIMITED = 429


def sentence(text: str) -> str:
    """``text`` as one sentence: a capital first, exactly one full stop at the end."""
    text = text.strip().rstrip(".").rstrip()
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def failed_poll(error: str, *, status: int | None, now: dt.datetime,
                figures_at: dt.datetime | None, next_try: dt.datetime | None,
                tz: ZoneInfo) -> str:
    """A poll that stored nothing and will be tried again: the error, the age of what
    is shown, and when polling goes on (backing off, after a 429)."""
    shown = (f"Showing data from {age_text((now - figures_at).total_seconds())} ago."
             if figures_at is not None else "No data stored yet.")
    if next_try is None:  # paused, or read-only: nothing will try again by itself
        return f"{sentence(f'Last poll failed: {error}')} {shown}"
    at = clock_text(next_try, tz)
    if status == RATE_LIMITED:
        return f"{sentence(error)} Backing off until {at}, then polling again. {shown}"
    return f"{sentence(f'Last poll failed: {error}')} {shown} Next try at {at}."


def partial_poll(error: str) -> str:
    return (f"{sentence(f'Some parts failed: {error}')} Their figures are the last stored, "
            f"marked stale; the rest is live.")


def alerts_failed(error: str) -> str:
    """The figures landed; what went wrong after them (an alert command, the events table)."""
    return (f"{sentence(f'The figures are live, but the alerts failed: {error}')} "
            "The next poll tries them again.")


def stopped(error: str) -> str:
    """A failure retrying cannot fix (a refused key): polling waits for the user."""
    return f"{sentence(error)} Polling stopped: fix this, then press r to retry."


def read_only(path: str) -> str:
    """A database that cannot be written, opened for reading instead."""
    return (f"Read-only: {path} cannot be written (a read-only filesystem, or no write "
            f"permission). Showing what it holds; nothing is polled.")


def no_collector(path: str, *, last_poll: dt.datetime, now: dt.datetime, interval: float,
                 tz: ZoneInfo) -> str:
    """A viewer (``--no-poll``) whose collector stopped: how long nothing was written, in
    poll intervals, so "stale" has a cause and the figures are not taken as live."""
    quiet = (now - last_poll).total_seconds()
    return (f"No collector has written to {path} for {int(quiet // interval)} intervals "
            f"(last poll at {clock_text(last_poll, tz)}, {age_text(quiet)} ago): these figures "
            f"are not live. Is `usage-top collect` running?")
