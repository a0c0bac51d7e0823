"""The least-privilege roles: the application role reads and writes rows, and nothing more."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bot.stores import migrations, retention
from bot.stores.callbacks import IN_PROGRESS, CallbackStore
from bot.stores.feedback import FeedbackStore
from bot.stores.maintenance import COMMAND_LINE, MaintenanceStore
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


def test_the_application_role_handles_callbacks_and_the_maintenance_switch(migrated: Postgres) -> None:
    feedback = FeedbackStore(migrated.app_url, mask)
    feedback.add(rating="down", message="q", answer="r", topic="mutuelle", comment=None, reason="inexact", facts=["a"])
    assert [(row.reason, row.facts) for row in feedback.all()] == [("inexact", ["a"])]
    callbacks = CallbackStore(migrated.app_url, mask)
    request = callbacks.add(
        name="Marie",
        contact="0612345678",
        contact_kind="phone",
        commune_insee=None,
        question="q",
        topic=None,
        conversation="web-x",
    )
    callbacks.set_status(request.reference, IN_PROGRESS, agent="paul", version=1)
    callbacks.add_note(request.reference, "rappelée", agent="paul", version=2, change_id="c1")
    engine = retention.open_database(migrated.app_url, "callback_requests")
    assert retention.purge_callbacks(engine, 0).deleted == 1
    engine.dispose()
    maintenance = MaintenanceStore(migrated.app_url)
    maintenance.switch(True, by="root", source=COMMAND_LINE, reason="essai")
    assert maintenance.read().on is True


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
