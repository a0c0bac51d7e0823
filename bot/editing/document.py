"""A topic file of ``kb/`` as the console's editor changes it: ruamel.yaml's round trip
(bot/editing/roundtrip.py).

A change (edit a fact, add one to a field, retire one) is applied to the parsed YAML, so that
comments, key order, quotes and wrapping of untouched lines stay as they were; new texts are
folded like the hand-written ones. Pure functions of the document: no file, no git.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.editing.errors import EditError
from bot.editing.roundtrip import folded, scalar
from bot.kb.content import FIELDS

SLUG = re.compile(r"[a-z0-9_]{1,64}")
FACT_ID = re.compile(r"[a-z0-9_]{1,96}")
MAX_TEXT_CHARS = 4000
# A fact's questions (kb/README.md « questions »): how many, and how long each, the editor takes.
MAX_QUESTIONS = 20
MAX_QUESTION_CHARS = 200
CHANGE_KINDS = ("edit", "add", "retire")
DATE_FIELDS = ("valid_from", "valid_until")


# What an editor submits ------------------------------------------------------------------------
@dataclass(frozen=True)
class FactFields:
    """The editable parts of a fact, as typed in the form (dates as YYYY-MM-DD text)."""

    text: str = ""
    applies_to: str = ""
    confidence: str = "high"
    source_title: str = ""
    source_url: str = ""
    verified_on: str = ""
    valid_from: str = ""
    valid_until: str = ""
    # The questions residents ask that the fact answers, in their words (trimmed, no empty ones).
    questions: tuple[str, ...] = ()


def questions_from_lines(lines: list[str]) -> tuple[str, ...]:
    """A fact's questions as typed: one per line (several form values are read as more lines),
    spaces trimmed, empty lines and repeats dropped."""
    questions = (" ".join(line.split()) for value in lines for line in value.splitlines())
    return tuple(dict.fromkeys(question for question in questions if question))


@dataclass(frozen=True)
class Change:
    """One change to a topic file: ``edit`` a fact, ``add`` one to a field, or ``retire`` one."""

    kind: str
    fact_id: str = ""  # edit, retire
    field: str = ""  # add
    fact: FactFields = dataclass_field(default_factory=FactFields)
    # add: the field's « unknown » entries are dropped, since the field is now known.
    replace_unknown: bool = True
    # retire: an « unknown » entry to put in the fact's place (a headline aid's field needs one).
    unknown_text: str = ""


def _date_or_text(value: str) -> dt.date | str:
    """A date when the text is one, else the text: the content rules then name the problem."""
    value = value.strip()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return value


def _sequence(document: CommentedMap, key: str) -> CommentedSeq:
    """The document's ``facts`` or ``unknown`` list, created when the file has none."""
    items = document.get(key)
    if not isinstance(items, CommentedSeq):
        items = CommentedSeq()
        document[key] = items
    return items


def _facts(document: CommentedMap) -> CommentedSeq:
    return _sequence(document, "facts")


def _last_key(mapping: CommentedMap) -> tuple[CommentedMap, Any]:
    """The innermost last key of an item, which holds the blank line written after it."""
    while True:
        key = list(mapping.keys())[-1]
        value = mapping[key]
        if not isinstance(value, CommentedMap) or not value:
            return mapping, key
        mapping = value


def _copy_trailing_lines(source: CommentedMap, target: CommentedMap) -> None:
    """Give ``target`` the blank line(s) that follow ``source``, so items stay spaced."""
    source_map, source_key = _last_key(source)
    comment = source_map.ca.items.get(source_key)
    if comment is not None:
        target_map, target_key = _last_key(target)
        target_map.ca.items[target_key] = copy.deepcopy(comment)


def find_fact(document: CommentedMap, fact_id: str) -> CommentedMap:
    for item in _facts(document):
        if isinstance(item, CommentedMap) and item.get("id") == fact_id:
            return item
    raise EditError("unknown_fact", detail=fact_id)


def _set_after(mapping: CommentedMap, key: str, value: Any, after: str) -> None:
    """Set ``key``, placing a new key just after ``after`` (never after a trailing comment)."""
    if key in mapping:
        mapping[key] = value
        return
    keys = list(mapping.keys())
    position = keys.index(after) + 1 if after in keys else len(keys)
    mapping.insert(position, key, value)


def _same(current: Any, new: Any) -> bool:
    if isinstance(current, dt.date) or isinstance(new, dt.date):
        return bool(current == new)
    return current is not None and " ".join(str(current).split()) == " ".join(str(new).split())


def _update(mapping: CommentedMap, key: str, value: Any, after: str) -> None:
    """Set ``key`` unless it already says the same (its wrapping and quotes are then kept)."""
    if not _same(mapping.get(key), value):
        _set_after(mapping, key, value, after)


def _current_questions(item: CommentedMap) -> tuple[str, ...]:
    raw = item.get("questions")
    if not isinstance(raw, list):
        return ()
    return tuple(" ".join(str(question).split()) for question in raw)


def _trailing_comment(item: CommentedMap, key: str) -> Any:
    """The comment token (blank lines) written after ``key``'s value, taken off it."""
    value = item.get(key)
    if isinstance(value, CommentedSeq) and value and len(value) - 1 in value.ca.items:
        slots = value.ca.items.pop(len(value) - 1)
    else:
        slots = item.ca.items.pop(key, None)
    return next((token for token in slots or [] if token is not None), None)


