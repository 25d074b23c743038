"""The organisation's directory: ``/v1/organizations/api_keys`` and ``/workspaces``.

Both list newest first and page with the vendor's id cursors: ``limit``
(1-1000, default 20), ``after_id`` (the items after that one) or ``before_id``
(the items before it), answering ``has_more``, ``first_id`` and ``last_id``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from usage_top.sim.anthropic.catalogue import Workspace
from usage_top.sim.anthropic.query import BadRequest, Query
from usage_top.sim.anthropic.usage import Key
from usage_top.sim.daytime import UTC

KEY_STATUSES = ("active", "inactive", "archived")


def created(at: dt.datetime) -> str:
    """A creation time as the vendor writes it: ``2024-10-30T23:58:27.427722Z``."""
    return f"{at.astimezone(UTC):%Y-%m-%dT%H:%M:%S.%f}Z"


def key_item(key: Key) -> dict[str, Any]:
    """One ``api_key`` object."""
    return {
        "type": "api_key",
        "id": key.id,
        "name": key.spec.name,
        "partial_key_hint": key.partial_key_hint,
        "status": key.spec.status,
        "workspace_id": key.workspace_id,
        "created_at": created(key.created_at),
        "created_by": {"id": key.created_by, "type": "user"},
    }


def workspace_item(workspace: Workspace, anchor: dt.date) -> dict[str, Any]:
    """One ``workspace`` object."""
    day = anchor - dt.timedelta(days=workspace.created_days_ago)
    return {
        "type": "workspace",
        "id": workspace.id,
        "name": workspace.name,
        "created_at": created(dt.datetime.combine(day, dt.time(9, 30), UTC)),
        "archived_at": None,
        "display_color": workspace.display_color,
    }


def list_keys(keys: Sequence[Key], query: Query) -> dict[str, Any]:
    """The api_keys listing, filtered by ``status`` and ``workspace_id``."""
    status = query.text("status")
    if status is not None and status not in KEY_STATUSES:
        raise BadRequest(f"status: Input should be 'active', 'inactive' or 'archived'; got '{status}'")
    workspace = query.text("workspace_id")
    chosen = [
        key for key in sorted(keys, key=lambda key: key.created_at, reverse=True)
        if (status is None or key.spec.status == status)
        and (workspace is None or key.workspace_id == workspace)
    ]
    return page([key_item(key) for key in chosen], query)


def list_workspaces(workspaces: Sequence[Workspace], anchor: dt.date) -> list[dict[str, Any]]:
    """Every workspace, newest first (the default workspace is not listed)."""
    items = [workspace_item(workspace, anchor) for workspace in workspaces]
    return sorted(items, key=lambda item: item["created_at"], reverse=True)


def page(items: list[dict[str, Any]], query: Query) -> dict[str, Any]:
    """One page of ``items`` by the id cursors."""
    limit = query.number("limit", 20, 1, 1000)
    after, before = query.text("after_id"), query.text("before_id")
    if after is not None and before is not None:
        raise BadRequest("Only one of after_id and before_id may be given")
    ids = [item["id"] for item in items]
    for cursor in (after, before):
        if cursor is not None and cursor not in ids:
            raise BadRequest(f"No item with id '{cursor}'")
    if before is not None:
        end = ids.index(before)
        chosen = items[max(0, end - limit):end]
        has_more = end - limit > 0
    else:
        begin = ids.index(after) + 1 if after is not None else 0
        chosen = items[begin:begin + limit]
        has_more = begin + limit < len(items)
    return {
        "data": chosen,
        "has_more": has_more,
        "first_id": chosen[0]["id"] if chosen else None,
        "last_id": chosen[-1]["id"] if chosen else None,
    }
