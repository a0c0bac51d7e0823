"""Find communes and topics in what residents type, however they spell them.

Names are compared on :func:`bot.french.text.key` (no accents, hyphens or case; "lez" = "lès",
"St" = "Saint", "œ" = "oe"). Exact names, aliases and the distinctive first word of a
member's name ("Bruay", "Hersin") are tried first; then close spellings with rapidfuzz's
Levenshtein distance, bounded by the word's length so that short everyday words never turn
into communes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.core.memo import per_turn
from bot.french.text import key, singular, tokens
from bot.kb.queries import CommuneView, OrientationView, TopicView

# Names that contain a commune's name without meaning the commune: the Agglo's own name
# ("Béthune-Bruay", "l'agglo de Béthune") and the department ("Pas-de-Calais").
_NOT_COMMUNES = tuple(
    re.compile(pattern)
    for pattern in (
        r"\bbethune bruay(?: artois lys romane)?\b",
        r"\b(?:agglo|agglomeration|communaute d agglomeration|ca) de bethune\b",
        r"\bartois lys romane\b",
        r"\bpas de calais\b",
    )
)
_MAX_WORDS = 6
# Short words that are also the exact name of a commune of the Nord or Pas-de-Calais.
_SHORT_WORDS = frozenset({"a", "au", "en", "et", "la", "le", "les", "y"})
# Words around a commune name in a message that only gives the commune.
_FILLER_WORDS = frozenset(
    {
        "et",
        "a",
        "au",
        "pour",
        "sur",
        "de",
        "du",
        "moi",
        "je",
        "j",
        "habite",
        "suis",
        "vis",
        "c",
        "est",
        "ici",
        "la",
        "le",
        "les",
        "ville",
        "commune",
        "alors",
        "aussi",
        "sinon",
        "quid",
        "dans",
        "en",
        "on",
        "nous",
        "habitons",
        "vit",
    }
)
# Small words between a street's kind and its name (« route de », « rue du »; « d' » is folded away).
_STREET_PARTICLES = frozenset({"de", "du", "des", "la", "le", "les"})
# The words before a place one goes to (« aller jusqu'à Lens en bus »), folded: a destination,
# not the commune the resident lives in or asks about.
_DESTINATION_BEFORE = (("jusqu", "a"), ("aller", "a"), ("vers",), ("direction",), ("rejoindre",), ("rendre", "a"))
# Below this length a spelling must be exact: too many short words are one letter apart.
_FUZZY_MIN_LENGTH = 6


@dataclass(frozen=True)
class CommuneMatch:
    """A commune found in a text. ``candidates`` lists the communes when the text is ambiguous."""

    commune: CommuneView | None
    matched_text: str
    method: str  # "exact", "alias", "short_name" or "fuzzy"
    candidates: tuple[CommuneView, ...] = ()
    # Named after « rue », « route de »…: a street's name (« rue d'Hinges »), not where one lives.
    in_street: bool = False
    # « pour aller jusqu'à Lens »: a place one goes to.
    destination: bool = False

    @property
    def is_member(self) -> bool:
        return self.commune is not None and self.commune.is_member

    @property
    def ambiguous(self) -> bool:
        return self.commune is None and len(self.candidates) > 1


def _ngrams(words: Sequence[str], max_size: int) -> Iterable[tuple[int, int, str]]:
    for size in range(min(max_size, len(words)), 0, -1):
        for start in range(len(words) - size + 1):
            yield start, start + size, " ".join(words[start : start + size])


def _max_edits(text: str) -> int:
    """How many typos a spelling of this length may carry and still be recognised."""
    length = len(text.replace(" ", ""))
    if length < _FUZZY_MIN_LENGTH:
        return 0
    if length < 10:
        return 1
    return 2


class CommuneMatcher:
    """Resolves commune names in free text to member or non-member communes."""

    def __init__(
        self,
        communes: Iterable[CommuneView],
        aliases: dict[str, str],
        french_words: frozenset[str] = frozenset(),
        street_words: frozenset[str] = frozenset(),
    ) -> None:
        self._french_words = french_words
        # The words before a street's name (kb/streets.yml: « rue », « r », « route »), folded.
        self._street_words = street_words
        self._by_key: dict[str, list[CommuneView]] = {}
        by_insee: dict[str, CommuneView] = {}
        for commune in communes:
            by_insee[commune.insee] = commune
            self._by_key.setdefault(key(commune.name), []).append(commune)
        self._aliases = {alias: by_insee[insee] for alias, insee in aliases.items() if insee in by_insee}
        # "Bruay", "Hersin", "Vendin": the first word of a member's compound name names it when
        # no other member starts with that word (members win: people write to their own Agglo).
        heads: dict[str, list[CommuneView]] = {}
        for commune in by_insee.values():
            words = key(commune.name).split()
            if commune.is_member and len(words) > 1 and len(words[0]) >= 4 and words[0] not in french_words:
                heads.setdefault(words[0], []).append(commune)
        self._heads = {head: members for head, members in heads.items() if head not in self._by_key}
        # Typos are forgiven for members only: a misspelt name is never forced onto a member
        # from outside, and the official list of some 1,500 names would catch everyday words.
        member_keys = {name for name, found in self._by_key.items() if any(c.is_member for c in found)}
        self._fuzzy_keys = sorted(member_keys | set(self._aliases) | set(self._heads))

    def _lookup(self, text: str) -> tuple[list[CommuneView], str] | None:
        if text in self._aliases:
            return [self._aliases[text]], "alias"
        if text in self._by_key:
            return self._by_key[text], "exact"
        if text in self._heads:
            return self._heads[text], "short_name"
        return None

    @per_turn
    def find_all(self, text: str) -> list[CommuneMatch]:
        """Every commune named in ``text``, left to right, longest names first."""
        folded = key(text)
        for pattern in _NOT_COMMUNES:
            folded = pattern.sub(" ", folded)
        words = folded.split()
        # Capitalised words: "Bus" or "Lille" written as names, not the everyday words.
        capitalised = {key(word) for word in re.findall(r"\w+", text) if word[:1].isupper()}
        taken = [False] * len(words)
        found: list[tuple[int, CommuneMatch]] = []
        # Exact names and aliases first, then typos, each time preferring the longest span.
        for fuzzy in (False, True):
            for start, end, ngram in _ngrams(words, _MAX_WORDS):
                if any(taken[start:end]):
                    continue
                if end - start == 1 and ngram in _SHORT_WORDS:
                    continue
                result = self._fuzzy_lookup(ngram) if fuzzy else self._lookup(ngram)
                if result is None:
                    continue
                communes, method = result
                members = [commune for commune in communes if commune.is_member]
                if not members and ngram in self._french_words and ngram not in capitalised:
                    continue
                choices = members or communes
                match = CommuneMatch(
                    commune=choices[0] if len(choices) == 1 else None,
                    matched_text=ngram,
                    method=method,
                    candidates=tuple(choices),
                )
                if self._after_street_word(words, start):
                    match = replace(match, in_street=True)
                if any(tuple(words[max(0, start - len(before)) : start]) == before for before in _DESTINATION_BEFORE):
                    match = replace(match, destination=True)
                found.append((start, match))
                for index in range(start, end):
                    taken[index] = True
        return [match for _, match in sorted(found, key=lambda item: item[0])]

    def _after_street_word(self, words: Sequence[str], start: int) -> bool:
        before = start - 1
        while before >= 0 and words[before] in _STREET_PARTICLES:
            before -= 1
        return before >= 0 and words[before] in self._street_words

    def _fuzzy_lookup(self, ngram: str) -> tuple[list[CommuneView], str] | None:
        allowed = _max_edits(ngram)
        if allowed == 0 or all(word in self._french_words or word in _SHORT_WORDS for word in ngram.split()):
            return None
        best = process.extractOne(ngram, self._fuzzy_keys, scorer=Levenshtein.distance, score_cutoff=allowed)
        if best is None:
            return None
        candidate_key = best[0]
        # The bound applies to the shorter of the two spellings as well.
        if best[1] > _max_edits(candidate_key):
            return None
        result = self._lookup(candidate_key)
        if result is None:
            return None
        return result[0], "fuzzy"

    def names_only_a_commune(self, text: str) -> bool:
        """True for messages that just give a commune ("Oblinghem", "et pour Violaines ?")."""
        matches = self.find_all(text)
        if len(matches) != 1:
            return False
        rest = f" {key(text)} ".replace(f" {matches[0].matched_text} ", " ").split()
        return all(word in _FILLER_WORDS for word in rest)

    def find(self, text: str) -> CommuneMatch | None:
        """The commune the text is about: the first member named, else the first commune."""
        matches = self.find_all(text)
        if not matches:
            return None
        # « rue d'Hinges à Vendin-lès-Béthune » is about Vendin-lès-Béthune; « aller jusqu'à Lens
        # en bus » about no commune of the resident's.
        matches = [match for match in matches if not match.destination]
        if not matches:
            return None
        matches = [match for match in matches if not match.in_street] or matches
        for match in matches:
            if match.is_member:
                return match
        return matches[0]


def keyword_key(text: str) -> list[str]:
    """The words of a text as keywords are compared: folded, singular."""
    return [singular(word) for word in tokens(text)]


@dataclass(frozen=True)
class KeywordHit:
    """A keyword found in a list of words: its entry, and where (``words[start:end]``)."""

    label: str
    start: int
    end: int


def keyword_words(words: Iterable[str]) -> frozenset[str]:
    """Words as keyword matching compares them (folded, singular), for ``find(ignore=…)``."""
    return frozenset(key for word in words for key in keyword_key(word))


class KeywordFinder:
    """Finds which entry a text names, from each entry's keywords (singular or plural alike)."""

    def __init__(self, entries: Iterable[tuple[str, Iterable[str]]]) -> None:
        self._keywords: dict[str, str] = {}
        for label, phrases in entries:
            for phrase in phrases:
                phrase_key = " ".join(keyword_key(phrase))
                if phrase_key:
                    # The first entry to claim a keyword keeps it: the files' order is stable.
                    self._keywords.setdefault(phrase_key, label)

    def find(self, text: str, ignore: frozenset[str] = frozenset()) -> str | None:
        """The entry whose keyword is the longest one found in the text, or None; the words of
        ``ignore`` (see :func:`keyword_words`) are left out of the text first."""
        found = self.find_keyword(text, ignore)
        return None if found is None else found[0]

    @per_turn
    def find_keyword(self, text: str, ignore: frozenset[str] = frozenset()) -> tuple[str, str] | None:
        """The entry, and its keyword (as compared: folded, singular), that :meth:`find` finds."""
        best: tuple[int, str, str] | None = None
        words = [word for word in keyword_key(text) if word not in ignore]
        for start, end, ngram in _ngrams(words, _MAX_WORDS):
            label = self._keywords.get(ngram)
            if label is not None and (best is None or end - start > best[0]):
                best = (end - start, label, ngram)
        return None if best is None else (best[1], best[2])

    @per_turn
    def find_all(self, words: Sequence[str]) -> list[KeywordHit]:
        """Every keyword found in ``words`` (see :func:`keyword_key`), longest first, without
        overlaps, in the order they appear."""
        taken = [False] * len(words)
        hits = []
        for start, end, ngram in _ngrams(words, _MAX_WORDS):
            label = self._keywords.get(ngram)
            if label is None or any(taken[start:end]):
                continue
            hits.append(KeywordHit(label=label, start=start, end=end))
            taken[start:end] = [True] * (end - start)
        return sorted(hits, key=lambda hit: hit.start)

    def covered(self, words: Sequence[str]) -> frozenset[int]:
        """The positions in ``words`` of the keywords :meth:`find_all` finds."""
        return frozenset(index for hit in self.find_all(words) for index in range(hit.start, hit.end))


class TopicDetector(KeywordFinder):
    """Finds which topic a text names, from the keywords and title of each topic file."""

    def __init__(self, topics: Iterable[TopicView]) -> None:
        super().__init__((topic.slug, (*topic.keywords, topic.title)) for topic in topics)


class OrientationFinder(KeywordFinder):
    """Finds which other body a question is for (kb/orientation.yml): the entry's fact id."""

    def __init__(self, orientations: Iterable[OrientationView]) -> None:
        super().__init__((entry.fact.id, entry.keywords) for entry in orientations)
