"""Providers by name: the one place that knows which adapter serves a vendor.

Each entry is the provider's capabilities (a light module: the views need them
even when nothing polls) and its adapter module, imported only when a run
connects: a ``--no-poll`` dashboard never pays for the HTTP stack or the
response models. An adapter module offers ``connect(base_url, api_key, *, tz,
timeout)``, returning a provider that owns its HTTP client (closed by its
``aclose``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from usage_top.domain.capabilities import Capabilities
from usage_top.providers import pubrio_capabilities

if TYPE_CHECKING:
    from usage_top.pipeline.collector import Provider

_PROVIDERS: dict[str, tuple[Capabilities, str]] = {
    pubrio_capabilities.NAME: (pubrio_capabilities.CAPABILITIES, "usage_top.providers.pubrio"),
}


def names() -> tuple[str, ...]:
    """The provider names ``Settings.provider`` may take."""
    return tuple(_PROVIDERS)


def capabilities(name: str) -> Capabilities:
    """What the named provider reports, without importing its adapter."""
    return _entry(name)[0]


def connect(name: str, base_url: str, api_key: str, *, tz: ZoneInfo, timeout: float) -> Provider:
    """The named provider talking to ``base_url``; the caller closes it (``aclose``)."""
    adapter = importlib.import_module(_entry(name)[1])
    return adapter.connect(base_url, api_key, tz=tz, timeout=timeout)


def _entry(name: str) -> tuple[Capabilities, str]:
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise ValueError(f"unknown provider {name!r} (known: {', '.join(_PROVIDERS)})") from None
