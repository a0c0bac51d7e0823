"""Residents' callback requests, and what the agents do with them.

A resident who wants a person fills the widget's form (name, phone or e-mail, commune, question)
and consents; the request is stored here with a reference the resident keeps, in the residents'
database (``AGGLO_FEEDBACK_DATABASE_URL``, beside the feedback). Agents take it in the console's
queue: new → in progress → done, with who took it and when, and notes.

Personal data: the name and the contact are stored as given, because an agent must call back;
the question is masked like everything residents type (bot/stores/privacy.py). Nothing of it is
ever logged (:meth:`CallbackView.log_label` is the reference alone) nor shown in the report
(counts and masked questions only). Requests are deleted with the conversations' retention
(``python -m bot purge``) and on request (``python -m bot purge --callback REF``).

Every change an agent makes (a status, a note) carries the version of the request it was based
on: if someone changed the request meanwhile, the change is refused with :class:`Conflict`,
which holds the current state (the console answers 409 with it). A change may also carry a
``change_id`` chosen by the client: the same change sent twice (a retry after a lost answer) is
applied once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from bot.stores.database import Store
from bot.stores.feedback import FeedbackBase

NEW, IN_PROGRESS, DONE = "new", "in_progress", "done"
STATUSES = (NEW, IN_PROGRESS, DONE)
CONTACT_KINDS = ("phone", "email")
MAX_NAME_CHARS = 100
MAX_CONTACT_CHARS = 254
MAX_QUESTION_CHARS = 1000
MAX_NOTE_CHARS = 2000
# References are read aloud on the phone: no 0/O, 1/I/L.
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_REFERENCE_TRIES = 5


def new_reference() -> str:
    """A reference such as ``K7QM-3XPA``: random, short enough to read out."""
    letters = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def normalise_reference(text: str) -> str:
    return text.strip().upper()


def contact_key(contact: str) -> str:
    """What the per-address limit counts: a hash of the normalised contact (the contact itself
    is in the same row; the hash only saves comparing it in clear)."""
    return hashlib.sha256(contact.strip().lower().encode("utf-8")).hexdigest()


def _now() -> dt.datetime:
    # Naive UTC, like the feedback table.
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class CallbackRequest(FeedbackBase):
    """One resident's request to be called back."""

    __tablename__ = "callback_requests"

    id: Mapped[int] = Column(Integer, primary_key=True)
    reference: Mapped[str] = Column(String(16), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = Column(DateTime, nullable=False, index=True)  # UTC
    name: Mapped[str] = Column(String(MAX_NAME_CHARS), nullable=False)
    contact: Mapped[str] = Column(String(MAX_CONTACT_CHARS), nullable=False)
    contact_kind: Mapped[str] = Column(String(8), nullable=False)
    contact_key: Mapped[str] = Column(String(64), nullable=False, index=True)
    commune_insee: Mapped[str | None] = Column(String(5), index=True)
    question: Mapped[str] = Column(Text, nullable=False)  # masked
    topic: Mapped[str | None] = Column(String(64))
    # The web front's conversation id (``web-…``), for the masked conversation in the console.
    conversation: Mapped[str | None] = Column(String(90), index=True)
    status: Mapped[str] = Column(String(16), nullable=False, index=True)
    taken_by: Mapped[str | None] = Column(String(80))
    taken_at: Mapped[dt.datetime | None] = Column(DateTime)
    done_by: Mapped[str | None] = Column(String(80))
    done_at: Mapped[dt.datetime | None] = Column(DateTime)
    updated_by: Mapped[str | None] = Column(String(80))
    updated_at: Mapped[dt.datetime] = Column(DateTime, nullable=False)
    # Bumped by every change (SQLAlchemy's version counter: an UPDATE matches the version read).
    version: Mapped[int] = Column(Integer, nullable=False)

    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}


