"""The ``usage-top`` command's entry point: start-up without the garbage collector's passes.

Importing pydantic, Textual and usage-top builds a few hundred thousand objects (classes,
validators, styles, compiled CSS) that live as long as the process and are never garbage.
With the collector on, start-up pays repeated full passes over them: 150-250 ms of a
one-second start on a 2-core machine (``benchmarks/startup.py``), the largest cost the bare
Textual app does not pay. So the command holds the collector off from its first import
until its first frame (one-shot commands: until their configuration is read), then freezes
what exists, so that later passes skip it, and turns the collector back on.

Only the command holds it: a test or a library user calling ``commands.cli.main`` keeps
its collector as it is (``release`` does nothing then).
"""

from __future__ import annotations

import gc

_held = False


def hold() -> None:
    """No collection until ``release``."""
    global _held
    _held = gc.isenabled()
    gc.disable()


def release() -> None:
    """What start-up built moved out of the collector's sight; collections as usual again."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()


def main() -> int:
    hold()
    from usage_top.commands.cli import main as run

    return run()
