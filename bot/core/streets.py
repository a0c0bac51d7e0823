"""« Ma rue est-elle concernée ? »: an address compared with the street lists of kb/streets.yml.

Names are compared word by word after :func:`bot.french.text.fold` (no accents, case, hyphens
or elisions), with the abbreviations of kb/streets.yml written out (« r. » → rue, « mal » →
maréchal), the house number left out and the small words (« de », « du », « l' ») ignored, and
one typo per word of four letters or more (an optimal string alignment distance of 1: one
letter missing, added, changed, or two letters swapped). « Mendès France » finds « rue Pierre
Mendès France »: the words given must all be in the listed name, its last one included.

The same rules run in the offline console (static/agglomobile.js): tests/unit/web/
test_agglomobile_js.py checks that both give the same answers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA

from bot.french.text import fold, key
from bot.kb.content import RESIDENT_CONFIDENCES
from bot.kb.queries import KnowledgeBase, SourceView
from bot.kb.streets import MESSAGE_KEY

_NUMBER = re.compile(r"\d+(?:[a-z]|bis|ter|quater)?")
_POSTAL_CODE = re.compile(r"\d{5}")
_NUMBER_WORDS = frozenset({"bis", "ter", "quater"})
# A word this long or longer may carry one typo.
_TYPO_MIN_LENGTH = 4


@dataclass(frozen=True)
class Street:
    name: str
    also: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.name, *self.also)


@dataclass(frozen=True)
class StreetList:
    """The streets of one commune for one rule, as one source lists them."""

    rule: str
    topic: str
    commune: str
    applies_to: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    # The source lists every street concerned: another street is not.
    complete: bool
    # What applied then: the perimeter changed since.
    superseded: bool
    confidence: str
    source: SourceView
    streets: tuple[Street, ...]

    @property
    def for_residents(self) -> bool:
        return self.confidence in RESIDENT_CONFIDENCES

    def current(self, today: dt.date) -> bool:
        return not self.superseded and (self.valid_until is None or self.valid_until >= today)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(street.name for street in self.streets)


@dataclass(frozen=True)
class Verdict:
    """What the lists say about an address.

    ``kind``: ``listed`` (``streets`` holds the listed streets it names), ``not_listed`` (not in
    ``street_list``, the most relevant list), or ``no_list`` (no source lists the streets of the
    commune for that rule). ``exact``: one street, named with the same kind of street (« rue »);
    otherwise the agent or resident should check that it is the one listed."""

    kind: str
    street_list: StreetList | None = None
    streets: tuple[Street, ...] = ()
    exact: bool = False


@dataclass(frozen=True)
class _Parts:
    kind: tuple[str, ...]
    core: tuple[str, ...]


def similar(left: str, right: str) -> bool:
    """The same word, or (four letters or more) one typo apart."""
    if left == right:
        return True
    if min(len(left), len(right)) < _TYPO_MIN_LENGTH:
        return False
    return bool(OSA.distance(left, right) <= 1)


def _covers(asked: Sequence[str], listed: Sequence[str]) -> bool:
    """Every asked word is a distinct word of the listed name, its last word included."""
    if not asked or not listed:
        return False
    free = list(range(len(listed)))
    for word in asked:
        match = next((index for index in free if similar(word, listed[index])), None)
        if match is None:
            return False
        free.remove(match)
    return len(listed) - 1 not in free


class StreetMatcher:
    """The street lists of a knowledge-base build, and how names are compared."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.abbreviations: dict[str, str] = dict(data.get("abbreviations") or {})
        kinds = [tuple(kind.split()) for kind in data.get("street_types") or []]
        # Longest first: « rond point » before « rond ».
        self.kinds = sorted(kinds, key=len, reverse=True)
        self.particles = frozenset(data.get("particles") or [])
        self.unnamed_after = frozenset(data.get("unnamed_after") or [])
        self.lists = tuple(_street_list(item) for item in data.get("lists") or [])

    @classmethod
    def from_kb(cls, kb: KnowledgeBase) -> StreetMatcher:
        try:
            data = kb.message(MESSAGE_KEY)
        except KeyError:
            data = {}
        return cls(data)

    # Words ------------------------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        """Folded words, abbreviations written out."""
        words: list[str] = []
        for word in fold(text).split():
            words.extend(self.abbreviations.get(word, word).split())
        return words

    def _kind_at(self, words: Sequence[str], start: int) -> tuple[str, ...]:
        for kind in self.kinds:
            if tuple(words[start : start + len(kind)]) == kind:
                return kind
        return ()

    def parts(self, text: str) -> _Parts:
        """An address as its kind of street and the words of its name (house number, small words
        and a trailing postal code left out)."""
        words = self.words(text)
        while words and (_NUMBER.fullmatch(words[0]) or words[0] in _NUMBER_WORDS):
            words.pop(0)
        while words and _POSTAL_CODE.fullmatch(words[-1]):
            words.pop()
        kind = self._kind_at(words, 0)
        return _Parts(kind, tuple(word for word in words[len(kind) :] if word not in self.particles))

    # Lists ------------------------------------------------------------------------------
    def lists_for(self, rule: str, insee: str, *, residents: bool, today: dt.date | None = None) -> list[StreetList]:
        """The lists of a commune for a rule: the current ones first, then those of the past,
        newest first; for residents, only those they may be told."""
        today = today or dt.date.today()
        found = [
            item
            for item in self.lists
            if item.rule == rule and item.commune == insee and (item.for_residents or not residents)
        ]
        return sorted(found, key=lambda item: (not item.current(today), -(item.valid_from or dt.date.min).toordinal()))

    def _named(self, street_list: StreetList, asked: _Parts) -> tuple[tuple[Street, ...], bool]:
        """The listed streets an address names, and whether it names one exactly."""
        if not asked.core:
            return (), False
        exact: list[Street] = []
        whole: list[Street] = []
        partial: list[Street] = []
        for street in street_list.streets:
            for spelling in street.spellings:
                listed = self.parts(spelling)
                if len(asked.core) == len(listed.core) and all(map(similar, asked.core, listed.core)):
                    (exact if asked.kind == listed.kind else whole).append(street)
                    break
                if _covers(asked.core, listed.core):
                    partial.append(street)
                    break
        if exact:
            return tuple(exact), len(exact) == 1
        return tuple(whole or partial), False

    def check(
        self,
        rule: str,
        insee: str,
        address: str,
        *,
        commune_name: str = "",
        residents: bool,
        today: dt.date | None = None,
    ) -> Verdict:
        """The verdict of the lists on an address typed alone (the console's field); the
        commune's name and postal code after it are ignored."""
        lists = self.lists_for(rule, insee, residents=residents, today=today)
        if not lists:
            return Verdict("no_list")
        asked = self.parts(address)
        commune_words = tuple(word for word in key(commune_name).split() if word not in self.particles)
        core = asked.core
        if commune_words and core[-len(commune_words) :] == commune_words and len(core) > len(commune_words):
            core = core[: -len(commune_words)]
        while len(core) > 1 and _POSTAL_CODE.fullmatch(core[-1]):
            core = core[:-1]
        asked = _Parts(asked.kind, core)
        for street_list in lists:
            streets, exact = self._named(street_list, asked)
            if streets:
                return Verdict("listed", street_list, streets, exact)
        return Verdict("not_listed", lists[0])

    # In a message -------------------------------------------------------------------------
    def _mentions(self, message: str) -> list[_Parts]:
        """The streets a message names: a kind of street and the words after it, up to the
        first word that cannot be part of a name (« est », « je »…)."""
        words = self.words(message)
        found = []
        index = 0
        while index < len(words):
            kind = self._kind_at(words, index)
            if not kind:
                index += 1
                continue
            if index and words[index - 1] in self.unnamed_after:
                # « quelles rues sont concernées ? », « toutes les rues »: no street is named.
                index += len(kind)
                continue
            name: list[str] = []
            cursor = index + len(kind)
            while cursor < len(words) and len(name) < 5 and not self._kind_at(words, cursor):
                word = words[cursor]
                if word not in self.particles:
                    name.append(word)
                cursor += 1
            if name:
                found.append(_Parts(kind, tuple(name)))
            index = cursor
        return found

    def in_message(
        self, rule: str, insee: str, message: str, *, residents: bool, today: dt.date | None = None
    ) -> Verdict | None:
        """The verdict on the street a message names (« j'ai un logement r. d'Hinges »), or None
        when it names none. The last two words or more of a listed name count without « rue »
        (« à Mendès France »)."""
        lists = self.lists_for(rule, insee, residents=residents, today=today)
        mentions = self._mentions(message)
        words = [word for word in self.words(message) if word not in self.particles]
        for street_list in lists:
            for mention in mentions:
                # The words after « rue » may run on into the rest of the sentence.
                for length in range(len(mention.core), 0, -1):
                    streets, exact = self._named(street_list, _Parts(mention.kind, mention.core[:length]))
                    if streets and (length > 1 or len(streets) == 1):
                        return Verdict("listed", street_list, streets, exact)
            for street in street_list.streets:
                for spelling in street.spellings:
                    core = self.parts(spelling).core
                    # Its last two words or more (« Mendès France », « Lattre de Tassigny »).
                    if any(_contains(words, core[-length:]) for length in range(len(core), 1, -1)):
                        return Verdict("listed", street_list, (street,), False)
        if not mentions:
            return None
        return Verdict("not_listed", lists[0]) if lists else Verdict("no_list")

    @property
    def street_words(self) -> frozenset[str]:
        """The one-word kinds of street and their abbreviations (« rue », « r », « route »): a
        commune's name right after one is a street's (« rue d'Hinges »)."""
        kinds = {kind[0] for kind in self.kinds if len(kind) == 1}
        return frozenset(kinds | {short for short, word in self.abbreviations.items() if word in kinds})

    def as_data(self) -> dict[str, Any]:
        """What the offline console needs to answer the same way (static/agglomobile.js)."""
        return {
            "abbreviations": self.abbreviations,
            "street_types": [" ".join(kind) for kind in self.kinds],
            "particles": sorted(self.particles),
        }


