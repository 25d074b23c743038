"""Settings: TOML file < environment < flags, and a one-line error for every bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from usage_top.config import (
    ConfigError,
    Settings,
    file_warning,
    load_settings,
)

KEY = "pk_test_Cfg7QZ0000distinctive"


@pytest.fixture
def config(isolated_env: Path, monkeypatch: pytest.MonkeyPatch):
    """Write a config file (mode 0600) and return its path; env is clean of our variables."""
    for name in ("USAGE_TOP_INTERVAL", "USAGE_TOP_TIMEZONE", "USAGE_TOP_DB", "USAGE_TOP_BASE_URL",
                 "USAGE_TOP_API_KEY", "USAGE_TOP_DEMO", "USAGE_TOP_AMBER", "USAGE_TOP_RED"):
        monkeypatch.delenv(name, raising=False)

    def write(text: str, mode: int = 0o600) -> Path:
        path = isolated_env / "config.toml"
        path.write_text(text)
        path.chmod(mode)
        return path

    return write


FILE = f"""
api_key = "{KEY}"
base_url = "http://localhost:7001"
interval = 40
timezone = "Europe/Paris"
amber = 60
red = 80
db = "/tmp/from-file.db"
"""


def test_defaults_without_file_or_env(config, isolated_env):
    settings = load_settings()  # the XDG default path, which does not exist
    assert settings.base_url is None and settings.url == "https://api.pubrio.com"
    assert settings.provider == "pubrio"
    assert settings.interval == 30 and settings.timezone == "UTC"
    assert settings.api_key is None and settings.simulated is True
    assert (settings.amber, settings.red) == (75, 90)


def test_a_named_config_file_that_does_not_exist_is_an_error(isolated_env, monkeypatch):
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(isolated_env / "missing.toml")
    monkeypatch.setenv("USAGE_TOP_CONFIG", str(isolated_env / "also-missing.toml"))
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings()


def test_an_empty_key_means_no_account(isolated_env, monkeypatch):
    monkeypatch.setenv("PUBRIO_API_KEY", "  ")
    assert load_settings().simulated is True


def test_file_values_apply(config):
    settings = load_settings(config(FILE))
    assert settings.api_key.get_secret_value() == KEY
    assert settings.base_url == "http://localhost:7001"
    assert settings.interval == 40 and settings.timezone == "Europe/Paris"
    assert (settings.amber, settings.red) == (60, 80)
    assert settings.db == Path("/tmp/from-file.db")
    assert settings.simulated is False


def test_default_file_is_found_through_the_environment(config, monkeypatch):
    path = config("interval = 45\n")
    monkeypatch.setenv("USAGE_TOP_CONFIG", str(path))
    assert load_settings().interval == 45


def test_default_file_is_in_the_xdg_config_dir(config, isolated_env):
    path = isolated_env / "config" / "usage-top" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('timezone = "Asia/Tokyo"\n')
    assert load_settings().timezone == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        ("USAGE_TOP_INTERVAL", "50", "interval", 50.0),
        ("USAGE_TOP_TIMEZONE", "America/New_York", "timezone", "America/New_York"),
        ("PUBRIO_BASE_URL", "https://api.example.com/", "base_url", "https://api.example.com"),
        ("USAGE_TOP_BASE_URL", "http://127.0.0.1:9", "base_url", "http://127.0.0.1:9"),
        ("PUBRIO_API_KEY", "pk_from_env", "api_key", "pk_from_env"),
        ("USAGE_TOP_API_KEY", "pk_from_env", "api_key", "pk_from_env"),
    ],
)
def test_environment_beats_the_file(config, monkeypatch, variable, value, field, expected):
    path = config(FILE)
    monkeypatch.setenv(variable, value)
    settings = load_settings(path)
    got = getattr(settings, field)
    assert (got.get_secret_value() if field == "api_key" else got) == expected
    # the rest of the file still applies
    assert settings.amber == 60 and settings.db == Path("/tmp/from-file.db")


def test_flags_beat_environment_and_file(config, monkeypatch):
    path = config(FILE)
    monkeypatch.setenv("USAGE_TOP_INTERVAL", "50")
    monkeypatch.setenv("PUBRIO_BASE_URL", "http://127.0.0.1:7002")
    monkeypatch.setenv("PUBRIO_API_KEY", "pk_from_env")
    settings = load_settings(path, interval=7, base_url="http://[::1]:7003", timezone="UTC",
                             db=Path("/tmp/flag.db"), demo=True)
    assert settings.interval == 7
    assert settings.base_url == "http://[::1]:7003"
    assert settings.timezone == "UTC" and settings.db == Path("/tmp/flag.db")
    assert settings.api_key.get_secret_value() == "pk_from_env"  # no flag for the key
    assert settings.demo is True and settings.simulated is True


def test_flags_left_out_do_not_hide_lower_sources(config, monkeypatch):
    monkeypatch.setenv("USAGE_TOP_INTERVAL", "50")
    settings = load_settings(config(FILE), interval=None, base_url=None, timezone=None, demo=None)
    assert settings.interval == 50 and settings.base_url == "http://localhost:7001"
    assert settings.timezone == "Europe/Paris" and settings.demo is False


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("interval = 1", "interval"),
        ("interval = 4.9", "interval"),
        ('interval = "fast"', "interval"),
        ('timezone = "Mars/Olympus_Mons"', "timezone"),
        ('timezone = "../../etc/passwd"', "timezone"),
        ("timezone = 5", "timezone"),
        ('base_url = "http://example.com"', "base_url"),
        ('base_url = "http://127.0.0.1.example.com"', "base_url"),
        ('base_url = "http://localhost.evil.example"', "base_url"),
        ('base_url = "ftp://localhost"', "base_url"),
        ('base_url = "api.pubrio.com"', "base_url"),
        ("amber = 90\nred = 90", "amber"),
        ("amber = 95", "amber"),
        ("red = 50", "amber"),
        ("amber = 0", "amber"),
        ("red = 101", "red"),
        ("timeout = 0", "timeout"),
        ("colour = true", "colour"),
        ("[pubrio]\napi_key = 'x'", "pubrio"),
        ('demo = "maybe"', "demo"),
        ("db = 5", "db"),
        ('provider = "acme"', "provider"),
        ("interval = [30]", "interval"),
    ],
)
def test_bad_file_values_are_one_line_naming_the_setting(config, text, names):
    with pytest.raises(ConfigError) as caught:
        load_settings(config(text + "\n"))
    message = str(caught.value)
    assert "\n" not in message and names in message, message


@pytest.mark.parametrize(
    "text",
    ["interval = ", "api_key = 'unterminated", "[table\n", "a = 1\na = 2", "\x00"],
)
def test_invalid_toml_is_one_line_naming_the_file(config, text):
    path = config(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and "TOML" in message


def test_an_unreadable_file_is_a_config_error(config, isolated_env):
    directory = isolated_env / "a-directory.toml"
    directory.mkdir()
    with pytest.raises(ConfigError) as caught:
        load_settings(directory)
    assert str(directory) in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("flags", "names"),
    [
        ({"interval": 1}, "interval"),
        ({"timezone": "Nowhere/Special"}, "timezone"),
        ({"base_url": "http://example.com"}, "base_url"),
        ({"base_url": "http://10.0.0.1:8080"}, "base_url"),
    ],
)
def test_bad_flags_are_one_line_naming_the_setting(config, isolated_env, flags, names):
    with pytest.raises(ConfigError) as caught:
        load_settings(**flags)
    assert "\n" not in str(caught.value) and names in str(caught.value)


@pytest.mark.parametrize(
    ("variable", "value", "names"),
    [
        ("USAGE_TOP_INTERVAL", "2", "interval"),
        ("USAGE_TOP_TIMEZONE", "Not/AZone", "timezone"),
        ("PUBRIO_BASE_URL", "http://example.com", "BASE_URL"),
    ],
)
def test_bad_environment_values_are_one_line_naming_the_setting(
    config, isolated_env, monkeypatch, variable, value, names
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "\n" not in str(caught.value) and names.lower() in str(caught.value).lower()


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8765", "http://127.0.0.1", "http://localhost:8765", "http://LOCALHOST",
     "http://[::1]:8765", "http://127.1.2.3:9", "https://api.pubrio.com", "https://example.com/v1/"],
)
def test_https_anywhere_and_http_only_on_loopback(config, isolated_env, url):
    settings = load_settings(base_url=url)
    assert settings.base_url == url.rstrip("/")


def test_settings_are_immutable_and_hide_the_key(config):
    settings = load_settings(config(FILE))
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())
    with pytest.raises(Exception):
        settings.interval = 5  # type: ignore[misc]


def test_a_key_in_a_file_others_can_read_is_warned_about(config):
    path = config(FILE, mode=0o644)
    warning = file_warning(path)
    assert warning is not None and str(path) in warning and "\n" not in warning
    assert KEY not in warning
    path.chmod(0o640)
    assert file_warning(path) is not None


def test_no_warning_for_a_private_file_or_one_without_a_key(config, isolated_env):
    assert file_warning(config(FILE, mode=0o600)) is None
    assert file_warning(config("interval = 40\n", mode=0o644)) is None
    assert file_warning(isolated_env / "missing.toml") is None


def test_simulated_without_a_key_or_when_asked(config, isolated_env, monkeypatch):
    assert load_settings().simulated is True
    monkeypatch.setenv("PUBRIO_API_KEY", KEY)
    assert load_settings().simulated is False
    assert load_settings(demo=True).simulated is True
    assert Settings(demo=False).simulated is False


def test_keymap_table_in_the_config_file(isolated_env):
    path = isolated_env / "keys.toml"
    path.write_text('[keymap]\nbilling = "B"\nquit = "ctrl+c"\n')
    assert load_settings(path).keymap == {"billing": "B", "quit": "ctrl+c"}


def test_each_provider_reads_its_own_variables(config, monkeypatch):
    monkeypatch.setenv("PUBRIO_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "sk-admin-test-0000")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:7010/v1")
    pubrio = load_settings()
    assert pubrio.api_key.get_secret_value() == KEY and pubrio.url == "https://api.pubrio.com"
    openai = load_settings(provider="openai")
    assert openai.api_key.get_secret_value() == "sk-admin-test-0000"
    assert openai.url == "http://localhost:7010/v1"


def test_a_provider_without_its_variable_is_a_demo(config, monkeypatch):
    monkeypatch.setenv("PUBRIO_API_KEY", KEY)  # another vendor's key is never sent to this one
    settings = load_settings(provider="anthropic")
    assert settings.api_key is None and settings.simulated is True
    assert settings.url == "https://api.anthropic.com"


def test_the_provider_comes_from_the_file_and_its_key_from_the_environment(config, monkeypatch):
    monkeypatch.setenv("LUSHA_API_KEY", "lusha-key-0000")
    settings = load_settings(config('provider = "lusha"\n'))
    assert settings.provider == "lusha" and settings.api_key.get_secret_value() == "lusha-key-0000"


def test_an_unknown_provider_is_one_line_naming_the_known_ones(config):
    with pytest.raises(ConfigError, match="provider: unknown provider 'acme' \\(known: pubrio, openai"):
        load_settings(provider="acme")


def test_budgets_are_positive_amounts(config):
    settings = load_settings(config('[budgets]\norg = 500\nproj_x = 25.5\n'))
    assert settings.vendor_budgets == {"": 500, "proj_x": 25.5}
    with pytest.raises(ConfigError, match="budgets.org: must be a positive amount"):
        load_settings(config('[budgets]\norg = 0\n'))


# --- every bad value names its setting and the source it came from (#19) ----------

_BAD_VALUES = [  # (setting, a bad value as text, what the message must say)
    ("interval", "nan", "interval must be a number of seconds between 5 and 86400, not 'nan'"),
    ("interval", "2", "interval must be a number of seconds between 5 and 86400"),
    ("timeout", "0", "timeout must be a number of seconds above 0 and at most 120"),
    ("amber", "abc", "amber must be a percentage above 0 and at most 100, not 'abc'"),
    ("clear_margin", "-1", "clear_margin must be a number of points at least 0 and below 100"),
    ("anomaly_multiple", "inf", "anomaly_multiple must be a number above 1, not 'inf'"),
    ("snooze_minutes", "0", "snooze_minutes must be a number of minutes above 0"),
    ("bell", "maybe", "bell must be true or false"),
    ("timezone", "Nowhere/Special", "timezone: unknown timezone 'Nowhere/Special'"),
    ("base_url", "ftp://x", "base_url: 'ftp://x' is not an http(s) URL"),
    ("provider", "acme", "provider: unknown provider 'acme'"),
]


def _message(caught) -> str:
    message = str(caught.value)
    assert "\n" not in message and "Input should" not in message, message
    return message


@pytest.mark.parametrize(("name", "value", "says"), _BAD_VALUES)
def test_a_bad_variable_is_named_with_the_variable(config, isolated_env, monkeypatch,
                                                   name, value, says):
    variable = f"USAGE_TOP_{name.upper()}"
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert _message(caught).endswith(f"(from {variable})") and says in _message(caught)


@pytest.mark.parametrize(("name", "value", "says"), _BAD_VALUES)
def test_a_bad_file_value_is_named_with_the_file(config, name, value, says):
    try:  # a TOML number where the value is one (nan and inf are TOML floats too)
        float(value)
        toml_value = value
    except ValueError:
        toml_value = f'"{value}"'
    path = config(f"{name} = {toml_value}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = _message(caught)
    assert says.split(", not")[0] in message and message.endswith(f"(from {path})"), message


@pytest.mark.parametrize(("flag", "value", "says"), [
    ("interval", "nan", "interval must be a number of seconds between 5 and 86400, not 'nan'"),
    ("timezone", "Nowhere/Special", "timezone: unknown timezone"),
    ("base_url", "http://example.com", "base_url must be https://"),
    ("db", "", "db: an empty path (the current directory) is a directory"),
])
def test_a_bad_flag_is_named_with_the_flag(config, isolated_env, flag, value, says):
    with pytest.raises(ConfigError) as caught:
        load_settings(**{flag: value})
    message = _message(caught)
    assert says in message and message.endswith(f"(from --{flag.replace('_', '-')})"), message


def test_a_flag_wins_over_the_variable_and_is_the_one_named(config, isolated_env, monkeypatch):
    monkeypatch.setenv("USAGE_TOP_INTERVAL", "60")
    with pytest.raises(ConfigError, match=r"\(from --interval\)$"):
        load_settings(interval="1")


def test_the_vendor_variable_is_named_as_the_source(config, isolated_env, monkeypatch):
    monkeypatch.setenv("PUBRIO_BASE_URL", "http://example.com")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert _message(caught).startswith("bad configuration: base_url must be https://")
    assert _message(caught).endswith("(from PUBRIO_BASE_URL)")


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("USAGE_TOP_BUDGETS", "abc", "budgets: not valid JSON"),
    ("USAGE_TOP_KEYMAP", '{"quit": 5}', "keymap.quit must be text"),
    ("USAGE_TOP_THRESHOLDS", '{"api": {"amber": "x"}}',
     "thresholds.api.amber must be a percentage above 0 and at most 100, not 'x'"),
])
def test_tables_from_the_environment_are_named_too(config, isolated_env, monkeypatch,
                                                   variable, value, says):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert says in _message(caught) and _message(caught).endswith(f"(from {variable})")


def test_a_check_across_settings_names_each_source(config, monkeypatch):
    path = config("red = 80\n")
    monkeypatch.setenv("USAGE_TOP_AMBER", "85")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert _message(caught) == (f"bad configuration: amber (85) must be below red (80) "
                                f"(from USAGE_TOP_AMBER, {path})")


def test_an_accounts_bad_value_names_the_account_and_the_file(config):
    path = config("[accounts.staging]\ninterval = 2\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert _message(caught).startswith("bad configuration: accounts.staging.interval must be "
                                       "a number of seconds between 5 and 86400")
    assert _message(caught).endswith(f"(from {path})")


def test_an_inherited_bad_value_names_where_it_was_set(config, monkeypatch):
    path = config("[accounts.staging]\nprovider = 'pubrio'\n")
    monkeypatch.setenv("USAGE_TOP_INTERVAL", "3")
    with pytest.raises(ConfigError, match=r"interval must be .* \(from USAGE_TOP_INTERVAL\)$"):
        load_settings(path)
