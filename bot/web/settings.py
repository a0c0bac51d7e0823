"""Settings of the web server, read from the environment when the server starts."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import load_settings

DEFAULT_PORT = 8000
DEFAULT_RASA_URL = "http://127.0.0.1:5005"
_SPLIT = re.compile(r"[\s,]+")
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
_ANY_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - names, not a bind


@dataclass(frozen=True)
class WebSettings:
    """Where the web server listens, where Rasa is, and its limits."""

    host: str
    port: int
    rasa_url: str
    allowed_origins: frozenset[str]
    agents_file: Path
    feedback_database_url: str
    # Console sessions, shared by every web front; in memory unless load_web_settings() sets it.
    sessions_database_url: str = "sqlite://"
    # Longer messages are refused politely: the assistant answers short questions.
    max_message_chars: int = 500
    max_comment_chars: int = 1000
    session_seconds: float = 8 * 3600
    # Rasa answers in a few seconds, but the first turn after startup can be slow on 2 cores.
    rasa_timeout_seconds: float = 90
    # Set AGGLO_SECURE_COOKIES=1 behind HTTPS so that the session cookie is never sent in clear.
    secure_cookies: bool = False
    # Sent to the REST channel, which trusts metadata.agent and /intent payloads from us alone.
    channel_secret: str = ""
    # Signs the buttons offered to a conversation (bot/core/payloads.py); several web fronts share it
    # through AGGLO_CHANNEL_SECRET, else it is this process's own.
    button_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    # AGGLO_CONTENT_EDITOR=1 on the one front that owns the content's git repository: only it
    # serves /console/edit/… (nginx routes those there); the other fronts say where to go.
    content_editor: bool = False

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in _ANY_HOSTS else self.host
        return f"http://{host}:{self.port}"


def normalise_origin(origin: str) -> str:
    """``HTTP://Example.org:80/`` and ``http://example.org:80`` are the same origin."""
    return origin.strip().rstrip("/").lower()


def own_origins(host: str, port: int) -> frozenset[str]:
    hosts = set(_LOOPBACK_HOSTS)
    if host not in _ANY_HOSTS:
        hosts.add(host)
    return frozenset(f"http://{name}:{port}" for name in hosts)


def load_web_settings(
    host: str = "127.0.0.1", port: int = DEFAULT_PORT, rasa_url: str = DEFAULT_RASA_URL
) -> WebSettings:
    """Read the environment now (never at import time, so tests can change it).

    ``AGGLO_ALLOWED_ORIGINS``: origins (comma or space separated) whose pages may embed the
    widget; by default only the web server's own origin.
    """
    var_dir = load_settings().var_dir
    channel_secret = os.environ.get("AGGLO_CHANNEL_SECRET", "")
    configured = os.environ.get("AGGLO_ALLOWED_ORIGINS", "")
    origins = frozenset(normalise_origin(origin) for origin in _SPLIT.split(configured) if origin.strip())
    return WebSettings(
        host=host,
        port=port,
        rasa_url=rasa_url.rstrip("/"),
        allowed_origins=origins or own_origins(host, port),
        agents_file=Path(os.environ.get("AGGLO_AGENTS_FILE", var_dir / "agents.yml")),
        feedback_database_url=os.environ.get("FEEDBACK_DATABASE_URL", f"sqlite:///{var_dir / 'feedback.sqlite3'}"),
        sessions_database_url=os.environ.get("SESSIONS_DATABASE_URL", f"sqlite:///{var_dir / 'sessions.sqlite3'}"),
        secure_cookies=_flag("AGGLO_SECURE_COOKIES"),
        content_editor=_flag("AGGLO_CONTENT_EDITOR"),
        channel_secret=channel_secret,
        button_key=button_key(channel_secret) if channel_secret else secrets.token_bytes(32),
    )


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def button_key(channel_secret: str) -> bytes:
    """A key of its own for the buttons, derived so that one secret configures every web front."""
    return hmac.new(channel_secret.encode(), b"agglo button signatures", hashlib.sha256).digest()
