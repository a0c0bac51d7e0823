"""The knowledge base and the report on PostgreSQL (the production profile's engine).

On the tests' throw-away PostgreSQL cluster (tests/postgres.py), with the production roles:
the owner creates the tables, the application role publishes and reads.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bench.common import tracker_events as ev
from bot.core.services import Services
from bot.kb.build import build
from bot.kb.content import ContentError
from bot.kb.queries import KnowledgeBase
from bot.report.data import collect
from bot.settings import Settings
from bot.stores.feedback import FeedbackStore
from tests.conftest import make_settings, mask
from tests.postgres import Postgres
from tests.unit.kb.test_live_updates import FACT_ID, edit_topic, fact_text, set_fact_text, wait_for
from tests.unit.report.test_report import CONSOLE_URL, PERIOD, TODAY, fixture_rows

pytestmark = pytest.mark.prod


@pytest.fixture()
def database(fresh_postgres: Postgres) -> tuple[str, str]:
    """(owner URL, application role URL) of a fresh database; the role may not CREATE."""
    return fresh_postgres.owner_url, fresh_postgres.app_url


def _settings(tmp_path: Path, kb_dir: Path, url: str) -> Settings:
    return make_settings(tmp_path, kb_dir).copy(update={"database_url": url})


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
    store = FeedbackStore(owner_url, mask)
    store.add(rating="down", message="q", answer="a", topic="aide_velo", comment="appelez le 06 12 34 56 78")
    data = collect(
        services.kb,
        PERIOD,
        tracker_url=owner_url,
        feedback_url=owner_url,
        mask_text=mask,
        console_url=CONSOLE_URL,
        today=TODAY,
    )
    assert (data.messages, data.conversations, data.messages_per_day) == (11, 4, [5, 4, 2])
    assert [(group.count, group.spellings) for group in data.unanswered.groups] == [(3, 3), (2, 2), (1, 1)]
    assert [(ask.topic, ask.field, ask.count) for ask in data.unknown_fields] == [
        ("aide_velo", "amount", 2),
        ("mutuelle", "documents", 1),
    ]
