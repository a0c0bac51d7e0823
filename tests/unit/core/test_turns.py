"""From a message to its answers (bot/core/turns.py), on kb/, with the NLU's intent given."""

from __future__ import annotations

from bot.core.services import Services
from bot.core.turns import Asked, Context, Nlu, answer_questions

SWITCHBOARD = "03 21 61 50 00"


def _answer(services: Services, intent: str, text: str) -> tuple[list[str], str]:
    answers = answer_questions(services, text, Nlu(intent=intent), Context(), Asked())
    assert answers
    return [fact for answer in answers for fact in answer.facts], "\n".join(answer.text for answer in answers)


def test_a_fact_about_another_commune_does_not_answer_for_the_one_named(services: Services) -> None:
    facts, text = _answer(services, "sport_culture", "la piscine de Béthune ouvre à quelle heure le dimanche ?")
    assert "sport_culture_piscine_lillers" not in facts
    assert SWITCHBOARD in text


def test_a_thing_named_that_no_answering_fact_speaks_of_is_an_unknown_with_the_contact(services: Services) -> None:
    facts, text = _answer(services, "sport_culture", "combien coûte le ski à Loisinord ?")
    # Not the pools' or the music school's figures in euros presented as its price.
    assert facts[0].startswith("contact_") and "€" not in text
    assert "pas d'information vérifiée" in text and SWITCHBOARD in text


def test_everyday_words_of_a_question_do_not_make_it_an_unknown(services: Services) -> None:
    facts, _ = _answer(
        services, "permis_de_louer", "mettre en location alors que l'agglo a dit non, c'est quelle amende au maximum ?"
    )
    assert facts[0] == "pdl_sanctions"
