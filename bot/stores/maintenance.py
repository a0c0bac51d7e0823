"""The maintenance switch: an administrator pauses the residents' assistant, and every switch
is recorded (who, when, why).

``python -m bot maintenance on --reason "…"`` / ``off`` / ``status``, or the console's page for
administrators. While it is on, the web fronts do not call Rasa: the widget shows a message with
the Agglo's contact and the callback form (bot/web/maintenance.py). The state is the latest row
of ``maintenance_switches`` in the database every web front shares (``AGGLO_SESSIONS_DATABASE_URL``,
beside the console's sessions); each front reads it at most once every
:data:`CACHE_SECONDS`, so a switch reaches every front within seconds without a query per message.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Boolean, Column, DateTime, Integer, String, Text, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped

from bot.stores.database import IN_MEMORY_URL, Store
from bot.stores.sessions import SessionsBase

logger = logging.getLogger(__name__)

CACHE_SECONDS = 2.0
MAX_REASON_CHARS = 500
CONSOLE, COMMAND_LINE = "console", "command_line"
SOURCES = (CONSOLE, COMMAND_LINE)


class MaintenanceSwitch(SessionsBase):
    """One switch on or off."""

    __tablename__ = "maintenance_switches"

    id: Mapped[int] = Column(Integer, primary_key=True)
    switched_at: Mapped[dt.datetime] = Column(DateTime, nullable=False)  # UTC
    switched_by: Mapped[str] = Column(String(80), nullable=False)
    source: Mapped[str] = Column(String(16), nullable=False)
    on: Mapped[bool] = Column(Boolean, nullable=False)
    reason: Mapped[str | None] = Column(Text)


@dataclass(frozen=True)
class MaintenanceState:
    on: bool
    switched_at: dt.datetime | None = None
    switched_by: str | None = None
    source: str | None = None
    reason: str | None = None


OFF = MaintenanceState(on=False)


def _state(row: MaintenanceSwitch | None) -> MaintenanceState:
    if row is None:
        return OFF
    return MaintenanceState(row.on, row.switched_at, row.switched_by, row.source, row.reason)


class MaintenanceStore(Store):
    """Reads the switch (cached for ``cache_seconds``) and records switches."""

    metadata = SessionsBase.metadata

    def __init__(
        self,
        database_url: str = IN_MEMORY_URL,
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(database_url)
        self.cache_seconds = cache_seconds
        self._clock = clock
        self._cached: tuple[float, MaintenanceState] | None = None

    def read(self) -> MaintenanceState:
        """The state in the database now (no cache)."""
        query = select(MaintenanceSwitch).order_by(MaintenanceSwitch.id.desc()).limit(1)
        with self._session() as session:
            return _state(session.execute(query).scalar())

    def fresh_state(self) -> MaintenanceState | None:
        """The cached state while it is fresh, else None (without touching the database: the
        web front asks this on its event loop, and goes to a thread only to read)."""
        cached = self._cached
        if cached is not None and self._clock() - cached[0] < self.cache_seconds:
            return cached[1]
        return None

    def state(self) -> MaintenanceState:
        """The state, read at most once every ``cache_seconds``. If the database cannot be
        read, the last state known stays (off if none): the assistant keeps answering."""
        fresh = self.fresh_state()
        if fresh is not None:
            return fresh
        now, cached = self._clock(), self._cached
        try:
            state = self.read()
        except SQLAlchemyError as error:
            logger.error("maintenance switch unreadable, keeping the last state: %s", error)
            state = cached[1] if cached is not None else OFF
        self._cached = (now, state)
        return state

    def switch(self, on: bool, *, by: str, source: str, reason: str | None) -> MaintenanceState:
        """Record a switch (even to the state it is already in: the record says who confirmed it)."""
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}")
        reason = (reason or "").strip()[:MAX_REASON_CHARS] or None
        if on and reason is None:
            raise ValueError("a reason is required to switch maintenance on")
        row = MaintenanceSwitch(
            switched_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0),
            switched_by=by,
            source=source,
            on=on,
            reason=reason,
        )
        with self._session() as session, session.begin():
            session.add(row)
            session.flush()
            state = _state(row)
        self._cached = (self._clock(), state)
        return state

    def history(self, limit: int = 50) -> list[MaintenanceState]:
        """The latest switches, newest first."""
        query = select(MaintenanceSwitch).order_by(MaintenanceSwitch.id.desc()).limit(limit)
        with self._session() as session:
            return [_state(row) for row in session.execute(query).scalars()]
