"""What OpenAI reports, apart from the adapter so it is cheap to import.

The views need a provider's capabilities even when nothing polls (``--no-poll``);
this module costs nothing beyond the domain.
"""

from __future__ import annotations

import datetime as dt

from usage_top.domain.capabilities import Capabilities, Dimension, Ratio, TimeBasis
from usage_top.domain.measures import REQUESTS, TOKENS, Measure, money

NAME = "openai"
USD = money("usd")

MODEL = Dimension("model", "Model", "Models", "Unattributed")
"""Cost rows are attributed by their line item ("gpt-4o-2024-08-06, input"); one that
names no model (code interpreter sessions) is the unattributed item ''."""
PROJECT = Dimension("project", "Project", "Projects", "No project", private=True)
LINE_ITEM = Dimension("line_item", "Line item", "Line items", "No line item")

CAPABILITIES = Capabilities(
    measures=(
        Measure("requests", "Requests", REQUESTS, "req"),
        Measure("input_tokens", "Input tokens", TOKENS, "in"),
        Measure("output_tokens", "Output tokens", TOKENS, "out"),
        Measure("cached_tokens", "Cached tokens", TOKENS, "cached"),
        Measure("cost", "Cost", USD, "$"),
    ),
    primary="cost",
    activity="requests",
    dimensions=(MODEL, PROJECT, LINE_ITEM),
    key_breakdown=True,
    key_filter=True,
    dimension_filter=True,
    billing=False,
    time_basis=TimeBasis.UTC,
    settle_after=dt.timedelta(hours=36),
    ratio=Ratio("$/1M tok", "cost_per_1m_tokens", "cost", ("input_tokens", "output_tokens"),
                scale=1e6, phrase="dollars per million tokens"),
    table_measures=("requests", "input_tokens", "output_tokens", "cost"),
)
"""``settle_after`` 36 h: cost rows arrive up to a day after the usage (the simulator
lags 1-24 h), so a UTC day is refetched until a day and a half after it ends, which
also covers a poll that runs late. ``billing`` False: the API has no balance, credit
grants or plan; month to date is the budget scope, last month comes from the store."""
