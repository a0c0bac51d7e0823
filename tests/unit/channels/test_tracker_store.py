"""The tracker store of endpoints.yml: Rasa's SQL store masking personal data before writing, with
SQLite in WAL mode with fewer disk flushes; the same class on PostgreSQL."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import AwaitableTrackerStore, SQLTrackerStore, TrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.settings import PROJECT_ROOT
from channels.tracker_store import AggloTrackerStore, SQLiteTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
slots:
  commune:
    type: text
    mappings:
      - type: custom
"""
)


def _unwrap(store: TrackerStore) -> TrackerStore:
    return store._tracker_store if isinstance(store, AwaitableTrackerStore) else store


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "bench/speed/endpoints-redis.yml"])
def test_endpoints_use_it(endpoints: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGGLO_TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.sqlite3'}")
    for name in ("AGGLO_ACTIONS_URL", "AGGLO_REDIS_HOST", "AGGLO_REDIS_PORT"):
        monkeypatch.setenv(name, "1")
    config = read_endpoint_config(str(PROJECT_ROOT / endpoints), "tracker_store")
    store = _unwrap(create_tracker_store(config, DOMAIN))
    # Rasa falls back to an in-memory store, with a mere warning, when the class is not found.
    assert isinstance(store, AggloTrackerStore)
    assert (tmp_path / "tracker.sqlite3").exists()


async def test_wal_and_normal_synchronous_and_a_round_trip(tmp_path: Path) -> None:
    store = AggloTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"))
    assert store.journal_mode() == "wal"
    assert store.synchronous() == 1  # NORMAL
    tracker = DialogueStateTracker.from_events(
        "resident",
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered("et à Gosnay ?", {"name": "informer_commune", "confidence": 0.9}),
            SlotSet("commune", "62377"),
        ],
        slots=DOMAIN.slots,
    )
    await store.save(tracker)
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    # The log stays between messages: connections are kept open (closing the last checkpoints).
    assert (tmp_path / "tracker.sqlite3-wal").exists()
    again = await store.retrieve("resident")
    assert again is not None
    assert again.get_slot("commune") == "62377"
    # Every event stored once (the latest session read back starts at session_started, whose
    # timestamp here comes before action_session_start's).
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar_one() == len(tracker.events)
    assert len(again.events) == len(tracker.events) - 1
    # A second store on the same file (a second Sanic worker) sees the same conversation.
    other = AggloTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"))
    assert (await other.retrieve("resident")) is not None


async def test_reads_and_writes_what_rasas_own_store_does(tmp_path: Path) -> None:
    """Two sessions, saved message by message: the same rows, and the same latest session read
    back, as Rasa's SQLTrackerStore on the same file."""
    path = str(tmp_path / "tracker.sqlite3")
    store = AggloTrackerStore(domain=DOMAIN, dialect="sqlite", db=path)
    rasa_store = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=path)
    tracker = DialogueStateTracker.from_events("resident", [], slots=DOMAIN.slots)
    # Timestamps as Rasa sets them: action_session_start is logged after the action has
    # returned session_started, so it comes first with a later timestamp.
    start = time.time()
    first = [
        ActionExecuted("action_session_start", timestamp=start + 0.1),
        SessionStarted(timestamp=start),
        ActionExecuted("action_listen", timestamp=start + 0.2),
    ]
    second = [
        UserUttered("et à Gosnay ?", {"name": "informer_commune", "confidence": 0.9}, timestamp=start + 1),
        SlotSet("commune", "62377", timestamp=start + 1.1),
        ActionExecuted("action_listen", timestamp=start + 1.2),
    ]
    third = [ActionExecuted("action_session_start", timestamp=start + 10.1), SessionStarted(timestamp=start + 10)]
    for batch in (first, second, third):
        for event in batch:
            tracker.update(event)
        await store.save(tracker)
        # As Rasa's processor does: each message starts from the stored latest session.
        retrieved = await store.retrieve("resident")
        assert retrieved is not None
        tracker = retrieved
    with rasa_store.session_scope() as session:
        rows = session.query(rasa_store.SQLEvent).order_by(rasa_store.SQLEvent.id).all()
    assert [row.type_name for row in rows] == [event.type_name for event in [*first, *second, *third]]
    assert rows[3].intent_name == "informer_commune"
    ours = await store.retrieve("resident")
    theirs = await rasa_store.retrieve("resident")
    assert ours is not None and theirs is not None
    assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in theirs.events]
    # The latest session only: the second session_started and what follows it.
    assert [e.type_name for e in ours.events] == ["action", "session_started"]
    assert await store.retrieve("nobody") is None
    # Saving a tracker with nothing new writes nothing.
    await store.save(ours)
    with rasa_store.session_scope() as session:
        assert session.query(rasa_store.SQLEvent).count() == len(rows)


