"""Small talk and out-of-scope messages: a domain.yml response tagged with its own topic slug;
a question for another body (passport, taxes, CAF…) gets who handles it (kb/orientation.yml)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_intent, latest_text, send, send_response, services
from actions.communes import answer_commune, names_only_a_commune
from actions.turns import ReadingAction
from bot.core.answers import orientation_answer

# Intent → topic slug of kb/topics.yml (conversation family); each has an utter_<slug>.
CONVERSATION_TOPICS = {
    "salutation": "salutation",
    "remerciement": "remerciement",
    "au_revoir": "au_revoir",
    "identite_bot": "identite_bot",
    "hors_sujet": "hors_sujet",
}


class ActionConversation(ReadingAction):
    def name(self) -> str:
        return "action_conversation"

    def answer_as_chosen(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        topic = CONVERSATION_TOPICS.get(latest_intent(tracker), "hors_sujet")
        if names_only_a_commune(tracker):
            return answer_commune(dispatcher, tracker, follow_up=True)
        if topic == "hors_sujet" and answer_orientation(dispatcher, tracker):
            return []
        send_response(dispatcher, f"utter_{topic}", topic=topic, commune=tracker.get_slot("commune"))
        return []


def answer_orientation(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Who handles the question, if it is one for another body that kb/orientation.yml knows."""
    fact_id = services().orientation.find(latest_text(tracker))
    if fact_id is None:
        return False
    send(dispatcher, orientation_answer(services().kb, fact_id, commune_insee=tracker.get_slot("commune")))
    return True
