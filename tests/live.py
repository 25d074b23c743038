"""Helpers for the tests that run real processes: usage-top, Prometheus, Chromium.

Every wait polls with a deadline (no fixed sleeps); a process is killed if it is
still running when its test ends, and its output is kept for the failure message.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0,
             every: float = 0.2) -> T:
    """Call ``probe`` until it returns something truthy (exceptions count as not yet)."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except Exception as exc:  # not up yet
            last = exc
        else:
            if value:
                return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}"
                         + (f" (last error: {last})" if last else ""))


def tool(name: str, package: str) -> str:
    """The path of a system tool, or skip the test saying how to get it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package {package!r}: "
                    f"apt-get install {package}; .ci/run installs it when run as root)")
    return path


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a child usage-top: XDG dirs in tmp, no vendor or usage-top
    variables from the developer's shell."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("USAGE_TOP_", "PUBRIO_", "OPENAI_", "ANTHROPIC_", "LUSHA_"))}
    env.update(XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"), NO_COLOR="1")
    env.update(extra)
    return env


class Process:
    """A child process whose output goes to files (read for failure messages)."""

    def __init__(self, argv: list[str], env: dict[str, str], log_dir: Path, name: str) -> None:
        self.name = name
        self.out = log_dir / f"{name}.out"
        self.err = log_dir / f"{name}.err"
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, start_new_session=True)

    @classmethod
    def usage_top(cls, *argv: str, env: dict[str, str], log_dir: Path, name: str) -> Process:
        return cls([sys.executable, "-m", "usage_top", *argv], env, log_dir, name)

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then SIGKILL if it does not exit in time; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        return self.proc.returncode
