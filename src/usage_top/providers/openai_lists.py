"""OpenAI's organisation lists read into small records: projects, API keys, rate limits.

Lists are ``{"object": "list", "data": [...], "first_id", "last_id", "has_more"}``
(paged by ``after``, see ``pages.AFTER_LAST_ID``). Only what usage-top shows is
kept; unknown fields are ignored, a field of the wrong type is :class:`Unusable`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from usage_top.providers.openai_rows import MAX_COUNT, MAX_UNIX, Unusable


@dataclass(frozen=True)
class ApiKeyInfo:
    """A key as the project listing has it (the key table's name and redacted value)."""

    id: str
    name: str
    redacted_value: str
    project_id: str
    last_used_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        """What the UI calls the key: 'prod-chat (sk-proj-...abcd)', its name alone or
        its redacted value alone when it lacks the other, else its id. The key table
        leaves out the parenthesised value where it does not fit."""
        if self.name and self.redacted_value:
            return f"{self.name} ({self.redacted_value})"
        return self.name or self.redacted_value or self.id


@dataclass(frozen=True)
class RateLimit:
    """One model's limits in one project (``/organization/projects/{id}/rate_limits``)."""

    model: str
    requests_per_minute: int | None
    tokens_per_minute: int | None
    other: Mapping[str, int] = field(default_factory=dict)
    """Every other ``max_*`` figure the vendor sends (images per minute, batch tokens…)."""


def projects(items: Iterable[Any]) -> dict[str, str]:
    """Project id -> name (the id when unnamed)."""
    named = {}
    for index, item in enumerate(items):
        item = _object(item, f"data[{index}]")
        project_id = _required(item, "id", f"data[{index}]")
        named[project_id] = _text(item, "name", f"data[{index}]") or project_id
    return named


def api_keys(items: Iterable[Any], project_id: str) -> dict[str, ApiKeyInfo]:
    """Key id -> its listing record."""
    keys = {}
    for index, item in enumerate(items):
        spot = f"data[{index}]"
        item = _object(item, spot)
        key_id = _required(item, "id", spot)
        keys[key_id] = ApiKeyInfo(
            id=key_id,
            name=_text(item, "name", spot),
            redacted_value=_text(item, "redacted_value", spot),
            project_id=project_id,
            last_used_at=_unix_time(item.get("last_used_at"), f"{spot}.last_used_at"),
        )
    return keys


def rate_limits(items: Iterable[Any]) -> tuple[RateLimit, ...]:
    limits = []
    for index, item in enumerate(items):
        spot = f"data[{index}]"
        item = _object(item, spot)
        figures = {
            name: _count(value, f"{spot}.{name}")
            for name, value in item.items()
            if "max_" in name and value is not None
        }
        limits.append(
            RateLimit(
                model=_required(item, "model", spot),
                requests_per_minute=figures.pop("max_requests_per_1_minute", None),
                tokens_per_minute=figures.pop("max_tokens_per_1_minute", None),
                other=figures,
            )
        )
    return tuple(limits)


def _object(item: Any, spot: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise Unusable(f"{spot}: not an object")
    return item


def _text(item: dict[str, Any], name: str, spot: str) -> str:
    value = item.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Unusable(f"{spot}.{name}: not a string")
    return value.encode("utf-8", "replace").decode("utf-8").strip()


def _required(item: dict[str, Any], name: str, spot: str) -> str:
    value = _text(item, name, spot)
    if not value:
        raise Unusable(f"{spot}.{name}: missing")
    return value


def _count(value: Any, spot: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise Unusable(f"{spot}: not a count")
    return value


def _unix_time(value: Any, spot: str) -> dt.datetime | None:
    if value is None:
        return None
    stamp = _count(value, spot)
    if stamp >= MAX_UNIX:
        raise Unusable(f"{spot}: not a unix time")
    return dt.datetime.fromtimestamp(stamp, dt.UTC)
