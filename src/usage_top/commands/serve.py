"""``usage-top serve``: the dashboard in a web browser, through ``textual-serve``.

textual-serve starts one process per browser tab and relays its terminal over a
websocket to xterm.js in the page. Each tab runs the dashboard read-only
(``--no-poll``) on the database ``usage-top collect`` fills, never polling the
vendor itself: ten open tabs must not cost ten times the API requests (nor race
the collector for the vendor's rate limit), and every tab then shows the same
figures as the metrics and the alerts, which come from that one collector.

With several accounts each tab opens the overview of all of them, reading every
account's file (``usage-top --no-poll`` with the same configuration), as the
terminal dashboard does.

There is no authentication in textual-serve: it binds loopback unless
``--allow-remote``, and the README says to reach it through an SSH tunnel or an
authenticating proxy (``--public-url`` is the address the browser uses there).
"""

from __future__ import annotations

import argparse
import shlex
import sys

from usage_top.commands.listen import ListenError, check_host
from usage_top.config import Settings
from usage_top.pipeline.runtime import db_path


def dashboard_command(settings: Settings, config: str | None, demo: bool,
                      account: str | None = None) -> str:
    """The shell command textual-serve runs for each tab: this Python's usage-top, its
    dashboard read-only on the collector's database, with the same provider and calendar;
    with several accounts, the overview of all of them from the same configuration
    (``account``: starting on that one's dashboard)."""
    if len(settings.fleet()) > 1:
        argv = [sys.executable, "-m", "usage_top", "--no-poll"]
        argv += ["--config", config] if config else []
        argv += ["--account", account] if account else []
        argv += ["--demo"] if demo else []
        return shlex.join(argv)
    argv = [sys.executable, "-m", "usage_top", "--no-poll", "--db", str(db_path(settings)),
            "--provider", settings.provider, "--timezone", settings.timezone,
            "--interval", f"{settings.interval:g}"]
    if config:
        argv += ["--config", config]
    if settings.base_url:
        argv += ["--base-url", settings.base_url]
    if demo:
        argv.append("--demo")
    return shlex.join(argv)


def serve(settings: Settings, args: argparse.Namespace) -> int:
    """Serve until interrupted (Ctrl+C or SIGTERM)."""
    host = check_host(args.host, args.allow_remote, "serve")
    if not 1 <= args.port <= 65535:
        raise ListenError(f"--port must be between 1 and 65535, not {args.port}")
    config = getattr(args, "config", None)
    account = getattr(args, "account", None)
    command = dashboard_command(settings, str(config) if config else None,
                                bool(getattr(args, "demo", False)), account)
    for database in dict.fromkeys(db_path(each) for each in settings.fleet().values()):
        if not database.exists():
            print(f"usage-top: no database at {database} yet: the web view reads the one "
                  "'usage-top collect' writes (start it, or give its --db)", file=sys.stderr)
    from textual_serve.server import Server

    public_url = args.public_url.rstrip("/") if args.public_url else None
    Server(command, host=host, port=args.port, title="usage-top", public_url=public_url).serve()
    return 0
