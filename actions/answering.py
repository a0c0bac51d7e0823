"""Send the answer about a topic: a short one for residents, the answer to the question with its
agent-only details for agents. Shared by every action that ends on a topic."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import agent_mode, commune_in_context, contact_just_given, entity, latest_text, send, services
from bot.core.answers import agent_answer, resident_answer
from bot.core.reading import Question

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


def answer_topic(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    topic: str,
    field_name: str | None,
    asked: Question | None = None,
    *,
    contact_given: bool = False,
) -> list[dict[str, Any]]:
    """The topic for the commune named now, else the one in context, answering the question
    asked (``asked``, read from the message; else the resident's words and ``field_name``).
    ``contact_given``: an earlier answer of this very turn gave the contact."""
    kb = services().kb
    commune, named_now = commune_in_context(tracker)
    question = latest_text(tracker) if asked is None else ""
    if agent_mode(tracker):
        answer = agent_answer(kb, topic, commune_insee=commune, field_name=field_name, question=question, asked=asked)
    else:
        answer = resident_answer(
            kb,
            topic,
            field_name=field_name,
            commune_insee=commune,
            bike_type=entity(tracker, "type_velo"),
            # « et à Gosnay ? »: a message that only names a commune gets its rules.
            commune_only=named_now and services().communes.names_only_a_commune(latest_text(tracker)),
            question=question,
            asked=asked,
            contact_just_given=contact_given or contact_just_given(tracker),
        )
    send(dispatcher, answer)
    return [SlotSet("topic", topic), SlotSet("commune", commune)]
