"""The fault matrix shared by the collector, ``report`` and TUI fault tests.

Each ``Case`` is one way the vendor misbehaves, expressed as simulator faults
(``Faults``), or as the server being down. The table says what usage-top must do
about it: fail the poll with a one-line error that says what happened (``says``),
or take odd-but-valid data (``accepted``); how many requests the server may see
for one poll (retries included), and the least time between two attempts at the
same path (the backoff or ``Retry-After`` the client must honour).

Time: the API client runs on ``ScaledTime``: its clock and its sleeps run
``SCALE`` times faster than real time, so a ``Retry-After: 20`` costs 0.2 s of
real time yet is still a real wait on the wire. The simulator records when each
request arrived (real monotonic time), so the backoff the server saw is measured
from the outside, in virtual seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from usage_top.providers.pubrio import AUTH_HEADER
from usage_top.sim import DEMO_API_KEY, Faults, Simulator

BREAKDOWN = "/api_keys/usage/breakdown"
PROFILE_USAGE = "/profile/usage"
SCALE = 1000.0
"""Virtual seconds per real second for the client's clock and sleeps."""
MAX_RETRIES = 4
"""ApiClient's default: each request is tried at most 5 times."""
TIMEOUT = 1.0
"""The client's HTTP timeout (real seconds) in the fault tests: long enough that a loaded
machine answers a normal request in time (0.25 s was not, under two test processes and
benchmarks: a timeout became retries), short enough for the "slow" case to time out."""
MIN_BACKOFF = 0.5 * 0.75
"""The first backoff less its 25% jitter (virtual seconds)."""


class ScaledTime:
    """``clock`` and ``sleep`` for an ApiClient, ``SCALE`` times faster than real time.

    Unlike a clock that only moves when someone sleeps, concurrent sleepers see
    one consistent time, so waits that overlap are not counted twice.
    """

    def __init__(self, scale: float = SCALE) -> None:
        self.scale = scale
        self.slept: list[float] = []

    def clock(self) -> float:
        return time.monotonic() * self.scale

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        await asyncio.sleep(seconds / self.scale)


def client_options(scaled: ScaledTime) -> dict[str, Any]:
    return {"sleep": scaled.sleep, "clock": scaled.clock, "timeout": TIMEOUT}


# --- odd bodies ---------------------------------------------------------------------


def real_answer(sim: Simulator, path: str, body: dict | None = None) -> dict:
    """What the simulator would answer right now, bypassing its faults and its request log."""
    payload = json.dumps(body or {}).encode()
    status, _, answer = sim._answer("POST", path, {AUTH_HEADER: DEMO_API_KEY}, payload)
    assert status == 200, answer
    return json.loads(answer)


def today_breakdown(sim: Simulator) -> dict:
    today = sim.now().date().isoformat()
    return real_answer(sim, BREAKDOWN, {"start_date": today, "end_date": today})


def _rows(edit: Callable[[list[dict]], list[dict]]) -> Callable[[Simulator], str]:
    """A canned breakdown of today whose ``by_key`` rows went through ``edit``."""

    def make(sim: Simulator) -> str:
        answer = today_breakdown(sim)
        answer["data"]["by_key"] = edit(answer["data"]["by_key"])
        return json.dumps(answer)

    return make


def _set(**fields: Any) -> Callable[[list[dict]], list[dict]]:
    def edit(rows: list[dict]) -> list[dict]:
        rows[0].update(fields)
        return rows
    return edit


def _names(rows: list[dict]) -> list[dict]:
    rows[0]["name"], rows[1]["name"], rows[2]["name"] = None, "", "   "
    return rows


def _duplicated(rows: list[dict]) -> list[dict]:
    return rows + [dict(rows[0])]


def _many(rows: list[dict]) -> list[dict]:
    return [dict(rows[0], name=f"k{n:03d}••••{n:03d}", requests=n + 1) for n in range(250)]


