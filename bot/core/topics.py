"""Which topic a message is about, from the intent, the `dispositif` entity and the context.

The action server and the quality benchmark both call these functions, so the topic a turn is
tagged with in production and the topic the benchmark scores are decided by the same code.
"""

from __future__ import annotations

from typing import Any, Protocol

from bot.core.matching import KeywordFinder, keyword_words
from bot.kb.queries import TopicView

# Kind of question → field of the knowledge base it asks about.
QUESTION_FIELDS = {
    "demander_conditions": "eligibility",
    "demander_montant": "amount",
    "demander_demarche": "how_to_apply",
    "demander_pieces": "documents",
    "demander_contact": "contact",
    "demander_delai": "delay",
    "demander_sanction": "sanctions",
}
# Small-talk and out-of-scope intents, each answered under the topic slug of the same name.
CONVERSATION_INTENTS = ("salutation", "remerciement", "au_revoir", "identite_bot", "hors_sujet")
FALLBACK_INTENT = "nlu_fallback"
# Payload topics of the turns that are not answered from a topic of the knowledge base.
NOT_UNDERSTOOD = "incompris"
COMMUNES = "communes"


class _KnowsTopics(Protocol):
    def topic(self, slug: str) -> TopicView | None: ...

    def message(self, name: str) -> Any: ...


class _FindsTopics(Protocol):
    def find(self, text: str, ignore: frozenset[str] = ...) -> str | None: ...


def resolve_topic(
    intent: str,
    dispositif: str | None,
    text: str,
    current_topic: str | None,
    kb: _KnowsTopics,
    detector: _FindsTopics,
) -> str | None:
    """The topic a topic or question intent asks about: the intent itself for a topic intent;
    for a question, the topic named (entity first, then keywords), else the current one.
    None when it cannot tell (the action then asks which scheme is meant)."""
    if intent not in QUESTION_FIELDS:
        return intent if kb.topic(intent) is not None else None
    # « et pour une association ? » asks about the current topic for another audience: words
    # naming who benefits (kb/messages.yml, `audiences`) do not switch topics.
    has_current = bool(current_topic and current_topic != COMMUNES and kb.topic(current_topic) is not None)
    ignore = keyword_words(kb.message("audiences")) if has_current else frozenset()
    for candidate in (dispositif, detector.find(text, ignore)):
        if candidate and kb.topic(candidate) is not None:
            return candidate
    # "je suis concerné ?" right after "j'habite à Beuvry": the commune is known, not the
    # scheme (the action then asks which one); the communes topic has no such fields.
    if has_current:
        return current_topic
    return "contact" if intent == "demander_contact" else None


def asked_field(intent: str, text: str, kb: _KnowsTopics) -> str | None:
    """The field a question asks about: the question kind's (``QUESTION_FIELDS``), unless the
    question names another field in so many words (kb/messages.yml, `field_keywords`): « l'amende
    peut monter à combien ? » asks about the sanctions, « valable combien de temps ? » about the
    period, whatever kind of question the NLU saw."""
    field = QUESTION_FIELDS.get(intent)
    if field is None:
        return None
    keywords: dict[str, list[str]] = kb.message("field_keywords")
    named = KeywordFinder(keywords.items()).find(text)
    return named or field


def named_topic(text: str, kb: _KnowsTopics, detector: _FindsTopics) -> str | None:
    """The knowledge-base topic whose keyword the text contains, if any: what a message not
    otherwise understood is answered about ("une école d'ingénieurs à Béthune ?")."""
    slug = detector.find(text)
    return slug if slug is not None and kb.topic(slug) is not None else None


def turn_topic(
    intent: str,
    dispositif: str | None,
    text: str,
    current_topic: str | None,
    kb: _KnowsTopics,
    detector: _FindsTopics,
    *,
    only_commune: bool = False,
    names_commune: bool = False,
) -> str:
    """The topic slug the bot's answer to this message carries, seen from the NLU's output.

    Mirrors the actions: a commune given on its own (``informer_commune``, or ``only_commune``:
    any message that only names a commune) follows the current topic ("et à Gosnay ?"),
    otherwise it is about the communes; a message not understood is about the topic whose
    keyword it contains, else about the communes when it names one (``names_commune``), else
    ``incompris``; small talk keeps its own slug; a question
    whose topic cannot be told is ``incompris``. The commune actions also look the commune up,
    which this view leaves out.
    """
    if intent == "informer_commune" or only_commune:
        follow_up = current_topic not in (None, COMMUNES)
        if follow_up and kb.topic(str(current_topic)) is not None:
            return str(current_topic)
        return COMMUNES
    if intent == FALLBACK_INTENT:
        return named_topic(text, kb, detector) or (COMMUNES if names_commune else NOT_UNDERSTOOD)
    if intent in CONVERSATION_INTENTS:
        return intent
    if intent == COMMUNES:
        return COMMUNES
    return resolve_topic(intent, dispositif, text, current_topic, kb, detector) or NOT_UNDERSTOOD
