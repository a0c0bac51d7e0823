"""Load and validate the phrase lexicons of ``kb/``: ``emergencies.yml`` (distress and
emergencies, and the facts each kind is answered with) and ``people.yml`` (SMS spellings,
requests for a person, insults).

Every pattern is compiled here, so a build refuses one that the assistant could not use, naming
the file and the entry; an emergency kind must name facts residents may be told, and each of its
numbers must appear in them (an edit of a fact that drops the number is refused).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import yaml

from bot.french.phrases import PatternError, compile_entry, fold_words

EMERGENCIES_FILE = "emergencies.yml"
PEOPLE_FILE = "people.yml"
# Where a kind's patterns are tried: on each sentence, or on the whole message.
SCOPES = ("sentence", "message")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TOKEN = re.compile(r"[a-z0-9]+")


class _Problems(Protocol):
    def add(self, path: Path, entry: str, message: str) -> None: ...


class _Fact(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def confidence(self) -> str: ...

    @property
    def commune(self) -> str | None: ...


def _read(path: Path, problems: _Problems) -> dict[str, Any] | None:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.add(path, "file", "missing")
        return None
    except yaml.YAMLError as error:
        problems.add(path, "file", f"not valid YAML ({error})")
        return None
    if not isinstance(data, dict):
        problems.add(path, "file", "expected a mapping")
        return None
    return data


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) and item.strip() for item in value):
        return [" ".join(item.split()) for item in value]
    return None


def _word_lists(data: dict[str, Any], path: Path, problems: _Problems) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for name, words in (data.get("words") or {}).items():
        values = _strings(words)
        if not isinstance(name, str) or not _NAME.fullmatch(name) or not values:
            problems.add(path, f"words {name}", "a word list needs a snake_case name and a list of words")
            continue
        lists[name] = values
    return lists


def _patterns(
    raw: Any, word_lists: Mapping[str, list[str]], path: Path, entry: str, problems: _Problems, *, required: bool
) -> list[Any]:
    """The valid pattern entries of a list (each compiled once to be sure it can be used)."""
    if raw is None and not required:
        return []
    if not isinstance(raw, list) or (required and not raw):
        problems.add(path, entry, "needs a list of patterns")
        return []
    valid = []
    for item in raw:
        try:
            compile_entry(item, word_lists)
        except PatternError as error:
            problems.add(path, entry, f"pattern {item!r}: {error}")
            continue
        valid.append(item)
    return valid


def _phrase_section(
    raw: Any, word_lists: Mapping[str, list[str]], path: Path, entry: str, problems: _Problems
) -> dict[str, Any]:
    section = raw if isinstance(raw, dict) else {}
    if not isinstance(raw, dict):
        problems.add(path, entry, "expected a mapping with patterns")
    return {
        "patterns": _patterns(section.get("patterns"), word_lists, path, entry, problems, required=True),
        "unless": _patterns(section.get("unless"), word_lists, path, f"{entry} unless", problems, required=False),
    }


def load_emergencies(
    kb_dir: Path, facts: Mapping[str, _Fact], resident_confidences: tuple[str, ...], problems: _Problems
) -> dict[str, Any]:
    """``emergencies.yml``: word lists, phrases to ignore, and the kinds in the order they are told
    (each kind's facts must be among ``facts`` and of a confidence residents may be told)."""
    path = kb_dir / EMERGENCIES_FILE
    data = _read(path, problems)
    if data is None:
        return {}
    word_lists = _word_lists(data, path, problems)
    kinds: list[dict[str, Any]] = []
    seen: set[str] = set()
    raw_kinds = data.get("kinds")
    if not isinstance(raw_kinds, list) or not raw_kinds:
        problems.add(path, "kinds", "expected a list of kinds")
        raw_kinds = []
    for index, raw in enumerate(raw_kinds):
        name = raw.get("kind") if isinstance(raw, dict) else None
        entry = f"kind {name or '#' + str(index + 1)}"
        if not isinstance(raw, dict) or not isinstance(name, str) or not _NAME.fullmatch(name):
            problems.add(path, entry, "needs a kind in snake_case")
            continue
        if name in seen:
            problems.add(path, entry, "duplicate kind")
            continue
        seen.add(name)
        label, fact_ids, numbers = raw.get("label"), _strings(raw.get("facts")), _strings(raw.get("numbers"))
        if not isinstance(label, str) or not label.strip():
            problems.add(path, entry, "needs a label (in French, for agents)")
        if not fact_ids:
            problems.add(path, entry, "needs facts (ids of kb/topics/*.yml)")
            fact_ids = []
        for fact_id in fact_ids:
            fact = facts.get(fact_id)
            if fact is None:
                problems.add(path, entry, f"unknown fact id {fact_id!r}")
            elif fact.confidence not in resident_confidences:
                problems.add(
                    path, entry, f"fact {fact_id!r} is low-confidence: an emergency answer is told to residents"
                )
            elif fact.commune is not None:
                problems.add(path, entry, f"fact {fact_id!r} is a commune's own scheme")
        texts = " ".join(facts[fact_id].text for fact_id in fact_ids if fact_id in facts)
        for number in numbers or []:
            if number not in texts:
                problems.add(path, entry, f"number {number!r} is in none of its facts")
        scope = raw.get("scope", "sentence")
        if scope not in SCOPES:
            problems.add(path, entry, f"scope must be one of {', '.join(SCOPES)}")
        kinds.append(
            {
                "kind": name,
                "scope": scope if scope in SCOPES else "sentence",
                "label": str(label or name),
                "facts": fact_ids,
                "numbers": numbers or [],
                **_phrase_section(raw, word_lists, path, entry, problems),
            }
        )
    return {
        "words": word_lists,
        "ignore": _patterns(data.get("ignore"), word_lists, path, "ignore", problems, required=False),
        "kinds": kinds,
    }


def load_people(kb_dir: Path, problems: _Problems) -> dict[str, Any]:
    """``people.yml``: SMS spellings, requests for a person, questions whether a machine answers,
    insults and their filler words."""
    path = kb_dir / PEOPLE_FILE
    data = _read(path, problems)
    if data is None:
        return {}
    spellings: dict[str, str] = {}
    for typed, meant in (data.get("spellings") or {}).items():
        typed_text = str(typed)
        if not _TOKEN.fullmatch(typed_text) or not isinstance(meant, str) or not fold_words(meant):
            problems.add(path, f"spellings {typed_text}", "one word as typed (lower case, no accents) → what it means")
            continue
        spellings[typed_text] = " ".join(fold_words(meant))
    word_lists = _word_lists(data, path, problems)
    insults = _phrase_section(data.get("insults"), word_lists, path, "insults", problems)
    filler = _strings((data.get("insults") or {}).get("filler")) or []
    return {
        "spellings": spellings,
        "words": word_lists,
        "person": _phrase_section(data.get("person"), word_lists, path, "person", problems),
        "machine": _phrase_section(data.get("machine"), word_lists, path, "machine", problems),
        "insults": {**insults, "filler": [word for item in filler for word in fold_words(item)]},
    }
