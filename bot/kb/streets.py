"""kb/streets.yml: the streets of a commune-level rule where a public source lists them
(« Ma rue est-elle concernée ? »), validated like the rest of the content.

Read by the build and stored with the messages (key ``streets``, JSON), like the lexicon, so a
running assistant and console read a new list within seconds of a publication. The matching
itself is bot/core/streets.py (and its port for the offline console, static/agglomobile.js).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.french.text import fold
from bot.kb.values import HTTP_URL, as_date, clean_text

STREETS_FILE = "streets.yml"
MESSAGE_KEY = "streets"
_WORD = re.compile(r"[a-z0-9]+(?: [a-z0-9]+)*")

Problem = Callable[[str, str], None]


def streets_path(kb_dir: Path) -> Path:
    return kb_dir / STREETS_FILE


def _folded_words(raw: Any, section: str, problem: Problem) -> list[str]:
    if not isinstance(raw, list) or not raw or not all(isinstance(item, str) and fold(item) for item in raw):
        problem(section, "needs a non-empty list of words")
        return []
    return sorted({fold(item) for item in raw})


def _abbreviations(raw: Any, problem: Problem) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        problem("abbreviations", "needs a mapping of short forms to words")
        return {}
    result: dict[str, str] = {}
    for short, word in raw.items():
        short_key, word_key = fold(str(short)), fold(str(word)) if isinstance(word, str) else ""
        if not _WORD.fullmatch(short_key) or " " in short_key or not word_key:
            problem(f"abbreviations {short!r}", "needs one short word and the word it stands for")
            continue
        result[short_key] = word_key
    return result


def _street(raw: Any, entry: str, problem: Problem) -> dict[str, Any] | None:
    if isinstance(raw, str):
        raw = {"name": raw}
    name = clean_text(raw.get("name")) if isinstance(raw, dict) else None
    also = raw.get("also", []) if isinstance(raw, dict) else None
    if name is None or not isinstance(also, list) or not all(clean_text(item) for item in also):
        problem(entry, "a street is a name, or {name: …, also: [other spellings]}")
        return None
    return {"name": name, "also": [clean_text(item) for item in also]}


def _source(raw: Any, entry: str, problem: Problem) -> dict[str, str] | None:
    if not isinstance(raw, dict):
        problem(entry, "missing source")
        return None
    url, title, verified_on = clean_text(raw.get("url")), clean_text(raw.get("title")), as_date(raw.get("verified_on"))
    if url is None or not HTTP_URL.match(url) or title is None or verified_on is None:
        problem(entry, "source needs a url (http:// or https://), a title and verified_on (YYYY-MM-DD)")
        return None
    return {"title": title, "url": url, "verified_on": verified_on.isoformat()}


def _list(
    raw: Any,
    entry: str,
    rules: Mapping[str, tuple[str, frozenset[str]]],
    member_communes: Iterable[str],
    confidences: tuple[str, ...],
    problem: Problem,
) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        problem(entry, "expected a mapping")
        return None
    rule, commune = str(raw.get("rule", "")), str(raw.get("commune", ""))
    valid = True
    if rule not in rules:
        problem(entry, f"rule {rule!r} is not a rule of any topic's commune_rules")
        valid = False
    elif commune not in rules[rule][1]:
        problem(entry, f"commune {commune!r} is not one of the communes of the rule {rule!r}")
        valid = False
    if commune not in set(member_communes):
        problem(entry, f"commune {commune!r} is not the INSEE code of a member commune")
        valid = False
    applies_to = clean_text(raw.get("applies_to"))
    if applies_to is None:
        problem(entry, "needs applies_to (the period the list is for, in plain French)")
        valid = False
    bounds = {name: raw.get(name) for name in ("valid_from", "valid_until")}
    dates = {name: as_date(value) for name, value in bounds.items()}
    for name, value in bounds.items():
        if value is not None and dates[name] is None:
            problem(entry, f"{name} must be a date (YYYY-MM-DD)")
            valid = False
    start, end = dates["valid_from"], dates["valid_until"]
    if start is not None and end is not None and start > end:
        problem(entry, "valid_from is after valid_until")
        valid = False
    flags = {name: raw.get(name, False) for name in ("complete", "superseded")}
    if not all(isinstance(value, bool) for value in flags.values()):
        problem(entry, "complete and superseded must be true or false")
        valid = False
    if raw.get("confidence") not in confidences:
        problem(entry, f"confidence must be one of {', '.join(confidences)}")
        valid = False
    source = _source(raw.get("source"), entry, problem)
    streets_raw = raw.get("streets")
    if not isinstance(streets_raw, list) or not streets_raw:
        problem(entry, "needs streets, a non-empty list")
        return None
    streets = [_street(item, f"{entry} street #{number}", problem) for number, item in enumerate(streets_raw, 1)]
    names = [fold(street["name"]) for street in streets if street]
    if len(set(names)) != len(names):
        problem(entry, "a street is listed twice")
        valid = False
    if not valid or source is None or None in streets:
        return None
    return {
        "rule": rule,
        "topic": rules[rule][0],
        "commune": commune,
        "applies_to": applies_to,
        "valid_from": start.isoformat() if start else None,
        "valid_until": end.isoformat() if end else None,
        "complete": flags["complete"],
        "superseded": flags["superseded"],
        "confidence": raw["confidence"],
        "source": source,
        "streets": streets,
    }


def check_streets(
    data: Any,
    rules: Mapping[str, tuple[str, frozenset[str]]],
    member_communes: Iterable[str],
    confidences: tuple[str, ...],
    problem: Problem,
) -> dict[str, Any]:
    """The street lists, ready to store (JSON), if valid; every problem is reported through
    ``problem(entry, message)``. ``rules``: each rule of the topics' ``commune_rules`` → its topic
    and the communes it lists."""
    if data is None:
        return {"abbreviations": {}, "street_types": [], "particles": [], "unnamed_after": [], "lists": []}
    if not isinstance(data, dict):
        problem("file", "expected a mapping with abbreviations, street_types, particles and lists")
        return {}
    members = list(member_communes)
    raw_lists = data.get("lists")
    if not isinstance(raw_lists, list):
        problem("lists", "needs a list of street lists")
        raw_lists = []
    lists = [
        _list(raw, f"list #{index}", rules, members, confidences, problem) for index, raw in enumerate(raw_lists, 1)
    ]
    seen = [(item["rule"], item["commune"], item["applies_to"]) for item in lists if item]
    if len(set(seen)) != len(seen):
        problem("lists", "two lists for the same rule, commune and period")
    return {
        "abbreviations": _abbreviations(data.get("abbreviations"), problem),
        "street_types": _folded_words(data.get("street_types"), "street_types", problem),
        "particles": _folded_words(data.get("particles"), "particles", problem),
        # Optional: without it, every « rue » of a message may start a street's name.
        "unnamed_after": _folded_words(data["unnamed_after"], "unnamed_after", problem)
        if "unnamed_after" in data
        else [],
        "lists": [item for item in lists if item],
    }
