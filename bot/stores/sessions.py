"""Agents' console sessions, in a database shared by every web front (``AGGLO_SESSIONS_DATABASE_URL``).

A session survives a restart of the web front and is seen by all of them behind nginx. Only a
SHA-256 hash of the session token is stored: reading the table does not give a usable cookie.
Expiry is wall-clock time (epoch seconds), the same for every process.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Float, String, delete, select
from sqlalchemy.orm import Mapped, registry
from sqlalchemy.orm.decl_api import DeclarativeMeta

from bot.stores.database import IN_MEMORY_URL, Store

sessions_registry = registry()


class SessionsBase(metaclass=DeclarativeMeta):  # type: ignore[metaclass]  # SQLAlchemy 1.4 ships no types
    """Declarative base of the console's tables: the sessions and the maintenance switch
    (bot/stores/maintenance.py); never dropped by a knowledge-base build."""

    __abstract__ = True
    registry = sessions_registry
    metadata = sessions_registry.metadata
    __init__ = sessions_registry.constructor


class AgentSessionRow(SessionsBase):
    """One console session; the token itself is never stored."""

    __tablename__ = "agent_sessions"

    token_hash: Mapped[str] = Column(String(64), primary_key=True)
    agent: Mapped[str] = Column(String(80), nullable=False, index=True)
    csrf_token: Mapped[str] = Column(String(64), nullable=False)
    expires_at: Mapped[float] = Column(Float, nullable=False, index=True)


@dataclass(frozen=True)
class AgentSession:
    token: str
    agent: str
    # Sent back by the console's forms and chat requests: a cookie alone is not enough.
    csrf_token: str
    expires_at: float


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore(Store):
    """Create, find and end sessions; the table is created on first use if it is missing
    (production creates it with a migration, and its application role cannot create tables)."""

    metadata = SessionsBase.metadata

    def __init__(
        self, lifetime_seconds: float, database_url: str = IN_MEMORY_URL, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(database_url)
        self.lifetime_seconds = lifetime_seconds
        self._clock = clock

    def create(self, agent: str) -> AgentSession:
        now = self._clock()
        session = AgentSession(
            token=secrets.token_urlsafe(32),
            agent=agent,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=now + self.lifetime_seconds,
        )
        with self._session() as db, db.begin():
            db.execute(delete(AgentSessionRow).where(AgentSessionRow.expires_at <= now))
            db.add(
                AgentSessionRow(
                    token_hash=token_hash(session.token),
                    agent=agent,
                    csrf_token=session.csrf_token,
                    expires_at=session.expires_at,
                )
            )
        return session

    def get(self, token: str | None) -> AgentSession | None:
        if not token:
            return None
        with self._session() as db, db.begin():
            row = db.execute(select(AgentSessionRow).where(AgentSessionRow.token_hash == token_hash(token))).scalar()
            if row is None:
                return None
            if row.expires_at <= self._clock():
                db.delete(row)
                return None
            return AgentSession(token=token, agent=row.agent, csrf_token=row.csrf_token, expires_at=row.expires_at)

    def drop(self, token: str) -> None:
        with self._session() as db, db.begin():
            db.execute(delete(AgentSessionRow).where(AgentSessionRow.token_hash == token_hash(token)))


def same_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted token."""
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())
