"""The organisation's lists: projects, a project's API keys, its rate limits.

Lists are ``{"object": "list", "data", "first_id", "last_id", "has_more"}``
pages cut by ``limit`` (1-100, default 20; rate limits default 100) and the
``after`` cursor (the id of the last object seen). A deleted key is in no
list, though its usage history remains. Rate-limit figures are plausible
tier values, not a particular organisation's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

from usage_top.sim.openai import catalogue as cat
from usage_top.sim.openai.errors import BadRequest
from usage_top.sim.openai.org import ApiKey, Organisation, Person
from usage_top.sim.openai.query import integer_param
from usage_top.sim.openai.usage import Traffic, day_start

_RPM, _TPM = "max_requests_per_1_minute", "max_tokens_per_1_minute"
_BATCH = "batch_1_day_max_input_tokens"
_RATE_LIMITS: dict[str, dict[str, int]] = {
    cat.GPT_4O.name: {_RPM: 5_000, _TPM: 800_000, _BATCH: 50_000_000},
    cat.GPT_4O_MINI.name: {_RPM: 5_000, _TPM: 4_000_000, _BATCH: 40_000_000},
    cat.O3_MINI.name: {_RPM: 5_000, _TPM: 4_000_000, _BATCH: 40_000_000},
    cat.EMBEDDING_SMALL.name: {_RPM: 5_000, _TPM: 5_000_000, _BATCH: 100_000_000},
    cat.MODERATION.name: {_RPM: 1_000, _TPM: 150_000},
    cat.DALL_E_3.name: {_RPM: 500, _TPM: 0, "max_images_per_1_minute": 15},
    cat.TTS_1.name: {_RPM: 500, _TPM: 0},
    cat.WHISPER_1.name: {_RPM: 500, _TPM: 0, "max_audio_megabytes_per_1_minute": 100},
}


def _page(items: Sequence[dict[str, Any]], query: str, default: int) -> dict[str, Any]:
    """One page of ``items`` after the ``after`` cursor, at most ``limit`` long."""
    params = parse_qs(query, keep_blank_values=True)
    limit = integer_param(params, "limit")
    limit = default if limit is None else limit
    if not 1 <= limit <= 100:
        message = f"Invalid 'limit': expected a value between 1 and 100, but got {limit} instead."
        raise BadRequest(message, "limit")
    after = params.get("after", [None])[-1]
    ids = [item["id"] for item in items]
    if after is not None and after not in ids:
        raise BadRequest(f"Invalid 'after': no object with id '{after}' in this list.", "after")
    first = ids.index(after) + 1 if after is not None else 0
    chosen = list(items[first : first + limit])
    return {
        "object": "list",
        "data": chosen,
        "first_id": chosen[0]["id"] if chosen else None,
        "last_id": chosen[-1]["id"] if chosen else None,
        "has_more": first + limit < len(items),
    }


def projects(org: Organisation, query: str) -> dict[str, Any]:
    items = [
        {
            "id": p.id,
            "object": "organization.project",
            "name": p.name,
            "created_at": p.created_at,
            "archived_at": None,
            "status": "active",
        }
        for p in org.projects
    ]
    return _page(items, query, 20)


def api_keys(traffic: Traffic, project: int, query: str, now: dt.datetime) -> dict[str, Any]:
    items = [
        _key(traffic, index, key, now)
        for index, key in enumerate(traffic.org.keys)
        if key.project == project and key.listed
    ]
    return _page(items, query, 20)


def _key(traffic: Traffic, index: int, key: ApiKey, now: dt.datetime) -> dict[str, Any]:
    return {
        "object": "organization.project.api_key",
        "redacted_value": key.redacted_value,
        "name": key.name,
        "created_at": int(day_start(key.first_day).timestamp()) + 9 * 3_600,
        "last_used_at": _last_used(traffic, index, now),
        "id": key.id,
        "owner_project_access": "active",
        "owner": _owner(key.owner),
    }


def _owner(person: Person) -> dict[str, Any]:
    if person.is_service_account:
        account = {"id": person.id, "name": person.name}
        account |= {"created_at": person.created_at, "role": person.role}
        return {"type": "service_account", "service_account": account}
    user = {"id": person.id, "email": person.email, "name": person.name}
    user |= {"created_at": person.created_at, "role": person.role}
    return {"type": "user", "user": user}


def _last_used(traffic: Traffic, index: int, now: dt.datetime) -> int | None:
    """The start of the last minute the key had a request, looking back up to a week."""
    for back in range(8):
        day = now.date() - dt.timedelta(days=back)
        if any(cell.key == index for cell in traffic.cells(day)):
            end = min(now, day_start(day) + dt.timedelta(days=1))
            return int(end.timestamp()) // 60 * 60
    return None


def rate_limits(query: str) -> dict[str, Any]:
    items = [
        {"object": "project.rate_limit", "id": f"rl-{model}", "model": model, **limits}
        for model, limits in _RATE_LIMITS.items()
    ]
    return _page(items, query, 100)
