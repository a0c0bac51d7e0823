"""Rasa's SQL tracker store, masking what residents type before it is written; on SQLite, set
up for a server (WAL journal, fewer disk flushes).

Personal data: every event that comes from the resident (the message, its parse data and entity
values, its metadata, slot values) goes through ``bot.stores.privacy.mask_event`` before it is written
or streamed to an event broker, so phone numbers, e-mail addresses, postal addresses, NIRs and
IBANs never reach the database (placeholders from kb/privacy.yml). The assistant's own
utterances are stored as they are. The turn in progress still sees the resident's own words:
only what is stored is masked. The store also creates the index of ``events.timestamp``
(``ix_events_timestamp``) that the retention purge uses (bot/stores/retention.py).

Any SQL database works (SQLite by default, PostgreSQL in production: see below); only the
tuning below is SQLite's.

Rasa saves the conversation after every message, with synchronous SQLAlchemy calls inside its
event loop: while SQLite waits for the disk, the whole server waits. In SQLite's default mode
(rollback journal, ``synchronous=FULL``) a commit flushes the disk several times, 10 to 20 ms
on this machine's virtual disk, on every message. In WAL mode with ``synchronous=NORMAL`` a
commit writes to the log without flushing (0.01 ms); the log is flushed at checkpoints. The
connections stay open in a pool: closing the last one would checkpoint on every message. SQLite
guarantees the database stays consistent: a crash of the server loses nothing, a power cut
may lose the last turns written, never corrupts the file. WAL also lets several Rasa processes
(SANIC_WORKERS) read while one writes.

Used from endpoints.yml::

    tracker_store:
      type: channels.tracker_store.AggloTrackerStore
      dialect: "sqlite"
      url: ${AGGLO_TRACKER_DATABASE_URL}

where the URL is ``sqlite:///…`` (``make run``) or ``postgresql://…`` (production, with
``dialect: "postgresql"``): Rasa gives a custom store's ``url`` as ``host``, where a full URL is
taken as is.

Reading and writing go through SQLAlchemy Core rather than the ORM: the same queries as
Rasa's (the events of the latest session, in order; the new events appended), without an ORM
object per event. Under load this halved the store's share of the server's CPU time
(bench/results/speed.md). The WAL settings apply to SQLite only; the queries to any database.
Events are read and written with ujson (channels/fast_json.py): the same JSON once read as the
standard library's, in a third of the time; Rasa's own store reads it as is.

A turn's read is one SELECT and, on PostgreSQL, its write one multi-row INSERT, each outside any
transaction (autocommit): one statement is atomic on its own, and a transaction around it cost
two more round trips each (BEGIN, then COMMIT or ROLLBACK: six statements per message instead of
two). A connection the database server has closed is replaced before an INSERT is sent on it,
since a statement that commits is never sent twice.
"""

from __future__ import annotations

import functools
import itertools
import logging
import select
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.sql import Select

from bot.settings import load_settings
from bot.stores.privacy import mask_event, masker
from bot.stores.retention import ensure_events_timestamp_index
from channels.fast_json import dumps, loads

logger = logging.getLogger(__name__)
_T = TypeVar("_T")
# Set on a tracker this store read or saved: how many of its events are stored, so that saving it
# needs no query to find the new ones (a count per turn was a tenth of Rasa's CPU per message).
STORED_EVENTS = "_agglo_stored_events"


class TurnOutcome:
    """Whether the store failed while one message was handled. Rasa wraps every tracker store in
    its ``FailSafeTrackerStore``, which swallows the error and carries on with an empty, in-memory
    conversation: the REST channel reads this to apologise instead (channels/rest.py)."""

    def __init__(self) -> None:
        self.store_failed = False


CURRENT_TURN: ContextVar[TurnOutcome | None] = ContextVar("agglo_current_turn", default=None)


