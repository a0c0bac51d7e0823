"""Messages not understood: a two-stage fallback counted over the conversation.

A message that names a topic's keyword or a commune is answered about it. Otherwise, first
miss: ask for a rephrase, with the three most likely topics as buttons (the most asked aids
when no word of the message was recognised); second miss in a row:
give the Agglo's contact from the knowledge base, with the offer of a callback by an agent.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import HEADLINE_AID_BUTTONS, answer_topic
from actions.common import find_commune, latest_text, send_response, services
from actions.communes import answer_commune, names_only_a_commune
from actions.conversation import answer_orientation
from actions.people import send_first
from actions.turns import ReadingAction
from bot.core.topics import FALLBACK_INTENT, NOT_UNDERSTOOD, named_topic
from bot.core.turns import person_answer

SUGGESTIONS = 3


def consecutive_misses(tracker: Tracker) -> int:
    """How many of the latest user messages in a row were not understood."""
    misses = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        misses += 1
    return misses


class ActionNotUnderstood(ReadingAction):
    def name(self) -> str:
        return "action_incompris"

    def answer_as_chosen(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        commune = tracker.get_slot("commune")
        kb = services().kb
        topic_named = named_topic(latest_text(tracker), kb, services().topics)
        if topic_named is not None:
            return answer_topic(dispatcher, tracker, topic_named, None)
        if answer_orientation(dispatcher, tracker):
            return []
        if find_commune(tracker) is not None:
            # "Isbergue c'est bien dans l'agglo ?": the commune is the one thing understood.
            return answer_commune(dispatcher, tracker, follow_up=names_only_a_commune(tracker))
        if consecutive_misses(tracker) >= 2:
            offer = person_answer(services(), "utter_incompris_contact", NOT_UNDERSTOOD, commune)
            return send_first(dispatcher, tracker, offer)
        # The likeliest topics; when nothing in the message was recognised (every
        # confidence 0: no known word), the most asked aids instead.
        ranking = tracker.latest_message.get("intent_ranking") or []
        likeliest = [str(item.get("name")) for item in ranking if float(item.get("confidence") or 0) > 0]
        buttons = []
        for slug in dict.fromkeys([*likeliest, *HEADLINE_AID_BUTTONS]):
            topic = kb.topic(slug)
            if topic is not None and topic.family != "conversation":
                buttons.append({"title": topic.title, "payload": f"/{topic.slug}"})
            if len(buttons) == SUGGESTIONS:
                break
        send_response(
            dispatcher, "utter_incompris_reformuler", topic=NOT_UNDERSTOOD, commune=commune, buttons=buttons, asks=True
        )
        return []
