"""A database that cannot be written (a read-only filesystem, a file without write
permission) is opened for reading: the dashboard views it and says so, polls are
refused before any request (their answer could not be kept), in one line.

Root writes through any chmod, so the read-only filesystem is a real one: a read-only
bind mount in a user and mount namespace (``unshare -rm``), where the code runs in a
subprocess; the chmod case runs where it means something (not as root). Each skips,
saying why, where it cannot be set up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from usage_top.store import Store

_PROBE = "mount --bind {d} {d} && mount -o remount,ro,bind {d} && ! touch {d}/.probe"


def _read_only_run(directory: Path, script: str, *argv: str) -> subprocess.CompletedProcess:
    """``script`` run by this Python with ``directory`` mounted read-only for it alone."""
    mount = _PROBE.format(d=directory)
    command = f'{mount} 2>/dev/null && exec "$0" "$@"'
    return subprocess.run(["unshare", "-rm", "sh", "-c", command, sys.executable, "-c",
                           textwrap.dedent(script), *argv], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")})


@pytest.fixture
async def filled(collector, store, isolated_env) -> Path:
    """The database after one poll of the simulator, closed, in a directory of its own."""
    assert (await collector.poll_once()).ok
    store.close()
    if shutil.which("unshare") is None:
        pytest.skip("no unshare here to mount a read-only filesystem")
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", _PROBE.format(d=isolated_env)],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a read-only filesystem here: {probe.stderr.strip()}")
    return isolated_env / "usage.db"


def test_a_store_on_a_read_only_filesystem_reads_and_refuses_writes(filled):
    result = _read_only_run(filled.parent, """
        import sys
        from usage_top.store import Store, StoreError
        store = Store(sys.argv[1])
        print(store.read_only, store.last_success() is not None, len(store.keys()) > 0)
        try:
            store.record_poll(store.last_success().started_at, store.last_success().finished_at,
                              "error", "x", 0)
        except StoreError as exc:
            print(exc)
    """, str(filled))
    assert result.returncode == 0, result.stderr
    flags, refusal = result.stdout.splitlines()
    assert flags == "True True True"
    assert refusal == (f"{filled} cannot be written (read-only filesystem or no write "
                       "permission): it is open for reading only")


def test_the_dashboard_views_it_read_only_and_says_so(filled, isolated_env):
    result = _read_only_run(filled.parent, """
        import asyncio, sys
        from usage_top.config import Settings
        from usage_top.pipeline.runtime import Runtime
        from usage_top.tui.app import dashboard_app

        async def main():
            settings = Settings(provider="pubrio", demo=True, db=sys.argv[1])
            app = dashboard_app(Runtime.open(settings))
            async with app.run_test(size=(120, 36)) as pilot:
                await pilot.pause()
                app.refresh_view()
                await pilot.pause()
                print(app.collector is None)
                print(" ".join(str(app.screen.query_one("#banner").content).split()))
                print(app.screen.query_one("#status").render().plain)

        asyncio.run(main())
    """, str(filled))
    assert result.returncode == 0, result.stderr[-2000:]
    no_collector, banner, header = result.stdout.splitlines()[-3:]
    assert no_collector == "True"
    assert banner == (f"Read-only: {filled} cannot be written (a read-only filesystem, or no "
                      "write permission). Showing what it holds; nothing is polled.")
    assert "read-only" in header and "updated" in header


@pytest.mark.parametrize("command", ["report", "collect --once"])
def test_polling_into_it_is_one_line_and_sends_nothing(filled, command):
    result = _read_only_run(filled.parent, """
        import sys
        from usage_top.commands.cli import main
        sys.exit(main(sys.argv[1:]))
    """, *command.split(), "--provider", "pubrio", "--demo", "--db", str(filled))
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if "cannot be written" in line]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    assert "nothing was polled" in errors[0]
    if command == "report":  # what it holds, with its age
        assert "showing stored data from" in errors[0] and "Scopes" in result.stdout
    else:
        assert errors[0].endswith("(0 requests)")


async def test_a_file_without_write_permission_is_read_only(collector, store, isolated_env):
    if os.geteuid() == 0:
        pytest.skip("root writes through chmod; the read-only filesystem tests cover root")
    assert (await collector.poll_once()).ok
    store.close()
    path = isolated_env / "usage.db"
    for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    path.chmod(0o444)
    isolated_env.chmod(0o555)
    try:
        viewer = Store(path)
        assert viewer.read_only and viewer.last_success() is not None
        viewer.close()
    finally:
        isolated_env.chmod(0o755)
        path.chmod(0o644)
