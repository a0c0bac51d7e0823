"""A person when a resident asks for one, and a calm answer to an insult (the patterns of
kb/people.yml), both recognised before the topic.

- A request for a person (« parler à quelqu'un », « être rappelé », « c'est un robot ? »), and a
  second message in a row not understood, get the Agglo's contact and the offer of a callback:
  the payload carries ``offer_callback: true`` and the widget shows a button that opens the
  callback form. The assistant says it is an automatic assistant; it never passes for a person.
- An insult alone gets one calm sentence and the menu of headline aids, and is never echoed; an
  insult around a question gets the answer to the question.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.french.phrases import Normaliser, PhraseSet, pattern_sources, vocabulary
from bot.kb.queries import KnowledgeBase

PEOPLE_LEXICON = "people"
# A request for a person is answered with the Agglo's contact, under its topic; a question
# whether a machine answers (« t'es un robot ? »), the same way, under the bot's identity.
PERSON_TOPIC = "contact"
MACHINE_TOPIC = "identite_bot"
INSULT_TOPIC = "insulte"
# The payload key of the contract with the widget: the answer offers a callback by an agent.
OFFER_CALLBACK = "offer_callback"
# The family of the headline aids in kb/topics.yml: the menu after an insult.
HEADLINE_FAMILY = "headline_aid"


@dataclass(frozen=True)
class Insult:
    """An insult found in a message: ``alone`` when nothing else is said, ``rest`` what is left
    once the insults are taken out (normalised)."""

    alone: bool
    rest: str


def _sources(sections: Iterable[Mapping[str, Any]]) -> list[str]:
    return [
        source
        for section in sections
        for entry in [*section.get("patterns", []), *section.get("unless", [])]
        for source in pattern_sources(entry)
    ]


class PeopleDetector:
    """Requests for a person and insults, from the patterns of kb/people.yml."""

    def __init__(self, lexicon: Mapping[str, Any], known_words: frozenset[str], stop_words: frozenset[str]) -> None:
        word_lists: dict[str, list[str]] = dict(lexicon.get("words") or {})
        person: Mapping[str, Any] = lexicon.get("person") or {"patterns": []}
        machine: Mapping[str, Any] = lexicon.get("machine") or {"patterns": []}
        insults: Mapping[str, Any] = lexicon.get("insults") or {"patterns": []}
        self.person = PhraseSet.compile(person["patterns"], person.get("unless") or [], word_lists)
        self.machine = PhraseSet.compile(machine["patterns"], machine.get("unless") or [], word_lists)
        self.insults = PhraseSet.compile(insults["patterns"], insults.get("unless") or [], word_lists)
        self.own_filler = frozenset(insults.get("filler") or [])
        self.filler = self.own_filler | stop_words
        self.normaliser = Normaliser(
            lexicon.get("spellings") or {}, known_words, vocabulary(_sources([person, machine, insults]), word_lists)
        )

    def written_out(self, text: str) -> str:
        """The message with its SMS spellings written out (kb/people.yml ``spellings``)."""
        return self.normaliser.written_out(text)

    def person_request(self, text: str) -> str | None:
        """The topic of the answer when the message asks for a person or a callback
        (:data:`PERSON_TOPIC`), or only whether a person is answering (:data:`MACHINE_TOPIC`);
        None otherwise. A sentence asking whether a machine answers is no request in itself."""
        sentences = self.normaliser.sentences(text)
        questions = [sentence for sentence in sentences if self.machine.matches(sentence)]
        requests = [sentence for sentence in sentences if sentence not in questions]
        if any(self.person.matches(sentence) for sentence in requests):
            return PERSON_TOPIC
        return MACHINE_TOPIC if questions else None

    def asks_for_person(self, text: str) -> bool:
        return self.person_request(text) is not None

    def _insults(self, text: str, *, typos: bool = True) -> list[tuple[str, list[tuple[int, int]]]]:
        """Each normalised sentence, with the stretches of it that insult."""
        return [
            (sentence, [] if self.insults.vetoed(sentence) else self.insults.spans(sentence))
            for sentence in self.normaliser.sentences(text, typos=typos)
        ]

    def insulting_words(self, text: str) -> set[str]:
        """The words of the message's insults, normalised (what an answer must never echo)."""
        words = {
            word
            for sentence, spans in self._insults(text)
            for start, end in spans
            for word in sentence[start:end].split()
        }
        return {word for word in words if len(word) > 2 and word not in self.own_filler}

    def insult(self, text: str, *, typos: bool = True) -> Insult | None:
        """The insult in a message, if there is one; without ``typos``, only as written (a
        message in English: « towards » is no misspelt French insult)."""
        found = False
        rest: list[str] = []
        for sentence, spans in self._insults(text, typos=typos):
            found = found or bool(spans)
            kept = list(sentence)
            for start, end in spans:
                kept[start:end] = " " * (end - start)
            rest.extend("".join(kept).split())
        if not found:
            return None
        return Insult(alone=all(word in self.filler for word in rest), rest=" ".join(rest))


def people_detector(kb: KnowledgeBase) -> PeopleDetector:
    """The detector of a knowledge base's snapshot (bot/core/services.py keeps one per build)."""
    return PeopleDetector(kb.lexicon(PEOPLE_LEXICON), kb.french_words() | kb.stop_words(), kb.stop_words())


def with_callback_offer(payload: Mapping[str, Any]) -> dict[str, Any]:
    """An answer's payload that also offers a callback by an agent (the widget's button)."""
    return {**payload, OFFER_CALLBACK: True}


def menu_buttons(kb: KnowledgeBase) -> list[dict[str, str]]:
    """The headline aids as buttons, in the order of kb/topics.yml: what the assistant offers
    after an insult."""
    return [
        {"title": topic.title, "payload": f"/{topic.slug}"} for topic in kb.topics() if topic.family == HEADLINE_FAMILY
    ]
