"""People first: what every action answers before the topic (actions/common.py calls
:func:`answer_first` at the start of every knowledge-base action). The decision is
bot/core/turns.py's :func:`~bot.core.turns.people_first`; this module only sends it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import asked_of, nlu_of, send_answers
from actions.common import latest_text, send, send_response, services
from bot.core.turns import FirstAnswer, people_first


def answer_first(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    """The turn's events if the message was answered here, else None (the action answers)."""
    first = people_first(services(), latest_text(tracker), nlu_of(tracker), asked_of(tracker))
    return None if first is None else send_first(dispatcher, tracker, first)


def send_first(dispatcher: CollectingDispatcher, tracker: Tracker, first: FirstAnswer) -> list[dict[str, Any]]:
    """Send what people first answers: its response of domain.yml, then its answers."""
    said = first.said
    if said is not None and said.topic is not None:
        send_response(dispatcher, said.response, topic=said.topic, commune=said.commune, buttons=said.buttons)
    elif said is not None:
        dispatcher.utter_message(response=said.response)
    if first.about_topic:
        return send_answers(dispatcher, tracker, list(first.answers))
    for answer in first.answers:
        send(dispatcher, answer)
    return []
