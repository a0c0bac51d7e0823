"""kb/streets.yml: the street lists are validated like the rest of the content (every problem
named with its file and entry) and published with the build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.kb.build import build
from bot.kb.content import ContentError, load_content
from bot.kb.queries import KnowledgeBase
from bot.settings import load_settings
from tests.conftest import make_settings


def _load(kb_dir: Path) -> Any:
    return load_content(kb_dir, load_settings().french_communes_file)


def _edit(kb_dir: Path, change: Any) -> None:
    path = kb_dir / "streets.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_the_street_lists_are_stored_with_the_messages(kb_copy: Path) -> None:
    streets = _load(kb_copy).messages["streets"]
    vendin = next(item for item in streets["lists"] if item["commune"] == "62841")
    assert [street["name"] for street in vendin["streets"]] == [
        "rue Pierre Mendès France",
        "rue d'Hinges",
        "rue de Merville",
    ]
    assert vendin["topic"] == "permis_de_louer" and vendin["complete"] and not vendin["superseded"]
    assert vendin["source"]["verified_on"] == "2026-12-02"
    # Folded once, for matching.
    assert streets["abbreviations"]["r"] == "rue" and streets["abbreviations"]["mal"] == "marechal"
    assert "allee" in streets["street_types"] and "d" in streets["particles"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda data: data["lists"][0].update(rule="permis_de_vendre"), "rule 'permis_de_vendre' is not a rule"),
        (
            lambda data: data["lists"][0].update(commune="62023"),
            "commune '62023' is not one of the communes of the rule",
        ),
        (lambda data: data["lists"][0].update(commune="59350"), "not the INSEE code of a member commune"),
        (lambda data: data["lists"][0].update(confidence="sure"), "confidence must be one of high, medium, low"),
        (lambda data: data["lists"][0].pop("source"), "missing source"),
        (lambda data: data["lists"][0]["source"].update(url="ftp://x"), "source needs a url"),
        (lambda data: data["lists"][0].pop("applies_to"), "needs applies_to"),
        (lambda data: data["lists"][0].update(valid_from="janvier"), "valid_from must be a date"),
        (lambda data: data["lists"][0].update(complete="oui"), "complete and superseded must be true or false"),
        (lambda data: data["lists"][0]["streets"].append("Rue d'Hinges"), "a street is listed twice"),
        (lambda data: data["lists"][0]["streets"].append({"also": ["x"]}), "a street is a name"),
        (lambda data: data["lists"][0].update(streets=[]), "needs streets, a non-empty list"),
        (lambda data: data.update(particles=[]), "particles: needs a non-empty list of words"),
        (lambda data: data["lists"].append(dict(data["lists"][0])), "two lists for the same rule, commune and period"),
    ],
)
def test_a_bad_list_is_refused_with_its_entry_named(kb_copy: Path, change: Any, expected: str) -> None:
    _edit(kb_copy, change)
    with pytest.raises(ContentError) as refused:
        _load(kb_copy)
    assert any(problem.startswith("kb/streets.yml: ") and expected in problem for problem in refused.value.problems), (
        refused.value.problems
    )


def test_a_new_list_reaches_the_running_knowledge_base(tmp_path: Path, kb_copy: Path) -> None:
    settings = make_settings(tmp_path, kb_copy)
    build(settings)
    kb = KnowledgeBase(settings.database_url, refresh_seconds=-1)
    before = kb.version
    _edit(kb_copy, lambda data: data["lists"][0]["streets"].append("rue de Béthune"))
    build(settings)
    assert kb.refresh()
    assert kb.version != before
    vendin = next(item for item in kb.message("streets")["lists"] if item["commune"] == "62841")
    assert vendin["streets"][-1] == {"name": "rue de Béthune", "also": []}


def test_without_a_streets_file_there_is_no_list(kb_copy: Path) -> None:
    (kb_copy / "streets.yml").unlink()
    assert "streets" not in _load(kb_copy).messages
