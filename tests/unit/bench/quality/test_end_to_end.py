"""Playing and summing up the end-to-end sets: per tag for the evaluation set, per kind for
issue 15's sets, with the servers faked (the real ones are started by the benchmark itself)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from bench.common.progress import Progress
from bench.quality import end_to_end
from bench.quality.conversations import Case, Turn
from bench.quality.end_to_end import evaluate_question_sets, summarise_conversations, summarise_question_set
from bot.core.answers import resident_answer
from bot.core.services import Services
from bot.settings import Settings


def _row(
    case: str, kind: str, *, passed: bool = True, first_fact: bool | None = None, invented: bool = False
) -> dict[str, Any]:
    """A checked turn as ``check_turn`` writes it, with only what the summaries read."""
    return {
        "case": case,
        "turn": 0,
        "tags": ["typo"] if kind == "figure" else [],
        "kind": kind,
        "multi_turn": kind == "correction",
        "text": "message de test",
        "expected_topic": "mutuelle",
        "topic": "mutuelle" if passed else "hors_sujet",
        "topic_ok": passed,
        "facts_ok": passed,
        "forbidden_ok": True,
        "figures_ok": not invented,
        "first_fact_ok": first_fact,
        "seconds": 0.5,
        "passed": passed and not invented and first_fact is not False,
    }


ROWS = [
    _row("f1", "figure", first_fact=True),
    _row("f2", "figure", first_fact=False),
    _row("f3", "figure", invented=True),
    _row("c1", "correction"),
    _row("c1", "correction", passed=False),
    _row("t1", "two_questions", first_fact=True),
    _row("n1", ""),
]


def test_a_question_set_is_summed_up_per_kind() -> None:
    summary = summarise_question_set(ROWS)
    assert summary["messages"] == 7 and summary["cases"] == 6
    assert summary["all_checks_rate"] == pytest.approx(4 / 7)
    assert summary["first_fact_rate"] == pytest.approx(2 / 3) and summary["first_fact_messages"] == 3
    assert summary["no_invented_figures_rate"] == pytest.approx(6 / 7)
    assert summary["invented_figures_messages"] == 1
    kinds = summary["by_kind"]
    assert list(kinds) == ["(no kind)", "correction", "figure", "two_questions"]
    assert kinds["figure"]["messages"] == 3 and kinds["figure"]["all_checks_rate"] == pytest.approx(1 / 3)
    assert kinds["figure"]["first_fact_rate"] == pytest.approx(1 / 2) and kinds["figure"]["first_fact_messages"] == 2
    assert kinds["correction"]["topic_accuracy"] == pytest.approx(1 / 2)
    # No kind judged a first fact: no share, rather than a made-up 0 %.
    assert "first_fact_rate" not in kinds["correction"]
    # Figures only: the sets' messages and the answers stay out of the report.
    assert "turns" not in summary and "message de test" not in repr(summary)


def test_the_evaluation_set_keeps_its_summary_per_tag() -> None:
    summary = summarise_conversations(ROWS)
    assert summary["messages"] == 7 and summary["turns"] == ROWS
    assert list(summary["by_tag"]) == sorted(summary["by_tag"])
    assert summary["by_tag"]["all"]["messages"] == 7
    assert summary["by_tag"]["kind:figure"]["messages"] == 3 and summary["by_tag"]["typo"]["messages"] == 3
    assert summary["by_tag"]["multi_turn"]["messages"] == 2 and summary["by_tag"]["single_turn"]["messages"] == 5
    assert "kind:" not in summary["by_tag"] and "(no kind)" not in summary["by_tag"]
    assert summary["seconds_per_turn"] == pytest.approx(0.5)


def test_every_set_is_played_on_one_start_of_the_servers(
    services: Services, kb_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = services.kb
    started: list[str] = []
    said: list[tuple[str, str]] = []

    @contextmanager
    def fake_servers(settings: Settings, model: Path, progress: Progress, work: Path, what: str) -> Iterator[Any]:
        started.append(what)
        yield "config"

    answer = resident_answer(kb, "mutuelle", field_name="amount")
    first = answer.payload()["facts"][0]

    def fake_say(config: Any, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        said.append((sender.rsplit("-", 1)[-1], text))
        return [{"recipient_id": sender, "text": answer.text}, {"recipient_id": sender, "custom": answer.payload()}]

    monkeypatch.setattr(end_to_end, "running_servers", fake_servers)
    monkeypatch.setattr(end_to_end, "say", fake_say)
    right = Case("a1", (Turn("la mutuelle coûte combien ?", "mutuelle", first_fact=(first,)),), kind="figure")
    wrong = Case("a2", (Turn("et pour la mutuelle ?", "mutuelle", first_fact=("autre_fait",)),), kind="figure")
    other = Case("b1", (Turn("mutuelle", "hors_sujet"), Turn("non, la mutuelle", "mutuelle")), kind="correction")
    sets = evaluate_question_sets(
        {"first": [right, wrong], "second": [other]}, kb, kb_settings, tmp_path / "model.tar.gz", Progress(1), tmp_path
    )
    assert len(started) == 1 and "first (2 cases)" in started[0] and "second (1 cases)" in started[0]
    assert said == [
        ("a1", "la mutuelle coûte combien ?"),
        ("a2", "et pour la mutuelle ?"),
        ("b1", "mutuelle"),
        ("b1", "non, la mutuelle"),
    ]
    assert sets["first"]["first_fact_rate"] == pytest.approx(1 / 2) and sets["first"]["all_checks_rate"] == 0.5
    assert sets["first"]["invented_figures_messages"] == 0
    assert sets["second"]["by_kind"]["correction"]["messages"] == 2
    assert sets["second"]["topic_accuracy"] == pytest.approx(1 / 2) and "first_fact_rate" not in sets["second"]
