"""Recognise kinds of messages from phrase patterns kept in ``kb/`` (distress and emergencies,
requests for a person, insults): editable content, no model, no retraining.

A message is cut into sentences, and each sentence is normalised the way residents' writing
varies: lower case, no accents, apostrophes and punctuation as spaces (« j'ai » → « j ai »),
letters typed three times or more kept once (« aidezzz »), SMS spellings written out
(« jveux » → « je veux », from the content's ``spellings``), and a misspelt word that is no
French word corrected to the pattern word it is one typo away from (« sucide » → « suicide »,
never « courir » → « mourir », since « courir » is a French word).

A pattern is a Python regular expression matched on a normalised sentence, whose words are
separated by single spaces. ``<name>`` stands for a list of words of the file's ``words``
section (« <partenaire> » → « (?:mari|femme|conjoint…) »). A pattern may also be a mapping
``{all: [pattern, …]}``: every part must be found in the same sentence. ``unless`` patterns
veto a category in the sentence where they match; ``ignore`` patterns are blanked before
anything else (« mort de rire »).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NON_WORD = re.compile(r"[^a-z0-9]+")
_REPEATED = re.compile(r"([a-z])\1{2,}")
# A word as typed: letters only, accents included (« jrisque », « koi »).
_TYPED_WORD = re.compile(r"[^\W\d_]+")
# Where a message is cut into sentences (before normalising, which drops punctuation).
_SENTENCE_END = re.compile(r"[.!?;:…\n\r]+|\s[-–—]\s")
_VOWELS = frozenset("aeiouy")
_WORD_LIST = re.compile(r"<([a-z_]+)>")
# A word written out in full in a pattern: letters between spaces or alternation marks, not a
# stem followed by a group or a quantifier ("suicid(e|er)", "mourr?ir").
_PATTERN_WORD = re.compile(r"(?:^|(?<=[\s(|:]))([a-z]{5,})(?=$|[\s)|])")
# Typo tolerance: a word this long may be one edit (an adjacent swap counts as one) from the
# pattern word; from this length, two.
MIN_TYPO_LENGTH = 5
TWO_TYPOS_LENGTH = 9


class PatternError(ValueError):
    """A pattern that does not compile, or names a word list that does not exist."""


def fold_words(text: str) -> list[str]:
    """Lower-case words without accents; apostrophes and punctuation split words and elided
    letters stay words (« j'ai » → ``["j", "ai"]``); a letter typed three times or more counts once."""
    text = text.translate(_LIGATURES).lower()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _REPEATED.sub(r"\1", _NON_WORD.sub(" ", stripped)).split()


def sentences(text: str) -> list[str]:
    """The message's sentences, as typed."""
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def _alternation(words: Iterable[str]) -> str:
    # Longest first, so that "petit ami" is tried before "petit".
    folded = sorted({" ".join(fold_words(word)) for word in words if fold_words(word)}, key=lambda w: (-len(w), w))
    return "(?:" + "|".join(re.escape(word) for word in folded) + ")"


def expand(source: str, word_lists: Mapping[str, Sequence[str]]) -> str:
    """The pattern with each ``<name>`` replaced by its word list."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in word_lists:
            raise PatternError(f"unknown word list <{name}>")
        return _alternation(word_lists[name])

    return _WORD_LIST.sub(replace, source)


def compile_pattern(source: str, word_lists: Mapping[str, Sequence[str]]) -> re.Pattern[str]:
    """A pattern matched on whole words of a normalised sentence."""
    if not source.strip():
        raise PatternError("empty pattern")
    try:
        return re.compile(rf"(?<![a-z0-9])(?:{expand(source, word_lists)})(?![a-z0-9])")
    except re.error as error:
        raise PatternError(f"not a valid regular expression ({error})") from error


def pattern_sources(raw: Any) -> list[str]:
    """The regular expressions of one pattern entry: a string, or ``{all: [...]}``."""
    if isinstance(raw, str):
        return [raw]
    parts = raw.get("all") if isinstance(raw, dict) and set(raw) == {"all"} else None
    if isinstance(parts, list) and parts and all(isinstance(part, str) for part in parts):
        return list(parts)
    raise PatternError("a pattern is a regular expression, or {all: [regular expressions]}")


def vocabulary(sources: Iterable[str], word_lists: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """The words a misspelt word may be corrected to: single words of five letters or more of the
    word lists, and the words the patterns write out in full."""
    found: set[str] = set()
    for words in word_lists.values():
        for word in words:
            folded = fold_words(word)
            if len(folded) == 1 and len(folded[0]) >= MIN_TYPO_LENGTH and folded[0].isalpha():
                found.add(folded[0])
    for source in sources:
        found.update(_PATTERN_WORD.findall(_WORD_LIST.sub(" ", source)))
    return frozenset(found)


@dataclass(frozen=True)
class Pattern:
    """One pattern: every part must be found in the sentence."""

    source: str
    parts: tuple[re.Pattern[str], ...]

    def search(self, sentence: str) -> list[tuple[int, int]]:
        """The spans of the parts found, or [] unless every part is found."""
        spans = []
        for part in self.parts:
            match = part.search(sentence)
            if match is None:
                return []
            spans.append(match.span())
        return spans


def compile_entry(raw: Any, word_lists: Mapping[str, Sequence[str]]) -> Pattern:
    sources = pattern_sources(raw)
    return Pattern(source=" & ".join(sources), parts=tuple(compile_pattern(s, word_lists) for s in sources))


@dataclass(frozen=True)
class PhraseSet:
    """A category of messages: any of ``patterns`` in a sentence, unless one of ``unless``."""

    patterns: tuple[Pattern, ...]
    unless: tuple[Pattern, ...] = ()

    @classmethod
    def compile(
        cls, patterns: Sequence[Any], unless: Sequence[Any], word_lists: Mapping[str, Sequence[str]]
    ) -> PhraseSet:
        return cls(
            tuple(compile_entry(raw, word_lists) for raw in patterns),
            tuple(compile_entry(raw, word_lists) for raw in unless),
        )

    def vetoed(self, sentence: str) -> bool:
        return any(pattern.search(sentence) for pattern in self.unless)

    def matches(self, sentence: str) -> bool:
        return not self.vetoed(sentence) and any(pattern.search(sentence) for pattern in self.patterns)

    def spans(self, sentence: str) -> list[tuple[int, int]]:
        """Every stretch of the sentence a pattern finds (vetoes aside), for removal."""
        found: list[tuple[int, int]] = []
        for pattern in self.patterns:
            for part in pattern.parts:
                found.extend(match.span() for match in part.finditer(sentence))
        return found


@dataclass
class Normaliser:
    """Turns what residents type into normalised sentences, with SMS spellings written out and
    typos corrected towards ``vocabulary`` (only for words that are not ``known`` words)."""

    spellings: Mapping[str, str]
    known: frozenset[str]
    vocabulary: frozenset[str]
    ignore: tuple[re.Pattern[str], ...] = ()
    _corrections: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._targets = sorted(self.vocabulary)
        self._spelt = {key: " ".join(fold_words(value)) for key, value in self.spellings.items()}

    def word(self, token: str, *, typos: bool = True) -> str:
        """A token as the patterns expect it: its written-out spelling, « je » glued to a verb
        written apart (« jsens » → « je sens »), or (with ``typos``) its correction."""
        written = self._written_out(token)
        if written is not None:
            return written
        if token in self.known or token in self.vocabulary or not token.isalpha():
            return token
        if not typos or len(token) < MIN_TYPO_LENGTH:
            return token
        corrected = self._corrections.get(token)
        if corrected is None:
            limit = 2 if len(token) >= TWO_TYPOS_LENGTH else 1
            best = process.extractOne(token, self._targets, scorer=OSA.distance, score_cutoff=limit)
            corrected = best[0] if best is not None else token
            self._corrections[token] = corrected
        return corrected

    def _written_out(self, token: str) -> str | None:
        """A folded token's SMS spelling written out (« koi » → « quoi », « jsens » → « je
        sens »), None when it is no SMS spelling."""
        spelt = self._spelt.get(token)
        if spelt is not None:
            return spelt
        if token in self.known or token in self.vocabulary or not token.isalpha():
            return None
        if len(token) > 2 and token[0] == "j" and token[1] not in _VOWELS and token[1:] in self.known:
            return f"je {token[1:]}"
        return None

    def written_out(self, text: str) -> str:
        """The message as typed, with its SMS spellings written out and nothing else changed
        (« si jloue sans permis jrisque koi ? » → « si je loue sans permis je risque quoi ? »):
        what the reading of questions reads. No typo is corrected here."""

        def write_out(match: re.Match[str]) -> str:
            folded = fold_words(match.group())
            written = self._written_out(folded[0]) if len(folded) == 1 else None
            return written if written is not None else match.group()

        return _TYPED_WORD.sub(write_out, text)

    def sentence(self, text: str, *, typos: bool = True) -> str:
        normalised = " ".join(self.word(token, typos=typos) for token in fold_words(text))
        for pattern in self.ignore:
            normalised = pattern.sub(" ", normalised)
        return " ".join(normalised.split())

    def sentences(self, text: str, *, typos: bool = True) -> list[str]:
        return [normalised for part in sentences(text) if (normalised := self.sentence(part, typos=typos))]
