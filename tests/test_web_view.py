"""``usage-top serve`` opened in headless Chromium: the dashboard's text is in the page.

textual-serve draws the terminal with xterm.js on a WebGL or canvas surface, so
the text is in no DOM node. The test drives Chromium over the DevTools protocol
(aiohttp's websocket client) and reads xterm.js's own buffer: ``queryObjects``
finds the page's Terminal object (it has ``buffer.active.getLine``) and each row
is ``translateToString``-ed. So what is checked is what the browser holds after
running textual.js and the websocket, not the app's output stream. The same
session takes the screenshot in docs/ (``UPDATE_WEB_SCREENSHOT=1`` rewrites it).

Chromium is the Debian package ``chromium``; without it the test is skipped.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import re
import subprocess
from pathlib import Path

import aiohttp
import httpx

from tests.live import Process, clean_env, free_port, tool, wait_for

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT = ROOT / "docs" / "web-view.png"
WIDTH, HEIGHT = 1280, 800

READ_TERMINAL = """
function () {  // ``this``: every object whose prototype chain holds Object.prototype
  for (const o of this) {
    try {
      if (o && typeof o.rows === "number" && o.buffer && o.buffer.active
          && typeof o.buffer.active.getLine === "function") {
        return Array.from({length: o.rows},
            (_, y) => o.buffer.active.getLine(y)?.translateToString(true) ?? "");
      }
    } catch (e) {}
  }
  return null;
}
"""


class Browser:
    """One Chromium page over the DevTools protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.ids = itertools.count(1)

    async def call(self, method: str, **params):
        call_id = next(self.ids)
        await self.ws.send_json({"id": call_id, "method": method, "params": params})
        async for message in self.ws:
            data = json.loads(message.data)
            if data.get("id") == call_id:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data["result"]
        raise RuntimeError("DevTools connection closed")

    async def terminal_rows(self) -> list[str] | None:
        """The xterm.js buffer's rows, found by prototype (the bundle exposes no global)."""
        proto = await self.call("Runtime.evaluate", expression="Object.prototype")
        objects = await self.call("Runtime.queryObjects",
                                  prototypeObjectId=proto["result"]["objectId"])
        found = await self.call(
            "Runtime.callFunctionOn", objectId=objects["objects"]["objectId"],
            functionDeclaration=READ_TERMINAL, returnByValue=True)
        return found["result"].get("value")


async def _read_page(debug_port: int, url: str, want: list[str], shot: Path) -> list[str]:
    async with aiohttp.ClientSession() as session:
        async with session.put(f"http://127.0.0.1:{debug_port}/json/new?{url}") as answer:
            page = await answer.json(content_type=None)
        async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            browser = Browser(ws)
            await browser.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT,
                               deviceScaleFactor=1, mobile=False)
            await browser.call("Page.reload")
            rows: list[str] = []
            deadline = asyncio.get_running_loop().time() + 45
            while asyncio.get_running_loop().time() < deadline:
                rows = await browser.terminal_rows() or []
                text = "\n".join(rows)
                if all(word in text for word in want):
                    break
                await asyncio.sleep(0.5)
            shot_data = await browser.call("Page.captureScreenshot", format="png")
            shot.write_bytes(base64.b64decode(shot_data["data"]))
            return rows


