"""Which facts of a topic answer a question best: idf-weighted overlap of word stems.

"Quel est le prix de l'eau en 2026 ?" should bring the price fact forward rather than the
topic's first three facts. Words are cut to a short stem so that plurals and derived forms
meet ("déchets"/"déchèterie", "ingénieur"/"ingénieurs"), and weighted by how rare they are
across the knowledge base, so that "de", "l'Agglo" or "aide" count for little.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Iterable, Sequence

from bot.french.text import singular, tokens

_STEM_LENGTH = 6
_MIN_WORD_LENGTH = 3
# Endings are dropped down to this length, no further (« base » stays « base »).
_MIN_STEMMED = 4
# A fact is relevant when the words it shares with the question weigh at least this much: one
# word found in a handful of facts at most (idf ≈ ln(N/5)), or two commoner ones.
RELEVANT_SCORE = 3.0
# A verb's endings (« vendez », « vendre », « sortir »), dropped like the plural's.
_VERB_ENDINGS = ("ez", "er", "ir", "re")


def stem(word: str) -> str:
    """A short stem: the word cut, then its plural and feminine endings dropped, so that
    « refusé », « refusées » and « refus » meet, « fermé » « ferme », « risquez » « risque », and a
    verb's persons its infinitive (« vendez », « vendre », « vend »)."""
    word = word[:_STEM_LENGTH]
    for ending in _VERB_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEMMED:
            word = word[: -len(ending)]
            break
    while len(word) > _MIN_STEMMED and word[-1] in "sxe":
        word = word[:-1]
    return word


class FactRanker:
    """Scores texts against a question with weights learnt from all the knowledge base's facts."""

    def __init__(self, documents: Iterable[str], stop_words: frozenset[str] = frozenset()) -> None:
        self._stop_words = stop_words
        per_document = [(document, self.stems(document)) for document in documents]
        # The facts' stems, computed once here rather than on every question.
        self._document_stems = dict(per_document)
        # And their whole words, for the words kept apart from a topic's name (see :meth:`apart`).
        self._document_words = {document: self.words(document) for document, _ in per_document}
        # Other texts scored over and over (the facts' first clauses): their stems once each.
        self._other_stems = functools.lru_cache(maxsize=8192)(self.stems)
        self._other_words = functools.lru_cache(maxsize=8192)(self.words)
        frequencies: Counter[str] = Counter()
        word_frequencies: Counter[str] = Counter()
        for document, document_stems in per_document:
            frequencies.update(document_stems)
            word_frequencies.update(self._document_words[document])
        count = max(len(per_document), 1)
        self._idf = {stem: math.log(count / frequency) for stem, frequency in frequencies.items()}
        self._unseen_weight = math.log(count)
        self._word_idf = {word: math.log(count / frequency) for word, frequency in word_frequencies.items()}

    def words(self, text: str) -> frozenset[str]:
        """The text's whole words (singular), stop words and numbers left out."""
        return frozenset(singular(word) for word in tokens(text) if self._counts(word))

    def _counts(self, word: str) -> bool:
        """A word that is no number, long enough and no stop word, nor one read singular (the
        question's words come singular: « mais » as « mai », « dans » as « dan »)."""
        return (
            not word.isdigit()
            and len(word) >= _MIN_WORD_LENGTH
            and word not in self._stop_words
            and word + "s" not in self._stop_words
        )

    def apart(self, text: str, name_words: frozenset[str]) -> frozenset[str]:
        """The text's words that a topic's name leaves out by their stem but that are other,
        longer words: « déchetterie » is cut to the stem of « déchets », the name of its topic, yet
        tells the déchetteries' facts apart from the others. They are compared whole."""
        name_stems = {word[:_STEM_LENGTH] for word in name_words}
        return frozenset(
            word
            for word in self.words(text)
            if len(word) > _STEM_LENGTH and word[:_STEM_LENGTH] in name_stems and word not in name_words
        )

    def stems(self, text: str) -> frozenset[str]:
        """Short stems of the text's words, stop words left out; numbers are kept whole."""
        return frozenset(
            word if word.isdigit() else stem(word) for word in tokens(text) if word.isdigit() or self._counts(word)
        )

    def weight(self, stem: str) -> float:
        # A word no fact uses matches no fact, but may match another text (a topic's unknown:
        # « terrains disponibles »): it weighs as the rarest.
        return self._idf.get(stem, self._unseen_weight)

    def score(self, question_stems: frozenset[str], text: str, whole_words: frozenset[str] = frozenset()) -> float:
        """The idf weights of the stems the text shares with the question, and of the
        ``whole_words`` (see :meth:`apart`) it holds."""
        text_stems = self._document_stems.get(text)
        if text_stems is None:
            text_stems = self._other_stems(text)
        score = sum(self.weight(stem) for stem in question_stems & text_stems)
        if whole_words:
            text_words = self._document_words.get(text)
            if text_words is None:
                text_words = self._other_words(text)
            # Like a stem, words of one stem count once (« déchèterie » and its synonym
            # « déchetterie », both in the question, in a fact that writes both), and as much
            # whichever spelling a fact writes: at the weight of the commonest one.
            weights: dict[str, float] = {}
            for word in whole_words:
                if word in self._word_idf:
                    key = word[:_STEM_LENGTH]
                    weights[key] = min(weights.get(key, math.inf), self._word_idf[word])
            score += sum(weights[key] for key in {word[:_STEM_LENGTH] for word in whole_words & text_words})
        return score

    def relevant(self, question: str, texts: Sequence[str], ignore: frozenset[str] = frozenset()) -> list[int]:
        """Indices of the texts relevant to the question, most relevant first (ties keep the
        given order). ``ignore``: stems naming the topic itself, which tell its facts apart no more."""
        question_stems = self.stems(question) - ignore
        if not question_stems:
            return []
        scored = sorted((-self.score(question_stems, text), index) for index, text in enumerate(texts))
        return [index for negative, index in scored if -negative >= RELEVANT_SCORE]
