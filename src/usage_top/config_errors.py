"""A configuration error in the user's words: what the setting must be, and where the
bad value came from.

pydantic says "Input should be less than or equal to 86400" for ``--interval nan`` and
"Input is not a valid path for <class 'pathlib.Path'>"; a user needs the setting's
name, what it takes (its unit and bounds, read from the field's own constraints so the
two cannot drift apart) and the source to fix: the flag, the variable or the file.
"""

from __future__ import annotations

from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel

_NUMBER_ERRORS = frozenset({
    "float_parsing", "float_type", "int_parsing", "int_type", "finite_number",
    "greater_than", "greater_than_equal", "less_than", "less_than_equal",
})
_UNITS = {
    "interval": "a number of seconds", "timeout": "a number of seconds",
    "alert_timeout": "a number of seconds", "snooze_minutes": "a number of minutes",
    "amber": "a percentage", "red": "a percentage", "clear_margin": "a number of points",
}
_TYPES = {
    "bool_parsing": "must be true or false", "bool_type": "must be true or false",
    "string_type": "must be text", "dict_type": "must be a table (name = value pairs)",
    "path_type": "not a valid path", "extra_forbidden": "unknown setting",
    "json_invalid": "not valid JSON",
}
_SECRET_FIELDS = frozenset({"api_key"})
"""Settings whose value is never echoed in a message."""


def explain(error: dict[str, Any], model: type[BaseModel]) -> str:
    """The message for one pydantic error on ``model``, without the setting's name:
    'must be a number of seconds between 5 and 86400, not 'nan''."""
    loc = [str(part) for part in error["loc"]]
    kind = error["type"]
    if kind in _NUMBER_ERRORS:
        field = _field_info(model, loc)
        what = _UNITS.get(loc[-1] if loc else "", "a number")
        shown = "" if _SECRET_FIELDS & set(loc) else f", not {_shown(error.get('input'))}"
        return f"must be {what}{_bounds(field.metadata if field else [])}{shown}"
    if kind in _TYPES:
        return _TYPES[kind]
    return error["msg"].removeprefix("Value error, ")


def _field_info(model: type[BaseModel], loc: list[str]):
    """The field a location names (``thresholds.api.amber`` is ``Thresholds.amber``); an
    account's unbounded field takes the bounds of the top-level one it overrides."""
    top, field = model.model_fields, None
    for part in loc:
        fields = getattr(model, "model_fields", {})
        if part in fields:
            field = fields[part]
            model = _inner_model(field.annotation)
    if field is not None and not field.metadata and loc and loc[-1] in top:
        return top[loc[-1]]
    return field


def _inner_model(annotation: Any) -> Any:
    """The model inside ``dict[str, Thresholds]`` or ``X | None``, else the annotation."""
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        inner = _inner_model(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation


def _bounds(metadata: list[Any]) -> str:
    """' between 5 and 86400', ' above 0 and at most 100', ' above 1'…, from the field's
    constraints."""
    low = next((f"above {m.gt:g}" for m in metadata if isinstance(m, Gt)), None)
    low_inclusive = next((m.ge for m in metadata if isinstance(m, Ge)), None)
    high_inclusive = next((m.le for m in metadata if isinstance(m, Le)), None)
    high = next((f"below {m.lt:g}" for m in metadata if isinstance(m, Lt)), None)
    if low_inclusive is not None and high_inclusive is not None:
        return f" between {low_inclusive:g} and {high_inclusive:g}"
    low = low or (f"at least {low_inclusive:g}" if low_inclusive is not None else None)
    high = high or (f"at most {high_inclusive:g}" if high_inclusive is not None else None)
    parts = [part for part in (low, high) if part]
    return f" {' and '.join(parts)}" if parts else ""


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def joined(where: str, message: str, source: str | None) -> str:
    """'interval must be …' or 'db: not a valid path', then '(from SOURCE)'; no ``where``
    for a check across settings ('amber (95) must be below red (90)')."""
    sep = " " if message.startswith("must ") else ": "
    return (f"{where}{sep}" if where else "") + message + (f" (from {source})" if source else "")
