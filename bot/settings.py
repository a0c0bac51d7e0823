"""Every setting of Agglo Assistant, in one object read from ``AGGLO_*`` environment variables.

Read once at each entry point (``load_settings()``: the command line, the web front, the actions,
Rasa's channel and tracker store, the launchers in ``ops/``, the benchmarks) and passed down:
the modules below take what they need as arguments and never read the environment. Defaults
work from a fresh clone; the production profile also reads ``.env`` (``load_settings(env_file=…)``),
the environment winning over it. The README's settings table (docs/operations.md) lists them all.

This module is also the one place that hands the process environment to child processes
(:func:`child_environment`), so that no other module reads ``os.environ``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseSettings, Field, ValidationError, root_validator, validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "AGGLO_"
# The official list of French communes (npm package @etalab/decoupage-administratif, installed
# by `make install`), to recognise communes that are not members.
FRENCH_COMMUNES_FILE = PROJECT_ROOT / "node_modules/@etalab/decoupage-administratif/data/communes.json"
# The npm data packages installed by `make install`: the official datasets `kb build` imports
# (bot/kb/sources/), such as @betagouv/aides-velo.
DATA_PACKAGES_DIR = PROJECT_ROOT / "node_modules"
DEFAULT_MODEL = PROJECT_ROOT / "models" / "agglo.tar.gz"
_LIST_SEPARATORS = re.compile(r"[\s,]+")
_ANY_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - names, not a bind


def _sqlite(path: Path) -> str:
    return f"sqlite:///{path}"


class Settings(BaseSettings):
    """Where the content and the data live, how the servers run, and the production topology."""

    # --- Content and databases (every profile) ---
    kb_dir: Path = PROJECT_ROOT / "kb"
    var_dir: Path = PROJECT_ROOT / "var"
    # The knowledge base; the SQLite files below live in var_dir unless set.
    database_url: str = ""
    feedback_database_url: str = ""
    sessions_database_url: str = ""
    tracker_database_url: str = ""
    # What `python -m bot db upgrade` migrates, with the role that owns the tables.
    migration_database_url: str = ""
    french_communes_file: Path = FRENCH_COMMUNES_FILE
    data_packages_dir: Path = DATA_PACKAGES_DIR
    # Long enough to read a quarter's feedback and conversations; nothing is kept beyond it.
    retention_days: int = Field(90, ge=0)
    # Headline aids are about money and deadlines: a quarterly check bounds how long a changed
    # amount can stay wrong (kb check --stale).
    headline_max_age_days: int = Field(90, ge=0)

    # --- Servers ---
    # Every server listens on loopback only unless configured otherwise.
    bind_host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8000
    rasa_url: str = ""
    # Several Rasa instances (comma or space separated URLs): the web fronts send each
    # conversation to one of them by consistent hashing (bot/web/routing.py); empty: rasa_url.
    rasa_urls: str = ""
    model: Path = DEFAULT_MODEL
    # Rasa's HTTP API is enabled only with this token.
    rasa_api_token: str = ""
    # Shared by the web fronts and Rasa's REST channel: only the web front may ask for agent
    # mode or send /intent payloads (channels/rest.py); it also derives the buttons' key.
    channel_secret: str = ""

    # --- Web front ---
    # Origins whose pages may embed the widget (comma or space separated); default: the front's own.
    allowed_origins: str = ""
    agents_file: Path = PROJECT_ROOT / "var" / "agents.yml"
    # 1 behind HTTPS, so that the console's session cookie is never sent in clear.
    secure_cookies: bool = False
    # 1 on the one web front that owns the content's git repository (the console's editor).
    content_editor: bool = False
    # Prefixes the report's links to the console.
    console_url: str = "http://127.0.0.1:8000"

    # --- Production profile (make run-prod, compose.yml; .env.example) ---
    prod_dir: Path = PROJECT_ROOT / "var" / "prod"
    public_host: str = "127.0.0.1"
    public_port: int = 8080
    rasa_processes: int = Field(2, ge=1)
    action_servers: int = Field(2, ge=1)
    web_fronts: int = Field(2, ge=1)
    # Loopback ports of PostgreSQL and Redis; 0 is a free port at each start.
    pg_port: int = 0
    redis_port: int = 0
    db_name: str = "agglo"
    db_owner: str = "agglo_owner"
    db_owner_password: str = ""
    db_app: str = "agglo_app"
    db_app_password: str = ""
    redis_password: str = ""
    service_user: str = ""
    chat_rate: str = "20r/m"
    chat_burst: int = 10
    rate_limit_exempt: str = ""
    max_body: str = "16k"
    pg_synchronous_commit: str = "on"

    # --- Benchmarks ---
    # The external evaluation utterances (default ../shared/eval/external beside the checkout).
    external_eval: Path | None = None

    class Config:
        env_prefix = ENV_PREFIX
        allow_mutation = False
        extra = "forbid"

    @root_validator(pre=True)
    def _defaults_from_other_settings(cls, values: dict[str, Any]) -> dict[str, Any]:
        """An empty value means "the default" (``AGGLO_PROD_DIR=`` in .env, as compose reads it);
        the databases and files default to var_dir, Rasa's address to its port."""
        given = {name: value for name, value in values.items() if not (isinstance(value, str) and not value.strip())}
        var_dir = Path(given.get("var_dir") or PROJECT_ROOT / "var")
        for name, file_name in (
            ("database_url", "kb.sqlite3"),
            ("feedback_database_url", "feedback.sqlite3"),
            ("sessions_database_url", "sessions.sqlite3"),
            ("tracker_database_url", "tracker.sqlite3"),
        ):
            given.setdefault(name, _sqlite(var_dir / file_name))
        given.setdefault("migration_database_url", given["database_url"])
        given.setdefault("rasa_url", f"http://127.0.0.1:{given.get('rasa_port') or 5005}")
        given.setdefault("agents_file", var_dir / "agents.yml")
        given.setdefault("prod_dir", PROJECT_ROOT / "var" / "prod")
        given.setdefault("service_user", _default_service_user())
        return given

    @validator("rasa_url")
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @validator("pg_synchronous_commit")
    def _synchronous_commit(cls, value: str) -> str:
        allowed = ("on", "off", "local", "remote_write", "remote_apply")
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    # --- Derived views ---
    @property
    def sqlite_path(self) -> Path | None:
        """The knowledge base's file when it is SQLite, else None."""
        prefix = "sqlite:///"
        return Path(self.database_url[len(prefix) :]) if self.database_url.startswith(prefix) else None

    @property
    def origins(self) -> frozenset[str]:
        """The configured widget origins, normalised (empty: the web front's own)."""
        return frozenset(normalise_origin(origin) for origin in split_list(self.allowed_origins))

    @property
    def rasa_instances(self) -> tuple[str, ...]:
        """The Rasa instances the web front talks to: ``rasa_urls``, else ``rasa_url`` alone."""
        return tuple(url.rstrip("/") for url in split_list(self.rasa_urls)) or (self.rasa_url,)

    @property
    def rate_limit_exemptions(self) -> tuple[str, ...]:
        return tuple(split_list(self.rate_limit_exempt))

    @property
    def button_key(self) -> bytes | None:
        """The key that signs the buttons offered to a conversation (bot/core/payloads.py),
        derived from the channel secret so that one secret configures every web front; None
        without a secret (the web front then makes one of its own)."""
        if not self.channel_secret:
            return None
        return hmac.new(self.channel_secret.encode(), b"agglo button signatures", hashlib.sha256).digest()

    def missing_production_secrets(self) -> list[str]:
        """The production profile's required secrets that are not set (variable names)."""
        required = {"db_owner_password": self.db_owner_password, "db_app_password": self.db_app_password}
        required["redis_password"] = self.redis_password
        return [env_name(name) for name, value in required.items() if not value]


