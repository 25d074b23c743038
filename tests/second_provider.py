"""A second provider for the tests: money (USD) and tokens, no request count.

Not a mock: a tiny vendor API served by ``http.server`` on a loopback port, and
an adapter that talks HTTP to it and implements the collector's ``Provider``
protocol with capabilities of its own, so every layer above the adapters is
exercised on a shape that is not Pubrio's:

* measures ``input_tokens`` and ``output_tokens`` (tokens) and ``cost`` (USD);
  cost is primary, input tokens the activity; no ratio, no request count;
* one dimension, ``model``; per-key figures (tokens only: like some vendors, it
  does not say what a key cost, so a key's cost is absent, never 0);
* filtering by key (a key's per-model series), not by model; no billing;
* days in UTC buckets, whatever the workspace's timezone;
* two scopes: a monthly USD budget and a per-minute token window.

Every day of the last ``DAYS`` days has the same figures, so expectations are
sums of the constants below (a day costs ``$12.34``).

Fixtures (import the ones a module uses): ``token_server`` (the API, started),
``token_settings`` (an account on it), ``token_runtime`` (an open ``Runtime`` on
the adapter, e.g. for the dashboard), ``token_cli`` (``cli.main`` runs its commands
on the adapter).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from usage_top.commands import cli
from usage_top.config import Settings, load_settings
from usage_top.domain.capabilities import Capabilities, Dimension, TimeBasis
from usage_top.domain.clock import Clock, utc_now
from usage_top.domain.measures import TOKENS, Measure, add, money
from usage_top.domain.model import (
    Breakdown,
    DailyUsage,
    DayFigures,
    ItemDaily,
    Period,
    ScopeUsage,
    Usage,
)
from usage_top.pipeline.collector import Collector
from usage_top.pipeline.runtime import Runtime, db_path
from usage_top.providers.errors import AuthError, ConnectionFailed, ProviderError
from usage_top.store import Store

NAME = "tokenco"
API_KEY = "tk-test-secret-0001"
TODAY = dt.date(2026, 11, 18)
DAYS = 31
"""Days with usage, ending today (enough for the 30-day range and the anomaly baseline)."""

USD = money("USD")
CAPABILITIES = Capabilities(
    measures=(
        Measure("input_tokens", "Input tokens", TOKENS, "in"),
        Measure("output_tokens", "Output tokens", TOKENS, "out"),
        Measure("cost", "Cost", USD, "$"),
    ),
    primary="cost",
    activity="input_tokens",
    dimensions=(Dimension("model", "Model", "Models", "(no model)"),),
    key_breakdown=True,
    key_filter=True,
    time_basis=TimeBasis.UTC,
)

MODELS = {"large-2": "Large v2", "small-1": "Small v1"}
KEYS = {"tk-••••a1f3": "ci", "tk-••••b2e4": "batch"}
TOKENS_PER_DAY = {  # (key, model) -> (input, output) tokens, every day
    ("tk-••••a1f3", "large-2"): (100_000, 20_000),
    ("tk-••••a1f3", "small-1"): (300_000, 50_000),
    ("tk-••••b2e4", "large-2"): (400_000, 80_000),
}
COST_PER_DAY = {"large-2": 10.25, "small-1": 2.09}
"""USD per model per day: $12.34 a day in all."""
BUDGET = (81.23, 100.0)
"""The monthly budget scope: spent and limit, USD."""
TOKEN_WINDOW = (12_000, 40_000)
"""The per-minute token scope: used and limit."""


# --- the vendor's API --------------------------------------------------------------


def _has_usage(day: dt.date) -> bool:
    return 0 <= (TODAY - day).days < DAYS


def _day_json(day: dt.date) -> dict:
    if not _has_usage(day):
        return {"day": day.isoformat(), "keys": [], "models": []}
    keys = []
    for key, name in KEYS.items():
        mine = [tokens for (owner, _), tokens in TOKENS_PER_DAY.items() if owner == key]
        keys.append({"key": key, "name": name, "input_tokens": sum(t[0] for t in mine),
                     "output_tokens": sum(t[1] for t in mine),
                     "last_used": f"{day.isoformat()}T09:30:00Z"})
    models = []
    for model, name in MODELS.items():
        mine = [tokens for (_, used), tokens in TOKENS_PER_DAY.items() if used == model]
        models.append({"id": model, "name": name, "input_tokens": sum(t[0] for t in mine),
                       "output_tokens": sum(t[1] for t in mine), "cost_usd": COST_PER_DAY[model]})
    return {"day": day.isoformat(), "keys": keys, "models": models}


def _key_days_json(key: str, start: dt.date, end: dt.date) -> dict:
    days = []
    for offset in range((end - start).days + 1):
        day = start + dt.timedelta(days=offset)
        models = [{"id": model, "name": MODELS[model], "input_tokens": tokens[0],
                   "output_tokens": tokens[1]}
                  for (owner, model), tokens in TOKENS_PER_DAY.items()
                  if owner == key and _has_usage(day)]
        days.append({"day": day.isoformat(), "models": models})
    return {"key": key, "days": days}


def _limits_json() -> dict:
    return {
        "budget": {"spent_usd": BUDGET[0], "limit_usd": BUDGET[1],
                   "resets_at": "2026-12-01T00:00:00Z"},
        "tokens_per_minute": {"used": TOKEN_WINDOW[0], "limit": TOKEN_WINDOW[1],
                              "resets_at": "2026-11-18T14:38:00Z"},
    }


class _Handler(BaseHTTPRequestHandler):
    server: TokenServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.server.requests += 1
        if self.headers.get("x-api-key") != API_KEY:
            return self._send(401, {"error": "bad key"})
        url = urlsplit(self.path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        if url.path == "/v1/limits":
            return self._send(200, _limits_json())
        if url.path == "/v1/usage":
            return self._send(200, _day_json(dt.date.fromisoformat(query["day"])))
        if url.path == "/v1/keys/usage":
            start, end = (dt.date.fromisoformat(query[name]) for name in ("start", "end"))
            return self._send(200, _key_days_json(query["key"], start, end))
        return self._send(404, {"error": "no such path"})

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the tests' output is the CLI's."""


