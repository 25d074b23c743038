"""The models the simulated organisation calls, their meters and list prices.

Each usage endpoint reports a few counters per result (``input_tokens``,
``images``, ``seconds``...); here every counter is a ``Meter``, and a meter
that is billed carries its price and the cost report's ``line_item`` name.
Prices are OpenAI's published list prices as of ``PRICES_AS_OF`` (per 1M
tokens or characters, per image, per minute of audio, per session). Token
line items follow the names seen in real cost exports ("gpt-4o-2024-08-06,
input"); the names of the non-token line items are inferred. Vector storage
is served as usage only (no cost rows).
"""

from __future__ import annotations

from dataclasses import dataclass

PRICES_AS_OF = "2025-06-01"
PER_MILLION = 1_000_000


@dataclass(frozen=True)
class Meter:
    """One counter of a usage result and, if billed, its line item.

    field: the usage result's field (``input_uncached_tokens``...).
    per_request: the mean amount one request adds.
    price: USD per unit (0: not billed, no cost row).
    line_item: the cost report's name for it (None: not billed).
    quantity_unit: the cost report's ``quantity_unit`` (None: no listed unit).
    """

    field: str
    per_request: float
    price: float = 0.0
    line_item: str | None = None
    quantity_unit: str | None = None


@dataclass(frozen=True)
class Model:
    """A model (or tool) as the usage API names it, and what it meters.

    kind: the usage endpoint it appears under (``completions``...).
    requests: the field counting requests (None: the kind counts none).
    extra: fixed group fields of the kind (images' ``size`` and ``source``).
    """

    name: str
    kind: str
    meters: tuple[Meter, ...]
    requests: str | None = "num_model_requests"
    extra: tuple[tuple[str, str], ...] = ()


def _chat(name: str, input_price: float, cached_price: float, output_price: float) -> Model:
    """A completions model billed per 1M uncached input, cached input and output tokens."""
    M = PER_MILLION
    return Model(
        name,
        "completions",
        (
            Meter("input_uncached_tokens", 1150, input_price / M, f"{name}, input", "tokens"),
            Meter("input_cached_tokens", 450, cached_price / M, f"{name}, cached input", "tokens"),
            Meter("output_tokens", 320, output_price / M, f"{name}, output", "tokens"),
        ),
    )


GPT_4O = _chat("gpt-4o-2024-08-06", 2.50, 1.25, 10.00)
GPT_4O_MINI = _chat("gpt-4o-mini-2024-07-18", 0.15, 0.075, 0.60)
O3_MINI = _chat("o3-mini-2025-01-31", 1.10, 0.55, 4.40)
EMBEDDING_SMALL = Model(
    "text-embedding-3-small",
    "embeddings",
    (Meter("input_tokens", 2200, 0.02 / PER_MILLION, "text-embedding-3-small, input", "tokens"),),
)
MODERATION = Model("omni-moderation-latest", "moderations", (Meter("input_tokens", 380),))
"""Moderations are free: usage rows, never cost rows."""
DALL_E_3 = Model(
    "dall-e-3",
    "images",
    (Meter("images", 1.3, 0.040, "dall-e-3, images", "images"),),
    extra=(("size", "1024x1024"), ("source", "image.generation")),
)
TTS_1 = Model(
    "tts-1",
    "audio_speeches",
    (Meter("characters", 950, 15.00 / PER_MILLION, "tts-1, characters", "characters"),),
)
WHISPER_1 = Model(
    "whisper-1",
    "audio_transcriptions",
    (Meter("seconds", 95, 0.006 / 60, "whisper-1, seconds", "duration_seconds"),),
)
CODE_INTERPRETER = Model(
    "code-interpreter",
    "code_interpreter_sessions",
    (Meter("num_sessions", 1, 0.03, "code interpreter sessions"),),
    requests=None,
)
"""A tool, not a model: its usage groups by project only, sessions have no listed unit."""

MODELS: tuple[Model, ...] = (
    GPT_4O,
    GPT_4O_MINI,
    O3_MINI,
    EMBEDDING_SMALL,
    MODERATION,
    DALL_E_3,
    TTS_1,
    WHISPER_1,
    CODE_INTERPRETER,
)
