"""One typed configuration: TOML file, then environment, then command-line flags.

Later sources win: a flag overrides an environment variable, which overrides the
file. The API key is deliberately not a flag (argv is visible to every user of the
machine in ``ps``); it comes from the vendor's own variable (``PUBRIO_API_KEY``,
``OPENAI_ADMIN_KEY``… see ``providers/registry``), ``USAGE_TOP_API_KEY`` or the file.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from usage_top.config_errors import explain, joined
from usage_top.providers import registry

_HOST = re.compile(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?|[0-9a-f:.]+")
"""A host name (ASCII; punycode for others), IPv4 address, or IPv6 address (no brackets)."""

_config_file: ContextVar[dict[str, Any]] = ContextVar("usage_top_config_file", default={})
_from_vendor: ContextVar[dict[str, str]] = ContextVar("usage_top_from_vendor", default={})
"""The settings the vendor's variables gave, by field: an error names the variable."""
_one_account: ContextVar[bool] = ContextVar("usage_top_one_account", default=False)
"""An account's settings are being validated (``Settings._for_account``): from what the
top-level settings and the account's table give, and its vendor's variables, only."""


class ConfigError(Exception):
    """A configuration problem, explained in one line."""


def default_config_path() -> Path:
    """``$XDG_CONFIG_HOME/usage-top/config.toml`` (or ``~/.config/...``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "usage-top" / "config.toml"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _FileSource(PydanticBaseSettingsSource):
    """Feeds the already-parsed TOML file to pydantic-settings as the lowest source."""

    def get_field_value(self, field, field_name):  # pragma: no cover - unused by __call__
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        """The file's values, less the settings a higher source already gives.

        The environment and the flags key an aliased setting by its alias
        (``PUBRIO_API_KEY``) while the file uses its name (``api_key``); passing
        both would make pydantic take one and refuse the other as an unknown
        setting, so a key in the file plus one in the environment failed.
        """
        data = dict(_config_file.get())
        given = {str(name).lower() for name in self.current_state}
        for name, field in self.settings_cls.model_fields.items():
            alias = field.validation_alias
            aliases = alias.choices if isinstance(alias, AliasChoices) else [alias] if alias else []
            names = {name, *aliases}
            if any(isinstance(n, str) and n.lower() in given for n in names):
                for n in names:
                    data.pop(n, None)
        return data


class _VendorSource(PydanticBaseSettingsSource):
    """The chosen vendor's own variables for its key and base URL (``OPENAI_ADMIN_KEY``,
    ``OPENAI_BASE_URL``…): the names the vendors' SDKs read, so an existing setup works
    as it is. Above the file, below usage-top's own variables and the flags; only the
    chosen vendor's are read, so one vendor's key is never sent to another."""

    def get_field_value(self, field, field_name):  # pragma: no cover - unused by __call__
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        given = {str(name).lower() for name in self.current_state}
        provider = self.current_state.get("provider") or _config_file.get().get("provider")
        try:
            vendor = registry.vendor(str(provider or registry.DEFAULT))
        except ValueError:
            return {}  # the provider setting says what is wrong
        found = {}
        for field, variable in (("api_key", vendor.key_env), ("base_url", vendor.base_url_env)):
            if variable in os.environ and not given & {field, f"usage_top_{field}"}:
                found[field] = os.environ[variable]
                _from_vendor.get()[field] = variable
        return found


_PERIODS = ("minute", "hourly", "daily", "monthly")

MIN_INTERVAL = 5.0
"""The shortest poll interval (seconds) any vendor gets; some ask for longer."""

THEMES = (
    "ansi-dark", "ansi-light", "atom-one-dark", "atom-one-light", "catppuccin-frappe",
    "catppuccin-latte", "catppuccin-macchiato", "catppuccin-mocha", "dracula", "flexoki",
    "gruvbox", "monokai", "nord", "rose-pine", "rose-pine-dawn", "rose-pine-moon",
    "solarized-dark", "solarized-light", "textual-dark", "textual-light", "tokyo-night",
)
"""Textual's built-in themes, named here because importing Textual costs ``report`` and
``check`` seconds; a test checks this list against ``textual.theme.BUILTIN_THEMES``."""


class Thresholds(BaseModel):
    """One scope's amber and red thresholds in percent; an unset one is the global one."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    amber: float | None = Field(default=None, gt=0, le=100)
    red: float | None = Field(default=None, gt=0, le=100)


_ACCOUNT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
"""An account's name: it names its database file, so letters, digits, '-' and '_'."""

DEFAULT_ACCOUNT = "default"
"""The account of a configuration without ``[accounts.*]``: the settings themselves."""


