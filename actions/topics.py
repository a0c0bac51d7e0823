"""Answers about a topic: what it is, or one kind of question about it, for the commune in context."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import answer_topic, headline_aid_buttons
from actions.common import commune_in_context, entity, latest_intent, latest_text, send_response, services
from actions.communes import answer_commune, names_only_a_commune
from actions.conversation import answer_orientation
from actions.turns import ReadingAction
from bot.core.topics import asked_field, resolve_topic


class ActionAnswerTopic(ReadingAction):
    def name(self) -> str:
        return "action_repondre_sujet"

    def answer_as_chosen(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
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
                dispatcher,
                "utter_preciser_sujet",
                topic="incompris",
                commune=commune,
                buttons=headline_aid_buttons(),
                asks=True,
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
