"""The SQLite tracker store of endpoints.yml: Rasa's SQL store, in WAL mode with fewer disk flushes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.tracker_store import AwaitableTrackerStore, TrackerStore, create_tracker_store
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