class Account(BaseModel):
    """One ``[accounts.<name>]`` table: what differs from the top-level settings.

    Unset fields take the top-level value, except the ones that belong to one
    vendor account (its key, base URL, budgets and database), which are never
    shared: one vendor's key is never sent to another.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    provider: str | None = None
    key_env: str | None = Field(
        default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
        description="The environment variable holding this account's key (default: the "
        "vendor's, e.g. OPENAI_ADMIN_KEY).")
    api_key: SecretStr | None = None
    base_url: str | None = None
    timezone: str | None = None
    amber: float | None = None
    red: float | None = None
    thresholds: dict[str, Thresholds] | None = None
    budgets: dict[str, float] | None = None
    interval: float | None = None
    db: Path | None = None


_OWN_FIELDS = ("api_key", "base_url", "budgets", "db")
"""Top-level settings an account does not inherit (see ``Account``)."""


class Settings(BaseSettings):
    """Everything usage-top can be told, with the default a new user gets."""

    model_config = SettingsConfigDict(
        env_prefix="USAGE_TOP_", extra="forbid", populate_by_name=True, frozen=True,
        allow_inf_nan=False,  # 'nan' is no number of seconds (it compares false to any bound)
    )

    provider: str = Field(default=registry.DEFAULT, description="The vendor: "
                          + ", ".join(registry.names()) + ".")
    api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("USAGE_TOP_API_KEY", "api_key"),
        description="Vendor API key; the vendor's variable, USAGE_TOP_API_KEY or the config "
        "file, never a flag.",
    )
    base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("USAGE_TOP_BASE_URL", "base_url"),
        description="The vendor's API; its variable or the vendor's own URL by default.",
    )
    budgets: dict[str, float] = Field(
        default_factory=dict,
        description="Monthly spending budgets where the vendor has no limits of its own: "
        "'org' for the whole organisation, or a project/workspace id or name -> amount.",
    )
    prices: dict[str, dict[str, float | str]] = Field(
        default_factory=dict,
        description="Price overrides for cost estimates, in dollars per million tokens: model "
        "-> {input, output[, cache_read, cache_write_5m, cache_write_1h, since]}; "
        "web_search -> {per_1k}.",
    )
    demo: bool = Field(default=False, description="Run on the built-in simulator.")
    db: Path | None = Field(default=None, description="SQLite file; default in the XDG data dir.")
    interval: float = Field(default=30.0, ge=MIN_INTERVAL, le=86400.0,
                            description="Seconds between polls (5 to 86400).")
    timeout: float = Field(default=10.0, gt=0, le=120, description="HTTP timeout in seconds.")
    timezone: str = Field(default="UTC", description="Workspace timezone (IANA name).")
    amber: float = Field(default=75.0, gt=0, le=100, description="Amber threshold, percent.")
    red: float = Field(default=90.0, gt=0, le=100, description="Red threshold, percent.")
    poll: bool = Field(default=True, description="False: only read the database (--no-poll).")
    redact: bool = Field(default=False, description="Share-safe output: account, key, project "
                         "and email names as pseudonyms (--redact).")
    thresholds: dict[str, Thresholds] = Field(
        default_factory=dict,
        description="Per-scope thresholds: 'api.hourly' (scope.period) or 'api' (every period "
        "of a scope) -> {amber, red}; unset values fall back to amber and red.",
    )
    clear_margin: float = Field(
        default=5.0, ge=0, lt=100,
        description="Percentage points below a threshold before its alert clears.")
    bell: bool = Field(default=False, description="Ring the terminal bell on a new alert.")
    alert_command: str | None = Field(
        default=None,
        description="Shell command run for each alert event, with USAGE_TOP_EVENT_* variables.")
    alert_timeout: float = Field(
        default=10.0, gt=0, le=300, description="Seconds before the alert command is killed.")
    anomaly_multiple: float = Field(
        default=3.0, gt=1,
        description="Flag a key whose use today (the cost measure) exceeds this multiple of its "
        "7-day median.")
    snooze_minutes: float = Field(
        default=60.0, gt=0, le=7 * 24 * 60, description="How long acknowledging a scope silences it.")
    theme: str | None = Field(
        default=None,
        description="The dashboard's Textual theme (nord, gruvbox, textual-light…); the command "
        "palette's 'Theme' switches it for the session.")
    keymap: dict[str, str] = Field(
        default_factory=dict,
        description="Remapped bindings: binding id -> keys, e.g. {quit = 'ctrl+c', billing = 'B'}.",
    )
    accounts: dict[str, Account] = Field(
        default_factory=dict,
        description="Named accounts, each with its provider, key_env, base_url, timezone, "
        "thresholds, budgets and interval; the top-level settings are their defaults.",
    )
    _account: str = PrivateAttr(default=DEFAULT_ACCOUNT)
    _secrets: tuple[str, ...] = PrivateAttr(default=())
    _number: int = PrivateAttr(default=1)
    _key_env: str | None = PrivateAttr(default=None)
    _origins: dict[str, str] = PrivateAttr(default_factory=dict)
    """Where each given setting came from (flag, variable or file), for error messages."""
    _accounts: dict[str, Settings] | None = PrivateAttr(default=None)
    """``account_settings()``, built once: validating an account's settings costs ~5 ms,
    and start-up asks for them three times (20 accounts: 0.3 s before the first frame)."""

    @field_validator("provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        registry.vendor(value)  # ValueError naming the known ones
        return value

    @field_validator("prices")
    @classmethod
    def _valid_prices(cls, value: dict[str, dict[str, float | str]]) -> dict[str, dict[str, float | str]]:
        from usage_top.providers.prices import PriceTable

        PriceTable().overridden(value)  # a ValueError naming the bad entry
        return value

    @field_validator("db", mode="before")
    @classmethod
    def _a_file_path(cls, value: Any) -> Any:
        """A readable message for what pydantic would call 'not a valid path'."""
        if value is None or isinstance(value, Path):
            text = None if value is None else str(value)
        elif isinstance(value, str):
            text = value
        else:
            raise ValueError(f"must be a file path as text, not {type(value).__name__}")
        if text is not None and "\x00" in text:
            raise ValueError("not a valid path (it holds a NUL character)")
        if text is not None and Path(text).expanduser().is_dir():  # "" is the current one
            shown = text if text.strip() else "an empty path (the current directory)"
            raise ValueError(f"{shown} is a directory: give a file name inside it")
        return None if text is None else Path(text).expanduser()

    @field_validator("budgets")
    @classmethod
    def _positive_budgets(cls, value: dict[str, float]) -> dict[str, float]:
        for name, amount in value.items():
            if not amount > 0:
                raise ValueError(f"budgets.{name}: must be a positive amount")
        return value

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_no_key(cls, value: Any) -> Any:
        """``PUBRIO_API_KEY=`` (set but empty) means no account, not a key that will get 401s.

        A key pasted with a trailing newline or spaces is taken without them; one
        with a line break or a non-ASCII character inside cannot go in an HTTP
        header, and is refused here (without echoing it) rather than on first use.
        """
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            return None
        if not (value.isascii() and value.isprintable()):
            raise ValueError("contains a line break, a control or a non-ASCII character "
                             "(check how it was pasted)")
        return value

    @field_validator("accounts")
    @classmethod
    def _account_names(cls, value: dict[str, Account]) -> dict[str, Account]:
        for name in value:
            if not _ACCOUNT_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an account name: use lower-case letters, "
                                 "digits, '-' and '_' (it names the account's database file)")
        return value

    @field_validator("theme")
    @classmethod
    def _known_theme(cls, value: str | None) -> str | None:
        if value is not None and value not in THEMES:
            raise ValueError(f"unknown theme {value!r} (known: {', '.join(THEMES)})")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {value!r} (use an IANA name such as Europe/Paris)") from None
        return value

    @field_validator("base_url")
    @classmethod
    def _https_unless_loopback(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        if not _HOST.fullmatch(parts.hostname):
            raise ValueError(f"{parts.hostname!r} is not a valid host name")
        try:
            parts.port  # noqa: B018 - raises on a port out of range or not a number
        except ValueError:
            raise ValueError(f"{value!r} has an invalid port") from None
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ValueError("must be https:// (plain http is only allowed on loopback)")
        return value.rstrip("/")

    @field_validator("alert_command", mode="before")
    @classmethod
    def _empty_command_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("thresholds")
    @classmethod
    def _known_scope_names(cls, value: dict[str, Thresholds]) -> dict[str, Thresholds]:
        for name in value:
            scope, _, period = name.partition(".")
            if not scope or (period and period not in _PERIODS):
                raise ValueError(
                    f"{name!r} is not a scope name: use 'api' or 'api.hourly' "
                    f"(periods: {', '.join(_PERIODS)})")
        return value

    @model_validator(mode="after")
    def _amber_below_red(self) -> Settings:
        if self.amber >= self.red:
            raise ValueError(f"amber ({self.amber:g}) must be below red ({self.red:g})")
        for name in self.thresholds:
            amber, red = self.thresholds_for(name)
            if amber >= red:
                raise ValueError(f"thresholds.{name}: amber ({amber:g}) must be below red ({red:g})")
        return self

    def thresholds_for(self, name: str) -> tuple[float, float]:
        """(amber, red) percent for a scope name such as ``api.hourly``: its own entry,
        then its scope's (``api``), then the global ``amber`` and ``red``."""
        amber, red = self.amber, self.red
        scope = name.partition(".")[0]
        for entry in (self.thresholds.get(scope), self.thresholds.get(name)):
            if entry is not None:
                amber = entry.amber if entry.amber is not None else amber
                red = entry.red if entry.red is not None else red
        return amber, red

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def url(self) -> str:
        """The base URL to reach: the configured one, else the vendor's."""
        return self.base_url or registry.vendor(self.provider).default_base_url

    @property
    def vendor_budgets(self) -> dict[str, float]:
        """``budgets`` as the adapters take them: '' is the whole organisation."""
        return {"" if name == "org" else name: amount for name, amount in self.budgets.items()}

    @property
    def simulated(self) -> bool:
        """Demo mode: asked for, or no account configured at all."""
        return self.demo or self.api_key is None

    @property
    def account(self) -> str:
        """The name of the account these settings are for (``default`` without accounts)."""
        return self._account

    @property
    def key_variable(self) -> str | None:
        """The variable this account's key was read from, where the account names its
        own (``key_env``); None for the vendor's variable or a key in the file."""
        return self._key_env

    @property
    def account_number(self) -> int:
        """This account's place (1, 2…) among the accounts it was configured with
        (the file's order; the demo's: the registry's): its pseudonym under
        ``--redact`` (``account-2``), the same in the dashboard, ``report --account``
        and ``check``."""
        return self._number

    @property
    def secret_variables(self) -> tuple[str, ...]:
        """Every variable that may hold a key (each vendor's, each account's ``key_env``):
        none is passed to the alert command."""
        if self._secrets:
            return self._secrets
        named = (account.key_env for account in self.accounts.values() if account.key_env)
        return (*(registry.vendor(name).key_env for name in registry.names()), *named)

    def account_settings(self) -> dict[str, Settings]:
        """Each configured account's effective settings, in the file's order: the
        top-level ones with the account's own on top; without ``[accounts.*]``, these
        settings as the account ``default``. ConfigError naming the account and field."""
        if not self.accounts:
            return {DEFAULT_ACCOUNT: self}
        if self._accounts is None:
            self._accounts = {name: self._for_account(name, account, number)
                              for number, (name, account) in enumerate(self.accounts.items(), 1)}
        return dict(self._accounts)

    def fleet(self) -> dict[str, Settings]:
        """The accounts the dashboard, ``collect`` and ``check`` watch: the configured
        ones, or, for a demo with nothing configured (no accounts, no provider chosen),
        the simulated accounts of ``registry.DEMO_ACCOUNTS``."""
        if self.accounts or not self.simulated or "provider" in self.model_fields_set:
            return self.account_settings()
        return {name: self._for_account(name, Account(provider=name, **demo), number, demo=True)
                for number, (name, demo) in enumerate(registry.DEMO_ACCOUNTS.items(), 1)}

    def _for_account(self, name: str, account: Account, number: int,
                     demo: bool = False) -> Settings:
        base = self.model_dump(exclude={"accounts", *_OWN_FIELDS})
        own = account.model_dump(exclude_unset=True, exclude={"key_env"})
        merged = {**base, **own, **({"demo": True} if demo else {})}
        provider = merged.get("provider") or registry.DEFAULT
        key_env = account.key_env or _vendor_key_env(provider)
        from_variable = bool(account.api_key is None and key_env and os.environ.get(key_env, "").strip())
        if from_variable:
            merged["api_key"] = os.environ[key_env]
        if "db" not in own and name != DEFAULT_ACCOUNT and self.db is not None:
            merged["db"] = self.db.with_name(f"{self.db.stem}-{name}{self.db.suffix}")
        elif "db" not in own and name == DEFAULT_ACCOUNT:
            merged["db"] = self.db
        token = _one_account.set(True)
        try:
            settings = Settings.model_validate(merged)
        except ValidationError as exc:
            origins = {**self._origins, **dict.fromkeys(own, self._origins.get("accounts"))}
            raise ConfigError("bad configuration: "
                              f"{_first_error(exc, origins, f'accounts.{name}')}") from None
        finally:
            _one_account.reset(token)
        if settings.api_key is None and not settings.demo:
            variable = f"${key_env}" if key_env else "its key variable"
            raise ConfigError(f"bad configuration: accounts.{name}.key_env: no API key for this "
                              f"account ({variable} is not set; or use --demo)")
        settings._account = name
        settings._number = number
        settings._key_env = account.key_env if from_variable else None
        settings._secrets = self.secret_variables
        return settings

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        """Flags, usage-top's variables, the vendor's, the file. An account has the
        top-level settings merged in already, so it reads no variable or file again:
        they would hand it the top-level key, base URL and budgets it must not inherit
        (a Pubrio account sent its key to the URL set for OpenAI)."""
        if _one_account.get():
            return (init_settings, _VendorSource(settings_cls))
        return (init_settings, env_settings, _VendorSource(settings_cls), _FileSource(settings_cls))


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    return data


