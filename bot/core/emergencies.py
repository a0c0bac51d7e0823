"""Distress and emergencies: recognised before any topic (the patterns of kb/emergencies.yml)
and answered with the right national numbers alone (the facts of kb/topics/urgence.yml).

The answer is the kinds' facts, whole and in order, with nothing around them: no topic answer,
no buttons, never shortened. Its payload carries the topic ``urgence`` and the kinds found
(``emergency``), which the report counts as their own category.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.answers import Answer
from bot.core.people import PEOPLE_LEXICON
from bot.french.phrases import Normaliser, PhraseSet, compile_pattern, pattern_sources, vocabulary
from bot.kb.queries import FactView, KnowledgeBase, SourceView

EMERGENCY_TOPIC = "urgence"
# Its family in kb/topics.yml: answered only through these patterns, never as a topic.
SAFETY_FAMILY = "safety"
LEXICON = "emergencies"
# A message naming more kinds gets the first ones, in the order of kb/emergencies.yml.
MAX_KINDS = 3
MESSAGE_SCOPE = "message"
# The payload key that lists the kinds answered (the report counts them as their own category).
EMERGENCY_KEY = "emergency"


@dataclass(frozen=True)
class EmergencyKind:
    name: str
    label: str
    facts: tuple[str, ...]
    numbers: tuple[str, ...]
    phrases: PhraseSet
    # "sentence": the patterns are tried on each sentence; "message": on the whole message.
    scope: str = "sentence"


@dataclass(frozen=True)
class EmergencyAnswer:
    answer: Answer
    kinds: tuple[str, ...]

    def payload(self) -> dict[str, Any]:
        return self.answer.payload()


class EmergencyDetector:
    """The kinds of kb/emergencies.yml, compiled; their facts are read from the same snapshot."""

    def __init__(
        self,
        lexicon: Mapping[str, Any],
        spellings: Mapping[str, str],
        known_words: frozenset[str],
        facts: Mapping[str, FactView],
    ) -> None:
        word_lists: dict[str, list[str]] = dict(lexicon.get("words") or {})
        self.kinds = [
            EmergencyKind(
                name=raw["kind"],
                label=raw["label"],
                facts=tuple(raw["facts"]),
                numbers=tuple(raw["numbers"]),
                phrases=PhraseSet.compile(raw["patterns"], raw.get("unless") or [], word_lists),
                scope=raw.get("scope") or "sentence",
            )
            for raw in lexicon.get("kinds") or []
        ]
        sources = [
            source
            for raw in lexicon.get("kinds") or []
            for entry in [*raw["patterns"], *(raw.get("unless") or [])]
            for source in pattern_sources(entry)
        ]
        ignore = tuple(
            compile_pattern(source, word_lists)
            for entry in lexicon.get("ignore") or []
            for source in pattern_sources(entry)
        )
        self.normaliser = Normaliser(spellings, known_words, vocabulary(sources, word_lists), ignore)
        self.facts = facts

    def detect(self, text: str) -> list[str]:
        """The kinds of distress or emergency a message says, most important first."""
        found: set[str] = set()
        sentences = self.normaliser.sentences(text)
        whole = " ".join(sentences)
        for kind in self.kinds:
            parts = [whole] if kind.scope == MESSAGE_SCOPE else sentences
            if any(kind.phrases.matches(part) for part in parts):
                found.add(kind.name)
        return [kind.name for kind in self.kinds if kind.name in found][:MAX_KINDS]

    def kind(self, name: str) -> EmergencyKind | None:
        return next((kind for kind in self.kinds if kind.name == name), None)

    def answer(
        self, kinds: Sequence[str], *, commune_insee: str | None = None, today: dt.date | None = None
    ) -> EmergencyAnswer:
        """The facts of ``kinds``, in order and each once, as one message."""
        today = today or dt.date.today()
        shown: list[FactView] = []
        for name in kinds:
            kind = self.kind(name)
            for fact_id in kind.facts if kind is not None else ():
                fact = self.facts.get(fact_id)
                # The build allows only facts residents may be told; checked again all the same,
                # and a fact whose period has ended is never told as current.
                if fact is not None and fact.for_residents and not fact.expired(today) and fact not in shown:
                    shown.append(fact)
        sources: list[SourceView] = []
        for fact in shown:
            if fact.source not in sources:
                sources.append(fact.source)
        answer = Answer(
            topic=EMERGENCY_TOPIC,
            text="\n".join(fact.text for fact in shown),
            sources=sources,
            commune=commune_insee,
            facts=[fact.id for fact in shown],
            extra={EMERGENCY_KEY: list(kinds)},
        )
        return EmergencyAnswer(answer=answer, kinds=tuple(kinds))


def emergency_detector(kb: KnowledgeBase) -> EmergencyDetector:
    """The detector of a knowledge base's snapshot (bot/core/services.py keeps one per build)."""
    facts = {fact.id: fact for topic in kb.topics() for fact in topic.facts}
    people = kb.lexicon(PEOPLE_LEXICON)
    return EmergencyDetector(
        kb.lexicon(LEXICON), people.get("spellings") or {}, kb.french_words() | kb.stop_words(), facts
    )


def answers_showing(detector: EmergencyDetector, fact_id: str | None) -> str:
    """What residents are told for each kind whose answer shows ``fact_id`` (every kind when
    None or when no kind shows it), each under its label: the editor's preview."""
    kinds = [kind for kind in detector.kinds if fact_id in kind.facts] or detector.kinds
    return "\n\n".join(f"[{kind.label}]\n{detector.answer([kind.name]).answer.text}" for kind in kinds)