def _fill_questions(item: CommentedMap, questions: tuple[str, ...]) -> None:
    """The fact's ``questions``, a block list just after its text; untouched when they say the
    same, removed when there are none. A list written last by hand keeps the blank line after it
    (ruamel keeps a list item's comment in slot 0, a mapping key's in slot 2)."""
    if questions == _current_questions(item):
        return
    last = "questions" in item and list(item.keys())[-1] == "questions"
    trailing = _trailing_comment(item, "questions") if last else None
    if not questions:
        del item["questions"]
        if trailing is not None:
            target_map, target_key = _last_key(item)
            target_map.ca.items[target_key] = [None, None, trailing, None]
        return
    new = CommentedSeq(scalar(question) for question in questions)
    if trailing is not None:
        new.ca.items[len(new) - 1] = [trailing, None, None, None]
    _set_after(item, "questions", new, "text")


def _fill_fact(item: CommentedMap, fields: FactFields) -> None:
    if not _same(item.get("text"), fields.text):
        _set_after(item, "text", folded(fields.text, indent=6), "field")
    _fill_questions(item, fields.questions)
    _update(item, "applies_to", " ".join(fields.applies_to.split()), "questions" if "questions" in item else "text")
    anchor = "applies_to"
    for name in DATE_FIELDS:
        raw = getattr(fields, name).strip()
        if raw:
            _update(item, name, _date_or_text(raw), anchor)
            anchor = name
        elif name in item:
            del item[name]
    _update(item, "confidence", fields.confidence.strip(), anchor)
    source = item.get("source")
    if not isinstance(source, CommentedMap):
        source = CommentedMap()
        _set_after(item, "source", source, "confidence")
    _update(source, "title", " ".join(fields.source_title.split()), "")
    _update(source, "url", fields.source_url.strip(), "title")
    _update(source, "verified_on", _date_or_text(fields.verified_on), "url")


def _check_questions(fields: FactFields) -> None:
    problems = []
    if len(fields.questions) > MAX_QUESTIONS:
        problems.append("too_many")
    if any(len(question) > MAX_QUESTION_CHARS for question in fields.questions):
        problems.append("too_long")
    if problems:
        raise EditError("bad_questions", problems=tuple(problems))


def _check_dates(fields: FactFields) -> None:
    bad = [
        name
        for name in DATE_FIELDS
        if getattr(fields, name).strip() and isinstance(_date_or_text(getattr(fields, name)), str)
    ]
    if bad:
        raise EditError("bad_dates", problems=tuple(bad))
    start, end = _date_or_text(fields.valid_from), _date_or_text(fields.valid_until)
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        raise EditError("bad_dates", problems=DATE_FIELDS)


def _new_fact_id(slug: str, field_name: str, taken: set[str]) -> str:
    number = 1
    while f"{slug}_{field_name}_{number}" in taken:
        number += 1
    return f"{slug}_{field_name}_{number}"


def apply_change(document: CommentedMap, slug: str, change: Change, taken_ids: set[str]) -> str:
    """Apply ``change`` to the parsed topic file; return the field it touches."""
    if change.kind not in CHANGE_KINDS:
        raise EditError("bad_field", detail=change.kind)
    if change.kind in ("edit", "add"):
        _check_dates(change.fact)
        _check_questions(change.fact)
    if change.kind == "edit":
        item = find_fact(document, change.fact_id)
        _fill_fact(item, change.fact)
        return str(item.get("field", ""))
    if change.kind == "retire":
        facts = _facts(document)
        item = find_fact(document, change.fact_id)
        field_name = str(item.get("field", ""))
        if item is facts[-1] and len(facts) > 1:
            _copy_trailing_lines(item, facts[-2])
        facts.remove(item)
        if change.unknown_text.strip():
            entry = CommentedMap()
            entry["field"] = field_name
            entry["text"] = folded(change.unknown_text, indent=6)
            _sequence(document, "unknown").append(entry)
        return field_name
    if change.field not in FIELDS:
        raise EditError("bad_field", detail=change.field)
    item = CommentedMap()
    item["id"] = _new_fact_id(slug, change.field, taken_ids)
    item["field"] = change.field
    _fill_fact(item, change.fact)
    facts = _facts(document)
    if facts and isinstance(facts[-1], CommentedMap):
        _copy_trailing_lines(facts[-1], item)
    facts.append(item)
    if change.replace_unknown and isinstance(document.get("unknown"), CommentedSeq):
        unknown = document["unknown"]
        for stale in [entry for entry in unknown if isinstance(entry, dict) and entry.get("field") == change.field]:
            unknown.remove(stale)
        if not unknown:
            del document["unknown"]
    return change.field


def fact_fields(document: CommentedMap, fact_id: str) -> FactFields:
    """The form's initial values for a fact of the file."""
    item = find_fact(document, fact_id)
    raw_source = item.get("source")
    source: dict[str, Any] = raw_source if isinstance(raw_source, dict) else {}

    def text(value: Any) -> str:
        return "" if value is None else " ".join(str(value).split())

    return FactFields(
        text=text(item.get("text")),
        applies_to=text(item.get("applies_to")),
        confidence=str(item.get("confidence") or "high"),
        source_title=text(source.get("title")),
        source_url=text(source.get("url")),
        verified_on=text(source.get("verified_on")),
        valid_from=text(item.get("valid_from")),
        valid_until=text(item.get("valid_until")),
        questions=_current_questions(item),
    )
