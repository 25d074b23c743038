"""Cursor pagination with a bound, shared by the admin-API adapters (OpenAI, Anthropic).

Both vendors page their reports with ``has_more`` and an opaque cursor, and their
lists with ``has_more`` and the last object's id. A client that trusts
``has_more`` blindly hangs on a server that always says true, or loops on a
cursor that comes back unchanged; here both end in a one-line
:class:`BadResponse` naming the path, after at most ``max_pages`` requests.

The caller knows how many pages a range can need (days / page size) and passes
that plus a little slack (:func:`page_bound`); the loop never asks for more.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from usage_top.providers.errors import BadResponse

Fetch = Callable[[dict[str, Any]], Awaitable[Any]]
"""Sends one request with these query parameters and returns the parsed JSON page."""

SLACK = 2
"""Pages allowed beyond what a range needs: a vendor may end on an empty last page."""


@dataclass(frozen=True)
class Cursor:
    """How a vendor names the next page: the page field read, the query parameter sent."""

    field: str
    """Field of the page holding the next cursor ("next_page", "last_id")."""
    param: str
    """Query parameter the cursor is sent back in ("page", "after", "after_id")."""
    more: str = "has_more"


NEXT_PAGE = Cursor("next_page", "page")
"""Usage and cost reports of OpenAI and Anthropic."""
AFTER_LAST_ID = Cursor("last_id", "after")
"""OpenAI's object lists (projects, API keys, rate limits)."""
AFTER_ID = Cursor("last_id", "after_id")
"""Anthropic's object lists (API keys, workspaces)."""


def page_bound(items: int, per_page: int, slack: int = SLACK) -> int:
    """Most pages ``items`` things (buckets, objects) can take at ``per_page`` a page."""
    return max(1, math.ceil(items / per_page)) + slack


async def collect(
    fetch: Fetch,
    params: Mapping[str, Any],
    *,
    where: str,
    max_pages: int,
    cursor: Cursor = NEXT_PAGE,
) -> list[Any]:
    """The ``data`` items of every page, in order, following the cursor to the end.

    ``where`` names the part in errors (the path). Raises :class:`BadResponse` for a
    page that is not ``{data: [...], has_more: bool}``, a missing, repeated or
    cycling cursor, or more than ``max_pages`` pages.
    """
    items: list[Any] = []
    seen: set[str] = set()
    sent = dict(params)
    for number in range(1, max_pages + 1):
        page = await fetch(sent)
        data, following = _read(page, cursor, where)
        items.extend(data)
        if following is None:
            return items
        if following in seen or following == sent.get(cursor.param):
            raise BadResponse(
                f"{where} returned the same page cursor again (page {number}): stopped paging"
            )
        seen.add(following)
        sent = {**params, cursor.param: following}
    raise BadResponse(
        f"{where} still had more pages after {max_pages}, more than the range needs: "
        "stopped paging"
    )


def _read(page: Any, cursor: Cursor, where: str) -> tuple[list[Any], str | None]:
    """A page's items and its next cursor (None on the last page)."""
    if not isinstance(page, dict) or not isinstance(page.get("data"), list):
        raise BadResponse(f"{where} returned data usage-top cannot use (data: not a list)")
    more = page.get(cursor.more, False)
    if not isinstance(more, bool):
        raise BadResponse(
            f"{where} returned data usage-top cannot use ({cursor.more}: not a boolean)"
        )
    if not more:
        return page["data"], None
    following = page.get(cursor.field)
    if not isinstance(following, str) or not following:
        raise BadResponse(
            f"{where} returned data usage-top cannot use ({cursor.field}: missing while "
            f"{cursor.more} is true)"
        )
    return page["data"], following
