"""Run a program in a pseudo-terminal of a given size and watch what it writes.

A ``PtyProcess`` starts the program on the slave side of a fresh pty (its own
session, so it has a controlling terminal and gets ``TIOCGWINSZ`` right), and a
reader thread drains the master side into ``chunks``: ``(perf_counter time,
bytes)`` pairs. Nothing answers the terminal queries a program sends (no
emulator is attached), which is what a plain SSH session to a dumb client
looks like to Textual and ncurses alike: neither waits for an answer.

CPU time comes from ``/proc/<pid>/stat`` (user + system, all threads), RSS
from ``/proc/<pid>/status`` (``VmRSS`` now, ``VmHWM`` the peak so far).
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import termios
import threading
import time
from collections.abc import Sequence
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# Escape sequences, to find the text a frame shows: CSI, OSC (BEL or ST
# terminated), DCS/APC/PM strings, and two-byte escapes (charset, keypad...).
_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"
    rb"|\x1b[P_^][^\x1b]*\x1b\\"
    rb"|\x1b[()*+#%][0-9A-Za-z@]"
    rb"|\x1b[0-~]"
)


def visible_text(data: bytes) -> bytes:
    """What is left of terminal output once escape sequences are removed."""
    return _ESCAPES.sub(b"", data)


class PtyProcess:
    """A child process on a pty of ``columns`` x ``rows``; read with ``wait_for``."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        columns: int = 120,
        rows: int = 36,
        env: dict[str, str] | None = None,
        cwd: str | Path | None = None,
    ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        child_env = dict(os.environ if env is None else env)
        child_env.setdefault("TERM", "xterm-256color")
        child_env.setdefault("COLORTERM", "truecolor")
        child_env["COLUMNS"], child_env["LINES"] = str(columns), str(rows)
        self.master = master
        self.chunks: list[tuple[float, bytes]] = []
        self._lock = threading.Lock()
        self._data = bytearray()
        self._text = bytearray()
        self._text_upto = 0
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=child_env,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_set_controlling_tty,
        )
        os.close(slave)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _drain(self) -> None:
        while True:
            try:
                ready, _, _ = select.select([self.master], [], [], 0.2)
            except (OSError, ValueError):
                return
            if not ready:
                if self.proc.poll() is not None:
                    return
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:  # EIO: the slave side closed
                return
            if not data:
                return
            now = time.perf_counter()
            with self._lock:
                self.chunks.append((now, data))
                self._data += data

    def output(self) -> bytes:
        with self._lock:
            return bytes(self._data)

    def bytes_between(self, start: float, end: float) -> int:
        with self._lock:
            return sum(len(data) for at, data in self.chunks if start <= at < end)

    def wait_for(self, marker: bytes, timeout: float) -> float | None:
        """Seconds from spawn until ``marker`` first shows in the visible text, or None.

        The time is that of the chunk that completed the marker.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                chunks = self.chunks[self._text_upto:]
                self._text_upto += len(chunks)
            for at, data in chunks:
                # Escape sequences may be cut between chunks: strip from the joined tail.
                self._text += data
                stripped = visible_text(bytes(self._text))
                if marker in stripped:
                    return at - self.started
                # Keep only a tail long enough to complete a marker or a sequence.
                self._text = self._text[-4096:]
            if time.monotonic() > deadline or (self.proc.poll() is not None and not chunks):
                if self.proc.poll() is not None:
                    # Drain what the reader may still hold.
                    time.sleep(0.1)
                    with self._lock:
                        pending = self.chunks[self._text_upto:]
                    if pending:
                        continue
                return None
            time.sleep(0.002)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (all its threads)."""
        return cpu_seconds(self.pid)

    def rss_kib(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) in KiB: resident now, and the peak so far."""
        return rss_kib(self.pid)

    def stop(self, keys: bytes | None = b"q", grace: float = 3.0) -> int | None:
        """Ask the program to quit with ``keys``, then SIGTERM, then SIGKILL its group."""
        if self.proc.poll() is None and keys:
            try:
                self.send(keys)
                self.proc.wait(grace)
            except (OSError, subprocess.TimeoutExpired):
                pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is not None:
                break
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        self._reader.join(1.0)
        try:
            os.close(self.master)
        except OSError:
            pass
        return self.proc.returncode

    def __enter__(self) -> PtyProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _set_controlling_tty() -> None:
    """In the child (already a session leader): make stdin its controlling terminal."""
    try:
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    except OSError:
        pass


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", "rb") as file:
        fields = file.read().rsplit(b")", 1)[1].split()
    # Fields after the command name start at field 3 (state): utime is 14, stime 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_kib(pid: int) -> tuple[int, int]:
    values = {}
    with open(f"/proc/{pid}/status") as file:
        for line in file:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)