def env_name(field_name: str) -> str:
    """The environment variable of a setting: ``AGGLO_`` and its name in capitals."""
    return ENV_PREFIX + field_name.upper()


def split_list(value: str) -> list[str]:
    return [item for item in _LIST_SEPARATORS.split(value) if item.strip()]


def normalise_origin(origin: str) -> str:
    """``HTTP://Example.org:80/`` and ``http://example.org:80`` are the same origin."""
    return origin.strip().rstrip("/").lower()


def own_origins(host: str, port: int) -> frozenset[str]:
    """The web front's own origins, allowed when none is configured."""
    hosts = {"127.0.0.1", "localhost"}
    if host not in _ANY_HOSTS:
        hosts.add(host)
    return frozenset(f"http://{name}:{port}" for name in hosts)


def _default_service_user() -> str:
    """``agglo`` (a system user ops/services.sh creates) when root, else whoever runs us."""
    if os.geteuid() == 0:
        return "agglo"
    import getpass

    return getpass.getuser()


class _DefaultsOnly(Settings):
    """The settings' defaults, whatever the environment says."""

    class Config:
        @classmethod
        def customise_sources(cls, init_settings: Any, env_settings: Any, file_secret_settings: Any) -> tuple[Any, ...]:
            return (init_settings,)


def default_settings(**overrides: Any) -> Settings:
    """The defaults (``overrides`` on top), not the environment: for files committed to the
    repository, which must not depend on the machine that wrote them."""
    return _DefaultsOnly(**overrides)


class SettingsError(ValueError):
    """A setting has a value it cannot take; the message names the environment variable."""


def load_settings(env_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the environment now (never at import time, so that tests can change it); with
    ``env_file``, that file too (the environment wins). ``overrides`` win over both.
    SettingsError names every variable whose value is wrong."""
    try:
        if env_file is not None and env_file.exists():
            return Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
        return Settings(**overrides)
    except ValidationError as error:
        problems = [f"{env_name(str(problem['loc'][0]))}: {problem['msg']}" for problem in error.errors()]
        raise SettingsError("; ".join(problems)) from None


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment, for a child process, with ``extra`` on top."""
    return {**os.environ, **(extra or {})}


def settings_environment(settings: Settings) -> dict[str, str]:
    """The settings as ``AGGLO_*`` variables, for a child process that reads them again."""
    variables = {}
    for name, value in settings.dict().items():
        if value is None or value == "":
            continue
        variables[env_name(name)] = ("1" if value else "0") if isinstance(value, bool) else str(value)
    return variables