class TokenServer(ThreadingHTTPServer):
    """The vendor's API on ``127.0.0.1`` and a free port, served from a thread."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests = 0
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> TokenServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)


# --- the adapter -------------------------------------------------------------------


def _moment(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _tokens(row: dict) -> dict[str, float]:
    return {measure: float(row[measure]) for measure in ("input_tokens", "output_tokens")}


class TokenProvider:
    """The collector's ``Provider`` over the loopback API (``connect`` builds one)."""

    name = NAME
    capabilities = CAPABILITIES

    def __init__(self, base_url: str, api_key: str) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, headers={"x-api-key": api_key},
                                         timeout=5)
        self.requests_made = 0

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _get(self, path: str, **params: str) -> dict:
        self.requests_made += 1
        try:
            response = await self._client.get(path, params=params)
        except httpx.TransportError as exc:
            raise ConnectionFailed(self._client.base_url.host, type(exc).__name__) from None
        if response.status_code == 401:
            raise AuthError()
        if response.status_code != 200:
            status = response.status_code
            raise ProviderError(f"{NAME} answered HTTP {status}", status=status)
        return response.json()

    async def scopes(self, now: dt.datetime) -> list[ScopeUsage]:
        limits = await self._get("/v1/limits")
        budget, window = limits["budget"], limits["tokens_per_minute"]
        return [
            ScopeUsage("budget", Period.MONTHLY, budget["spent_usd"], USD, "Budget",
                       budget["limit_usd"], resets_at=_moment(budget["resets_at"]), measure="cost"),
            ScopeUsage("tokens", Period.MINUTE, window["used"], TOKENS, "Tokens", window["limit"],
                       resets_at=_moment(window["resets_at"])),
        ]

    async def day_breakdowns(self, days: Sequence[dt.date]) -> list[Breakdown]:
        return [self._breakdown(await self._get("/v1/usage", day=day.isoformat())) for day in days]

    @staticmethod
    def _breakdown(body: dict) -> Breakdown:
        day = dt.date.fromisoformat(body["day"])
        keys = tuple(Usage(row["key"], row["name"], _tokens(row), _moment(row["last_used"]))
                     for row in body["keys"])
        models = tuple(Usage(row["id"], row["name"], {**_tokens(row), "cost": row["cost_usd"]})
                       for row in body["models"])
        totals: dict[str, float] = {"input_tokens": 0.0, "output_tokens": 0.0, "cost": 0.0}
        for row in models:
            add(totals, row.figures)
        return Breakdown(day, day, totals, keys, {"model": models})

    async def key_daily(self, key: str, start: dt.date, end: dt.date) -> DailyUsage:
        body = await self._get("/v1/keys/usage", key=key, start=start.isoformat(),
                               end=end.isoformat())
        series, items = [], {}
        for day_row in body["days"]:
            day = dt.date.fromisoformat(day_row["day"])
            figures = {"input_tokens": 0.0, "output_tokens": 0.0}  # a day without use is 0
            for row in day_row["models"]:
                items.setdefault((row["id"], row["name"]), []).append(DayFigures(day, _tokens(row)))
                add(figures, _tokens(row))
            series.append(DayFigures(day, figures))
        by_model = tuple(ItemDaily(model, name, tuple(days))
                         for (model, name), days in items.items())
        return DailyUsage(start, end, tuple(series), {"model": by_model})

    async def item_keys(self, kind: str, item: str, start: dt.date, end: dt.date) -> Breakdown:
        raise ProviderError(f"{NAME} cannot list the keys of one {kind}")

    async def billing(self):
        raise ProviderError(f"{NAME} reports no billing")


