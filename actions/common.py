"""What every action needs: the shared services, the conversation context and safe sending."""

from __future__ import annotations

import abc
import logging
import threading
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.core.answers import Answer
from bot.core.matching import CommuneMatch
from bot.core.memo import one_turn
from bot.core.payloads import is_intent_payload
from bot.core.services import Services
from bot.kb.queries import KnowledgeBaseUnavailable
from bot.settings import load_settings

logger = logging.getLogger(__name__)


_lock = threading.Lock()
_services: Services | None = None


def services() -> Services:
    """The action server's services, created from the settings on first use (the action
    server is this process's entry point: it reads the settings once)."""
    global _services
    with _lock:
        if _services is None:
            _services = Services(load_settings())
        return _services


def reset_services() -> None:
    """Forget the process-wide services (tests; a rebuild is picked up without this)."""
    global _services
    with _lock:
        _services = None


def send(dispatcher: CollectingDispatcher, answer: Answer) -> None:
    """The answer's text and quick replies and, in the same turn, its payload (topic, sources,
    commune, whether it gave the contact)."""
    dispatcher.utter_message(text=answer.text, buttons=answer.buttons, json_message=answer.payload())


def last_payload(tracker: Tracker) -> dict[str, Any]:
    """The payload of the assistant's latest answer (every answer carries one), or {}."""
    for event in reversed(tracker.events):
        custom = (event.get("data") or {}).get("custom") if event.get("event") == "bot" else None
        if isinstance(custom, dict):
            return custom
    return {}


def contact_just_given(tracker: Tracker) -> bool:
    """The assistant's previous answer gave the contact: this one only reminds it."""
    return last_payload(tracker).get("contact") is True


def send_response(
    dispatcher: CollectingDispatcher,
    response: str,
    topic: str,
    commune: str | None = None,
    buttons: list[dict[str, str]] | None = None,
    *,
    asks: bool = False,
) -> None:
    """A response of domain.yml, with the payload of a turn that cites no source; ``asks``: the
    response asks the resident to choose (« non » then answers it, not a correction)."""
    payload: dict[str, Any] = {"topic": topic, "sources": [], "commune": commune, "contact": False, "facts": []}
    if asks:
        payload["asks"] = True
    dispatcher.utter_message(response=response, buttons=buttons or [], json_message=payload)


def apologise(dispatcher: CollectingDispatcher, tracker: Tracker, error: Exception) -> list[dict[str, Any]]:
    """When the knowledge base cannot be read: an apology and the contact, never silence."""
    logger.error("knowledge base unavailable: %s", error)
    send_response(dispatcher, "utter_erreur_technique", topic="contact", commune=tracker.get_slot("commune"))
    return []


class KnowledgeBaseAction(Action, abc.ABC):
    """An action that answers from the knowledge base, and apologises (with the contact)
    instead of failing when it cannot be read. Abstract, so rasa_sdk does not register it.

    Every action is one of these, and every intent is mapped to one (data/rules/): so every
    message is first read for distress, an emergency, a request for a person or an insult
    (actions/people.py), and the turn is stored in the tracker like any other."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            # The same message is read by several steps: each matcher's answers are remembered
            # for this call only (bot/core/memo.py).
            with one_turn():
                first = _answer_first(dispatcher, tracker)
                return first if first is not None else self.answer(dispatcher, tracker)
        except KnowledgeBaseUnavailable as error:
            return apologise(dispatcher, tracker, error)

    @abc.abstractmethod
    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
        """The events of the turn, the answer sent through ``dispatcher``."""


def _answer_first(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]] | None:
    # Imported here: actions.people builds on this module and on actions.answering, which does too.
    from actions.people import answer_first

    return answer_first(dispatcher, tracker)


def entity(tracker: Tracker, name: str) -> str | None:
    """The first value of an entity in the latest message."""
    for item in tracker.latest_message.get("entities") or []:
        if item.get("entity") == name and item.get("value"):
            return str(item["value"])
    return None


def latest_text(tracker: Tracker) -> str:
    return str(tracker.latest_message.get("text") or "")


def previous_text(tracker: Tracker) -> str:
    """The resident's message before the latest one (none for a button's payload)."""
    texts = [str(event.get("text") or "") for event in tracker.events if event.get("event") == "user"]
    text = texts[-2] if len(texts) > 1 else ""
    return "" if is_intent_payload(text) else text


def latest_intent(tracker: Tracker) -> str:
    return str((tracker.latest_message.get("intent") or {}).get("name") or "")


def agent_mode(tracker: Tracker) -> bool:
    """Agents get complete fiches, and only through ``metadata.agent``: the REST channel keeps
    that key only on requests from the web front, which sets it for console sessions alone.
    Nothing a resident types (« fiche … ») turns it on."""
    metadata = tracker.latest_message.get("metadata") or {}
    return isinstance(metadata, dict) and metadata.get("agent") is True


def find_commune(tracker: Tracker) -> CommuneMatch | None:
    """The commune named in the latest message: the matcher's best match on the whole text,
    which prefers the longest name ("Fouquières-lès-Béthune", not the "Béthune" inside it),
    else the entity the NLU extracted (a spelling the matcher missed in the sentence)."""
    matcher = services().communes
    text = latest_text(tracker)
    match = matcher.find(text)
    if match is not None or matcher.find_all(text):
        # (None: the only commune named is where one goes, « jusqu'à Lens ».)
        return match
    mentioned = entity(tracker, "commune")
    return matcher.find(mentioned) if mentioned else None


def commune_in_context(tracker: Tracker) -> tuple[str | None, bool]:
    """The commune (INSEE code) a turn is about: the one named in the latest message, else the
    one in the conversation's slot; and whether it was named in the latest message."""
    match = find_commune(tracker)
    if match is not None and match.commune is not None:
        return match.commune.insee, True
    slot = tracker.get_slot("commune")
    return (None if slot is None else str(slot)), False


__all__ = [
    "KnowledgeBaseAction",
    "KnowledgeBaseUnavailable",
    "agent_mode",
    "apologise",
    "commune_in_context",
    "contact_just_given",
    "entity",
    "find_commune",
    "last_payload",
    "latest_intent",
    "latest_text",
    "send",
    "send_response",
    "services",
]