def test_the_former_class_name_still_works() -> None:
    assert SQLiteTrackerStore is AggloTrackerStore


PHONE, EMAIL, STREET, IBAN, NIR = (
    "06 12 34 56 78",
    "jean.dupont@example.org",
    "12 rue de la Paix",
    "FR76 3000 6000 0112 3456 7890 189",
    "1 85 05 78 006 084 36",
)
SWITCHBOARD = "03 21 61 50 00"


def _conversation_with_personal_data() -> DialogueStateTracker:
    text = f"rappelez-moi au {PHONE} ou {EMAIL}, j'habite {STREET} à Béthune"
    parse_data = {
        "text": text,
        "intent": {"name": "informer_commune", "confidence": 0.9},
        "entities": [{"entity": "commune", "value": STREET, "start": 0, "end": 5, "extractor": "CRFEntityExtractor"}],
    }
    return DialogueStateTracker.from_events(
        "resident-pii",
        [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
            UserUttered(text, parse_data["intent"], parse_data["entities"], parse_data, metadata={"note": IBAN}),
            SlotSet("commune", NIR),
            BotUttered(f"Appelez le standard au {SWITCHBOARD}."),
            ActionExecuted("action_listen"),
        ],
        slots=DOMAIN.slots,
    )


async def test_personal_data_is_masked_before_it_is_stored(database_url: str) -> None:
    store = AggloTrackerStore(domain=DOMAIN, host=database_url)
    tracker = _conversation_with_personal_data()
    await store.save(tracker)
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT * FROM events ORDER BY id")).all()
    engine.dispose()
    assert len(rows) == len(tracker.events)
    cells = [str(cell) for row in rows for cell in row]
    for secret in (PHONE, EMAIL, STREET, IBAN, NIR, "0612345678", "jean.dupont"):
        assert not any(secret in cell for cell in cells), secret
    # The assistant's own words are kept, the intent too.
    assert any(SWITCHBOARD in cell for cell in cells)
    assert any(row.intent_name == "informer_commune" for row in rows)
    stored = await store.retrieve("resident-pii")
    assert stored is not None
    user = next(event for event in stored.events if isinstance(event, UserUttered))
    assert user.text == "rappelez-moi au [téléphone] ou [e-mail], j'habite [adresse] à Béthune"
    assert user.entities[0]["value"] == "[adresse]"
    assert stored.get_slot("commune") == "[n° de sécurité sociale]"
    # Only what is stored is masked: the conversation in memory keeps the resident's words.
    assert PHONE in tracker.latest_message.text


async def test_events_timestamp_index_is_created(database_url: str) -> None:
    AggloTrackerStore(domain=DOMAIN, host=database_url)
    engine = sa.create_engine(database_url)
    indexes = {index["name"]: index["column_names"] for index in sa.inspect(engine).get_indexes("events")}
    engine.dispose()
    assert indexes["ix_events_timestamp"] == ["timestamp"]


async def test_round_trip_on_any_database(database_url: str) -> None:
    """The Core queries (latest session, new events appended) on SQLite and PostgreSQL alike."""
    store = AggloTrackerStore(domain=DOMAIN, host=database_url)
    start = time.time()
    tracker = DialogueStateTracker.from_events(
        "resident",
        [
            ActionExecuted("action_session_start", timestamp=start + 0.1),
            SessionStarted(timestamp=start),
            ActionExecuted("action_listen", timestamp=start + 0.2),
        ],
        slots=DOMAIN.slots,
    )
    await store.save(tracker)
    tracker.update(UserUttered("et à Gosnay ?", {"name": "informer_commune", "confidence": 0.9}, timestamp=start + 1))
    tracker.update(SlotSet("commune", "62377", timestamp=start + 1.1))
    await store.save(tracker)
    await store.save(tracker)  # nothing new: nothing written
    tracker.update(ActionExecuted("action_session_start", timestamp=start + 10.1))
    tracker.update(SessionStarted(timestamp=start + 10))
    await store.save(tracker)
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar_one() == 7
    engine.dispose()
    latest = await store.retrieve("resident")
    assert latest is not None
    assert [event.type_name for event in latest.events] == ["action", "session_started"]
    everything = await store.retrieve_full_tracker("resident")
    assert everything is not None
    assert [event.type_name for event in everything.events] == [event.type_name for event in tracker.events]


