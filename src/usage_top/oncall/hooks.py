"""The alert command: a shell command run for each alert event (a chat or pager webhook).

The event reaches the command in environment variables, never on its command
line: ``USAGE_TOP_EVENT_ACCOUNT`` (the configured account's name), ``_KIND``, ``_SCOPE``, ``_LEVEL``, ``_STATE``, ``_PERCENT``,
``_USED``, ``_LIMIT`` (numbers as the vendor wrote them: 3602, 81.5), ``_MESSAGE``,
``_AT`` (ISO-8601 UTC) and ``_ID``; empty when a figure is unknown. The API key
is not passed on: the variables that can hold it are removed from the command's
environment. The command runs with no
input, in its own process group, and is killed (with its children) after the
timeout. A failure is logged and returned, never raised: an alert must not stop
the monitor.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
from collections.abc import Callable, Mapping

from usage_top.domain.format import utc_text, whole
from usage_top.store.events import AlertEvent

log = logging.getLogger(__name__)

#: Variables that may hold the vendor API key; never passed to the command.
SECRET_VARIABLES = ("PUBRIO_API_KEY", "USAGE_TOP_API_KEY")
PREFIX = "USAGE_TOP_EVENT_"


def event_env(event: AlertEvent, account: str = "default") -> dict[str, str]:
    """The ``USAGE_TOP_EVENT_*`` variables of one event of ``account``."""

    def text(value: object) -> str:
        return "" if value is None else str(value)

    def number(value: float | None) -> str:
        return "" if value is None else str(whole(value))

    return {
        f"{PREFIX}ACCOUNT": account,
        f"{PREFIX}ID": text(event.id),
        f"{PREFIX}KIND": event.kind,
        f"{PREFIX}SCOPE": event.scope,
        f"{PREFIX}LEVEL": event.level,
        f"{PREFIX}STATE": event.state,
        f"{PREFIX}PERCENT": "" if event.percent is None else f"{event.percent:.1f}",
        f"{PREFIX}USED": number(event.used),
        f"{PREFIX}LIMIT": number(event.limit),
        f"{PREFIX}MESSAGE": event.message,
        f"{PREFIX}AT": utc_text(event.at),
    }


class CommandHook:
    """Runs ``command`` through ``/bin/sh -c`` once per event it is called with."""

    def __init__(
        self,
        command: str,
        timeout: float = 10.0,
        *,
        environ: Mapping[str, str] | None = None,
        on_error: Callable[[str], None] | None = None,
        account: str = "default",
        secrets: tuple[str, ...] = (),
    ) -> None:
        """``secrets``: more variables that hold a key (each account's ``key_env``)."""
        self.command = command
        self.account = account
        self._secrets = frozenset((*SECRET_VARIABLES, *secrets))
        self.timeout = timeout
        self._environ = environ
        self._on_error = on_error
        self.last_error: str | None = None
        """The last failure (one line), None once a run succeeds."""

    def __call__(self, event: AlertEvent) -> str | None:
        """Run the command for ``event``; the failure as one line, or None."""
        error = self._run(event)
        self.last_error = error
        if error is not None:
            log.warning("%s", error)
            if self._on_error is not None:
                self._on_error(error)
        return error

    def _run(self, event: AlertEvent) -> str | None:
        base = os.environ if self._environ is None else self._environ
        env = {name: value for name, value in base.items()
               if name not in self._secrets and not name.startswith(PREFIX)}
        env.update(event_env(event, self.account))
        try:
            process = subprocess.Popen(
                ["/bin/sh", "-c", self.command], env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
            )
        except OSError as exc:
            return f"alert command could not start: {exc.strerror or exc}"
        try:
            _, stderr = process.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.communicate()
            return f"alert command timed out after {self.timeout:g}s and was killed"
        if process.returncode != 0:
            detail = _last_line(stderr)
            return (f"alert command failed with exit code {process.returncode}"
                    + (f": {detail}" if detail else ""))
        return None


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        process.kill()


def _last_line(stderr: bytes | None) -> str:
    lines = (stderr or b"").decode("utf-8", "replace").strip().splitlines()
    return lines[-1][:200] if lines else ""