def _vendor_key_env(provider: str) -> str | None:
    try:
        return registry.vendor(provider).key_env
    except ValueError:
        return None  # validating the account names the bad provider


def _first_error(exc: ValidationError, origins: dict[str, str], prefix: str = "") -> str:
    """The first error in one line: the setting, what it must be, and where the bad
    value came from (``origins``: setting -> flag, variable or file)."""
    error = exc.errors()[0]
    loc = [_ALIASES.get(str(part).lower(), str(part)) for part in error["loc"][:1]]
    loc += [str(part) for part in error["loc"][1:]]
    error = {**error, "loc": tuple(loc)}
    where = ".".join(loc)
    if prefix:
        where = f"{prefix}.{where}" if loc else prefix
    message = explain(error, Settings)
    if loc:
        named = [loc[0]]
    else:  # a check across settings (amber below red): the settings it names
        named = [name for name in origins if re.search(rf"\b{name}\b", message)]
    sources = list(dict.fromkeys(origins[name] for name in named if origins.get(name)))
    return joined(where, message, ", ".join(sources) or None)


_ALIASES = {choice.lower(): name for name, field in Settings.model_fields.items()
            if isinstance(field.validation_alias, AliasChoices)
            for choice in field.validation_alias.choices if isinstance(choice, str)}
