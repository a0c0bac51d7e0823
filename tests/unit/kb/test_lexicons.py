"""The phrase lexicons of kb/ (emergencies.yml, people.yml): validated by the build, each problem
named with its file and entry, and never copied from the frozen evaluation tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bench.quality.people import load_tables
from bot.french.phrases import fold_words
from bot.kb.content import ContentError, load_content
from bot.settings import PROJECT_ROOT, load_settings

# A run of this many words of a table message found in a lexicon would be a copy of it.
COPIED_WORDS = 5


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(kb_dir: Path) -> list[str]:
    with pytest.raises(ContentError) as error:
        load_content(kb_dir, load_settings().french_communes_file)
    return error.value.problems


def _kind(data: dict[str, Any], name: str) -> dict[str, Any]:
    return next(kind for kind in data["kinds"] if kind["kind"] == name)


def test_the_real_lexicons_load_in_the_files_order() -> None:
    content = load_content(PROJECT_ROOT / "kb", load_settings().french_communes_file)
    kinds = [kind["kind"] for kind in content.lexicons["emergencies"]["kinds"]]
    assert set(kinds) >= {
        "suicide",
        "violences_conjugales",
        "enfance_en_danger",
        "urgence_medicale",
        "danger_immediat",
        "sourd_malentendant",
        "fuite_gaz",
        "urgence_eau",
    }
    assert content.lexicons["people"]["spellings"]["jveux"] == "je veux"


def test_a_pattern_that_does_not_compile_is_refused_naming_file_and_kind(kb_copy: Path) -> None:
    _edit(kb_copy / "emergencies.yml", lambda data: _kind(data, "fuite_gaz")["patterns"].append("odeur (de gaz"))
    assert any(
        p.startswith("kb/emergencies.yml: kind fuite_gaz: pattern 'odeur (de gaz'") and "regular expression" in p
        for p in _problems(kb_copy)
    )


def test_an_unknown_word_list_is_refused(kb_copy: Path) -> None:
    _edit(kb_copy / "people.yml", lambda data: data["person"]["patterns"].append("parler a <inconnus>"))
    assert any("kb/people.yml: person: pattern" in p and "<inconnus>" in p for p in _problems(kb_copy))


def test_a_kind_must_name_facts_residents_may_be_told(kb_copy: Path) -> None:
    _edit(kb_copy / "emergencies.yml", lambda data: _kind(data, "suicide")["facts"].append("fait_inexistant"))
    _edit(
        kb_copy / "emergencies.yml",
        lambda data: _kind(data, "incendie")["facts"].append("contact_horaires_non_confirmes"),
    )
    problems = _problems(kb_copy)
    assert "kb/emergencies.yml: kind suicide: unknown fact id 'fait_inexistant'" in problems
    assert any("kind incendie" in p and "low-confidence" in p for p in problems)


def test_editing_a_fact_so_that_it_drops_its_number_is_refused(kb_copy: Path) -> None:
    def drop_number(data: dict[str, Any]) -> None:
        fact = next(fact for fact in data["facts"] if fact["id"] == "urgence_3114")
        fact["text"] = "Si vous allez très mal, parlez-en à un proche."

    _edit(kb_copy / "topics" / "urgence.yml", drop_number)
    assert "kb/emergencies.yml: kind suicide: number '3114' is in none of its facts" in _problems(kb_copy)


def test_a_bad_scope_and_a_bad_spelling_are_refused(kb_copy: Path) -> None:
    _edit(kb_copy / "emergencies.yml", lambda data: _kind(data, "incendie").update(scope="paragraphe"))
    _edit(kb_copy / "people.yml", lambda data: data["spellings"].update({"j veux": "je veux"}))
    problems = _problems(kb_copy)
    assert any("kind incendie: scope must be one of sentence, message" in p for p in problems)
    assert any(p.startswith("kb/people.yml: spellings j veux:") for p in problems)


def test_a_missing_lexicon_is_refused(kb_copy: Path) -> None:
    (kb_copy / "people.yml").unlink()
    assert "kb/people.yml: file: missing" in _problems(kb_copy)


def test_no_lexicon_copies_a_message_of_the_frozen_tables() -> None:
    """The patterns come from each kind's vocabulary: no run of words of a test message, unless
    the run is a whole entry of a word list (an idiom such as « mettre fin à mes jours »)."""
    files = [PROJECT_ROOT / "kb" / name for name in ("emergencies.yml", "people.yml")]
    lexicons = " ".join(
        " ".join(fold_words(line))
        for path in files
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )
    idioms = {
        " ".join(fold_words(entry))
        for path in files
        for words in (yaml.safe_load(path.read_text(encoding="utf-8")).get("words") or {}).values()
        for entry in words
    }
    copied = []
    for case in load_tables():
        words = fold_words(case.text)
        for start in range(len(words) - COPIED_WORDS + 1):
            run = " ".join(words[start : start + COPIED_WORDS])
            if f" {run} " in f" {lexicons} " and not any(run in idiom for idiom in idioms):
                copied.append(run)
    assert copied == []
