"""Leave one kind of phrasing out (bench/quality/phrasing_kinds.py): the groups, and their section."""

from __future__ import annotations

from bench.quality.phrasing_kinds import NO_KIND, groups, phrasing_kind
from bench.quality.report import render_phrasing_kinds
from bench.quality.systems import Example
from bot.core.relevance import question_words_of
from bot.core.services import Services


def _example(text: str, intent: str = "aide_velo") -> Example:
    return Example(raw=text, text=text, intent=intent, dispositif=None)


def test_an_example_is_grouped_by_the_kind_it_asks(services: Services) -> None:
    lexicon = question_words_of(services.kb)
    assert phrasing_kind("combien coûte un composteur", lexicon) == "amount"
    assert phrasing_kind("comment faire la demande d'aide au vélo", lexicon) == "how_to_apply"
    assert phrasing_kind("le vélo électrique", lexicon) == NO_KIND


def test_small_kinds_and_the_examples_asking_no_kind_are_never_held_out(services: Services) -> None:
    lexicon = question_words_of(services.kb)
    examples = [
        *(_example(f"combien coûte le vélo {size}") for size in ("cargo", "pliant", "électrique")),
        _example("comment faire la demande"),
        *(_example(f"le vélo {n}") for n in range(5)),
    ]
    assert groups(examples, lexicon, minimum=2) == {"amount": [0, 1, 2]}
    assert groups(examples, lexicon, minimum=4) == {}


def test_the_section_sets_each_kind_beside_the_cross_validation() -> None:
    section = {
        "min_examples": 30,
        "per_kind": {"amount": {"messages": 40, "project": 0.5, "tfidf": 0.25}},
        "overall": {"project": 0.5, "tfidf": 0.25},
        "messages": 40,
    }
    cv = {"summary": {"project": {"topic_accuracy": {"mean": 0.8, "std": 0.01, "n": 3}}, "tfidf": {}}}
    text = "\n".join(render_phrasing_kinds(section, cv))
    assert "| « amount » | 40 | 50.0 % | 25.0 % |" in text
    assert "80.0 ± 1.0 %" in text
    assert render_phrasing_kinds({}, cv) == []
