"""A commune named on its own ("j'habite à Auchel", "et à Gosnay ?") or a membership question."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    agent_mode,
    contact_just_given,
    find_commune,
    latest_intent,
    latest_text,
    send,
    send_response,
    services,
)
from actions.turns import ReadingAction
from bot.core.answers import agent_fiche, commune_answer, resident_answer
from bot.core.matching import CommuneMatch


class ActionAnswerCommune(ReadingAction):
    def name(self) -> str:
        return "action_repondre_commune"

    def answer_as_chosen(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        follow_up = latest_intent(tracker) == "informer_commune" or names_only_a_commune(tracker)
        return answer_commune(dispatcher, tracker, follow_up=follow_up)


def names_only_a_commune(tracker: Tracker) -> bool:
    """The latest message only gives a commune ("et pour Arras alors ?"): whatever intent the
    NLU saw in it, the conversation goes on about the current topic for that commune."""
    return services().communes.names_only_a_commune(latest_text(tracker))


def answer_commune(
    dispatcher: CollectingDispatcher, tracker: Tracker, *, follow_up: bool, match: CommuneMatch | None = None
) -> list[dict[str, Any]]:
    """Answer for the commune named in the latest message (or ``match``: a button chosen).

    ``follow_up``: the message only gives a commune, so the current topic is answered again
    for it ("et à Gosnay ?"); otherwise the commune's membership and rules are given.
    """
    kb = services().kb
    match = match or find_commune(tracker)
    current_topic = tracker.get_slot("topic")
    if match is not None and match.ambiguous:
        buttons = [{"title": commune.name, "payload": commune.name} for commune in match.candidates]
        send_response(dispatcher, "utter_preciser_commune", topic="communes", buttons=buttons, asks=True)
        return []
    repeated = contact_just_given(tracker)
    if match is None or match.commune is None:
        slot = tracker.get_slot("commune")
        if slot and kb.commune(str(slot)) is not None:
            # "c'est dans l'agglo ?" after "j'habite à Beuvry": the commune stated earlier.
            send(dispatcher, commune_answer(kb, str(slot), contact_just_given=repeated))
            return [SlotSet("topic", "communes")]
        # No commune recognised, none stated before: the general answer about the communes.
        send(dispatcher, resident_answer(kb, "communes", contact_just_given=repeated))
        return [SlotSet("topic", "communes")]
    insee = match.commune.insee
    if follow_up and current_topic not in (None, "communes") and kb.topic(str(current_topic)) is not None:
        # "et à Gosnay ?": the current topic again, for the new commune.
        topic = str(current_topic)
        if agent_mode(tracker):
            answer = agent_fiche(kb, topic, commune_insee=insee)
        else:
            answer = resident_answer(kb, topic, commune_insee=insee, commune_only=True, contact_just_given=repeated)
        send(dispatcher, answer)
        return [SlotSet("commune", insee)]
    send(dispatcher, commune_answer(kb, insee, contact_just_given=repeated, said=match.matched_text))
    return [SlotSet("commune", insee), SlotSet("topic", "communes")]
