"""GET requests through the shared :class:`ApiClient` until it has a ``get_json`` of its own.

The admin APIs of OpenAI and Anthropic are read with ``GET`` and query parameters;
the client only offers ``post_json``. Rather than a second HTTP stack with its own
retries, this sends the client's requests as GETs: its retries, backoff,
``Retry-After``, request budget, error mapping and key redaction all still apply.
Remove this module once ``ApiClient.get_json(path, params)`` exists: the adapters
already prefer it (see :func:`getter`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from usage_top.providers.http import ApiClient

Get = Callable[[str, Mapping[str, Any]], Awaitable[Any]]
"""Sends ``GET path?params`` and returns the parsed JSON (ProviderError on failure)."""


class _GetTransport:
    """Stands in for the client's pooled httpx client: its ``post`` sends a GET."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def post(self, path: str, json: Mapping[str, Any]) -> httpx.Response:
        return await self._http.get(path, params=dict(json))

    async def aclose(self) -> None:
        await self._http.aclose()


def getter(client: ApiClient) -> Get:
    """The client's ``get_json`` when it has one, else its ``post_json`` sent as GET.

    The client is then used for GETs only: give each admin-API adapter its own.
    """
    native = getattr(client, "get_json", None)
    if native is not None:
        return native
    if not isinstance(client._http, _GetTransport):
        client._http = _GetTransport(client._http)
    return client.post_json
