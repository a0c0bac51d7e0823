"""STUB written on the `nlu` branch for its end-to-end benchmark runs only: the real
``action_repondre_suite`` (issue 9, section 3) is written on another branch and replaces this
file. Until then a short reply (« oui », « non », « la 2e ») is answered as a message not
understood, so it never gets a content topic it did not ask for."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionNotUnderstood


class ActionAnswerFollowUp(Action):  # STUB: replaced by the follow-up action
    def name(self) -> str:
        return "action_repondre_suite"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return await ActionNotUnderstood().run(dispatcher, tracker, domain)