class CallbackEvent(FeedbackBase):
    """A status change or a note on a request, by an agent."""

    __tablename__ = "callback_events"

    id: Mapped[int] = Column(Integer, primary_key=True)
    request_id: Mapped[int] = Column(
        Integer, ForeignKey("callback_requests.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[dt.datetime] = Column(DateTime, nullable=False)
    agent: Mapped[str] = Column(String(80), nullable=False)
    kind: Mapped[str] = Column(String(8), nullable=False)  # "status" or "note"
    status: Mapped[str | None] = Column(String(16))
    text: Mapped[str | None] = Column(Text)
    change_id: Mapped[str | None] = Column(String(64), unique=True)


@dataclass(frozen=True)
class CallbackEventView:
    created_at: dt.datetime
    agent: str
    kind: str
    status: str | None
    text: str | None


@dataclass(frozen=True)
class CallbackView:
    reference: str
    created_at: dt.datetime
    name: str
    contact: str
    contact_kind: str
    commune_insee: str | None
    question: str
    topic: str | None
    conversation: str | None
    status: str
    taken_by: str | None
    taken_at: dt.datetime | None
    done_by: str | None
    done_at: dt.datetime | None
    updated_by: str | None
    updated_at: dt.datetime
    version: int
    events: list[CallbackEventView] = field(default_factory=list)

    def log_label(self) -> str:
        """What a log line may say about the request: its reference, nothing personal."""
        return f"callback request {self.reference}"

    def __repr__(self) -> str:
        # Never the name, the contact or the question, even in a traceback.
        return f"CallbackView({self.reference!r}, status={self.status!r}, version={self.version})"

    def as_state(self) -> dict[str, object]:
        """The request as the console's API returns it (ISO dates, UTC)."""

        def iso(value: dt.datetime | None) -> str | None:
            return value.isoformat() + "Z" if value else None

        return {
            "reference": self.reference,
            "created_at": iso(self.created_at),
            "name": self.name,
            "contact": self.contact,
            "contact_kind": self.contact_kind,
            "commune": self.commune_insee,
            "question": self.question,
            "topic": self.topic,
            "status": self.status,
            "taken_by": self.taken_by,
            "taken_at": iso(self.taken_at),
            "done_by": self.done_by,
            "done_at": iso(self.done_at),
            "updated_by": self.updated_by,
            "updated_at": iso(self.updated_at),
            "version": self.version,
            "events": [
                {
                    "created_at": iso(event.created_at),
                    "agent": event.agent,
                    "kind": event.kind,
                    "status": event.status,
                    "text": event.text,
                }
                for event in self.events
            ],
        }


class CallbackNotFound(LookupError):
    """No request has that reference (any more)."""


class Conflict(RuntimeError):
    """The request changed since the version the change was based on."""

    def __init__(self, current: CallbackView) -> None:
        super().__init__(f"{current.reference} is at version {current.version}")
        self.current = current


def _view(row: CallbackRequest, events: list[CallbackEvent] | None = None) -> CallbackView:
    return CallbackView(
        reference=row.reference,
        created_at=row.created_at,
        name=row.name,
        contact=row.contact,
        contact_kind=row.contact_kind,
        commune_insee=row.commune_insee,
        question=row.question,
        topic=row.topic,
        conversation=row.conversation,
        status=row.status,
        taken_by=row.taken_by,
        taken_at=row.taken_at,
        done_by=row.done_by,
        done_at=row.done_at,
        updated_by=row.updated_by,
        updated_at=row.updated_at,
        version=row.version,
        events=[
            CallbackEventView(event.created_at, event.agent, event.kind, event.status, event.text)
            for event in events or []
        ],
    )


class CallbackStore(Store):
    """Stores requests and the agents' changes; the tables are created on first use when
    missing (production creates them with a migration)."""

    metadata = FeedbackBase.metadata

    def __init__(self, database_url: str, mask_text: Callable[[str], str]) -> None:
        """``mask_text`` masks the question before it is written (bot/stores/privacy.py)."""
        super().__init__(database_url)
        self._mask = mask_text

    # Residents ------------------------------------------------------------------------------
    def add(
        self,
        *,
        name: str,
        contact: str,
        contact_kind: str,
        commune_insee: str | None,
        question: str,
        topic: str | None,
        conversation: str | None,
    ) -> CallbackView:
        """Store a request the resident consented to; its reference is new and unique."""
        if contact_kind not in CONTACT_KINDS:
            raise ValueError(f"contact_kind must be one of {CONTACT_KINDS}")
        now = _now()
        for attempt in range(_REFERENCE_TRIES):
            row = CallbackRequest(
                reference=new_reference(),
                created_at=now,
                name=name[:MAX_NAME_CHARS],
                contact=contact[:MAX_CONTACT_CHARS],
                contact_kind=contact_kind,
                contact_key=contact_key(contact),
                commune_insee=commune_insee,
                question=self._mask(question[:MAX_QUESTION_CHARS]),
                topic=topic,
                conversation=conversation,
                status=NEW,
                updated_at=now,
            )
            try:
                with self._session() as session, session.begin():
                    session.add(row)
                    session.flush()
                    return _view(row)
            except IntegrityError:
                if attempt == _REFERENCE_TRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def count_since(self, since: dt.datetime, *, conversation: str | None = None, contact: str | None = None) -> int:
        """Requests made since ``since`` (naive UTC) from a conversation, or for a contact."""
        query = select(func.count()).select_from(CallbackRequest).where(CallbackRequest.created_at >= since)
        if conversation is not None:
            query = query.where(CallbackRequest.conversation == conversation)
        if contact is not None:
            query = query.where(CallbackRequest.contact_key == contact_key(contact))
        with self._session() as session:
            return int(session.execute(query).scalar_one())

    # Agents ---------------------------------------------------------------------------------
    def queue(self, *, status: str | None = None, commune_insee: str | None = None) -> list[CallbackView]:
        """Requests, oldest first (the longest-waiting resident on top), optionally filtered."""
        query = select(CallbackRequest).order_by(CallbackRequest.created_at, CallbackRequest.id)
        if status is not None:
            query = query.where(CallbackRequest.status == status)
        if commune_insee is not None:
            query = query.where(CallbackRequest.commune_insee == commune_insee)
        with self._session() as session:
            return [_view(row) for row in session.execute(query).scalars()]

    def counts(self) -> dict[str, int]:
        """How many requests are in each status."""
        query = select(CallbackRequest.status, func.count()).group_by(CallbackRequest.status)
        with self._session() as session:
            found = {status: int(count) for status, count in session.execute(query).all()}
        return {status: found.get(status, 0) for status in STATUSES}

    def get(self, reference: str) -> CallbackView:
        with self._session() as session:
            row = self._row(session, reference)
            return _view(row, self._events(session, row))

    def set_status(
        self, reference: str, status: str, *, agent: str, version: int, change_id: str | None = None
    ) -> CallbackView:
        """Move the request to ``status``; who took it and who closed it are kept."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")

        def apply(row: CallbackRequest, now: dt.datetime) -> CallbackEvent:
            if status in (IN_PROGRESS, DONE) and row.taken_by is None:
                row.taken_by, row.taken_at = agent, now
            if status == NEW:
                row.taken_by = row.taken_at = None
            if status == DONE:
                row.done_by, row.done_at = agent, now
            else:
                row.done_by = row.done_at = None
            row.status = status
            event: CallbackEvent = CallbackEvent(kind="status", status=status)
            return event

        return self._change(reference, agent, version, change_id, apply)

    def add_note(
        self, reference: str, text: str, *, agent: str, version: int, change_id: str | None = None
    ) -> CallbackView:
        note = text.strip()[:MAX_NOTE_CHARS]
        if not note:
            raise ValueError("a note cannot be empty")
        return self._change(
            reference, agent, version, change_id, lambda row, now: CallbackEvent(kind="note", text=note)
        )

    def _change(
        self,
        reference: str,
        agent: str,
        version: int,
        change_id: str | None,
        apply: Callable[[CallbackRequest, dt.datetime], CallbackEvent],
    ) -> CallbackView:
        try:
            with self._session() as session, session.begin():
                row = self._row(session, reference)
                if (
                    change_id is not None
                    and session.execute(
                        select(CallbackEvent.id).where(
                            CallbackEvent.change_id == change_id, CallbackEvent.request_id == row.id
                        )
                    ).first()
                ):
                    return _view(row, self._events(session, row))  # already applied: a retry
                if row.version != version:
                    raise Conflict(_view(row, self._events(session, row)))
                now = _now()
                event = apply(row, now)
                event.request_id, event.created_at, event.agent, event.change_id = row.id, now, agent, change_id
                row.updated_by, row.updated_at = agent, now
                # Even a note by the same agent in the same second changes the version.
                flag_modified(row, "updated_at")
                session.add(event)
                session.flush()  # the UPDATE checks the version read: a concurrent change fails here
                return _view(row, self._events(session, row))
        except StaleDataError:
            raise Conflict(self.get(reference)) from None

    @staticmethod
    def _row(session: Session, reference: str) -> CallbackRequest:
        row: CallbackRequest | None = session.execute(
            select(CallbackRequest).where(CallbackRequest.reference == normalise_reference(reference))
        ).scalar()
        if row is None:
            raise CallbackNotFound(reference)
        return row

    @staticmethod
    def _events(session: Session, row: CallbackRequest) -> list[CallbackEvent]:
        query = select(CallbackEvent).where(CallbackEvent.request_id == row.id).order_by(CallbackEvent.id)
        return list(session.execute(query).scalars())

    # Retention ------------------------------------------------------------------------------
    def delete(self, reference: str) -> CallbackView:
        """Delete a request and its history (``purge --callback REF``); returns what it was."""
        with self._session() as session, session.begin():
            row = self._row(session, reference)
            view = _view(row)
            session.execute(delete(CallbackEvent).where(CallbackEvent.request_id == row.id))
            session.execute(delete(CallbackRequest).where(CallbackRequest.id == row.id))
            return view
