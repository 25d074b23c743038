"""A configuration of N simulated accounts, for measuring the overview (issue #17).

``python benchmarks/accounts.py 20 > /tmp/accounts.toml`` writes twenty
``[accounts.*]`` tables cycling through the providers; with ``--demo`` each one
runs on its own in-process simulator (no key needed), its own database file:

    usage-top --demo --config /tmp/accounts.toml          # the overview of 20
    usage-top --demo --config /tmp/accounts.toml collect --once
"""

from __future__ import annotations

import sys

from usage_top.providers import registry


def accounts_toml(count: int) -> str:
    """``count`` account tables named ``<provider>-<n>``, the providers taken in turn."""
    names = registry.names()
    tables = []
    for index in range(count):
        provider = names[index % len(names)]
        tables.append(f'[accounts.{provider}-{index + 1:02d}]\nprovider = "{provider}"\n')
    return "\n".join(tables)


if __name__ == "__main__":
    sys.stdout.write(accounts_toml(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
