"""The knowledge base and the report on PostgreSQL (the production profile's engine).

Skipped unless ``AGGLO_TEST_POSTGRES_URL`` names a PostgreSQL server with a role allowed to
create databases and roles, for example ``postgresql://postgres@127.0.0.1:5432/postgres``. Each
test run creates its own database and application role, and drops them afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench import tracker_events as ev
from bot.core.services import Services
from bot.kb.build import build
from bot.kb.content import ContentError
from bot.kb.queries import KnowledgeBase
from bot.report.data import collect
from bot.settings import Settings
from bot.stores.feedback import FeedbackStore
from tests.bot.test_live_updates import FACT_ID, edit_topic, fact_text, set_fact_text, wait_for
from tests.bot.test_report import PERIOD, TODAY, fixture_rows
from tests.conftest import make_settings

ADMIN_URL = os.environ.get("AGGLO_TEST_POSTGRES_URL", "")
pytestmark = pytest.mark.skipif(not ADMIN_URL, reason="AGGLO_TEST_POSTGRES_URL is not set")


@pytest.fixture(scope="module")
def database() -> Iterator[tuple[str, str]]:
    """(owner URL, application role URL) of a fresh database; the role may not CREATE."""
    name = f"agglo_test_{secrets.token_hex(4)}"
    role, password = f"{name}_app", secrets.token_hex(12)
    admin = sa.create_engine(ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        connection.exec_driver_sql(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
    owner_url = make_url(ADMIN_URL).set(database=name)
    app_url = owner_url.set(username=role, password=password)
    try:
        yield owner_url.render_as_string(hide_password=False), app_url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()


def _settings(tmp_path: Path, kb_dir: Path, url: str) -> Settings:
    return Settings(**{**make_settings(tmp_path, kb_dir).__dict__, "database_url": url})


def test_publishing_needs_no_schema_rights_and_readers_switch(
    database: tuple[str, str], kb_copy: Path, tmp_path: Path
) -> None:
    owner_url, app_url = database
    build(_settings(tmp_path, kb_copy, owner_url))  # the first build (or the migration) creates the tables
    owner = sa.create_engine(owner_url, future=True)
    with owner.begin() as connection:
        connection.exec_driver_sql(
            f"GRANT SELECT, INSERT, DELETE, UPDATE ON ALL TABLES IN SCHEMA public TO {make_url(app_url).username}"
        )
        connection.exec_driver_sql(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {make_url(app_url).username}")
    app = _settings(tmp_path, kb_copy, app_url)
    with sa.create_engine(app_url, future=True).connect() as connection, pytest.raises(sa.exc.ProgrammingError):
        connection.exec_driver_sql("CREATE TABLE not_allowed (id integer)")

    reader, second_reader = KnowledgeBase(app_url), KnowledgeBase(app_url)
    before, version = fact_text(reader), reader.version
    assert fact_text(second_reader) == before

    set_fact_text(kb_copy, FACT_ID, "Texte B publié par le rôle applicatif.")
    report = build(app)
    assert report.version != version
    wait_for(lambda: fact_text(reader) == "Texte B publié par le rôle applicatif.")
    wait_for(lambda: fact_text(second_reader) == "Texte B publié par le rôle applicatif.")

    def break_confidence(data: dict) -> None:
        next(fact for fact in data["facts"] if fact["id"] == FACT_ID)["confidence"] = "certaine"

    edit_topic(kb_copy, "permis_de_louer", break_confidence)
    with pytest.raises(ContentError):
        build(app)
    assert reader.refresh() is False and reader.version == report.version
    with owner.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM kb_version").scalar() == 1
    owner.dispose()


def test_the_report_reads_postgresql_alike(database: tuple[str, str], services: Services) -> None:
    owner_url, _ = database
    ev.write_events(owner_url, fixture_rows())
    store = FeedbackStore(owner_url)
    store.add(rating="down", message="q", answer="a", topic="aide_velo", comment="appelez le 06 12 34 56 78")
    data = collect(services.kb, PERIOD, tracker_url=owner_url, feedback_url=owner_url, today=TODAY)
    assert (data.messages, data.conversations, data.messages_per_day) == (11, 4, [5, 4, 2])
    assert [(group.count, group.spellings) for group in data.unanswered.groups] == [(3, 3), (2, 2), (1, 1)]
    assert [(ask.topic, ask.field, ask.count) for ask in data.unknown_fields] == [
        ("aide_velo", "amount", 2),
        ("mutuelle", "documents", 1),
    ]
