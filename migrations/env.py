"""Alembic environment: the URL comes from bot/stores/migrations.py, the models from the project's metadata.

``alembic revision --autogenerate -m "..."`` compares the database with the project's models
(knowledge base, feedback, sessions); Rasa's ``events`` table is left to its own migration.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool

from bot.settings import load_settings
from bot.stores.migrations import PROJECT_METADATA

config = context.config
# `alembic` run by hand (this file is then the entry point): the settings give the URL.
url = config.get_main_option("sqlalchemy.url") or load_settings().migration_database_url


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    # Tables of no project model (Rasa's events, a table from another tool) are not ours to drop.
    return not (type_ == "table" and reflected and compare_to is None)


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=PROJECT_METADATA, literal_binds=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(url, poolclass=pool.NullPool, future=True)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=PROJECT_METADATA,
            include_object=include_object,
            # SQLite alters a table by copying it: Alembic's batch mode does that.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
