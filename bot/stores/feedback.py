"""Residents' 👍 / 👎 on answers, in their own database.

The knowledge-base file is rebuilt from scratch on every ``make kb``, so feedback lives
elsewhere (``AGGLO_FEEDBACK_DATABASE_URL``). A row holds the rating, the optional comment, the
topic, the question and the answer, with a 👎's reason (« pas compris », « incomplet »…) and
the ids of the facts the answer showed, and nothing about the person: no sender id, no address.
What the resident typed (the question and the comment) is masked first (bot/stores/privacy.py): phone
numbers, e-mail addresses, postal addresses, NIRs and IBANs never reach the table.

The same database holds the residents' callback requests (bot/stores/callbacks.py): both are
what residents send, kept apart from the knowledge base (rebuilt) and purged with the same
retention.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, String, Text, select
from sqlalchemy.orm import Mapped, registry
from sqlalchemy.orm.decl_api import DeclarativeMeta

from bot.stores.database import Store

RATINGS = ("up", "down")
# What was wrong with an answer, as the widget's 👎 offers it (labels: bot/report/labels.yml).
REASONS = ("pas_compris", "incomplet", "inexact", "pas_a_jour", "autre")
# A fact id of kb/ (snake_case); an answer shows a handful.
FACT_ID = re.compile(r"[a-z0-9_]{1,80}")
MAX_FACTS = 20
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
    # A 👎's reason, one of REASONS (none for a 👍, nor from a widget older than the reasons).
    reason: Mapped[str | None] = Column(String(16), index=True)
    # The ids of the facts the answer showed, in order (the answer's payload, `facts`).
    facts: Mapped[list[str] | None] = Column(JSON)


@dataclass(frozen=True)
class FeedbackView:
    id: int
    created_at: dt.datetime
    rating: str
    comment: str | None
    topic: str | None
    message: str
    answer: str
    reason: str | None = None
    facts: list[str] = field(default_factory=list)


def clean_facts(value: Any) -> list[str]:
    """The fact ids of a payload, as far as they look like fact ids (the rest is dropped)."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, str) and FACT_ID.fullmatch(item)][:MAX_FACTS]


class FeedbackStore(Store):
    """Writes and reads feedback; the engine and the table are created on first use."""

    metadata = FeedbackBase.metadata

    def __init__(self, database_url: str, mask_text: Callable[[str], str]) -> None:
        """``mask_text`` masks what the resident typed before it is written (bot/stores/privacy.py)."""
        super().__init__(database_url)
        self._mask = mask_text

    def add(
        self,
        *,
        rating: str,
        message: str,
        answer: str,
        topic: str | None,
        comment: str | None,
        reason: str | None = None,
        facts: Sequence[str] = (),
    ) -> int:
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}")
        if reason is not None and (rating != "down" or reason not in REASONS):
            raise ValueError(f"a reason is given with a 👎 only, one of {REASONS}")
        row = Feedback(
            created_at=dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0),
            rating=rating,
            comment=self._mask(comment) if comment else None,
            topic=topic or None,
            message=self._mask(message),
            answer=answer[:MAX_ANSWER_CHARS],
            reason=reason,
            facts=clean_facts(list(facts)) or None,
        )
        with self._session() as session, session.begin():
            session.add(row)
            session.flush()
            return int(row.id)

    def all(self) -> list[FeedbackView]:
        """Every row, oldest first (for reports and tests)."""
        with self._session() as session:
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
                    reason=row.reason,
                    facts=list(row.facts or []),
                )
                for row in rows
            ]
