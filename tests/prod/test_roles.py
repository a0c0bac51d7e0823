"""The least-privilege roles: the application role reads and writes rows, and nothing more."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.stores import migrations
from bot.stores.feedback import FeedbackStore
from bot.stores.sessions import SessionStore
from tests.conftest import mask
from tests.postgres import Postgres

pytestmark = pytest.mark.prod


@pytest.fixture()
def migrated(fresh_postgres: Postgres) -> Postgres:
    migrations.upgrade(fresh_postgres.owner_url)
    return fresh_postgres


def _execute(url: str, sql: str) -> None:
    engine = sa.create_engine(url, future=True)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(sql))
    finally:
        engine.dispose()


def test_the_application_role_reads_and_writes_rows(migrated: Postgres) -> None:
    feedback = FeedbackStore(migrated.app_url, mask)
    row = feedback.add(rating="up", message="une question", answer="une réponse", topic="mutuelle", comment=None)
    assert [entry.id for entry in feedback.all()] == [row]
    sessions = SessionStore(60, migrated.app_url)
    session = sessions.create("marie")
    assert sessions.get(session.token) == session
    _execute(migrated.app_url, "UPDATE feedback SET comment = 'ok'")
    _execute(migrated.app_url, "DELETE FROM feedback")


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE intruder (id INTEGER)",
        "DROP TABLE feedback",
        "ALTER TABLE feedback ADD COLUMN extra TEXT",
        "TRUNCATE feedback",
        "CREATE INDEX intruder ON events (data)",
        "ALTER TABLE events DROP COLUMN data",
    ],
)
def test_the_application_role_cannot_change_the_schema(migrated: Postgres, statement: str) -> None:
    with pytest.raises(sa.exc.ProgrammingError, match=r"permission denied|must be owner"):
        _execute(migrated.app_url, statement)


def test_the_owner_role_can_migrate_and_the_grants_follow_new_tables(migrated: Postgres) -> None:
    _execute(migrated.owner_url, "CREATE TABLE later (id SERIAL PRIMARY KEY, note TEXT)")
    _execute(migrated.app_url, "INSERT INTO later (note) VALUES ('granted by default privileges')")
    _execute(migrated.owner_url, "DROP TABLE later")
