"""Small talk and out-of-scope messages: a domain.yml response tagged with its own topic slug."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import KnowledgeBaseUnavailable, apologise, latest_intent, send_response
from actions.communes import answer_commune, names_only_a_commune

# Intent → topic slug of kb/topics.yml (conversation family); each has an utter_<slug>.
CONVERSATION_TOPICS = {
    "salutation": "salutation",
    "remerciement": "remerciement",
    "au_revoir": "au_revoir",
    "identite_bot": "identite_bot",
    "hors_sujet": "hors_sujet",
}


class ActionConversation(Action):
    def name(self) -> str:
        return "action_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            if names_only_a_commune(tracker):
                return answer_commune(dispatcher, tracker, follow_up=True)
        except KnowledgeBaseUnavailable as error:
            return apologise(dispatcher, tracker, error)
        topic = CONVERSATION_TOPICS.get(latest_intent(tracker), "hors_sujet")
        send_response(dispatcher, f"utter_{topic}", topic=topic, commune=tracker.get_slot("commune"))
        return []
