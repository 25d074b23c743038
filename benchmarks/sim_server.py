"""A vendor's simulator in a process of its own, for the watch benchmark.

    python benchmarks/sim_server.py --port N [--provider pubrio|openai|anthropic|lusha] [--frozen]

``usage-top --demo`` serves its simulator from a thread of its own process, so
the demo's CPU includes the server's. Against this one, usage-top's CPU is what
a user watching a real account pays. ``--frozen`` stops the simulator's clock at
start-up: every poll returns the same figures (*unchanged data*). Prints the
base URL and the key it accepts (``simulator on port N <base URL> <key>``), and
on SIGTERM how many requests it answered (``requests N``) on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--provider", default="pubrio")
    parser.add_argument("--frozen", action="store_true")
    args = parser.parse_args()
    from usage_top.sim.demos import demo_api
    from usage_top.sim.server import SimServer

    frozen = dt.datetime.now(dt.UTC)
    api = demo_api(args.provider, clock=(lambda: frozen) if args.frozen else None)
    server = SimServer(api.simulator, port=args.port)
    print(f"simulator on port {args.port} http://127.0.0.1:{args.port}{api.prefix} {api.key}",
          flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.serve_forever()


if __name__ == "__main__":
    main()
