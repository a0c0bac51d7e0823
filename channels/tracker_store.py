"""Rasa's SQL tracker store, with SQLite set up for a server: WAL journal, fewer disk flushes.

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
      type: channels.tracker_store.SQLiteTrackerStore
      dialect: "sqlite"
      db: ${AGGLO_TRACKER_DB}

With any other database than SQLite it is Rasa's ``SQLTrackerStore`` unchanged.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy.engine import Engine


def _tune_connection(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


class SQLiteTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` with SQLite in WAL mode and ``synchronous=NORMAL``."""

    engine: Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name != "sqlite":
            return
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
