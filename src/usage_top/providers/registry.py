"""Providers by name: the one place that knows which adapter serves a vendor.

Each entry names the module that declares the provider's capabilities (a light
one where it matters: the views need them even when nothing polls), the adapter
module (imported only when a run connects: a ``--no-poll`` dashboard never pays
for the HTTP stack or the response models), and the vendor's own environment
variables for its key and base URL. An adapter module offers
``connect(base_url, api_key, *, tz, timeout[, budgets])``, returning a provider
that owns its HTTP client (closed by its ``aclose``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from usage_top.domain.capabilities import Capabilities

if TYPE_CHECKING:
    from usage_top.pipeline.collector import Provider


@dataclass(frozen=True)
class Vendor:
    """How usage-top reaches one vendor."""

    name: str
    capabilities_module: str
    adapter_module: str
    key_env: str
    """The vendor's conventional variable for the key (``OPENAI_ADMIN_KEY``)."""
    base_url_env: str
    default_base_url: str
    budgets: bool = False
    """The vendor has no limits of its own: the user's ``[budgets]`` become its scopes."""
    prices: bool = False
    """Its money per key is an estimate from a price table the config's ``[prices]`` amend."""


DEFAULT = "pubrio"
"""The provider of a configuration that names none."""

_VENDORS = {
    vendor.name: vendor
    for vendor in (
        Vendor("pubrio", "usage_top.providers.pubrio_capabilities", "usage_top.providers.pubrio",
               "PUBRIO_API_KEY", "PUBRIO_BASE_URL", "https://api.pubrio.com"),
        Vendor("openai", "usage_top.providers.openai_capabilities", "usage_top.providers.openai",
               "OPENAI_ADMIN_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1", budgets=True),
        Vendor("anthropic", "usage_top.providers.anthropic_capabilities", "usage_top.providers.anthropic",
               "ANTHROPIC_ADMIN_KEY", "ANTHROPIC_BASE_URL", "https://api.anthropic.com",
               budgets=True, prices=True),
        Vendor("lusha", "usage_top.providers.lusha_capabilities", "usage_top.providers.lusha",
               "LUSHA_API_KEY", "LUSHA_BASE_URL", "https://api.lusha.com"),
    )
}


def names() -> tuple[str, ...]:
    """The provider names ``Settings.provider`` may take."""
    return tuple(_VENDORS)


def vendor(name: str) -> Vendor:
    try:
        return _VENDORS[name]
    except KeyError:
        raise ValueError(f"unknown provider {name!r} (known: {', '.join(_VENDORS)})") from None


def capabilities(name: str) -> Capabilities:
    """What the named provider reports (imports its capabilities module only)."""
    return importlib.import_module(vendor(name).capabilities_module).CAPABILITIES


def connect(
    name: str,
    base_url: str,
    api_key: str,
    *,
    tz: ZoneInfo,
    timeout: float,
    budgets: Mapping[str, float] | None = None,
    prices: Mapping[str, Mapping[str, object]] | None = None,
    max_wait: float | None = None,
) -> Provider:
    """The named provider talking to ``base_url``; the caller closes it (``aclose``).
    ``prices`` (the config's overrides) reach a vendor whose estimates use them;
    ``max_wait``: the longest wait a server may ask for that a request sits through
    (the HTTP client's default when None)."""
    entry = vendor(name)
    adapter = importlib.import_module(entry.adapter_module)
    common = dict(tz=tz, timeout=timeout, max_wait=max_wait)
    if entry.prices and prices:
        from usage_top.providers.prices import PriceTable

        return adapter.connect(base_url, api_key, **common, budgets=budgets or None,
                               prices=PriceTable().overridden(prices))
    if entry.budgets:
        return adapter.connect(base_url, api_key, **common, budgets=budgets or None)
    return adapter.connect(base_url, api_key, **common)


DEMO_ACCOUNTS: dict[str, dict[str, object]] = {
    "pubrio": {},
    "openai": {"budgets": {"org": 450.0}},
    "anthropic": {"budgets": {"org": 4000.0}},
}
"""The simulated accounts ``usage-top --demo`` shows on the overview when nothing is
configured, each named after its provider, with the settings it runs with: the
vendors without limits of their own get a monthly budget near their simulators'
spend, so that their rows have a scope to fill."""
