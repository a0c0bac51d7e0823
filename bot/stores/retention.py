"""Retention of stored conversations, feedback and callback requests: ``python -m bot purge
--older-than DAYS``, and one callback request on request: ``python -m bot purge --callback REF``.

Deletes the tracker store's events (by their ``timestamp``), the feedback rows and the callback
requests with their history (by their ``created_at``) older than the limit, a batch of ids at a
time, each batch its own short transaction in id order: Rasa keeps writing between batches, and
SQLite's WAL lets readers read throughout. Works on any database SQLAlchemy speaks (SQLite and PostgreSQL are tested).
On SQLite, deleted rows are overwritten (``secure_delete``) and the log is checkpointed, so that
nothing purged stays readable in the file; PostgreSQL's autovacuum reclaims them.

The tracker store creates the index this needs, ``ix_events_timestamp`` on
``events.timestamp`` (channels/tracker_store.py); the purge creates it too when it is missing
and the role may.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.stores.callbacks import CallbackEvent, CallbackRequest
from bot.stores.events import EVENTS, EVENTS_TIMESTAMP, EVENTS_TIMESTAMP_INDEX
from bot.stores.feedback import Feedback

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 2000


class DatabaseMissing(LookupError):
    """The database file, or its table, does not exist: nothing was purged there."""


@dataclass(frozen=True)
class PurgeResult:
    table: str
    deleted: int
    batches: int


def ensure_events_timestamp_index(engine: Engine) -> None:
    """Create ``ix_events_timestamp`` if it is missing (a role without DDL rights only logs)."""
    try:
        EVENTS_TIMESTAMP.create(engine, checkfirst=True)
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
        logger.warning("could not create index %s: %s", EVENTS_TIMESTAMP_INDEX, error)


def _secure_delete(dbapi_connection: Any, connection_record: Any) -> None:
    # SQLite otherwise leaves deleted rows readable in the file's free pages.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA secure_delete=ON")
    finally:
        cursor.close()


def _checkpoint(engine: Engine) -> None:
    """SQLite in WAL mode: copy the zeroed pages into the file and empty the log, which still
    holds the old pages. Best effort: a reader that is still open (Rasa) can delay it."""
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL: autovacuum reclaims the deleted rows
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def open_database(url: str, table: str) -> Engine:
    """An engine on an existing database that has ``table``; ``DatabaseMissing`` otherwise
    (an SQLite file is never created by a purge)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or not Path(parsed.database).exists():
            raise DatabaseMissing(f"no database file at {parsed.database or url}")
        # Wait for Rasa's write in progress rather than fail.
        engine = sa.create_engine(parsed, future=True, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _secure_delete)
    else:
        engine = sa.create_engine(parsed, future=True)
    if not sa.inspect(engine).has_table(table):
        engine.dispose()
        raise DatabaseMissing(f"no {table!r} table in {parsed.render_as_string(hide_password=True)}")
    return engine


def purge_rows(
    engine: Engine,
    table: sa.Table,
    column: sa.Column,
    before: object,
    batch_size: int,
    children: tuple[sa.Column, ...] = (),
) -> PurgeResult:
    """Delete the rows of ``table`` whose ``column`` is older than ``before``, ``batch_size``
    ids per transaction, lowest ids first; ``children`` are foreign keys to ``table`` whose rows
    go in the same transaction, first."""
    if batch_size < 1:
        raise ValueError("the batch size must be at least 1")
    deleted = batches = 0
    while True:
        with engine.begin() as connection:
            ids = (
                connection.execute(sa.select(table.c.id).where(column < before).order_by(table.c.id).limit(batch_size))
                .scalars()
                .all()
            )
            if ids:
                for child in children:
                    connection.execute(sa.delete(child.table).where(child.in_(ids)))
                connection.execute(sa.delete(table).where(table.c.id.in_(ids)))
        if not ids:
            break
        deleted += len(ids)
        batches += 1
        if len(ids) < batch_size:
            break
    return PurgeResult(table=table.name, deleted=deleted, batches=batches)


def purge_events(engine: Engine, older_than_days: float, batch_size: int = DEFAULT_BATCH_SIZE) -> PurgeResult:
    ensure_events_timestamp_index(engine)
    cutoff = time.time() - older_than_days * 86400
    result = purge_rows(engine, EVENTS, EVENTS.c.timestamp, cutoff, batch_size)
    _checkpoint(engine)
    return result


def _utc_cutoff(older_than_days: float) -> dt.datetime:
    # Stored as naive UTC (bot/stores/feedback.py, bot/stores/callbacks.py).
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(days=older_than_days)


def purge_feedback(engine: Engine, older_than_days: float, batch_size: int = DEFAULT_BATCH_SIZE) -> PurgeResult:
    table = Feedback.__table__
    result = purge_rows(engine, table, table.c.created_at, _utc_cutoff(older_than_days), batch_size)
    _checkpoint(engine)
    return result


def purge_callbacks(engine: Engine, older_than_days: float, batch_size: int = DEFAULT_BATCH_SIZE) -> PurgeResult:
    """Callback requests made before the limit, whatever their status, with their notes."""
    table = CallbackRequest.__table__
    events = CallbackEvent.__table__
    cutoff = _utc_cutoff(older_than_days)
    result = purge_rows(engine, table, table.c.created_at, cutoff, batch_size, children=(events.c.request_id,))
    _checkpoint(engine)
    return result


def purge_conversation(engine: Engine, sender_id: str) -> int:
    """Every tracker event of one conversation (``purge --callback``: the request's conversation)."""
    with engine.begin() as connection:
        deleted = connection.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id == sender_id)).rowcount
    _checkpoint(engine)
    return int(deleted or 0)