def verdict_template(verdict: Verdict) -> str:
    """The sentence of kb/messages.yml's templates that tells a verdict."""
    street_list = verdict.street_list
    if street_list is None:
        return "street_no_list"
    if verdict.kind == "all":
        return "streets_of_commune"
    if verdict.kind == "listed":
        if street_list.superseded:
            return "street_listed_past"
        return "street_listed" if verdict.exact else "street_listed_check"
    if street_list.superseded:
        return "street_not_listed_past"
    return "street_not_listed" if street_list.complete else "street_not_in_partial_list"


def verdict_values(verdict: Verdict, commune: str, rule_label: str) -> dict[str, str]:
    """The values of that sentence: the commune, the rule, the list's period, its streets and
    those the address names."""
    street_list = verdict.street_list
    return {
        "commune": commune,
        "rule_label": rule_label,
        "applies_to": street_list.applies_to if street_list else "",
        "streets": french_list([f"« {name} »" for name in street_list.names]) if street_list else "",
        "named": french_list([f"« {street.name} »" for street in verdict.streets]),
    }


# A verdict the contact need not confirm.
SETTLED = frozenset({"street_listed", "street_not_listed", "streets_of_commune"})


def french_list(items: Sequence[str]) -> str:
    """« a », « a et b », « a, b et c »."""
    return " et ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def _contains(words: Sequence[str], core: Sequence[str]) -> bool:
    return any(
        all(similar(words[start + offset], word) for offset, word in enumerate(core))
        for start in range(len(words) - len(core) + 1)
    )


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def _street_list(item: dict[str, Any]) -> StreetList:
    source = item["source"]
    return StreetList(
        rule=item["rule"],
        topic=item["topic"],
        commune=item["commune"],
        applies_to=item["applies_to"],
        valid_from=_date(item.get("valid_from")),
        valid_until=_date(item.get("valid_until")),
        complete=bool(item.get("complete")),
        superseded=bool(item.get("superseded")),
        confidence=item["confidence"],
        source=SourceView(
            title=source["title"], url=source["url"], verified_on=dt.date.fromisoformat(source["verified_on"])
        ),
        streets=tuple(Street(street["name"], tuple(street.get("also") or ())) for street in item["streets"]),
    )


def street_matcher(kb: KnowledgeBase) -> StreetMatcher:
    """The street lists of the build being served, rebuilt with each new build."""
    return kb.derived("streets", StreetMatcher.from_kb)
