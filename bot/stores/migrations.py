"""Database migrations (Alembic): ``python -m bot db upgrade|current|history``.

Migrations run with the migration role, which owns the tables
(``AGGLO_MIGRATION_DATABASE_URL``, else ``AGGLO_DATABASE_URL``); the servers use the application
role, which can only read and write rows. The default SQLite profile needs no migration: its
files are created on first use.

To change a table: edit the model, then
``alembic revision --autogenerate -m "what changes"`` (or write the revision by hand) in
``migrations/versions/``, and run ``python -m bot db upgrade``.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine

from bot.kb.models import Base
from bot.settings import PROJECT_ROOT
from bot.stores.callbacks import CallbackRequest
from bot.stores.feedback import FeedbackBase
from bot.stores.maintenance import MaintenanceSwitch
from bot.stores.sessions import SessionsBase

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
# Every table the project's own models describe, compared by `alembic revision --autogenerate`.
# The callback and maintenance models are imported so that their tables are in these metadata.
MODELS_OF_SHARED_METADATA = (CallbackRequest, MaintenanceSwitch)
PROJECT_METADATA: list[MetaData] = [Base.metadata, FeedbackBase.metadata, SessionsBase.metadata]


def alembic_config(database_url: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # ConfigParser interpolation: a "%" in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    engine = create_engine(database_url, future=True)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    if head is None:
        raise RuntimeError("no migration in migrations/versions/")
    return head
