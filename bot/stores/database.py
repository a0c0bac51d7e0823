"""What the stores share: an engine for a database URL, and the default profile's schema kept
up to date without a migration.

Production creates and changes tables with Alembic migrations (``python -m bot db upgrade``,
the owner role); its application role cannot create or alter a table. The default profile's
SQLite files are created on first use instead, and a file created before a column was added
gets that column here, so that an existing ``var/`` keeps working after an update.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

# One in-memory database for the whole process (tests that build the stores by hand).
IN_MEMORY_URL = "sqlite://"
_SQLITE_PREFIX = "sqlite:///"


def make_engine(database_url: str) -> Engine:
    """An engine for ``database_url``; an SQLite file's folder is created if it is missing."""
    if database_url == IN_MEMORY_URL:
        return sa.create_engine(
            IN_MEMORY_URL, future=True, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    if database_url.startswith(_SQLITE_PREFIX):
        Path(database_url[len(_SQLITE_PREFIX) :]).parent.mkdir(parents=True, exist_ok=True)
    # pre_ping: a restarted database server costs one reconnection, not a failed request.
    return sa.create_engine(database_url, future=True, pool_pre_ping=True)


def create_missing(engine: Engine, metadata: sa.MetaData) -> None:
    """Create the tables of ``metadata`` that are missing, and, on SQLite, add the columns a
    table created by an older version lacks (nullable columns only: what the migrations add)."""
    metadata.create_all(engine)
    if engine.dialect.name != "sqlite":
        return  # migrated by Alembic (bot/stores/migrations.py)
    with engine.begin() as connection:
        inspector = sa.inspect(connection)
        for table in metadata.sorted_tables:
            present = {column["name"] for column in inspector.get_columns(table.name)}
            missing = [column for column in table.columns if column.name not in present and column.nullable]
            if not missing:
                continue
            operations = Operations(MigrationContext.configure(connection))
            for column in missing:
                operations.add_column(table.name, sa.Column(column.name, column.type, nullable=True))


class Store:
    """A store on one database: its engine is made, and its tables checked, on first use (the
    web front starts without waiting for the database; production's tables come from the
    migrations and are only checked)."""

    metadata: sa.MetaData

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._schema_lock = threading.Lock()
        self._ready = False

    @cached_property
    def _engine(self) -> Engine:
        return make_engine(self.database_url)

    def ensure_schema(self) -> None:
        with self._schema_lock:
            if not self._ready:
                create_missing(self._engine, self.metadata)
                self._ready = True

    def _session(self) -> Session:
        self.ensure_schema()
        return Session(self._engine)
