"""The REST channel apologises when a turn cannot be trusted: a lock store or tracker store
down, an exception while handling, or no answer at all."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sqlalchemy.exc import OperationalError

from channels import tracker_store
from channels.rest import AggloRestInput, Readiness


async def _turn(handler: Any) -> list[dict[str, Any]]:
    channel = AggloRestInput(secret="")
    collector = CollectingOutputChannel()
    await channel._answer_or_apologise(handler, UserMessage("bonjour", collector, "resident"), collector)
    return collector.messages


def _is_apology(messages: list[dict[str, Any]]) -> bool:
    return (
        len(messages) == 2
        and "Désolé" in messages[0]["text"]
        and "03 21 61 50 00" in messages[0]["text"]
        and messages[1]["custom"]["topic"] == "contact"
    )


async def test_an_answered_turn_is_passed_on() -> None:
    async def answer(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "Une réponse.")

    assert [message["text"] for message in await _turn(answer)] == ["Une réponse."]


async def test_a_turn_that_raises_gets_the_apology() -> None:
    async def lock_store_down(message: UserMessage) -> None:
        raise ConnectionError("Redis is down")

    assert _is_apology(await _turn(lock_store_down))


async def test_a_failed_tracker_store_replaces_the_answer_by_the_apology() -> None:
    async def answered_from_an_empty_conversation(message: UserMessage) -> None:
        # What Rasa's FailSafeTrackerStore does: the store's error is swallowed and the turn goes on.
        tracker_store._note_failure(OperationalError("SELECT", {}, Exception("connection refused")))
        await message.output_channel.send_text_message(message.sender_id, "Bonjour !")

    assert _is_apology(await _turn(answered_from_an_empty_conversation))


async def test_no_answer_at_all_gets_the_apology() -> None:
    async def silent(message: UserMessage) -> None:
        return None

    assert _is_apology(await _turn(silent))


async def test_the_store_notes_its_failure_for_the_turn(tmp_path: Any) -> None:
    import pytest
    from rasa.shared.core.domain import Domain

    store = tracker_store.AggloTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.sqlite3"))
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE events")
    outcome = tracker_store.TurnOutcome()
    token = tracker_store.CURRENT_TURN.set(outcome)
    try:
        with pytest.raises(OperationalError):
            await store._retrieve("resident", fetch_events_from_all_sessions=False)
    finally:
        tracker_store.CURRENT_TURN.reset(token)
    assert outcome.store_failed


class _Agent:
    """Rasa's agent as the readiness check sees it: loaded or not, parsing or failing."""

    def __init__(self, loaded: bool = True, intent: str | None = "saluer", fails: bool = False) -> None:
        self.loaded, self.intent, self.fails = loaded, intent, fails
        self.parses = 0

    def is_ready(self) -> bool:
        return self.loaded

    async def parse_message(self, text: str) -> dict[str, Any]:
        self.parses += 1
        if self.fails:
            raise ValueError("the pipeline is broken")
        return {"text": text, "intent": {"name": self.intent, "confidence": 0.9}}


async def test_ready_only_once_the_model_is_loaded_and_a_parse_answers() -> None:
    readiness = Readiness(clock=lambda: 0.0)
    assert not await readiness.ready(None)  # before Rasa has an agent at all
    assert not await readiness.ready(_Agent(loaded=False))
    assert not await readiness.ready(_Agent(fails=True))
    assert not await readiness.ready(_Agent(intent=None))
    assert await readiness.ready(_Agent())


async def test_a_parse_counts_for_a_second_then_is_asked_again() -> None:
    now = [100.0]
    readiness, agent = Readiness(clock=lambda: now[0]), _Agent()
    assert await readiness.ready(agent) and await readiness.ready(agent)
    assert agent.parses == 1
    now[0] += 1.5
    agent.fails = True
    assert not await readiness.ready(agent)
    assert agent.parses == 2


def test_the_channel_serves_its_readiness_beside_the_webhook() -> None:
    async def handler(message: UserMessage) -> None:
        return None

    blueprint = AggloRestInput(secret="").blueprint(handler)
    paths = {route.uri for route in blueprint._future_routes}
    assert {"/ready", "/webhook", "/"} <= paths
