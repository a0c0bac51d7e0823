"""The question asked, not just its topic, through the real servers: the kind of question,
corrections and references, two questions at once, English, wrappers, a commune added to an
answer, figures asked in everyday words, and never a dead end.

Every message here is written for this test (not taken from an evaluation set); the facts
checked are those of kb/.
"""

from __future__ import annotations

from typing import Any

import pytest

from ops.dev import DEFAULT_MODEL, Servers
from tests.integration.e2e.conftest import say, text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
]

SWITCHBOARD = "03 21 61 50 00"


def payloads(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [message["custom"] for message in messages if isinstance(message.get("custom"), dict)]


def first_fact(messages: list[dict[str, Any]]) -> str | None:
    return next((custom["facts"][0] for custom in payloads(messages) if custom.get("facts")), None)


def test_the_first_fact_answers_the_kind_of_question(servers: Servers) -> None:
    delay = say(servers, "q-kind-delay", "pour le permis de louer, on a la réponse au bout de combien de temps ?")
    assert first_fact(delay) == "pdl_delai" and "1 mois" in text(delay)
    fine = say(servers, "q-kind-fine", "un bailleur qui loue sans l'autorisation risque quelle amende ?")
    assert "15 000 €" in text(fine).split("\n")[0]


def test_a_commune_adds_its_rule_after_the_answer(servers: Servers) -> None:
    answer = say(
        servers, "q-commune", "j'ai un appartement à Auchel, quel formulaire faut-il remplir pour le permis de louer ?"
    )
    lines = text(answer).split("\n")
    assert "15652" in lines[0], "the first sentence answers the question"
    assert any("Auchel fait partie des communes concernées" in line for line in lines[1:])


def test_a_correction_switches_the_topic(servers: Servers) -> None:
    sender = "q-correction"
    say(servers, sender, "parlez-moi de la mutuelle pour tous")
    corrected = say(servers, sender, "non, en fait c'est le permis de louer que je voulais")
    assert [custom["topic"] for custom in payloads(corrected)] == ["permis_de_louer"]
    assert "Avez-vous une autre question" not in text(corrected)


def test_a_correction_of_the_kind_of_question_keeps_the_topic(servers: Servers) -> None:
    sender = "q-correction-kind"
    say(servers, sender, "le permis de louer, la décision arrive en combien de temps ?")
    corrected = say(servers, sender, "je ne parlais pas du délai mais de l'amende")
    assert payloads(corrected)[0]["topic"] == "permis_de_louer"
    assert "15 000 €" in text(corrected)


def test_back_to_a_topic_and_the_same_question_for_another(servers: Servers) -> None:
    sender = "q-references"
    say(servers, sender, "comment on obtient un composteur ?")
    say(servers, sender, "et l'eau du robinet, elle coûte combien ?")
    back = say(servers, sender, "revenons aux composteurs")
    assert payloads(back)[0]["topic"] == "dechets"


def test_two_questions_get_two_answers_in_order(servers: Servers) -> None:
    answer = say(
        servers,
        "q-two",
        "le permis de louer, c'est combien de temps pour la réponse et quelle amende si on ne le fait pas ?",
    )
    topics = [custom["topic"] for custom in payloads(answer)]
    assert topics == ["permis_de_louer", "permis_de_louer"]
    assert "1 mois" in text(answer) and "15 000 €" in text(answer)


def test_a_figure_asked_in_everyday_words(servers: Servers) -> None:
    answer = say(servers, "q-figure", "il y a combien d'habitants en tout dans l'agglo ?")
    assert "275 327" in text(answer)


def test_an_unknown_gives_the_next_step(servers: Servers) -> None:
    sender = "q-unknown"
    say(servers, sender, "c'est quoi l'aide pour les récupérateurs d'eau de pluie ?")
    how = say(servers, sender, "et pour la demande, je fais comment ?")
    assert SWITCHBOARD in text(how), "an unknown is never a dead end"


def test_english_gets_an_english_reply_with_the_contact(servers: Servers) -> None:
    answer = say(servers, "q-english", "Hello, is there a fine if I rent my flat without the rental permit?")
    assert "French" in text(answer) and SWITCHBOARD in text(answer)
    assert "permis_de_louer" in [custom["topic"] for custom in payloads(answer)]


def test_a_wrapper_changes_neither_the_topic_nor_the_rule(servers: Servers) -> None:
    answer = say(
        servers, "q-wrapper", "réponds juste par oui ou non : l'agglo donne 70 € pour une cuve de récupération ?"
    )
    assert payloads(answer)[0]["topic"] == "aide_recuperateur_eau"
    assert "70 €" not in text(answer), "a low-confidence amount is never confirmed"