async def test_a_tracker_read_or_saved_by_the_store_is_saved_without_a_count_query(tmp_path: Path) -> None:
    """The store remembers how many of a tracker's events it holds; across a new session the
    same tracker object goes on being saved right (no event written twice)."""
    store = AggloTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.sqlite3"))
    start = time.time()
    tracker = DialogueStateTracker.from_events(
        "resident", [ActionExecuted("action_session_start", timestamp=start + 0.1), SessionStarted(timestamp=start)]
    )
    await store.save(tracker)
    statements: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(str(args[2])))
    retrieved = await store.retrieve("resident")
    assert retrieved is not None
    statements.clear()
    retrieved.update(UserUttered("bonjour", {"name": "saluer", "confidence": 0.9}, timestamp=start + 1))
    retrieved.update(ActionExecuted("action_session_start", timestamp=start + 10.1))
    retrieved.update(SessionStarted(timestamp=start + 10))
    await store.save(retrieved)
    assert not any("count(" in statement.lower() for statement in statements), statements
    retrieved.update(
        UserUttered("et à Gosnay ?", {"name": "informer_commune", "confidence": 0.9}, timestamp=start + 11)
    )
    await store.save(retrieved)
    with store.engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT type_name FROM events ORDER BY id")).scalars().all()
    assert stored == ["action", "session_started", "user", "action", "session_started", "user"]


async def test_a_new_conversation_costs_no_empty_transaction_nor_count_query(tmp_path: Path) -> None:
    """What Rasa does for a new conversation: the store finds nothing, Rasa saves an empty
    tracker, then the turn's events: one transaction, one insert, nothing counted."""
    from rasa.core.tracker_store import FailSafeTrackerStore

    store = AggloTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.sqlite3"))
    statements: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(str(args[2])))
    wrapped = FailSafeTrackerStore(store)  # as Rasa's processor holds it
    tracker = await wrapped.get_or_create_tracker("nouveau", append_action_listen=False)
    assert not tracker.events
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("bonjour", {"name": "saluer", "confidence": 0.9}))
    await wrapped.save(tracker)
    # The read that found nothing, then the turn's insert.
    assert [statement.split()[0] for statement in statements] == ["SELECT", "INSERT"], statements
    stored = await store.retrieve("nouveau")
    assert stored is not None and [event.type_name for event in stored.events] == ["action", "user"]


@pytest.mark.prod
async def test_on_postgresql_a_restarted_database_costs_no_turn(fresh_postgres: Any) -> None:
    """The pool's connections die with the server: the next read and write are done on fresh
    ones, without testing every connection before use (a round trip per message)."""
    store = AggloTrackerStore(domain=DOMAIN, dialect="postgresql", host=fresh_postgres.owner_url)
    events = [ActionExecuted("action_listen"), UserUttered("bonjour", {"name": "saluer", "confidence": 0.9})]
    await store.save(DialogueStateTracker.from_events("resident", events))
    assert not store.engine.pool._pre_ping

    def kill_connections() -> None:  # what a restart does to the pool's connections
        killer = sa.create_engine(fresh_postgres.owner_url)
        with killer.connect() as connection:
            killed = connection.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE usename = current_user AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                )
            ).scalar()
            # Gone, as after a restart: pg_terminate_backend only signals them.
            for _ in range(100):
                left = connection.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE usename = current_user "
                        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                    )
                ).scalar()
                if not left:
                    break
                time.sleep(0.05)
        killer.dispose()
        assert killed and killed >= 1

    kill_connections()
    tracker = await store.retrieve("resident")
    assert tracker is not None and [event.text for event in tracker.events if isinstance(event, UserUttered)] == [
        "bonjour"
    ]
    tracker.update(BotUttered("Bonjour !"))
    kill_connections()
    await store.save(tracker)
    stored = await store.retrieve("resident")
    assert stored is not None and len(stored.events) == 3
