"""The quality report's section on issue 15's sets and its targets, from made-up figures."""

from __future__ import annotations

from typing import Any

from bench.quality.conversations import FROZEN_QUESTIONS
from bench.quality.end_to_end import summarise_conversations, summarise_question_set
from bench.quality.report import render_markdown, render_question_sets
from bench.quality.targets import targets


def _row(kind: str, *, passed: bool, first_fact: bool | None = None, invented: bool = False) -> dict[str, Any]:
    return {
        "case": f"{kind}-{passed}-{first_fact}-{invented}",
        "turn": 0,
        "tags": [],
        "kind": kind,
        "multi_turn": False,
        "text": "question inventée pour le test",
        "expected_topic": "mutuelle",
        "topic": "mutuelle",
        "topic_ok": True,
        "facts_ok": passed,
        "forbidden_ok": True,
        "figures_ok": not invented,
        "first_fact_ok": first_fact,
        "missing": [],
        "forbidden": [],
        "invented": ["150"] if invented else [],
        "seconds": 0.1,
        "passed": passed and not invented and first_fact is not False,
    }


FROZEN = [
    _row("figure", passed=True, first_fact=True),
    _row("figure", passed=True, first_fact=False),
    _row("two_questions", passed=True),
    _row("two_questions", passed=False, invented=True),
]
SETS = {
    FROZEN_QUESTIONS: summarise_question_set(FROZEN),
    "questions (blind)": summarise_question_set([_row("english", passed=True)]),
}


def _results() -> dict[str, Any]:
    fold = {"topic_accuracy": {"mean": 0.9, "std": 0.0, "n": 1}, "oos_recall": {"mean": 0.8, "std": 0.0, "n": 1}}
    return {
        "meta": {
            "smoke": False,
            "date": "2026-12-02 09:00",
            "commit": "abc1234",
            "cpus": 2,
            "duration_minutes": 10,
            "examples": 100,
            "intents": 10,
            "eval_cases": 1,
            "eval_messages": 1,
            "seed": 1,
        },
        "cross_validation": {
            "folds": 3,
            "folds_run": 1,
            "per_fold": [],
            "summary": {"project": fold, "rasa_default": fold, "tfidf": fold},
        },
        "end_to_end": {**summarise_conversations(FROZEN[:1]), "oos_recall": None},
        "question_sets": SETS,
    }


def test_the_section_has_a_table_of_sets_and_one_per_kind() -> None:
    lines = render_question_sets(SETS)
    assert lines[0] == "## Answering the question asked (issue 15's sets)"
    text = "\n".join(lines)
    assert (
        "| set | messages | all checks | topic accuracy | first fact the expected one | no invented figures |" in text
    )
    assert f"| **{FROZEN_QUESTIONS}** | 4 | 50.0 % | 100.0 % | 50.0 % (of 2) | 75.0 % |" in text
    # No message judged a first fact in the blind set here: a dash, not 0 %.
    assert "| **questions (blind)** | 1 | 100.0 % | 100.0 % | – | 100.0 % |" in text
    assert f"{FROZEN_QUESTIONS}, by kind of case:" in text and "questions (blind), by kind of case:" in text
    assert "| figure | 2 | 50.0 % | 100.0 % | 50.0 % (of 2) | 100.0 % |" in text
    assert "| two_questions | 2 | 50.0 % | 100.0 % | – | 50.0 % |" in text
    assert "| english | 1 | 100.0 % |" in text
    assert "question inventée" not in text
    assert render_question_sets({}) == []


def test_the_section_follows_the_end_to_end_one() -> None:
    markdown = render_markdown(_results())
    assert markdown.index("## End-to-end failures") < markdown.index("## Answering the question asked")
    del_sets = {**_results(), "question_sets": {}}
    assert "## Answering the question asked" not in render_markdown(del_sets)


def test_issue_15s_targets_are_checked_on_the_frozen_set() -> None:
    found = {target["name"]: target for target in targets(_results())}
    all_checks = found["issue 15, frozen questions: all checks ≥ 95 % end to end"]
    first_fact = found["issue 15, frozen questions: first fact the expected one ≥ 90 % end to end"]
    invented = found["issue 15, frozen questions: 0 invented figures end to end"]
    assert (all_checks["value"], all_checks["met"]) == ("50.0 %", False)
    assert (first_fact["value"], first_fact["met"]) == ("50.0 %", False)
    assert (invented["value"], invented["met"]) == ("1 message(s) of 4", False)
    passing = summarise_question_set([_row("figure", passed=True, first_fact=True)] * 20)
    found = {
        target["name"]: target["met"]
        for target in targets({**_results(), "question_sets": {FROZEN_QUESTIONS: passing}})
    }
    assert found["issue 15, frozen questions: all checks ≥ 95 % end to end"]
    assert found["issue 15, frozen questions: first fact the expected one ≥ 90 % end to end"]
    assert found["issue 15, frozen questions: 0 invented figures end to end"]
    assert not any("issue 15" in name for name in (t["name"] for t in targets({**_results(), "question_sets": {}})))
