"""Send the answers about a topic (bot/core/turns.py), for the conversation the tracker holds.
Shared by every action that ends on a topic."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    agent_mode,
    commune_in_context,
    contact_just_given,
    entity,
    last_payload,
    latest_intent,
    latest_text,
    previous_text,
    send,
    services,
)
from bot.core.answers import Answer, asked_kind
from bot.core.turns import Asked, Context, Nlu, answer_parts

HEADLINE_AID_BUTTONS = ("aide_velo", "permis_de_louer", "aide_recuperateur_eau", "mutuelle")


def headline_aid_buttons() -> list[dict[str, str]]:
    """The four headline aids as buttons: what the assistant offers when it cannot tell which
    scheme is meant."""
    kb = services().kb
    return [
        {"title": view.title, "payload": f"/{slug}"}
        for slug in HEADLINE_AID_BUTTONS
        if (view := kb.topic(slug)) is not None
    ]


def nlu_of(tracker: Tracker) -> Nlu:
    confidence = (tracker.latest_message.get("intent") or {}).get("confidence")
    return Nlu(
        intent=latest_intent(tracker),
        dispositif=entity(tracker, "dispositif"),
        bike_type=entity(tracker, "type_velo"),
        confidence=Nlu.confidence_of(confidence),
    )


def context_of(tracker: Tracker) -> Context:
    """The conversation so far: the current topic, and what the assistant's latest answer was."""
    topic = tracker.get_slot("topic")
    payload = last_payload(tracker)
    kind = payload.get("kind")
    return Context(
        topic=str(topic) if topic else None,
        kind=str(kind) if kind else None,
        asked=payload.get("asks") is True,
        previous=previous_text(tracker),
    )


def asked_of(tracker: Tracker) -> Asked:
    """Who asks and where, for this turn (the commune named now, else the one in context)."""
    commune, named_now = commune_in_context(tracker)
    return Asked(
        commune=commune,
        agent=agent_mode(tracker),
        contact_just_given=contact_just_given(tracker),
        bike_type=entity(tracker, "type_velo"),
        # « et à Gosnay ? »: a message that only names a commune gets its rules.
        only_a_commune=named_now and services().communes.names_only_a_commune(latest_text(tracker)),
    )


def send_answers(dispatcher: CollectingDispatcher, tracker: Tracker, answers: list[Answer]) -> list[dict[str, Any]]:
    """Send the answers; the conversation's topic becomes the last one answered."""
    for answer in answers:
        send(dispatcher, answer)
    asked = asked_of(tracker)
    topics = [answer.topic for answer in answers if services().kb.topic(answer.topic) is not None]
    topic = topics[-1] if topics else tracker.get_slot("topic")
    return [SlotSet("topic", topic), SlotSet("commune", asked.commune)]


def answer_topic(
    dispatcher: CollectingDispatcher, tracker: Tracker, topic: str, field_name: str | None
) -> list[dict[str, Any]]:
    """The topic for the commune named now, else the one in context: the question the resident's
    words ask, else the one ``field_name`` names (a quick reply, the NLU's kind of question)."""
    text = latest_text(tracker)
    question = asked_kind(services().kb, text, field_name) if field_name else None
    return send_answers(dispatcher, tracker, answer_parts(services(), [(topic, question)], text, asked_of(tracker)))
