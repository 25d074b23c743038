"""Where ``collect --metrics`` and ``serve`` listen: loopback unless asked otherwise.

Both answer anyone who can reach the port, without authentication: the metrics
name the account's keys (masked) and usage, the web view is the whole dashboard.
So they bind a loopback address unless ``--allow-remote`` is given too; the
README says to put them behind an SSH tunnel or an authenticating proxy.
"""

from __future__ import annotations

import ipaddress


class ListenError(ValueError):
    """A listen address that is malformed, or not loopback without ``--allow-remote``."""


def split_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9464`` for IPv6) as host and port."""
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ListenError(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:9464)")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_host(host: str, allow_remote: bool, what: str) -> str:
    """``host`` if it may be bound; a one-line refusal for another address without
    ``--allow-remote``."""
    if not allow_remote and not is_loopback(host):
        raise ListenError(
            f"{what} would be reachable from other machines on {host}, without authentication: "
            "bind a loopback address (127.0.0.1), or add --allow-remote and put it behind "
            "an authenticating proxy"
        )
    return host
