"""The Pubrio simulator in a process of its own, for the watch benchmark.

    python benchmarks/sim_server.py --port N [--frozen]

``usage-top --demo`` serves its simulator from a thread of its own process, so
the demo's CPU includes the server's. Against this one, usage-top's CPU is what
a user watching a real account pays. ``--frozen`` stops the simulator's clock at
start-up: every poll returns the same figures (*unchanged data*).
"""

from __future__ import annotations

import argparse
import datetime as dt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frozen", action="store_true")
    args = parser.parse_args()
    from usage_top.sim import SimServer, Simulator

    frozen = dt.datetime.now(dt.UTC)
    sim = Simulator(seed=7, clock=(lambda: frozen) if args.frozen else None)
    print(f"simulator on port {args.port}", flush=True)
    SimServer(sim, port=args.port).serve_forever()


if __name__ == "__main__":
    main()
