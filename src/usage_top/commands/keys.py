"""What a user typed as ``--key`` resolved to the one stored key it names.

The dashboard and the report show keys short (``6••••f58``) and the help gives that
form as the example, so it has to work as input: a filter that matched nothing would
print a report of zeros, a silent zero for a key that does exist.
"""

from __future__ import annotations

from collections.abc import Mapping

from usage_top.domain.format import short_key


class KeyNotFound(ValueError):
    """``--key`` names no stored key, or more than one: a usage error."""


def resolve_key(given: str, known: Mapping[str, str]) -> str:
    """The masked key that ``given`` names among ``known`` (masked key -> display name):
    the masked key itself, its display name, or its short form."""
    if given in known:
        return given
    for matches in ([key for key, name in known.items() if name == given],
                    [key for key in known if short_key(key) == given]):
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            shown = ", ".join(sorted(matches)[:4])
            raise KeyNotFound(f"--key {given!r} is ambiguous: it matches {shown}; "
                              "give the whole masked key (usage-top report --json lists them)")
    raise KeyNotFound(f"--key {given!r} matches no known API key "
                      "(usage-top report lists them)")
