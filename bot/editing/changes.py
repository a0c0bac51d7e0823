"""What a revision changed, in the editors' terms: the two YAML versions of a file parsed and
compared — a topic's facts by id (added, changed, retired; field by field, old and new text side
by side, the words that changed marked), its « unknown » entries, its title, intro and keywords;
the lexicon's synonyms by meaning. The raw line diff stays for the « détails techniques ».
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from bot.rendering import french_date

# A fact's fields in the order the history shows them (`source` is split into its parts).
FACT_FIELDS = (
    "text",
    "questions",
    "applies_to",
    "valid_from",
    "valid_until",
    "confidence",
    "source_title",
    "source_url",
    "verified_on",
    "commune",
    "field",
)
# Fields whose old and new values are compared word by word (the others as a whole).
_WORDED = frozenset({"text", "applies_to", "source_title", "intro", "title"})
_TOPIC_FIELDS = ("title", "intro", "keywords", "contacts")
_LISTS = frozenset({"questions", "keywords", "contacts"})
# Fewer shared words than this between two changed runs are shown as part of the change.
_MIN_SHARED_WORDS = 3


@dataclass(frozen=True)
class Piece:
    """Part of a value as shown: ``same``, or ``removed`` (old side) / ``added`` (new side)."""

    kind: str
    text: str


@dataclass(frozen=True)
class FieldChange:
    """One field's old and new value; a list field's pieces are its items."""

    name: str
    before: tuple[Piece, ...]
    after: tuple[Piece, ...]
    is_list: bool = False


@dataclass(frozen=True)
class FactChange:
    kind: str  # "added", "changed", "retired"
    fact_id: str
    field: str  # the fact's field (its heading in the fiche)
    fields: tuple[FieldChange, ...]


@dataclass(frozen=True)
class UnknownChange:
    kind: str  # "added", "removed"
    field: str
    text: str


@dataclass(frozen=True)
class TopicChanges:
    facts: tuple[FactChange, ...] = ()
    unknowns: tuple[UnknownChange, ...] = ()
    topic: tuple[FieldChange, ...] = ()
    rules_changed: bool = False
    # The revision created the file: its facts are all « added ».
    created: bool = False
    # The file could not be read as a topic file (the technical details still show the lines).
    unreadable: bool = False

    @property
    def empty(self) -> bool:
        return not (self.facts or self.unknowns or self.topic or self.rules_changed or self.unreadable)


@dataclass(frozen=True)
class SynonymDiff:
    kind: str  # "added", "changed", "removed"
    meaning_before: str
    meaning_after: str
    words: FieldChange


@dataclass(frozen=True)
class LexiconChanges:
    synonyms: tuple[SynonymDiff, ...] = ()
    # Other sections of kb/lexicon.yml that changed (edited by hand): named, not detailed.
    other_sections: tuple[str, ...] = ()
    created: bool = False
    unreadable: bool = False

    @property
    def empty(self) -> bool:
        return not (self.synonyms or self.other_sections or self.unreadable)


def _parse(text: str | None) -> dict[str, Any] | None:
    """The file as the build reads it (YAML 1.1), ``{}`` when it did not exist, None if unreadable."""
    if not text:
        return {}
    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader)  # the safe loader, in C
    except yaml.YAMLError:
        return None
    return data if isinstance(data, dict) else None


def _shown(value: Any) -> str:
    if isinstance(value, dt.date):
        return french_date(value)
    return "" if value is None else " ".join(str(value).split())


def _items(value: Any) -> tuple[str, ...]:
    return tuple(_shown(item) for item in value) if isinstance(value, list) else ()


def _word_pieces(before: str, after: str) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    """The two texts with the words that differ marked, in runs: a run of fewer than
    ``_MIN_SHARED_WORDS`` words shared between two changes (« le », « de un ») is marked with them,
    so that a rewritten sentence reads as one change, not as a sieve."""
    old_words, new_words = before.split(), after.split()
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    opcodes = matcher.get_opcodes()
    runs: list[tuple[bool, int, int, int, int]] = []  # (same, i1, i2, j1, j2)
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        between_changes = 0 < index < len(opcodes) - 1
        same = tag == "equal" and not (between_changes and i2 - i1 < _MIN_SHARED_WORDS)
        if runs and runs[-1][0] == same:
            previous = runs.pop()
            runs.append((same, previous[1], i2, previous[3], j2))
        else:
            runs.append((same, i1, i2, j1, j2))
    old: list[Piece] = []
    new: list[Piece] = []
    for same, i1, i2, j1, j2 in runs:
        if i2 > i1:
            old.append(Piece("same" if same else "removed", " ".join(old_words[i1:i2])))
        if j2 > j1:
            new.append(Piece("same" if same else "added", " ".join(new_words[j1:j2])))
    return tuple(old), tuple(new)


def _list_pieces(before: tuple[str, ...], after: tuple[str, ...]) -> tuple[tuple[Piece, ...], tuple[Piece, ...]]:
    return (
        tuple(Piece("same" if item in after else "removed", item) for item in before),
        tuple(Piece("same" if item in before else "added", item) for item in after),
    )


def _field_change(name: str, before: Any, after: Any) -> FieldChange | None:
    """The change of one field, or None when both values say the same."""
    if name in _LISTS:
        old_items, new_items = _items(before), _items(after)
        if old_items == new_items:
            return None
        old, new = _list_pieces(old_items, new_items)
        return FieldChange(name, old, new, is_list=True)
    old_text, new_text = _shown(before), _shown(after)
    if old_text == new_text:
        return None
    if name in _WORDED and old_text and new_text:
        old, new = _word_pieces(old_text, new_text)
        return FieldChange(name, old, new)
    return FieldChange(
        name,
        (Piece("removed", old_text),) if old_text else (),
        (Piece("added", new_text),) if new_text else (),
    )


def _fact_values(raw: dict[str, Any]) -> dict[str, Any]:
    raw_source = raw.get("source")
    source: dict[str, Any] = raw_source if isinstance(raw_source, dict) else {}
    values = {name: raw.get(name) for name in FACT_FIELDS}
    values.update(source_title=source.get("title"), source_url=source.get("url"), verified_on=source.get("verified_on"))
    return values


def _facts(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    facts = data.get("facts")
    return {
        str(raw["id"]): _fact_values(raw)
        for raw in facts or []
        if isinstance(raw, dict) and isinstance(raw.get("id"), str)
    }


def _fact_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[FactChange, ...]:
    old_facts, new_facts = _facts(old), _facts(new)
    changes = []
    for fact_id, values in new_facts.items():
        before = old_facts.get(fact_id, {})
        fields = [_field_change(name, before.get(name), values.get(name)) for name in FACT_FIELDS]
        shown = tuple(change for change in fields if change is not None)
        if shown:
            kind = "changed" if fact_id in old_facts else "added"
            changes.append(FactChange(kind, fact_id, _shown(values.get("field")), shown))
    for fact_id, values in old_facts.items():
        if fact_id not in new_facts:
            fields = [_field_change(name, values.get(name), None) for name in FACT_FIELDS]
            shown = tuple(change for change in fields if change is not None)
            changes.append(FactChange("retired", fact_id, _shown(values.get("field")), shown))
    return tuple(changes)


def _unknowns(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (_shown(entry.get("field")), _shown(entry.get("text")))
        for entry in data.get("unknown") or []
        if isinstance(entry, dict)
    ]


def _unknown_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[UnknownChange, ...]:
    before, after = _unknowns(old), _unknowns(new)
    removed = [UnknownChange("removed", field, text) for field, text in before if (field, text) not in after]
    added = [UnknownChange("added", field, text) for field, text in after if (field, text) not in before]
    return tuple(removed + added)


def compare_topic(before: str | None, after: str | None) -> TopicChanges:
    """What changed between two versions of a topic file (``None`` or ``""``: no file)."""
    old, new = _parse(before), _parse(after)
    if old is None or new is None:
        return TopicChanges(unreadable=True)
    topic = tuple(
        change
        for change in (_field_change(name, old.get(name), new.get(name)) for name in _TOPIC_FIELDS)
        if change is not None
    )
    return TopicChanges(
        facts=_fact_changes(old, new),
        unknowns=_unknown_changes(old, new),
        topic=topic,
        rules_changed=old.get("commune_rules") != new.get("commune_rules"),
        created=not before,
    )


# The lexicon ------------------------------------------------------------------------------------
def _synonyms(data: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    section = data.get("synonyms")
    if not isinstance(section, dict):
        return {}
    return {str(meaning): _items(words) for meaning, words in section.items()}


def _pair_renames(
    removed: dict[str, tuple[str, ...]], added: dict[str, tuple[str, ...]]
) -> Iterable[tuple[str | None, str | None]]:
    """Removed and added meanings, a removed one paired with an added one that shares a word (a
    meaning renamed)."""
    unpaired = dict(added)
    for meaning, words in removed.items():
        partner = next((other for other, other_words in unpaired.items() if set(words) & set(other_words)), None)
        if partner is not None:
            del unpaired[partner]
        yield meaning, partner
    for meaning in unpaired:
        yield None, meaning


def compare_lexicon(before: str | None, after: str | None) -> LexiconChanges:
    """What changed between two versions of kb/lexicon.yml: the synonyms entry by entry, and the
    names of the other sections that changed."""
    old, new = _parse(before), _parse(after)
    if old is None or new is None:
        return LexiconChanges(unreadable=True)
    old_synonyms, new_synonyms = _synonyms(old), _synonyms(new)
    diffs = []
    for meaning, words in new_synonyms.items():
        if meaning in old_synonyms and old_synonyms[meaning] != words:
            pieces = FieldChange("words", *_list_pieces(old_synonyms[meaning], words), is_list=True)
            diffs.append(SynonymDiff("changed", meaning, meaning, pieces))
    removed = {meaning: words for meaning, words in old_synonyms.items() if meaning not in new_synonyms}
    added = {meaning: words for meaning, words in new_synonyms.items() if meaning not in old_synonyms}
    for old_meaning, new_meaning in _pair_renames(removed, added):
        old_words = old_synonyms.get(old_meaning or "", ())
        new_words = new_synonyms.get(new_meaning or "", ())
        kind = "changed" if old_meaning and new_meaning else "removed" if old_meaning else "added"
        pieces = FieldChange("words", *_list_pieces(old_words, new_words), is_list=True)
        diffs.append(SynonymDiff(kind, old_meaning or "", new_meaning or "", pieces))
    others = sorted({*old, *new} - {"synonyms"})
    return LexiconChanges(
        synonyms=tuple(diffs),
        other_sections=tuple(name for name in others if old.get(name) != new.get(name)),
        created=not before,
    )
