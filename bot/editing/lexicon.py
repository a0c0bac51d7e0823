"""The synonyms of ``kb/lexicon.yml`` as the console's editor changes them: add an entry (a
meaning and the words residents use for it), change one, remove one.

The file is changed line by line: only the lines of the entry that changes are written (by
ruamel.yaml, so quoting follows the YAML rules), every other line stays as it was — a full
round trip would re-wrap the long flow lists further down the file. The result is parsed again
and must say exactly what was meant, or nothing is written. Pure functions of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.core.matching import keyword_key
from bot.editing.errors import EditError, Issue
from bot.editing.roundtrip import dump_document, load_document, scalar

SECTION = "synonyms"
SYNONYM_CHANGE_KINDS = ("add", "edit", "remove")
MAX_WORDS = 40
MAX_WORD_CHARS = 60
# « Write no figure here » (kb/lexicon.yml): a synonym never carries an amount or a date.
_DIGIT = re.compile(r"\d")
_WORD_SEPARATORS = re.compile(r"[\n,;]")


@dataclass(frozen=True)
class SynonymEntry:
    """A meaning (a word of the facts or of a topic's keywords) and the words residents use for it."""

    meaning: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class SynonymChange:
    """``add`` an entry, ``edit`` the entry ``meaning`` (its meaning may change too), ``remove`` it."""

    kind: str
    meaning: str = ""  # edit, remove: the entry as the file names it
    new_meaning: str = ""  # add, edit
    words: tuple[str, ...] = ()  # add, edit

    @property
    def entry(self) -> SynonymEntry:
        return SynonymEntry(self.new_meaning, self.words)


def words_from_text(text: str) -> tuple[str, ...]:
    """Words as typed in the form: one per line (commas also separate), trimmed, empty ones and
    repeats dropped."""
    words = (" ".join(part.split()) for part in _WORD_SEPARATORS.split(text))
    return tuple(dict.fromkeys(word for word in words if word))


def _key(text: str) -> str:
    """A word as the assistant compares it: without accents, case, punctuation or plural."""
    return " ".join(keyword_key(text))


def synonym_entries(text: str) -> list[SynonymEntry]:
    """The synonyms of the lexicon, in the file's order, as the build reads them."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise EditError("invalid_content", problems=(f"kb/lexicon.yml: not valid YAML: {error}",)) from error
    section = data.get(SECTION) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        return []
    return [
        SynonymEntry(str(meaning), tuple(str(word) for word in words if isinstance(word, str)))
        for meaning, words in section.items()
        if isinstance(words, list)
    ]


def find_entry(entries: list[SynonymEntry], meaning: str) -> SynonymEntry:
    for entry in entries:
        if entry.meaning == meaning:
            return entry
    raise EditError("unknown_synonym", detail=meaning)


def _check(change: SynonymChange, entries: list[SynonymEntry]) -> None:
    """Every problem of the entry as changed, named. Only the words the change brings are checked
    against the rules: an entry written by hand keeps the words it had."""
    if change.kind not in SYNONYM_CHANGE_KINDS:
        raise EditError("bad_field", detail=change.kind)
    current = find_entry(entries, change.meaning) if change.kind != "add" else None
    if change.kind == "remove":
        return
    if current == change.entry:
        raise EditError("unchanged")
    issues: list[Issue] = []
    meaning, words = change.new_meaning, change.words
    others = [entry for entry in entries if entry is not current]
    if not meaning:
        issues.append(Issue("no_meaning"))
    elif current is None or _key(meaning) != _key(current.meaning):
        issues += _check_text(meaning, "meaning")
        taken = next((entry for entry in others if _key(entry.meaning) == _key(meaning)), None)
        if taken is not None:
            issues.append(Issue("meaning_taken", meaning, taken.meaning))
    if not words:
        issues.append(Issue("no_words"))
    elif len(words) > MAX_WORDS:
        issues.append(Issue("too_many_words", str(MAX_WORDS)))
    old_keys = {_key(word) for word in current.words} if current is not None else set()
    claimed = {_key(word): entry.meaning for entry in others for word in entry.words}
    seen: set[str] = set()
    for word in words:
        key = _key(word)
        if key in old_keys:
            seen.add(key)
            continue
        issues += _check_text(word, "word")
        if not key:
            continue
        if key in seen:
            issues.append(Issue("repeated_word", word))
        elif meaning and key == _key(meaning):
            issues.append(Issue("same_as_meaning", word, meaning))
        elif key in claimed:
            issues.append(Issue("word_taken", word, claimed[key]))
        seen.add(key)
    if issues:
        raise EditError("bad_synonym", issues=tuple(issues))


def _check_text(text: str, what: str) -> list[Issue]:
    if len(text) > MAX_WORD_CHARS:
        return [Issue(f"{what}_too_long", text, str(MAX_WORD_CHARS))]
    if _DIGIT.search(text):
        return [Issue(f"{what}_has_figure", text)]
    if not _key(text):
        return [Issue(f"{what}_has_no_letters", text)]
    return []


# Writing ---------------------------------------------------------------------------------------
def _entry_line(entry: SynonymEntry, indent: int) -> list[str]:
    """The entry as one line of the file (a flow list, like the hand-written entries)."""
    words = CommentedSeq(scalar(word, "flow") for word in entry.words)
    words.fa.set_flow_style()
    mapping = CommentedMap()
    mapping[scalar(entry.meaning, "key")] = words
    return [" " * indent + line for line in dump_document(mapping).splitlines()]


def _spans(lines: list[str], section: CommentedMap) -> dict[str, tuple[int, int]]:
    """Each entry's lines, ``lines[start:end]``: its key's line and the lines that continue it
    (a list written over several lines), not the blank or comment lines after it."""
    spans = {}
    for meaning in section:
        start, column = section.lc.key(meaning)
        end = start + 1
        while end < len(lines):
            line = lines[end]
            indent = len(line) - len(line.lstrip())
            if not line.strip() or line.lstrip().startswith("#") or indent <= column:
                break
            end += 1
        spans[str(meaning)] = (start, end)
    return spans


def apply_synonym_change(text: str, change: SynonymChange) -> str:
    """The lexicon's text with the change made; only the changed entry's lines differ."""
    entries = synonym_entries(text)
    _check(change, entries)
    document = load_document(text)
    section = document.get(SECTION)
    if not isinstance(section, CommentedMap) or not section or section.fa.flow_style():
        raise EditError("invalid_content", problems=("kb/lexicon.yml: synonyms must be a block mapping",))
    lines = text.splitlines(keepends=True)
    spans = _spans([line.rstrip("\n") for line in lines], section)
    indent = section.lc.key(next(iter(section)))[1]
    new_lines = [line + "\n" for line in _entry_line(change.entry, indent)] if change.kind != "remove" else []
    if change.kind == "add":
        start = end = max(end for _, end in spans.values())
    else:
        start, end = spans[change.meaning]
    new_text = "".join(lines[:start] + new_lines + lines[end:])
    _check_written(text, new_text, change, entries)
    return new_text


def _expected(change: SynonymChange, entries: list[SynonymEntry]) -> dict[str, list[str]]:
    expected: dict[str, list[str]] = {}
    for entry in entries:
        if entry.meaning == change.meaning and change.kind != "add":
            if change.kind == "edit":
                expected[change.new_meaning] = list(change.words)
            continue
        expected[entry.meaning] = list(entry.words)
    if change.kind == "add":
        expected[change.new_meaning] = list(change.words)
    return expected


def _check_written(old_text: str, new_text: str, change: SynonymChange, entries: list[SynonymEntry]) -> None:
    """The new text says what the change means, and nothing else changed; else nothing is written."""
    old: dict[str, Any] = yaml.safe_load(old_text)
    try:
        new = yaml.safe_load(new_text)
    except yaml.YAMLError as error:
        raise EditError("invalid_content", problems=(f"kb/lexicon.yml: {error}",)) from error
    written = new.get(SECTION) if isinstance(new, dict) else None
    same_rest = isinstance(new, dict) and {k: v for k, v in new.items() if k != SECTION} == {
        k: v for k, v in old.items() if k != SECTION
    }
    if written != _expected(change, entries) or not same_rest:
        raise EditError("invalid_content", problems=("kb/lexicon.yml: the change could not be written safely",))
