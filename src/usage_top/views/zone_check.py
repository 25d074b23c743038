"""Whether the configured timezone is the workspace's, as far as the data can tell.

A vendor that writes times without a zone (a key's last use) and counts days in the
workspace's zone gives no error when usage-top is set to another zone: its figures
are simply read on the wrong calendar. The sign the data gives is a key's last use
later than now: the workspace is ahead of the configured zone. (Resets would be
another, but the only vendor counting in the workspace's zone reports none: they
are computed from the configured zone, so they always agree with it.) A zone behind
the workspace's leaves no trace in the data.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from usage_top.domain.format import age_text

if TYPE_CHECKING:
    from usage_top.domain.capabilities import Capabilities
    from usage_top.store import Store

AHEAD_SLACK = dt.timedelta(minutes=5)
"""A last use this far after now is clock skew, not another zone."""


def zone_mismatch(store: Store, capabilities: Capabilities, tz: ZoneInfo, now: dt.datetime) -> str:
    """'' when nothing contradicts ``tz``; else what does, and what to set."""
    if capabilities.day_zone(tz) is not tz:
        return ""  # the vendor counts in UTC: the configured zone only labels times
    name = str(tz)
    ahead = _latest_use(store, tz, now) - now
    if ahead > AHEAD_SLACK:
        return (f"Timezone: a key's last use is {age_text(ahead.total_seconds())} in the future "
                f"read as {name}: the workspace's timezone is probably ahead of it. Set "
                f"`timezone` to the workspace's.")
    return ""


def _latest_use(store: Store, tz: ZoneInfo, now: dt.datetime) -> dt.datetime:
    today = now.astimezone(tz).date()
    uses = [row.last_used for row in store.key_breakdown(today - dt.timedelta(days=1),
                                                          today + dt.timedelta(days=1))
            if row.last_used is not None]
    return max(uses, default=now)

