"""The usage tables as they would be after swapping DataTable for VirtualTable, in memory.

``widgets/tables.py`` builds ``UsageTable`` on Textual's ``DataTable``. The swap
BENCHMARKS.md describes replaces that base with ``widgets/virtual_table.py``'s
``VirtualTable`` (which carries the keyed rows, sorting, filtering, titles and
cursor handling ``UsageTable`` implemented on top of ``DataTable``) and keeps
what is specific to usage-top: bindings, CSS, messages, ``EndpointTable`` and
``KeyTable``. Until the swap is made in the source, ``virtual_tables()`` builds
those classes in memory from the current ones, and ``patch_app()`` makes the
dashboard and drilldown screens use them, so the benchmarks can run the real app
both ways in one run.
"""

from __future__ import annotations

import types
from functools import cache
from typing import Any

from usage_top.widgets import tables
from usage_top.widgets.virtual_table import VirtualTable


def _with_class_cell(function: types.FunctionType, owner: type) -> types.FunctionType:
    """``function`` with the ``__class__`` cell (zero-argument ``super()``) set to ``owner``."""
    if "__class__" not in function.__code__.co_freevars:
        return function
    cells = tuple(
        types.CellType(owner) if name == "__class__" else cell
        for name, cell in zip(function.__code__.co_freevars, function.__closure__)
    )
    copy = types.FunctionType(function.__code__, function.__globals__, function.__name__,
                              function.__defaults__, cells)
    copy.__kwdefaults__ = function.__kwdefaults__
    copy.__qualname__ = function.__qualname__
    copy.__doc__ = function.__doc__
    copy.__annotations__ = function.__annotations__
    return copy


def _fix(value: Any, owner: type) -> Any:
    if isinstance(value, types.FunctionType):
        return _with_class_cell(value, owner)
    if isinstance(value, property):
        return property(*(None if f is None else _with_class_cell(f, owner)
                          for f in (value.fget, value.fset, value.fdel)), value.__doc__)
    return value


def rebase(cls: type, base: type, namespace: dict[str, Any] | None = None) -> type:
    """A copy of ``cls`` (same name, so its CSS applies) on ``base`` instead of its own bases."""
    source = dict(cls.__dict__) if namespace is None else namespace
    ns = {name: value for name, value in source.items()
          if name not in ("__dict__", "__weakref__", "__orig_bases__", "__parameters__")}
    new = type(cls.__name__, (base,), ns)
    for name, value in ns.items():
        fixed = _fix(value, new)
        if fixed is not value:
            setattr(new, name, fixed)
    new.__module__ = cls.__module__
    return new


@cache
def virtual_tables() -> tuple[type, type, type]:
    """(UsageTable, EndpointTable, KeyTable) on VirtualTable."""
    usage = tables.UsageTable
    keep = ("__doc__", "BINDINGS", "DEFAULT_CSS", "GAP", "Sorted", "FilterRequested",
            "title", "columns_spec", "default_sort")
    namespace = {name: usage.__dict__[name] for name in keep if name in usage.__dict__}
    namespace["COMPONENT_CLASSES"] = VirtualTable.COMPONENT_CLASSES | {"usage-table--bar"}
    virtual_usage = rebase(usage, VirtualTable, namespace)
    return (virtual_usage, rebase(tables.EndpointTable, virtual_usage),
            rebase(tables.KeyTable, virtual_usage))


def patch_app() -> None:
    """Make every screen of the app build and look for the virtual tables."""
    import usage_top.tui.app as app
    import usage_top.tui.dashboard as dashboard
    import usage_top.tui.drilldown as drilldown
    import usage_top.tui.frame as frame

    usage, endpoint, key = virtual_tables()
    for module in (app, dashboard, drilldown, frame, tables):
        for name, cls in (("UsageTable", usage), ("EndpointTable", endpoint), ("KeyTable", key)):
            if hasattr(module, name):
                setattr(module, name, cls)
