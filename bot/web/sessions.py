"""Agents' console sessions: random tokens kept in memory, with an expiry.

A restart logs every agent out, which is acceptable for a front desk and keeps no session
data on disk.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AgentSession:
    token: str
    agent: str
    # Sent back by the console's forms and chat requests: a cookie alone is not enough.
    csrf_token: str
    expires_at: float


class SessionStore:
    def __init__(self, lifetime_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime_seconds = lifetime_seconds
        self._clock = clock
        self._sessions: dict[str, AgentSession] = {}
        self._lock = threading.Lock()

    def create(self, agent: str) -> AgentSession:
        session = AgentSession(
            token=secrets.token_urlsafe(32),
            agent=agent,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=self._clock() + self.lifetime_seconds,
        )
        with self._lock:
            self._forget_expired()
            self._sessions[session.token] = session
        return session

    def get(self, token: str | None) -> AgentSession | None:
        if not token:
            return None
        with self._lock:
            session = self._sessions.get(token)
            if session is not None and session.expires_at <= self._clock():
                del self._sessions[token]
                return None
            return session

    def drop(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def _forget_expired(self) -> None:
        now = self._clock()
        for token in [token for token, session in self._sessions.items() if session.expires_at <= now]:
            del self._sessions[token]


def same_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison of a submitted token."""
    return given is not None and secrets.compare_digest(given.encode(), expected.encode())
