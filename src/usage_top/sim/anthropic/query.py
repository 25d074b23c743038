"""Reading the Admin API's query strings: arrays, RFC 3339 instants, bounded numbers.

Array parameters arrive as ``group_by[]=model&group_by[]=workspace_id`` (the
documented spelling) or without the brackets; both are accepted. Anything the
vendor would refuse raises ``BadRequest``, answered as 400
``invalid_request_error``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from urllib.parse import parse_qs

from usage_top.sim.daytime import UTC


class BadRequest(Exception):
    """A request the vendor answers with 400 ``invalid_request_error``."""


class Query:
    """The parameters of one request."""

    def __init__(self, query: str) -> None:
        self._values: dict[str, list[str]] = {}
        for name, values in parse_qs(query, keep_blank_values=True).items():
            self._values.setdefault(name.removesuffix("[]"), []).extend(values)

    def text(self, name: str) -> str | None:
        """A single-valued parameter (the last one given), or None."""
        values = self._values.get(name)
        return values[-1] if values else None

    def texts(self, name: str, allowed: Collection[str] | None = None) -> list[str]:
        """An array parameter, each value checked against ``allowed`` if given."""
        values = self._values.get(name, [])
        for value in values:
            if allowed is not None and value not in allowed:
                options = ", ".join(f"'{option}'" for option in allowed)
                raise BadRequest(f"{name}[]: Input should be {options}; got '{value}'")
        return values

    def choice(self, name: str, allowed: Collection[str], default: str) -> str:
        """A parameter that must be one of ``allowed``."""
        value = self.text(name) or default
        if value not in allowed:
            options = ", ".join(f"'{option}'" for option in allowed)
            raise BadRequest(f"{name}: Input should be {options}; got '{value}'")
        return value

    def instant(self, name: str, required: bool = False) -> dt.datetime | None:
        """An RFC 3339 timestamp with a zone, in UTC."""
        value = self.text(name)
        if value is None:
            if required:
                raise BadRequest(f"{name}: Field required")
            return None
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise BadRequest(f"{name}: Input should be a valid RFC 3339 datetime") from None
        if parsed.tzinfo is None:
            raise BadRequest(f"{name}: Timestamp must include a timezone")
        return parsed.astimezone(UTC)

    def number(self, name: str, default: int, low: int, high: int) -> int:
        """An integer parameter within ``low..high``."""
        value = self.text(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise BadRequest(f"{name}: Input should be a valid integer") from None
        if not low <= number <= high:
            raise BadRequest(f"{name}: Input should be between {low} and {high}; got {number}")
        return number
