"""Anthropic's and Lusha's errors as the dashboard shows them: the banner's one line
names the cause, the header says ERROR, the app keeps running (no traceback), on each
vendor's simulator over loopback with frozen time. The same errors through ``report``
and ``check`` are ``tests/test_vendor_errors.py``; this reuses its cases."""

from __future__ import annotations

from collections import Counter

import pytest

from ..test_vendor_errors import CASES
from .conftest import settle
from .test_tui_faults import screen_text


THEN = {
    "anthropic-429": "Backing off until 14:44:00 UTC, then polling again",  # retry-after 300 s
    "anthropic-529": "Next try at 14:40:00 UTC",
    "lusha-429": "Backing off until 14:39:30 UTC, then polling again",
    "lusha-503": "Next try at 14:39:30 UTC",
}
"""What the banner says comes next; for the rest (the user must act) polling stops."""
STOPPED = "Polling stopped: fix this, then press r to retry."


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_the_banner_names_the_cause(make_vendor_app, clock, case):
    app = make_vendor_app(case.provider, key=case.key)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        if case.faults is not None:  # a good poll first: the error comes to a full screen
            assert app.last_outcome.ok, app.last_outcome.error
            clock.advance(minutes=2)
            app.simulator.set_faults(case.faults)
            await pilot.press("r")
            await settle(pilot)
        assert app.is_running and not app._exit_renderables, case.id
        shown = str(app.screen.query_one("#banner").content)
        assert "\n" not in shown.strip(), shown
        assert all(fragment in shown for fragment in case.says), shown
        assert THEN.get(case.id, STOPPED) in shown, shown
        text = screen_text(app)
        assert "ERROR" in text.splitlines()[0] and "Traceback" not in text
        if case.faults is not None and case.id in THEN:  # the last good figures stay, aged
            assert "Showing data from 2m ago" in shown, shown
        if case.id == "anthropic-529":  # retried like a 503: the failing request 5 times in all
            overloaded = Counter(r.path for r in app.simulator.requests if r.status == 529)
            assert max(overloaded.values()) >= 5, overloaded  # the others may be stopped early
