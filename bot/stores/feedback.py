"""Residents' 👍 / 👎 on answers, in their own database.

The knowledge-base file is rebuilt from scratch on every ``make kb``, so feedback lives
elsewhere (``AGGLO_FEEDBACK_DATABASE_URL``). A row holds the rating, the optional comment, the
topic, the question and the answer, and nothing about the person: no sender id, no address.
What the resident typed (the question and the comment) is masked first (bot/stores/privacy.py): phone
numbers, e-mail addresses, postal addresses, NIRs and IBANs never reach the table.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from sqlalchemy import Column, DateTime, Integer, String, Text, create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, registry
from sqlalchemy.orm.decl_api import DeclarativeMeta

RATINGS = ("up", "down")
# Bot answers are stored whole up to this length (agent fiches are the longest).
MAX_ANSWER_CHARS = 20_000

feedback_registry = registry()


class FeedbackBase(metaclass=DeclarativeMeta):  # type: ignore[metaclass]  # SQLAlchemy 1.4 ships no types
    """Declarative base of the feedback database. Deliberately not the knowledge base's: its
    metadata is dropped and recreated on every ``kb build``, which must never touch feedback."""

    __abstract__ = True
    registry = feedback_registry
    metadata = feedback_registry.metadata
    __init__ = feedback_registry.constructor


class Feedback(FeedbackBase):
    """One rating of one answer."""

    __tablename__ = "feedback"

    id: Mapped[int] = Column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, index=True)  # UTC
    rating: Mapped[str] = Column(String(4), nullable=False)
    comment: Mapped[str | None] = Column(Text)
    topic: Mapped[str | None] = Column(String(64), index=True)
    message: Mapped[str] = Column(Text, nullable=False)
    answer: Mapped[str] = Column(Text, nullable=False)


@dataclass(frozen=True)
class FeedbackView:
    id: int
    created_at: dt.datetime
    rating: str
    comment: str | None
    topic: str | None
    message: str
    answer: str


class FeedbackStore:
    """Writes and reads feedback; the engine and the table are created on first use."""

    def __init__(self, database_url: str, mask_text: Callable[[str], str]) -> None:
        """``mask_text`` masks what the resident typed before it is written (bot/stores/privacy.py)."""
        self.database_url = database_url
        self._mask = mask_text
        self._lock = threading.Lock()
        self._ready = False

    @cached_property
    def _engine(self) -> Engine:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix):
            Path(self.database_url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)
        return create_engine(self.database_url, future=True)

    def ensure_schema(self) -> None:
        with self._lock:
            if not self._ready:
                FeedbackBase.metadata.create_all(self._engine)
                self._ready = True

    def add(self, *, rating: str, message: str, answer: str, topic: str | None, comment: str | None) -> int:
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}")
        self.ensure_schema()
        row = Feedback(
            created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0),
            rating=rating,
            comment=self._mask(comment) if comment else None,
            topic=topic or None,
            message=self._mask(message),
            answer=answer[:MAX_ANSWER_CHARS],
        )
        with Session(self._engine) as session, session.begin():
            session.add(row)
            session.flush()
            return int(row.id)

    def all(self) -> list[FeedbackView]:
        """Every row, oldest first (for reports and tests)."""
        self.ensure_schema()
        with Session(self._engine) as session:
            rows = session.execute(select(Feedback).order_by(Feedback.id)).scalars()
            return [
                FeedbackView(
                    id=row.id,
                    created_at=row.created_at,
                    rating=row.rating,
                    comment=row.comment,
                    topic=row.topic,
                    message=row.message,
                    answer=row.answer,
                )
                for row in rows
            ]
