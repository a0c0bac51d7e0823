"""kb/lexicon.yml: the words residents use to ask, validated like the rest of the content.

Read by the build, stored with the messages (key ``lexicon``) so that a running assistant reads
the new words within seconds of a publication, with no retraining (bot/core/reading.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

LEXICON_FILE = "lexicon.yml"
# The sections of kb/lexicon.yml and the shape of each.
_WORD_MAPS = ("synonyms", "units", "audiences")
_WORD_LISTS = (
    "wrappers",
    "negations",
    "question_joiners",
    "interrogatives",
    "small_words",
    "generic_words",
    "english_words",
    "yielding_topics",
    "framing_topics",
    "apologies",
    "statement_starts",
)
_REFERENCE_KINDS = ("not_that", "wrong", "but", "back_to", "same_question")


def _words(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, str) and item.strip() for item in value)


def check_lexicon(data: Any, fields: tuple[str, ...], problem: Callable[[str, str], None]) -> dict[str, Any]:
    """The lexicon if valid; every problem is reported through ``problem(entry, message)``."""
    if not isinstance(data, dict):
        problem("file", "expected a mapping")
        return {}
    for section in _WORD_MAPS:
        entries = data.get(section)
        if not isinstance(entries, dict) or not entries:
            problem(section, "missing section (a mapping of words to lists of words)")
            continue
        for name, words in entries.items():
            if not isinstance(name, str) or not _words(words):
                problem(f"{section} {name!r}", "needs a non-empty list of words")
    for section in _WORD_LISTS:
        if not _words(data.get(section)):
            problem(section, "missing section (a list of words)")
    references = data.get("references")
    if not isinstance(references, dict) or any(not _words(references.get(kind)) for kind in _REFERENCE_KINDS):
        problem("references", f"needs the lists {', '.join(_REFERENCE_KINDS)}")
    kinds = data.get("question_kinds")
    if not isinstance(kinds, dict) or not kinds:
        problem("question_kinds", "missing section")
        kinds = {}
    for name, kind in kinds.items():
        entry = f"question_kinds {name!r}"
        if not isinstance(kind, dict) or not _words(kind.get("asked_by")):
            problem(entry, "needs asked_by, a list of words")
            continue
        kind_fields = kind.get("fields")
        if not isinstance(kind_fields, list) or not kind_fields or any(item not in fields for item in kind_fields):
            problem(entry, f"fields must list fields of the facts ({', '.join(fields)})")
        if kind.get("needs_cue") not in (None, True, False):
            problem(entry, "needs_cue must be true or false")
        asked_last = kind.get("asked_last")
        if asked_last is not None and not _words(asked_last):
            problem(entry, "asked_last must be a list of words")
        asked_alone = kind.get("asked_alone")
        if asked_alone is not None and not _words(asked_alone):
            problem(entry, "asked_alone must be a list of words")
        answered_by = kind.get("answered_by")
        if answered_by is not None and not (
            isinstance(answered_by, list) and all(isinstance(w, str) for w in answered_by)
        ):
            problem(entry, "answered_by must be a list of words")
    return data


# Where the build adds the other forms of a kind's one-word phrases (« postule » for « postuler »).
INFLECTED_KEY = "asked_by_forms"
_ELISION = re.compile(r"^\w+['’]")


def with_inflections(lexicon: dict[str, Any], inflect: Callable[[str], tuple[str, ...]]) -> dict[str, Any]:
    """The lexicon with, for each kind of question, the other forms of the lemma of each of its
    one-word phrases (« s'inscrire » → « inscrira », « concerné » → « concernera »): written once
    in kb/lexicon.yml, a verb asks the kind in any tense. A form another kind lists stays that
    kind's alone."""
    kinds: dict[str, Any] = lexicon.get("question_kinds") or {}
    listed = {phrase.casefold() for kind in kinds.values() for phrase in kind.get("asked_by") or []}
    with_forms = {}
    for name, kind in kinds.items():
        words = {_ELISION.sub("", phrase).casefold() for phrase in kind.get("asked_by") or []}
        forms = {form for word in words if word.isalpha() for form in inflect(word)} - listed
        with_forms[name] = {**kind, INFLECTED_KEY: sorted(forms)}
    return {**lexicon, "question_kinds": with_forms}


def lexicon_path(kb_dir: Path) -> Path:
    return kb_dir / LEXICON_FILE
