"""What Anthropic reports, apart from the adapter so it is cheap to import.

The views need a provider's capabilities before the first frame and when nothing
polls (``--no-poll``, the accounts overview); the adapter imports httpx and pydantic.
"""

from __future__ import annotations

import datetime as dt

from usage_top.domain.capabilities import Capabilities, Dimension, Ratio, TimeBasis
from usage_top.domain.measures import TOKENS, Measure, Unit, UnitKind, money

TOKEN_MEASURES = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens")
"""The token measures the estimate prices (web searches are priced apart)."""


def _reconcile(*args, **kwargs):
    """The reconciliation view (``anthropic_reconcile``), imported when it is opened."""
    from usage_top.providers.anthropic_reconcile import reconcile_stored

    return reconcile_stored(*args, **kwargs)


USD = money("USD")
MODEL = Dimension("model", "Model", "Models", "Not by model")
WORKSPACE = Dimension("workspace", "Workspace", "Workspaces", "Default workspace", private=True)

CAPABILITIES = Capabilities(
    measures=(
        Measure("input_tokens", "Input tokens", TOKENS, "in"),
        Measure("cache_read_tokens", "Cache read tokens", TOKENS, "cache rd"),
        Measure("cache_write_tokens", "Cache write tokens", TOKENS, "cache wr"),
        Measure("output_tokens", "Output tokens", TOKENS, "out"),
        Measure("web_searches", "Web searches", Unit(UnitKind.COUNT, "searches"), "web"),
        Measure("cost", "Cost", USD, "$"),
        Measure("cost_est", "Cost est.", USD, "$ est", estimate=True),
    ),
    primary="cost",
    activity="output_tokens",
    dimensions=(MODEL, WORKSPACE),
    key_breakdown=True,
    key_filter=True,
    dimension_filter=True,
    billing=False,
    time_basis=TimeBasis.UTC,
    settle_after=dt.timedelta(hours=36),
    min_interval=60.0,
    ratio=Ratio("$/1M est.", "cost_est_per_1m_tokens", "cost_est", TOKEN_MEASURES, scale=1e6,
                phrase="dollars per million tokens"),
    table_measures=("input_tokens", "output_tokens", "cost", "cost_est"),
    key_measures=("input_tokens", "output_tokens", "cost_est"),
    key_last_used=False,
    reconcile=_reconcile,
)
"""``activity`` is output tokens, not a total: a total would be dominated by cache
reads (often several times the input at a tenth of its price), while output is
the work the model did and the largest share of the bill. ``primary`` is the
vendor's cost; key rows have only the estimate (``key_measures``: a key table
shows and sorts by ``cost_est``), and the key list says nothing of last use
(``key_last_used``). ``settle_after`` 36 h: cost rows arrive hours, sometimes a day, late.
The ratio is on the estimate because it is the money every row has."""