def _shares(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["percent_of_requests"], row["percent_of_credits"] = 77.7, 250.0
    return rows


def _extras(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["colour"] = "mauve"
        row["nested"] = {"deep": [1, {"x": None}]}
    return rows


def _minimal(rows: list[dict]) -> list[dict]:
    return [{"name": row["name"], "requests": row["requests"]} for row in rows]


def _duplicate_json_keys(sim: Simulator) -> str:
    """The same member twice in one object: JSON parsers keep the last one."""
    text = _rows(lambda rows: rows[:1])(sim)
    return text.replace('"requests": ', '"requests": 999999, "requests": ', 1)


def _odd_scopes(sim: Simulator) -> str:
    answer = real_answer(sim, PROFILE_USAGE)
    data = answer["data"]
    data["is_quota_sharing_enabled"] = False
    data["api_hourly_usage"] = data["max_api_hourly_query"] * 3  # 300% of the limit
    data["max_api_daily_query"] = data["total_max_api_daily_query"] = 0  # no limit
    for name in [n for n in data if n.startswith("portal_")]:
        del data[name]  # a workspace without the portal scope
    data["api_last_refreshed"] = "last tuesday"
    data["brand_new_field"] = {"a": 1}
    return json.dumps(answer)


def _wrong_type(sim: Simulator) -> str:
    answer = today_breakdown(sim)
    answer["data"]["by_key"] = "none today"
    return json.dumps(answer)


def _no_data(sim: Simulator) -> str:
    return json.dumps({"metadata": {}, "result": []})


def _http_date(seconds: float) -> str:
    return email.utils.formatdate(time.time() + seconds, usegmt=True)


# --- the table ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    does: str
    """What it is, in words (RELIABILITY.md's table)."""
    make: Callable[[Simulator], Faults] | None
    """The faults to install, or None for "the server is down" (connection refused)."""
    says: tuple[str, ...] = ()
    """Fragments of the one-line error; empty for an accepted odd answer."""
    requests: tuple[int, int] = (1, 2)
    """The least and most requests the server may see in the failing poll."""
    gap: float = 0.0
    """Least virtual seconds between two attempts at one path, as the server saw them
    (the Retry-After it sent, honoured)."""
    backoff: bool = False
    """The client must have slept the capped exponential backoff between attempts:
    0.5, 1, 2 and 4 s, each less up to 25% jitter."""
    hold: float = 0.0
    """Least virtual seconds the *next* poll's first request must wait (server asked)."""
    accepted: Callable[[Any, Simulator], None] | None = None
    """For odd-but-valid answers: a check of (store, sim) after the poll succeeded."""
    tags: frozenset[str] = field(default_factory=frozenset)
    one_shot: tuple[int, int] | None = None
    """The requests ``report`` sends instead, where it does not sit out the wait the server
    asks for (longer than ``ONE_SHOT_WAIT``): each tried once. None: as ``requests``."""

    def as_one_shot(self) -> Case:
        """The case as ``report`` meets it."""
        return self if self.one_shot is None else replace(self, requests=self.one_shot, gap=0.0)

    @property
    def fails(self) -> bool:
        return self.accepted is None


RETRIED = (1 + MAX_RETRIES, 2 * (1 + MAX_RETRIES))
"""A retryable fault on both requests of a poll: the first to give up cancels the other."""


def _canned(make_body: Callable[[Simulator], str], path: str = BREAKDOWN):
    return lambda sim: Faults(body=make_body(sim), paths=(path,))


def _key(store, today: dt.date) -> dict[str, Any]:
    return {row.id: row for row in store.key_breakdown(today, today)}


def _check_unnamed(store, sim) -> None:
    assert "(unnamed key)" in _key(store, store_today(store))


def _check_unparsable_time(store, sim) -> None:
    first = today_breakdown(sim)["data"]["by_key"][0]["name"]
    assert _key(store, store_today(store))[first].last_used is None


def _check_many(store, sim) -> None:
    rows = _key(store, store_today(store))
    assert len(rows) == 250 and rows["k249••••249"].figures["requests"] == 250


def _check_merged(store, sim) -> None:
    sent = today_breakdown(sim)["data"]["by_key"]
    rows = _key(store, store_today(store))
    assert len(rows) == len(sent)  # listed once...
    assert rows[sent[0]["name"]].figures["requests"] == 2 * sent[0]["requests"]  # ...counted for both rows


def _check_duplicate_json(store, sim) -> None:
    rows = list(_key(store, store_today(store)).values())
    assert len(rows) == 1 and rows[0].figures["requests"] != 999999  # the last member wins


def _check_scopes(store, sim) -> None:
    scopes = {usage.name: usage for usage, _ in store.latest_scopes()}
    assert scopes["api.hourly"].percent == 300.0
    assert scopes["api.daily"].limit is None and scopes["api.daily"].percent is None


def _nothing(store, sim) -> None:
    pass


def store_today(store) -> dt.date:
    return store.last_success().started_at.date()


CASES: tuple[Case, ...] = (
    Case("429", "HTTP 429 without Retry-After on every request",
         lambda sim: Faults(status=429), ("HTTP 429", "5 attempts", "wait a minute"),
         RETRIED, backoff=True),
    Case("429-retry-after-seconds", "HTTP 429 with Retry-After: 7",
         lambda sim: Faults(status=429, retry_after="7"), ("HTTP 429", "try again in 7 s"),
         RETRIED, gap=7.0 * 0.98, one_shot=(1, 2)),
    Case("429-retry-after-date", "HTTP 429 with Retry-After as an HTTP-date 20 s ahead",
         lambda sim: Faults(status=429, retry_after=_http_date(20)), ("HTTP 429", "try again in"),
         RETRIED, gap=18.0, one_shot=(1, 2)),
    Case("429-retry-after-too-long", "HTTP 429 with Retry-After: 3600 (beyond the 120 s cap)",
         lambda sim: Faults(status=429, retry_after="3600"), ("HTTP 429", "try again in 60 min"),
         (1, 2), hold=100.0),
    Case("500", "HTTP 500 on every request", lambda sim: Faults(status=500),
         ("HTTP 500", "5 attempts"), RETRIED, backoff=True),
    Case("502", "HTTP 502 on every request", lambda sim: Faults(status=502),
         ("HTTP 502", "5 attempts"), RETRIED, backoff=True),
    Case("503", "HTTP 503 on every request", lambda sim: Faults(status=503),
         ("HTTP 503", "5 attempts"), RETRIED, backoff=True),
    Case("slow", f"every answer 3x slower than the {TIMEOUT:g} s timeout",
         lambda sim: Faults(latency=TIMEOUT * 3, paths=(PROFILE_USAGE,)),
         ("did not answer within", "attempts"), RETRIED,  # (a loaded CI machine may slow both)
         backoff=True),
    Case("refused", "the server is down (connection refused)", None,
         ("could not talk to 127.0.0.1", "ConnectError"), (0, 0)),
    Case("closed-mid-body", "the server sends half the body, then hangs up",
         lambda sim: Faults(truncate=True), ("could not talk to 127.0.0.1", "attempts"),
         RETRIED, backoff=True),
    Case("invalid-json", "200 with a body that is not JSON (not retried)",
         lambda sim: Faults(invalid_json=True), ("invalid JSON",), (1, 2)),
    Case("not-an-envelope", "valid JSON without the data envelope",
         _canned(_no_data), ("returned data usage-top cannot use", "data"), (1, 2)),
    Case("wrong-type", "by_key is a string instead of a list",
         _canned(_wrong_type), ("cannot use", "by_key"), (1, 2)),
    Case("negative-counts", "a key row with requests: -5",
         _canned(_rows(_set(requests=-5))), ("cannot use", "requests", "greater than"), (1, 2)),
    Case("huge-counts", "a key row with requests: 10^30 (SQLite cannot hold it)",
         _canned(_rows(_set(requests=10**30))), ("cannot use", "requests", "less than"), (1, 2)),
    Case("nan-credits", "a key row with credits: NaN",
         _canned(_rows(_set(credits=float("nan")))),
         ("cannot use", "credits"), (1, 2)),
    # Odd but valid: the poll succeeds and the store holds what makes sense of it.
    Case("null-empty-names", "key names null, empty and blank",
         _canned(_rows(_names)), accepted=_check_unnamed),
    Case("bad-timestamps", "last_used is not a timestamp",
         _canned(_rows(_set(last_used="yesterday-ish"))), accepted=_check_unparsable_time),
    Case("shares-not-100", "percentages that sum to far more than 100",
         _canned(_rows(_shares)), accepted=_nothing),
    Case("duplicate-keys", "the same key twice in by_key (merged, not double-listed)",
         _canned(_rows(_duplicated)), accepted=_check_merged),
    # These two list less than the totals (one row; rows without credits): ``report`` then
    # asks for the range's key listing too, to fill the "other keys" row (#16).
    Case("duplicate-json-members", "one object with the same member twice",
         _canned(_duplicate_json_keys), accepted=_check_duplicate_json, one_shot=(2, 3)),
    Case("250-rows", "250 key rows (the vendor's top-100 limit ignored)",
         _canned(_rows(_many)), accepted=_check_many),
    Case("extra-fields", "unknown extra fields in every row",
         _canned(_rows(_extras)), accepted=_nothing),
    Case("missing-optional", "rows with only name and requests",
         _canned(_rows(_minimal)), accepted=_nothing, one_shot=(2, 3)),
    Case("odd-scopes", "usage 300% of its limit, a limit of 0, no portal scope",
         _canned(_odd_scopes, PROFILE_USAGE), accepted=_check_scopes),
)


BACKOFF_WINDOWS = [(0.5 * 2**n * 0.75, 0.5 * 2**n) for n in range(MAX_RETRIES)]


def check_backoff(case: Case, slept: list[float]) -> None:
    """The client's own record of its waits: each backoff step was taken, none shorter."""
    if case.backoff:
        for low, high in BACKOFF_WINDOWS:
            assert any(low <= wait <= high for wait in slept), (case.id, low, high, slept)
    if case.gap:
        assert slept and max(slept) >= case.gap * 0.9, (case.id, slept)


def case_ids() -> list[str]:
    return [case.id for case in CASES]


def attempts_gaps(sim: Simulator, since: int, path: str | None = None) -> list[float]:
    """Virtual seconds between consecutive attempts at the same path, from the server's log."""
    last: dict[str, float] = {}
    gaps = []
    for record in sim.requests[since:]:
        if path is not None and record.path != path:
            continue
        if record.path in last:
            gaps.append((record.time - last[record.path]) * SCALE)
        last[record.path] = record.time
    return gaps


def one_line(text: str) -> str:
    assert text, "no error text"
    assert "\n" not in text and "Traceback" not in text and "internal error" not in text, text
    assert len(text) <= 400, text
    return text


class Restartable:
    """A simulator server that can go down (connection refused) and come back on its port."""

    def __init__(self, sim: Simulator) -> None:
        from usage_top.sim import SimServer

        self.sim = sim
        self._server = SimServer(sim).start()
        self.port = self._server.port
        self.url = self._server.url

    def down(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def up(self) -> None:
        from usage_top.sim import SimServer

        if self._server is None:
            self._server = SimServer(self.sim, port=self.port).start()

    def apply(self, case: Case) -> None:
        """Install the case's faults (or take the server down)."""
        if case.make is None:
            self.down()
        else:
            self.sim.set_faults(case.make(self.sim))

    def recover(self) -> None:
        self.sim.set_faults(Faults())
        self.up()

    def close(self) -> None:
        self.down()


def build_history(path, now: dt.datetime) -> None:
    """A database after one good poll at ``now`` (31 days backfilled), to copy per test."""
    from usage_top.pipeline.collector import Collector
    from usage_top.providers.http import ApiClient
    from usage_top.providers.pubrio import PubrioProvider
    from usage_top.sim import SimServer
    from usage_top.store import Store

    sim = Simulator(seed=7, clock=lambda: now, tz="UTC")

    async def poll(url: str, store: Store) -> None:
        async with ApiClient(url, {AUTH_HEADER: DEMO_API_KEY}) as client:
            collector = Collector(PubrioProvider(client, dt.UTC), store, tz=dt.UTC,
                                  clock=lambda: now)
            assert (await collector.poll_once()).ok

    with SimServer(sim).start() as server, Store(path) as store:
        asyncio.run(poll(server.url, store))


SOAK = os.environ.get("USAGE_TOP_SOAK") == "1"
"""``USAGE_TOP_SOAK=1``: every case everywhere, and the long crash and concurrency runs."""

CORE = frozenset({
    "429", "429-retry-after-date", "429-retry-after-too-long", "503", "slow", "refused",
    "closed-mid-body", "invalid-json", "huge-counts", "null-empty-names", "250-rows", "odd-scopes",
})
"""The cases ``report`` and the dashboard run in CI (one of each kind; the collector
runs them all, and so does everything with USAGE_TOP_SOAK=1)."""


def tui_cases() -> tuple[Case, ...]:
    """The cases for the front ends above the collector (report, dashboard)."""
    return CASES if SOAK else tuple(case for case in CASES if case.id in CORE)


def scale_runtime_client(monkeypatch, scaled: ScaledTime) -> None:
    """The one seam of the CLI tests: the ApiClient a ``Runtime`` builds gets scaled
    sleeps and clock (the client, the socket and the server are all real)."""
    import functools

    from usage_top.pipeline import runtime
    from usage_top.providers import http

    scaled_client = functools.partial(http.ApiClient, sleep=scaled.sleep, clock=scaled.clock)
    monkeypatch.setattr(http, "ApiClient", scaled_client)
    if hasattr(runtime, "ApiClient"):  # imported at module level by older runtimes
        monkeypatch.setattr(runtime, "ApiClient", scaled_client)
