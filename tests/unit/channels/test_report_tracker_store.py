"""The report reads conversations as the assistant's own tracker store writes them."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from rasa.core.actions.action import create_bot_utterance
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.core.answers import resident_answer
from bot.core.services import Services
from bot.report.data import Period, collect
from channels.tracker_store import AggloTrackerStore
from tests.conftest import mask
from tests.unit.report.test_report import CONSOLE_URL


def test_the_report_counts_what_the_tracker_store_wrote(tmp_path: Path, services: Services) -> None:
    path = tmp_path / "tracker.sqlite3"
    store = AggloTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(path))
    answer = resident_answer(services.kb, "aide_velo", field_name="amount")
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    events = [
        ActionExecuted("action_session_start", timestamp=now),
        SessionStarted(timestamp=now),
        ActionExecuted("action_listen", timestamp=now),
        UserUttered("combien pour un vélo ?", intent={"name": "demander_montant", "confidence": 0.9}, timestamp=now),
        ActionExecuted("action_repondre_sujet", timestamp=now + 1),
        # What rasa_sdk's dispatcher sends, turned into an event the way Rasa does it.
        create_bot_utterance({"text": answer.text, "custom": answer.payload()}),
        ActionExecuted("action_listen", timestamp=now + 1),
        UserUttered("et la météo demain ?", intent={"name": "hors_sujet", "confidence": 0.8}, timestamp=now + 2),
        create_bot_utterance({"text": "Je ne peux pas vous aider.", "custom": {"topic": "hors_sujet"}}),
    ]
    asyncio.run(store.save(DialogueStateTracker.from_events("web-abc", events)))
    store.engine.dispose()

    today = dt.date.today()
    data = collect(
        services.kb,
        Period(today - dt.timedelta(days=1), today + dt.timedelta(days=1)),
        tracker_url=f"sqlite:///{path}",
        feedback_url=None,
        mask_text=mask,
        console_url=CONSOLE_URL,
    )
    assert (data.messages, data.conversations) == (2, 1)
    assert {topic.topic: topic.messages for topic in data.topics} == {"aide_velo": 1, "hors_sujet": 1}
    assert [(ask.topic, ask.field, ask.count) for ask in data.unknown_fields] == [("aide_velo", "amount", 1)]
    assert [group.example for group in data.unanswered.groups] == ["et la météo demain ?"]
    assert not data.feedback_available