def _note_failure(error: Exception) -> None:
    logger.error("tracker store unavailable: %s", error)
    outcome = CURRENT_TURN.get()
    if outcome is not None:
        outcome.store_failed = True


def _tune_connection(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class _CommitFailed(SQLAlchemyError):
    """A commit that failed: it may or may not have been made."""


def _refuse_closed_by_server(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    """A pooled connection that the server has closed (restarted, or the backend terminated)
    is replaced before a statement is sent on it, when a statement that commits could not be
    sent again: an idle connection has nothing to read unless the server has closed it. A
    local check, without the round trip of a ping."""
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    if readable:
        raise sa.exc.DisconnectionError("the database server has closed this connection")


@contextmanager
def _commit_not_retried() -> Iterator[None]:
    """A statement that commits: when it fails, it may or may not have been committed, so it
    is never done again (_again_if_disconnected retries only what surely was not)."""
    try:
        yield
    except SQLAlchemyError as error:
        raise _CommitFailed(str(error)) from error


def _again_if_disconnected(work: Callable[[], _T]) -> _T:
    """``work()``, once more if its connection was found dead (a database server restarted
    since it was opened): nothing was committed, SQLAlchemy has discarded the pool's old
    connections, and the second try opens a fresh one. A failed commit is never retried."""
    try:
        return work()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        logger.warning("tracker store: a pooled connection had died (database restarted): once more")
    return work()


class AggloTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that masks personal data before writing, with Core queries; SQLite in
    WAL mode and ``synchronous=NORMAL``."""

    engine: Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Read kb/privacy.yml now: a broken file stops the server at start, not mid-conversation.
        self._mask_text = masker(load_settings().kb_dir).mask
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._tune_sqlite()
        # A database server restarted leaves dead connections in the pool. Rather than test
        # each one when it is taken (pool_pre_ping: a round trip to the database, twice per
        # message), a read or a write that finds its connection dead is done once more on a
        # fresh one (_again_if_disconnected); SQLAlchemy then empties the pool.
        ensure_events_timestamp_index(self.engine)

    def _tune_sqlite(self) -> None:
        # SQLAlchemy 1.4 opens and closes a connection per session on SQLite files; closing the
        # last one checkpoints the log and flushes the disk. A pool keeps them open.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False}, pool_pre_ping=False
        )
        sa.event.listen(self.engine, "connect", _tune_connection)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # The journal mode is a property of the database file: set once, it stays.
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")

    def journal_mode(self) -> str:
        with self.engine.connect() as connection:
            return str(connection.exec_driver_sql("PRAGMA journal_mode").scalar())

    def synchronous(self) -> int:
        """SQLite's ``synchronous`` level of a new connection (1 = NORMAL, 2 = FULL)."""
        with self.engine.connect() as connection:
            return int(connection.exec_driver_sql("PRAGMA synchronous").scalar())

    def _latest_session(self, sender_id: Any, columns: Sequence[Any]) -> Select:
        """Rasa's ``_event_query``: the sender's events since its latest ``session_started``."""
        table = self.SQLEvent.__table__
        session_start = (
            sa.select(sa.func.max(table.c.timestamp))
            .where(table.c.sender_id == sender_id, table.c.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        return sa.select(*columns).where(
            table.c.sender_id == sender_id,
            sa.or_(table.c.timestamp >= session_start, session_start.is_(None)),
        )

    @functools.cached_property
    def _read_query(self) -> Select:
        """The latest session's events of the sender given as ``sender_id``: built once, so that
        SQLAlchemy computes its cache key once, not on every read."""
        table = self.SQLEvent.__table__
        return self._latest_session(sa.bindparam("sender_id"), [table.c.data]).order_by(table.c.id)

    @functools.cached_property
    def _autocommit(self) -> Engine:
        """The engine of a turn's read, and of its write on PostgreSQL, without transactions: a
        transaction costs two more round trips to PostgreSQL (BEGIN, then COMMIT or ROLLBACK),
        and one SELECT, or one multi-row INSERT, is atomic on its own. On PostgreSQL an engine of
        its own, because a connection lent in autocommit costs one more statement to reset when
        it goes back to a pool of transactions; SQLite's reset is local."""
        if not self._one_statement_writes:
            return self.engine.execution_options(isolation_level="AUTOCOMMIT")
        url = self.engine.url
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", **create_engine_kwargs(url))
        sa.event.listen(engine, "checkout", _refuse_closed_by_server)
        return engine

    @functools.cached_property
    def _one_statement_writes(self) -> bool:
        """Whether a turn's new events go in as one INSERT statement: SQLAlchemy's psycopg2
        dialect writes up to a page of rows in one VALUES list; SQLite's driver inserts them one
        by one, and more rows than a page take several statements, so those go in a transaction."""
        return bool(self.engine.dialect.name == "postgresql")

    @functools.cached_property
    def _insert(self) -> Any:
        return self.SQLEvent.__table__.insert()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        try:
            return await self._read(sender_id, fetch_events_from_all_sessions)
        except (SQLAlchemyError, OSError) as error:
            _note_failure(error)
            raise

    async def _read(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        if fetch_events_from_all_sessions:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)

        def stored() -> list[Any]:
            with self._autocommit.connect() as connection:
                rows = connection.execute(self._read_query, {"sender_id": sender_id})
                return [loads(data) for data in rows.scalars()]

        events = _again_if_disconnected(stored)
        if self.domain is None or not events:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        setattr(tracker, STORED_EVENTS, len(events))
        return tracker

    def _additional_events(self, connection: Connection, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The tracker's events that are not stored yet: those after the ones it was read with
        or last saved with (one turn of a conversation runs at a time, under the lock store);
        for a tracker this store did not read, those after the stored latest session's."""
        count = getattr(tracker, STORED_EVENTS, None)
        if count is None:
            table = self.SQLEvent.__table__
            stored = self._latest_session(tracker.sender_id, [table.c.id]).subquery()
            count = connection.execute(sa.select(sa.func.count()).select_from(stored)).scalar_one()
        return itertools.islice(tracker.events, count, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await self._write(tracker)
        except (SQLAlchemyError, OSError) as error:
            _note_failure(error)
            raise

    async def _write(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        if not tracker.events:
            # Rasa saves the empty tracker it creates for a new conversation: nothing to write,
            # and none of its events is stored (no count query at the turn's end, no empty
            # transaction: a third of the commits under the benchmark's load).
            setattr(tracker, STORED_EVENTS, 0)
            return
        _again_if_disconnected(lambda: self._insert_new_events(tracker))
        setattr(tracker, STORED_EVENTS, len(tracker.events))

    def _insert_new_events(self, tracker: DialogueStateTracker) -> None:
        with self._autocommit.connect() as connection:
            rows = self._new_rows(connection, tracker)
            if not rows:
                return
            if self._one_statement_writes and len(rows) <= self.engine.dialect.executemany_values_page_size:
                with _commit_not_retried():
                    connection.execute(self._insert, rows)
                return
        with self.session_scope() as session:
            session.execute(self._insert, rows)
            with _commit_not_retried():
                session.commit()

    def _new_rows(self, connection: Connection, tracker: DialogueStateTracker) -> list[dict[str, Any]]:
        rows = []
        for event in self._additional_events(connection, tracker):
            data = mask_event(event.as_dict(), self._mask_text)
            rows.append(
                {
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": dumps(data),
                }
            )
        return rows

    async def _stream_new_events(self, event_broker: EventBroker, new_events: list[Event], sender_id: str) -> None:
        """What an event broker receives is masked like what is stored."""
        for event in new_events:
            event_broker.publish({"sender_id": sender_id, **mask_event(event.as_dict(), self._mask_text)})


# The former name, still accepted in endpoints files.
SQLiteTrackerStore = AggloTrackerStore
