"""The tracker store class of ops/endpoints.prod.yml on PostgreSQL, with the application role."""

from __future__ import annotations

import pytest
from rasa.core.tracker_store import AwaitableTrackerStore, TrackerStore, create_tracker_store
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.stores import migrations
from channels.tracker_store import AggloTrackerStore
from ops.prod.render import PROD_ENDPOINTS
from tests.postgres import Postgres

pytestmark = pytest.mark.prod


def _unwrap(store: TrackerStore) -> TrackerStore:
    return store._tracker_store if isinstance(store, AwaitableTrackerStore) else store


async def test_production_endpoints_store_conversations_in_postgresql(
    fresh_postgres: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrations.upgrade(fresh_postgres.owner_url)  # the application role may not create Rasa's table
    monkeypatch.setenv("AGGLO_TRACKER_DATABASE_URL", fresh_postgres.app_url)
    for name in ("AGGLO_ACTIONS_URL", "AGGLO_REDIS_HOST", "AGGLO_REDIS_PORT", "AGGLO_REDIS_PASSWORD"):
        monkeypatch.setenv(name, "1")
    config = read_endpoint_config(str(PROD_ENDPOINTS), "tracker_store")
    domain = Domain.empty()
    store = _unwrap(create_tracker_store(config, domain))
    assert isinstance(store, AggloTrackerStore)
    assert store.engine.dialect.name == "postgresql"
    texts = ["bonjour", "le permis de louer ?", "et à Gosnay ?"]
    tracker: DialogueStateTracker | None = DialogueStateTracker.from_events("resident", [SessionStarted()])
    for text in texts:  # as Rasa does: read the conversation, add the turn, save it
        assert tracker is not None
        tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(text, {"name": "x", "confidence": 1.0}))
        await store.save(tracker)
        tracker = await store.retrieve("resident")
    assert tracker is not None
    assert [event.text for event in tracker.events if isinstance(event, UserUttered)] == texts
    assert len(tracker.events) == 1 + 2 * len(texts)
