"""--redact in the dashboard: no real account or key name on any screen, toast or export."""

from __future__ import annotations

import pytest

from usage_top.commands.export import exports_dir

from ..test_redact import leaks, real_names
from .conftest import settle


@pytest.mark.parametrize("size", [(120, 36), (80, 24)])
async def test_no_real_name_on_any_screen_or_toast(make_app, store, size):
    app = make_app(redact=True)
    async with app.run_test(size=size, notifications=True) as pilot:
        await settle(pilot)
        names = real_names(store)
        shown = [app.export_screenshot()]
        toasts: list[str] = []
        for keys in (["tab", "e"], ["y"], ["enter"], ["escape", "v"], ["escape", "K"],
                     ["escape", "b"], ["escape", "u"], ["y"]):
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
            shown.append(app.export_screenshot())
            toasts += [f"{n.title} {n.message}" for n in app._notifications]  # a new screen clears them
        assert any("Exported" in toast for toast in toasts), toasts
        exported = list(exports_dir().glob("*"))
        assert exported
        texts = [*(svg.replace("&#160;", " ") for svg in shown), *toasts,
                 *(path.read_text() for path in exported)]
        for text in texts:
            assert leaks(text, names) == []
        assert "REDACTED" in texts[0]
