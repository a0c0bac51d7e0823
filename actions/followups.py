"""« oui », « non », « la 2e »: short replies to the assistant's own question (its latest buttons)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import answer_topic, headline_aid_buttons
from actions.common import latest_intent, latest_text, send_response, services
from actions.communes import answer_commune
from actions.turns import ReadingAction
from bot.core.followups import chosen_option, offered_buttons, read_payload
from bot.core.topics import QUESTION_FIELDS, resolve_topic


class ActionFollowUp(ReadingAction):
    def name(self) -> str:
        return "action_repondre_suite"

    def answer_as_chosen(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        intent = latest_intent(tracker)
        buttons = offered_buttons(tracker.events)
        commune = tracker.get_slot("commune")
        topic = tracker.get_slot("topic")
        if intent == "nier":
            send_response(dispatcher, "utter_nier", topic=str(topic or "incompris"), commune=commune)
            return []
        index = chosen_option(latest_text(tracker), len(buttons)) if intent == "choisir_option" else None
        if index is None and intent == "affirmer" and len(buttons) == 1:
            index = 0
        if index is not None:
            return follow_button(dispatcher, tracker, buttons[index]["payload"])
        # Nothing to pick from, or « oui » to several options: offer them (again).
        offer = buttons or headline_aid_buttons()
        send_response(dispatcher, "utter_choisir_option", topic="incompris", commune=commune, buttons=offer, asks=True)
        return []


def follow_button(dispatcher: CollectingDispatcher, tracker: Tracker, payload: str) -> list[dict[str, Any]]:
    """Answer as if the resident had clicked the button with this payload."""
    read = read_payload(payload)
    if read is None:
        # A plain-text button: a commune's name (« Plusieurs communes correspondent »).
        match = services().communes.find(payload)
        return answer_commune(dispatcher, tracker, follow_up=True, match=match)
    current = tracker.get_slot("topic")
    topic = resolve_topic(
        read.intent,
        read.entities.get("dispositif"),
        "",
        str(current) if current else None,
        services().kb,
        services().topics,
    )
    if topic is None:
        send_response(
            dispatcher, "utter_preciser_sujet", topic="incompris", commune=tracker.get_slot("commune"), asks=True
        )
        return []
    return answer_topic(dispatcher, tracker, topic, QUESTION_FIELDS.get(read.intent))