"""Setting by the variable pydantic names it after (``USAGE_TOP_BASE_URL``: base_url)."""

_FLAGS = {"poll": "--no-poll"}
"""Settings whose flag is not ``--`` and the setting's name with dashes."""


def _origins(flags: dict[str, Any], path: Path) -> dict[str, str]:
    """Where each given setting came from, highest source first: its flag, usage-top's
    variable, the vendor's variable, the config file."""
    environment = {name.upper() for name in os.environ}
    file = _config_file.get()
    origins = {}
    for name in Settings.model_fields:
        variable = f"USAGE_TOP_{name.upper()}"
        if name in flags:
            origins[name] = _FLAGS.get(name, "--" + name.replace("_", "-"))
        elif variable in environment:
            origins[name] = variable
        elif name in _from_vendor.get():
            origins[name] = _from_vendor.get()[name]
        elif name in file:
            origins[name] = str(path)
    return origins


def file_warning(path: Path) -> str | None:
    """A warning when a config file holding a key can be read by other users."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    data = _read_file(path)
    accounts = data.get("accounts")
    in_accounts = isinstance(accounts, dict) and any(
        isinstance(table, dict) and "api_key" in table for table in accounts.values())
    if mode & (stat.S_IRGRP | stat.S_IROTH) and ("api_key" in data or in_accounts):
        return f"warning: {path} holds an API key and is readable by other users (chmod 600 it)"
    return None


def load_settings(config_path: Path | None = None, **flags: Any) -> Settings:
    """Build the settings from file, environment and flags; ConfigError on any problem.

    ``flags`` are command-line values; ``None`` means "not given" and is dropped so
    that lower sources still apply.
    """
    named = config_path or os.environ.get("USAGE_TOP_CONFIG")
    path = Path(named) if named else default_config_path()
    if named and not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    given = {name: value for name, value in flags.items() if value is not None}
    token, vendor_token = _config_file.set(_read_file(path)), _from_vendor.set({})
    try:
        settings = Settings(**given)
        settings._origins = _origins(given, path)
        settings.account_settings()  # a bad account fails now, naming the account and field
        return settings
    except ValidationError as exc:
        raise ConfigError(f"bad configuration: {_first_error(exc, _origins(given, path))}") from None
    except SettingsError as exc:  # a variable pydantic-settings could not decode (JSON)
        name = re.search(r'field "(\w+)"', str(exc))
        field = name.group(1) if name else "config"
        origin = _origins(given, path).get(field)
        raise ConfigError(f"bad configuration: {joined(field, 'not valid JSON', origin)}") from None
    finally:
        _config_file.reset(token)
        _from_vendor.reset(vendor_token)
