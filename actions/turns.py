"""Every turn is read on all its axes before the action the NLU chose answers it
(bot/core/turns.py): the reading answers the topics and questions it finds — corrections, two
questions at once, a kind of question the intent missed, English — and otherwise lets the
action answer as usual."""

from __future__ import annotations

import abc
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answering import asked_of, context_of, nlu_of, send_answers
from actions.common import KnowledgeBaseAction, latest_text, services
from bot.core.turns import answer_plan, turn_plan


class ReadingAction(KnowledgeBaseAction, abc.ABC):
    """A knowledge-base action that lets the reading of the turn answer first."""

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        text = latest_text(tracker)
        plan = turn_plan(services(), text, nlu_of(tracker), context_of(tracker))
        if not plan.defer:
            return send_answers(dispatcher, tracker, answer_plan(services(), plan, text, asked_of(tracker)))
        return self.answer_as_chosen(dispatcher, tracker)

    @abc.abstractmethod
    def answer_as_chosen(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        """The action's own answer, when the reading has nothing to add."""
