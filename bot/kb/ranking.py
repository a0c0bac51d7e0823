"""Which facts of a topic answer a question best: idf-weighted overlap of word stems.

"Quel est le prix de l'eau en 2026 ?" should bring the price fact forward rather than the
topic's first three facts. Words are cut to a short stem so that plurals and derived forms
meet ("déchets"/"déchèterie", "ingénieur"/"ingénieurs"), and weighted by how rare they are
across the knowledge base, so that "de", "l'Agglo" or "aide" count for little.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from bot.french.text import tokens

_STEM_LENGTH = 6
_MIN_WORD_LENGTH = 3
# A fact is relevant when the words it shares with the question weigh at least this much: one
# word found in a handful of facts at most (idf ≈ ln(N/5)), or two commoner ones.
RELEVANT_SCORE = 3.0


def _singular(word: str) -> str:
    """« aides » and « aide » meet (the question may come singular from the reader)."""
    return word[:-1] if len(word) > 3 and word[-1] in "sx" else word


class FactRanker:
    """Scores texts against a question with weights learnt from all the knowledge base's facts."""

    def __init__(self, documents: Iterable[str], stop_words: frozenset[str] = frozenset()) -> None:
        self._stop_words = stop_words
        per_document = [(document, self.stems(document)) for document in documents]
        # The facts' stems, computed once here rather than on every question.
        self._document_stems = dict(per_document)
        frequencies: Counter[str] = Counter()
        for _, document_stems in per_document:
            frequencies.update(document_stems)
        count = max(len(per_document), 1)
        self._idf = {stem: math.log(count / frequency) for stem, frequency in frequencies.items()}

    def stems(self, text: str) -> frozenset[str]:
        """Short stems of the text's words, stop words left out; numbers are kept whole."""
        return frozenset(
            word if word.isdigit() else _singular(word)[:_STEM_LENGTH]
            for word in tokens(text)
            if word.isdigit() or (len(word) >= _MIN_WORD_LENGTH and word not in self._stop_words)
        )

    def weight(self, stem: str) -> float:
        # A word no fact uses cannot match any fact: its weight does not matter.
        return self._idf.get(stem, 0.0)

    def score(self, question_stems: frozenset[str], text: str) -> float:
        text_stems = self._document_stems.get(text)
        if text_stems is None:
            text_stems = self.stems(text)
        return sum(self.weight(stem) for stem in question_stems & text_stems)

    def relevant(self, question: str, texts: Sequence[str], ignore: frozenset[str] = frozenset()) -> list[int]:
        """Indices of the texts relevant to the question, most relevant first (ties keep the
        given order). ``ignore``: stems naming the topic itself, which tell its facts apart no more."""
        question_stems = self.stems(question) - ignore
        if not question_stems:
            return []
        scored = sorted((-self.score(question_stems, text), index) for index, text in enumerate(texts))
        return [index for negative, index in scored if -negative >= RELEVANT_SCORE]
