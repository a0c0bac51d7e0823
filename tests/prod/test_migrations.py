"""Alembic migrations: an old database keeps its data when upgraded; models and migrations agree."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from bot.stores import migrations
from tests.postgres import Postgres


def _fill_revision_0001(url: str) -> None:
    engine = sa.create_engine(url, future=True)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO topics (slug, family, label, keywords, position) VALUES ('velo', 'aid', 'Vélo', '', 1)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO feedback (created_at, rating, comment, topic, message, answer) "
                "VALUES (:at, 'up', 'merci', 'velo', 'une aide vélo ?', 'Oui.')"
            ),
            {"at": dt.datetime(2026, 11, 30, 12, 0)},
        )
    engine.dispose()


def _assert_upgraded_with_data(url: str) -> None:
    engine = sa.create_engine(url, future=True)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT label FROM topics")).scalars().all() == ["Vélo"]
        assert connection.execute(sa.text("SELECT comment, topic FROM feedback")).all() == [("merci", "velo")]
        tables = set(sa.inspect(connection).get_table_names())
        assert {"agent_sessions", "events", "alembic_version"} <= tables
        assert {"callback_requests", "callback_events", "maintenance_switches"} <= tables
        feedback_columns = {column["name"] for column in sa.inspect(connection).get_columns("feedback")}
        assert {"reason", "facts"} <= feedback_columns
        indexes = {index["name"] for index in sa.inspect(connection).get_indexes("events")}
        assert "ix_events_sender_id_type_name_timestamp" in indexes
        assert "ix_events_sender_id" not in indexes  # 0009: the wider index stands in for it
    engine.dispose()
    assert migrations.current_revision(url) == migrations.head_revision()


def _upgrade_keeps_data(url: str) -> None:
    migrations.upgrade(url, "0001")
    assert migrations.current_revision(url) == "0001"
    _fill_revision_0001(url)
    migrations.upgrade(url)
    _assert_upgraded_with_data(url)
    # Down and up again: the migrations are reversible and the data stays.
    migrations.downgrade(url, "0001")
    assert migrations.current_revision(url) == "0001"
    migrations.upgrade(url)
    _assert_upgraded_with_data(url)
    # The models and the latest migration describe the same tables.
    command.check(migrations.alembic_config(url))


def test_sqlite_upgrade_from_the_first_revision_keeps_the_data(tmp_path: Path) -> None:
    _upgrade_keeps_data(f"sqlite:///{tmp_path / 'agglo.sqlite3'}")


@pytest.mark.prod
def test_postgresql_upgrade_from_the_first_revision_keeps_the_data(fresh_postgres: Postgres) -> None:
    _upgrade_keeps_data(fresh_postgres.owner_url)


def test_an_existing_rasa_events_table_is_adopted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
    engine = sa.create_engine(url, future=True)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, "
                "type_name VARCHAR(255) NOT NULL, timestamp FLOAT, intent_name VARCHAR(255), "
                "action_name VARCHAR(255), data TEXT)"
            )
        )
        connection.execute(sa.text("INSERT INTO events (sender_id, type_name, data) VALUES ('a', 'user', '{}')"))
    migrations.upgrade(url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT sender_id FROM events")).scalars().all() == ["a"]
    engine.dispose()
