"""Themes: Textual's own, chosen in the config (checked there, in one line) and applied
at start; the command palette offers them too."""

from __future__ import annotations

import pytest
from textual.theme import BUILTIN_THEMES

from usage_top.config import THEMES, ConfigError, load_settings

from .conftest import settle


def test_the_config_knows_exactly_textuals_themes():
    """The list the config checks against (it cannot import Textual: report and check
    would pay for it) is Textual's, theme for theme."""
    assert set(THEMES) == set(BUILTIN_THEMES)


def test_an_unknown_theme_is_one_line_naming_the_setting_and_its_source(isolated_env, monkeypatch):
    monkeypatch.setenv("USAGE_TOP_THEME", "neon")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message and message.startswith("bad configuration: theme: unknown theme "
                                                      "'neon' (known: ansi-dark, ")
    assert "nord" in message and message.endswith("(from USAGE_TOP_THEME)")


def test_a_theme_from_the_config_file_is_taken(isolated_env):
    path = isolated_env / "config.toml"
    path.write_text('theme = "gruvbox"\n')
    assert load_settings(path).theme == "gruvbox"


async def test_the_configured_theme_applies_at_start(make_app):
    async with make_app(theme="nord").run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert pilot.app.theme == "nord"
        assert pilot.app.current_theme.name == "nord"


async def test_without_a_theme_textuals_default_stays(make_app):
    async with make_app().run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert pilot.app.theme == "textual-dark"


async def test_the_palette_offers_the_theme_switcher(make_app):
    async with make_app().run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        titles = [command.title for command in pilot.app.get_system_commands(pilot.app.screen)]
        assert "Theme" in titles
