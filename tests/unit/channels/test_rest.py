"""The REST channel apologises when a turn cannot be trusted: a lock store or tracker store
down, an exception while handling, or no answer at all."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sqlalchemy.exc import OperationalError

from channels import tracker_store
from channels.rest import AggloRestInput


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
