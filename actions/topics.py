"""Answers about a topic: what it is, or one kind of question about it, for the commune in context."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    KnowledgeBaseAction,
    agent_mode,
    commune_in_context,
    contact_just_given,
    entity,
    latest_intent,
    latest_text,
    send,
    send_response,
    services,
)
from actions.communes import answer_commune, names_only_a_commune
from actions.conversation import answer_orientation
from bot.core.answers import agent_fiche, resident_answer
from bot.core.topics import asked_field, resolve_topic

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


class ActionAnswerTopic(KnowledgeBaseAction):
    def name(self) -> str:
        return "action_repondre_sujet"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        intent = latest_intent(tracker)
        if names_only_a_commune(tracker):
            return answer_commune(dispatcher, tracker, follow_up=True)
        field_name = asked_field(intent, latest_text(tracker), services().kb)
        topic = self._topic(tracker, intent)
        if topic is None:
            if answer_orientation(dispatcher, tracker):
                # "combien coûte un passeport ?": a known kind of question, for another body.
                return []
            commune, _ = commune_in_context(tracker)
            send_response(
                dispatcher, "utter_preciser_sujet", topic="incompris", commune=commune, buttons=headline_aid_buttons()
            )
            return [SlotSet("commune", commune)]
        return answer_topic(dispatcher, tracker, topic, field_name)

    @staticmethod
    def _topic(tracker: Tracker, intent: str) -> str | None:
        """The topic asked about: the intent itself, else the one named, else the current one."""
        current = tracker.get_slot("topic")
        return resolve_topic(
            intent,
            entity(tracker, "dispositif"),
            latest_text(tracker),
            str(current) if current else None,
            services().kb,
            services().topics,
        )


def answer_topic(
    dispatcher: CollectingDispatcher, tracker: Tracker, topic: str, field_name: str | None
) -> list[dict[str, Any]]:
    """The topic (or one field of it) for the commune named now, else the one in context:
    a short answer for residents, the complete fiche for agents."""
    kb = services().kb
    commune, named_now = commune_in_context(tracker)
    if agent_mode(tracker):
        answer = agent_fiche(kb, topic, commune_insee=commune)
    else:
        answer = resident_answer(
            kb,
            topic,
            field_name=field_name,
            commune_insee=commune,
            bike_type=entity(tracker, "type_velo"),
            # "mon appart à Vermelles est concerné ?": the commune's part of the answer.
            commune_only=named_now and field_name is None,
            question=latest_text(tracker),
            contact_just_given=contact_just_given(tracker),
        )
    send(dispatcher, answer)
    return [SlotSet("topic", topic), SlotSet("commune", commune)]
