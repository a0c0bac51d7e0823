"""People first: what every action answers before the topic (actions/common.py calls
:func:`answer_first` at the start of every knowledge-base action).

1. Distress or an emergency (kb/emergencies.yml): the national numbers alone, nothing else.
2. A request for a person, or a question whether one answers (kb/people.yml): the assistant says
   it is an automatic assistant, gives the Agglo's contact and offers a callback (payload
   ``offer_callback: true``), under the topic ``contact`` (``identite_bot`` for the question).
3. An insult alone: one calm sentence and the menu of headline aids, never the insult echoed.
   An insult around a question the NLU took for small talk or did not understand: the topic the
   rest of the message names; otherwise the question is answered as usual.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_intent, latest_text, send_response, services
from actions.topics import answer_topic
from bot.core.answers import contact_answer
from bot.core.people import INSULT_TOPIC, menu_buttons, with_callback_offer
from bot.core.topics import CONVERSATION_INTENTS, FALLBACK_INTENT, named_topic

OUT_OF_SCOPE_INTENT = "hors_sujet"


def answer_first(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    """The turn's events if the message was answered here, else None (the action answers)."""
    text = latest_text(tracker)
    if not text.strip() or text.startswith("/"):
        return None  # a button the assistant offered: its intent says what is asked
    found = services()
    commune = tracker.get_slot("commune")
    kinds = found.emergencies.detect(text)
    if kinds:
        emergency = found.emergencies.answer(kinds, commune_insee=commune)
        dispatcher.utter_message(text=emergency.answer.text, json_message=emergency.payload())
        return []
    person_topic = found.people.person_request(text)
    if person_topic is not None:
        offer_a_person(dispatcher, commune, response="utter_demande_humain", topic=person_topic)
        return []
    insult = found.people.insult(text)
    if insult is None:
        return None
    intent = latest_intent(tracker)
    if not insult.alone:
        if intent not in (*CONVERSATION_INTENTS, FALLBACK_INTENT):
            return None  # a question the NLU understood: answered as if the insult were not there
        topic = named_topic(insult.rest, found.kb, found.topics)
        if topic is not None:
            return answer_topic(dispatcher, tracker, topic, None)
        if intent == OUT_OF_SCOPE_INTENT:
            return None  # a question for another body (the action gives who handles it)
    send_response(dispatcher, "utter_insulte", topic=INSULT_TOPIC, commune=commune, buttons=menu_buttons(found.kb))
    return []


def offer_a_person(dispatcher: CollectingDispatcher, commune: str | None, *, response: str, topic: str) -> None:
    """``response`` (what the assistant is, or that it still does not understand), then the
    Agglo's contact with the offer of a callback by an agent (the widget's button)."""
    answer = contact_answer(services().kb, topic, commune_insee=commune)
    dispatcher.utter_message(response=response)
    dispatcher.utter_message(text=answer.text, json_message=with_callback_offer(answer.payload()))
