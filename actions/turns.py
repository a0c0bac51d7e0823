"""Every turn is read on all its axes before the action the NLU chose answers it
(bot/core/turns.py): the reading answers the topics and questions it finds — corrections, two
questions at once, a kind of question the intent missed, English — and otherwise lets the
action answer as usual."""

from __future__ import annotations

import abc
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import answer_topic
from actions.common import KnowledgeBaseAction, entity, last_payload, latest_intent, latest_text, send, services
from bot.core.answers import english_answer
from bot.core.turns import Context, Plan, plan_turn


def context_of(tracker: Tracker) -> Context:
    """The conversation so far: the current topic, and what the assistant's latest answer was."""
    topic = tracker.get_slot("topic")
    payload = last_payload(tracker)
    kind = payload.get("kind")
    return Context(
        topic=str(topic) if topic else None,
        kind=str(kind) if kind else None,
        asked=payload.get("asks") is True,
    )


def plan_of(tracker: Tracker) -> Plan:
    text = latest_text(tracker)
    return plan_turn(
        text,
        latest_intent(tracker),
        entity(tracker, "dispositif"),
        context_of(tracker),
        services().kb,
        services().topics,
        names_orientation=services().orientation.find(text) is not None,
        only_a_commune=services().communes.names_only_a_commune(text),
        outside_only=_names_outside_only(text),
    )


def _names_outside_only(text: str) -> bool:
    """The message names communes, none of them a member of the Agglo."""
    matches = services().communes.find_all(text)
    return bool(matches) and not any(match.is_member for match in matches)


def answer_plan(dispatcher: CollectingDispatcher, tracker: Tracker, plan: Plan) -> list[dict[str, Any]]:
    """The plan's answers, in order: in English first when the message was English."""
    events: list[dict[str, Any]] = []
    contact_given = False
    if plan.english:
        tag = plan.parts[0].topic if plan.parts else "incompris"
        send(dispatcher, english_answer(services().kb, tag, answer_follows=bool(plan.parts)))
        contact_given = True
    for part in plan.parts:
        events += answer_topic(dispatcher, tracker, part.topic, None, part.question, contact_given=contact_given)
    if not plan.parts:
        events.append(SlotSet("topic", tracker.get_slot("topic")))
    return events


class ReadingAction(KnowledgeBaseAction, abc.ABC):
    """A knowledge-base action that lets the reading of the turn answer first."""

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        plan = plan_of(tracker)
        if not plan.defer:
            return answer_plan(dispatcher, tracker, plan)
        return self.answer_as_chosen(dispatcher, tracker)

    @abc.abstractmethod
    def answer_as_chosen(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        """The action's own answer, when the reading has nothing to add."""
