"""Front-desk agents allowed into the console, in a YAML file the administrator manages.

``python -m bot agents add|list|remove`` edits the file; passwords are stored as bcrypt
hashes only. Each agent has a role: ``agent`` (reads the console and handles callback
requests), ``editor`` (may also change the content) or ``admin`` (may also do what an editor
does and pause the residents' assistant: the maintenance switch). The file is re-read when it
changes, so a removed agent is locked out, and a changed role applies, at once.

File format: ``agents: {name: {hash: <bcrypt>, role: agent|editor|admin}}``. The older
``agents: {name: <bcrypt>}`` is still read, as role ``agent``; the file is written in the new
format.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import bcrypt
import yaml

NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
MIN_PASSWORD_CHARS = 12
# bcrypt only reads the first 72 bytes: longer passwords are refused rather than cut.
MAX_PASSWORD_BYTES = 72
ROLES = ("agent", "editor", "admin")
DEFAULT_ROLE = "agent"
EDITOR = "editor"
ADMIN = "admin"
# Each role may do what the roles before it may: an administrator also edits the content.
_EDITING_ROLES = frozenset({EDITOR, ADMIN})


def can_edit(role: str | None) -> bool:
    """Whether an agent of ``role`` may change the content (editors and administrators)."""
    return role in _EDITING_ROLES


def can_administer(role: str | None) -> bool:
    """Whether an agent of ``role`` may pause the residents' assistant (administrators)."""
    return role == ADMIN


_HEADER = "# Console agents: managed with `python -m bot agents add|list|remove NAME`. Never commit this file.\n"


class AgentError(ValueError):
    """A bad name or password, or an unreadable agents file."""


def normalise_name(name: str) -> str:
    return name.strip().lower()


def check_name(name: str) -> str:
    name = normalise_name(name)
    if not NAME_PATTERN.fullmatch(name):
        raise AgentError(
            f"invalid agent name {name!r}: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AgentError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password.encode("utf-8")) > MAX_PASSWORD_BYTES:
        raise AgentError(f"the password must fit in {MAX_PASSWORD_BYTES} bytes (bcrypt ignores the rest)")


def hash_password(password: str) -> str:
    check_password(password)
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt()).decode("ascii")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AgentError(f"invalid role {role!r}: one of {', '.join(ROLES)}")
    return role


@dataclass(frozen=True)
class AgentAccount:
    password_hash: str
    role: str


def _account(value: Any) -> AgentAccount | None:
    """One entry of the file: a bare hash (the older format, role agent) or {hash, role}."""
    if isinstance(value, str):
        return AgentAccount(value, DEFAULT_ROLE)
    if isinstance(value, dict) and isinstance(value.get("hash"), str):
        role = value.get("role", DEFAULT_ROLE)
        if role in ROLES:
            return AgentAccount(value["hash"], role)
    return None


@lru_cache(maxsize=1)
def _decoy_hash() -> bytes:
    # Checked against when the name is unknown, so that a login takes as long either way.
    return bcrypt.hashpw(os.urandom(16).hex().encode("ascii"), bcrypt.gensalt())


class AgentStore:
    """Agent name → bcrypt hash and role, stored in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._cache: tuple[float, dict[str, AgentAccount]] | None = None

    def _read(self) -> dict[str, AgentAccount]:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return {}
        with self._lock:
            if self._cache is not None and self._cache[0] == mtime:
                return self._cache[1]
            try:
                data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as error:
                raise AgentError(f"{self.path} is not valid YAML: {error}") from error
            agents = data.get("agents") if isinstance(data, dict) else None
            if agents is None:
                agents = {}
            accounts = (
                {name: _account(value) for name, value in agents.items() if isinstance(name, str)}
                if isinstance(agents, dict)
                else {}
            )
            if not isinstance(agents, dict) or len(accounts) != len(agents) or None in accounts.values():
                raise AgentError(
                    f"{self.path}: expected `agents:` mapping names to {{hash: <bcrypt>, role: {'|'.join(ROLES)}}}"
                )
            self._cache = (mtime, {name: account for name, account in accounts.items() if account is not None})
            return self._cache[1]

    def _write(self, agents: dict[str, AgentAccount]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entries = {
            name: {"hash": account.password_hash, "role": account.role} for name, account in sorted(agents.items())
        }
        text = _HEADER + yaml.safe_dump({"agents": entries}, allow_unicode=True, sort_keys=False)
        # Written to a private temporary file, then renamed: never half-written, never world-readable.
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".agents-", suffix=".yml")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.chmod(temporary, 0o600)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        with self._lock:
            self._cache = None

    def names(self) -> list[str]:
        return sorted(self._read())

    def roles(self) -> dict[str, str]:
        """Agent name → role, sorted by name."""
        return {name: account.role for name, account in sorted(self._read().items())}

    def exists(self, name: str) -> bool:
        return normalise_name(name) in self._read()

    def role(self, name: str) -> str | None:
        """The agent's role as the file says now, or None when there is no such agent."""
        account = self._read().get(normalise_name(name))
        return account.role if account else None

    def add(self, name: str, password: str, *, replace: bool = False, role: str | None = None) -> None:
        """Add an agent (role ``agent`` unless told), or with ``replace`` change their password,
        keeping their role unless ``role`` is given."""
        name = check_name(name)
        agents = dict(self._read())
        if name in agents and not replace:
            raise AgentError(f"agent {name!r} already exists (use --replace to change the password)")
        previous = agents.get(name)
        new_role = check_role(role) if role is not None else previous.role if previous else DEFAULT_ROLE
        agents[name] = AgentAccount(hash_password(password), new_role)
        self._write(agents)

    def remove(self, name: str) -> None:
        name = normalise_name(name)
        agents = dict(self._read())
        if name not in agents:
            raise AgentError(f"no agent named {name!r}")
        del agents[name]
        self._write(agents)

    def verify(self, name: str, password: str) -> bool:
        """True when ``password`` is the agent's. Slow on purpose (bcrypt): call it off the event loop."""
        account = self._read().get(normalise_name(name))
        stored = account.password_hash if account else None
        candidate = password.encode("utf-8")
        if len(candidate) > MAX_PASSWORD_BYTES or not candidate:
            return False
        if stored is None:
            bcrypt.checkpw(candidate, _decoy_hash())
            return False
        try:
            return bcrypt.checkpw(candidate, stored.encode("ascii"))
        except ValueError:  # a damaged hash in the file
            return False
