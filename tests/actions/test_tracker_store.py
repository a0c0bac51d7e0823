"""The SQLite tracker store of endpoints.yml: Rasa's SQL store, in WAL mode with fewer disk flushes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rasa.core.tracker_store import AwaitableTrackerStore, SQLTrackerStore, TrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.settings import PROJECT_ROOT
from channels.tracker_store import SQLiteTrackerStore

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


@pytest.mark.parametrize("endpoints", ["endpoints.yml", "bench/endpoints-redis.yml"])
def test_endpoints_use_it(endpoints: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGGLO_TRACKER_DB", str(tmp_path / "tracker.sqlite3"))
    for name in ("AGGLO_ACTIONS_URL", "AGGLO_REDIS_HOST", "AGGLO_REDIS_PORT"):
        monkeypatch.setenv(name, "1")
    config = read_endpoint_config(str(PROJECT_ROOT / endpoints), "tracker_store")
    store = _unwrap(create_tracker_store(config, DOMAIN))
    # Rasa falls back to an in-memory store, with a mere warning, when the class is not found.
    assert isinstance(store, SQLiteTrackerStore)
    assert (tmp_path / "tracker.sqlite3").exists()


async def test_wal_and_normal_synchronous_and_a_round_trip(tmp_path: Path) -> None:
    store = SQLiteTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"))
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
    assert len(again.events) == len(tracker.events)
    # A second store on the same file (a second Sanic worker) sees the same conversation.
    other = SQLiteTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.sqlite3"))
    assert (await other.retrieve("resident")) is not None


async def test_reads_and_writes_what_rasas_own_store_does(tmp_path: Path) -> None:
    """Two sessions, saved message by message: the same rows, and the same latest session read
    back, as Rasa's SQLTrackerStore on the same file."""
    path = str(tmp_path / "tracker.sqlite3")
    store = SQLiteTrackerStore(domain=DOMAIN, dialect="sqlite", db=path)
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