def test_the_web_view_shows_the_dashboard(tmp_path):
    chromium = tool("chromium", "chromium")
    env = clean_env(tmp_path)
    env.pop("NO_COLOR")  # the screenshot in docs/ is in colour, as a browser shows it
    db = tmp_path / "usage.db"
    collected = subprocess.run([*_usage_top(), "collect", "--demo", "--provider", "pubrio",
                                "--once", "--db", str(db)],
                               env=env, capture_output=True, text=True, timeout=60)
    assert collected.returncode == 0, collected.stderr
    port, debug_port = free_port(), free_port()
    serve = Process.usage_top("serve", "--demo", "--provider", "pubrio", "--db", str(db),
                              "--port", str(port),
                              env=env, log_dir=tmp_path, name="serve")
    browser = Process([chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                       "--no-first-run", "--disable-extensions", "--mute-audio",
                       f"--user-data-dir={tmp_path / 'chromium'}",
                       f"--remote-debugging-port={debug_port}", "--remote-allow-origins=*",
                       f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
                      env, tmp_path, "chromium")
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for("usage-top serve", lambda: serve.alive() and httpx.get(url, timeout=2)
                 .status_code == 200, timeout=30)
        assert "textual.js" in httpx.get(url, timeout=5).text
        wait_for("Chromium's DevTools", lambda: browser.alive() and httpx.get(
            f"http://127.0.0.1:{debug_port}/json/version", timeout=2).status_code == 200)
        shot = tmp_path / "web-view.png"
        want = ["demo workspace", "read-only", "API monthly", "Endpoints", "API keys"]
        rows = asyncio.run(_read_page(debug_port, url, want, shot))
        text = "\n".join(rows)
        (tmp_path / "rows.txt").write_text(text)
        assert all(word in text for word in want), (text, serve.output()[-2000:])
        assert shot.stat().st_size > 10_000  # a real picture, not a blank page
        if os.environ.get("UPDATE_WEB_SCREENSHOT"):
            SCREENSHOT.write_bytes(shot.read_bytes())
    finally:
        browser.stop()
        serve.stop()


def _usage_top() -> list[str]:
    import sys

    return [sys.executable, "-m", "usage_top"]


def test_the_web_view_of_several_accounts_is_their_overview(tmp_path):
    """Two configured accounts, each on its own simulator over loopback, collected into
    their two files; each browser tab reads both (the overview), asking no vendor."""
    from usage_top.sim import DEMO_API_KEY, SimServer, Simulator

    chromium = tool("chromium", "chromium")
    with SimServer(Simulator(seed=7, tz="UTC")).start() as search, \
            SimServer(Simulator(seed=11, tz="UTC")).start() as staging:
        config = tmp_path / "accounts.toml"
        config.write_text(
            f'[accounts.search]\nkey_env = "SEARCH_KEY"\nbase_url = "{search.url}"\n\n'
            f'[accounts.staging]\nkey_env = "STAGING_KEY"\nbase_url = "{staging.url}"\n')
        env = clean_env(tmp_path, SEARCH_KEY=DEMO_API_KEY, STAGING_KEY=DEMO_API_KEY)
        collected = subprocess.run([*_usage_top(), "collect", "--once", "--config", str(config)],
                                   env=env, capture_output=True, text=True, timeout=60)
        assert collected.returncode == 0, collected.stderr
        asked = search.sim.request_count() + staging.sim.request_count()
        port, debug_port = free_port(), free_port()
        serve = Process.usage_top("serve", "--config", str(config), "--port", str(port),
                                  env=env, log_dir=tmp_path, name="serve")
        browser = Process([chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                           "--no-first-run", "--disable-extensions", "--mute-audio",
                           f"--user-data-dir={tmp_path / 'chromium'}",
                           f"--remote-debugging-port={debug_port}", "--remote-allow-origins=*",
                           f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
                          env, tmp_path, "chromium")
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_for("usage-top serve", lambda: serve.alive() and httpx.get(url, timeout=2)
                     .status_code == 200, timeout=30)
            wait_for("Chromium's DevTools", lambda: browser.alive() and httpx.get(
                f"http://127.0.0.1:{debug_port}/json/version", timeout=2).status_code == 200)
            want = ["2 accounts · overview", "read-only", "Worst scope", "search", "staging"]
            rows = asyncio.run(_read_page(debug_port, url, want, tmp_path / "accounts.png"))
            text = "\n".join(rows)
            missing = [word for word in want if word not in text]
            assert not missing, (missing, text, serve.output()[-2000:])
            assert "no data" not in text  # both files read
            # each row's worst scope and its percentage (which scope is worst follows the hour)
            assert len(re.findall(r"(?:API|Portal) (?:hourly|daily|monthly) +\d+\.\d%", text)) == 2, text
        finally:
            browser.stop()
            serve.stop()
        assert search.sim.request_count() + staging.sim.request_count() == asked