def connect(base_url: str, api_key: str, **_: object) -> TokenProvider:
    """The registry's entry point (``providers.registry``): the adapter on ``base_url``."""
    return TokenProvider(base_url, api_key)


# --- fixtures (import them into a test module: ``from .second_provider import …``) -----

WORKSPACE_TZ = "Asia/Tokyo"
"""The account's configured timezone: the provider's days stay UTC buckets all the same."""


def open_runtime(settings: Settings, clock: Clock | None = None,
                 max_wait: float | None = None) -> Runtime:
    """A ``Runtime`` on this provider: the collector given the adapter directly (the
    registry only knows the real vendors), days in the provider's calendar (``max_wait``:
    its client waits as it is told, none)."""
    store = Store(db_path(settings))
    provider = TokenProvider(settings.base_url, settings.api_key.get_secret_value())
    collector = Collector(provider, store, tz=CAPABILITIES.day_zone(settings.tz),
                          clock=clock or utc_now, interval=settings.interval)
    return Runtime(settings, store, collector, account="tokenco test org")


@pytest.fixture
def token_server() -> Iterator[TokenServer]:
    with TokenServer() as server:
        yield server


@pytest.fixture
def token_settings(
    isolated_env: Path, token_server: TokenServer, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """A configured account (not the demo) on the loopback server, in a non-UTC timezone."""
    monkeypatch.setenv("USAGE_TOP_API_KEY", API_KEY)
    monkeypatch.setenv("USAGE_TOP_BASE_URL", token_server.url)
    monkeypatch.setenv("USAGE_TOP_DB", str(isolated_env / "tokens.db"))
    monkeypatch.setenv("USAGE_TOP_TIMEZONE", WORKSPACE_TZ)
    monkeypatch.setenv("COLUMNS", "200")  # the text report's tables, unwrapped
    return load_settings()


@pytest.fixture
async def token_runtime(token_settings: Settings, clock: Clock) -> AsyncIterator[Runtime]:
    """An open runtime on the provider (for the dashboard: ``run_test`` on it)."""
    async with open_runtime(token_settings, clock) as runtime:
        yield runtime


@pytest.fixture
def token_cli(token_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """``commands.cli.main`` runs every command on this provider; the settings it loads."""
    monkeypatch.setattr(cli, "_open_runtime", open_runtime)
    return token_settings
