"""A fact's questions in a topic file, as the console's editor writes them: after the text, one
per line of the form, with no change to the lines it does not touch."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from bot.editing.document import (
    MAX_QUESTION_CHARS,
    MAX_QUESTIONS,
    Change,
    FactFields,
    apply_change,
    fact_fields,
    questions_from_lines,
)
from bot.editing.errors import EditError
from bot.editing.roundtrip import dump_document, load_document
from bot.settings import PROJECT_ROOT

SLUG, FACT = "aide_velo", "velo_plan_pass_mobil"
TOPIC_TEXT = (PROJECT_ROOT / "kb" / "topics" / f"{SLUG}.yml").read_text(encoding="utf-8")


def edited(text: str, **fields: object) -> str:
    """``text`` with the fact's fields changed as the form would send them."""
    document = load_document(text)
    values = dataclasses.replace(fact_fields(document, FACT), **fields)  # type: ignore[arg-type]
    apply_change(document, SLUG, Change(kind="edit", fact_id=FACT, fact=values), set())
    return dump_document(document)


def fact_of(text: str, fact_id: str = FACT) -> dict[str, object]:
    return next(item for item in yaml.safe_load(text)["facts"] if item["id"] == fact_id)


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    old, new = before.splitlines(), after.splitlines()
    return [line for line in old if line not in new], [line for line in new if line not in old]


def test_the_form_gives_one_question_per_line_trimmed_without_empty_lines_or_repeats() -> None:
    typed = ["  c'est quoi   le pass mobil ?\r\n\n   \nquand ouvre-t-il ?", "c'est quoi le pass mobil ?"]
    assert questions_from_lines(typed) == ("c'est quoi le pass mobil ?", "quand ouvre-t-il ?")
    assert questions_from_lines(["", "  \n "]) == ()


def test_questions_are_written_after_the_text_and_no_other_line_changes() -> None:
    questions = ("c'est quoi le pass mobil agglo ?", "y a-t-il une aide pour acheter un vélo ?")
    written = edited(TOPIC_TEXT, questions=questions)
    removed, added = changed_lines(TOPIC_TEXT, written)
    assert removed == []
    assert added == ["    questions:", *(f"      - {question}" for question in questions)]
    fact = fact_of(written)
    assert fact["questions"] == list(questions)
    assert list(fact)[:4] == ["id", "field", "text", "questions"]
    assert fact_fields(load_document(written), FACT).questions == questions
    # The same questions again: nothing to write.
    assert edited(written, questions=questions) == written


def test_removing_every_question_gives_back_the_file_as_it_was() -> None:
    written = edited(TOPIC_TEXT, questions=("une question ?",))
    assert edited(written, questions=()) == TOPIC_TEXT


def test_hand_written_questions_keep_their_lines_when_another_field_changes() -> None:
    hand_written = TOPIC_TEXT.replace(
        "    applies_to: projet de territoire 2022-2032\n",
        "    questions: [c'est quoi le pass mobil, 'le pass mobil : pour qui']\n"
        "    applies_to: projet de territoire 2022-2032\n",
        1,
    )
    assert fact_fields(load_document(hand_written), FACT).questions == (
        "c'est quoi le pass mobil",
        "le pass mobil : pour qui",
    )
    written = edited(hand_written, applies_to="depuis le 1er mars 2026")
    removed, added = changed_lines(hand_written, written)
    assert removed == ["    applies_to: projet de territoire 2022-2032"]
    assert added == ["    applies_to: depuis le 1er mars 2026"]


def test_questions_written_last_by_hand_keep_the_blank_line_after_the_fact() -> None:
    source_end = "      verified_on: 2026-11-27\n\n  - id: velo_objectif_part_modale"
    assert source_end in TOPIC_TEXT
    hand_written = TOPIC_TEXT.replace(
        source_end,
        "      verified_on: 2026-11-27\n    questions:\n      - une question ?\n\n  - id: velo_objectif_part_modale",
        1,
    )
    changed = edited(hand_written, questions=("une autre question ?",))
    assert "      - une autre question ?\n\n  - id: velo_objectif_part_modale" in changed
    assert edited(hand_written, questions=()) == TOPIC_TEXT


@pytest.mark.parametrize("question", ["on", "no", "12", "combien : 100 € ?", "- tiret ?", "#1 ?", "« oui » ?"])
def test_a_question_yaml_would_misread_is_quoted_and_read_back_as_typed(question: str) -> None:
    written = edited(TOPIC_TEXT, questions=(question,))
    assert fact_of(written)["questions"] == [question]


def test_an_added_fact_gets_its_questions() -> None:
    document = load_document(TOPIC_TEXT)
    fact = FactFields(
        text="L'aide est de 100 € pour un vélo neuf.",
        applies_to="achats 2026",
        source_title="Délibération",
        source_url="https://www.bethunebruay.fr",
        verified_on="2026-11-30",
        questions=("combien donne l'agglo pour un vélo ?",),
    )
    apply_change(document, SLUG, Change(kind="add", field="amount", fact=fact), set())
    added = fact_of(dump_document(document), "aide_velo_amount_1")
    assert added["questions"] == ["combien donne l'agglo pour un vélo ?"]
    assert list(added)[:4] == ["id", "field", "text", "questions"]


@pytest.mark.parametrize(
    ("questions", "problems"),
    [
        (tuple(f"question {number} ?" for number in range(MAX_QUESTIONS + 1)), ("too_many",)),
        (("x" * (MAX_QUESTION_CHARS + 1),), ("too_long",)),
    ],
)
def test_too_many_or_too_long_questions_are_refused_by_name(questions: tuple[str, ...], problems: tuple[str]) -> None:
    with pytest.raises(EditError) as refused:
        edited(TOPIC_TEXT, questions=questions)
    assert refused.value.code == "bad_questions"
    assert refused.value.problems == problems
