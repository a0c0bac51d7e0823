"""The topic of an NLU system's prediction, derived as the actions derive it, so that every
system is scored on the same ground."""

from __future__ import annotations

from bot.core.matching import CommuneMatcher, TopicDetector
from bot.core.topics import CONVERSATION_INTENTS, NOT_UNDERSTOOD, turn_topic
from bot.kb.queries import KnowledgeBase


class Topics:
    """turn_topic with the knowledge base, the keyword detector and the commune matcher bound."""

    def __init__(self, kb: KnowledgeBase, detector: TopicDetector, communes: CommuneMatcher) -> None:
        self.kb = kb
        self.detector = detector
        self.communes = communes

    def of(self, intent: str, dispositif: str | None, text: str, current: str | None = None) -> str:
        return turn_topic(
            intent,
            dispositif,
            text,
            current,
            self.kb,
            self.detector,
            only_commune=self.communes.names_only_a_commune(text),
            names_commune=self.communes.find(text) is not None,
        )


def next_context(current: str | None, topic: str) -> str | None:
    """The `topic` slot after a turn: small talk and misunderstandings leave it unchanged."""
    if topic in CONVERSATION_INTENTS or topic == NOT_UNDERSTOOD:
        return current
    return topic
