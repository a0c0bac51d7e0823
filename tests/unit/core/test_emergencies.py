"""Distress and emergencies are recognised before anything else, on the frozen tables of
bench/eval/people/ and on cases written for this test from each kind's vocabulary; ordinary
messages that share their words are left alone."""

from __future__ import annotations

import re

import pytest

from bench.quality.people import PeopleCase, load_tables
from bot.core.emergencies import EMERGENCY_TOPIC
from bot.core.services import Services
from bot.settings import PROJECT_ROOT
from tests.integration.rasa.test_held_out_split import _examples

CASES = load_tables()
DISTRESS = [case for case in CASES if case.table == "distress"]
LOOKALIKES = [case for case in CASES if case.table == "lookalikes"]
# Intents whose training examples may describe an emergency: a leak in the street (eau_potable),
# chest pain or a bleeding cut asked about as if it were no emergency (hors_sujet).
MAY_BE_EMERGENCIES = {"eau_potable", "hors_sujet"}

# Written for this test from the words of each kind (not from the frozen tables).
OWN_DISTRESS = [
    ("suicide", "j'ai envie de mourir, plus rien n'a de sens"),
    ("suicide", "jpense a me tuer"),
    ("suicide", "g plus envie de vivre du tout"),
    ("suicide", "Bonjour, une question sur le composteur. Mais je crois que je vais mettre fin à mes jours."),
    ("suicide", "ma copine dit qu'elle veut se suicider, je suis inquiet"),
    ("suicide", "j'ai avalé toute la boîte de somnifères"),
    ("suicide", "j'ai des pensées suicdaires"),
    ("violences_conjugales", "mon conjoint me tape dessus quand il a bu"),
    ("violences_conjugales", "ma voisine se fait battre par son mari tous les soirs"),
    ("violences_conjugales", "il m'a encore frappée hier soir, j'ai des bleus partout"),
    ("enfance_en_danger", "mon beau-père me frappe, j'ai 14 ans"),
    ("enfance_en_danger", "je pense qu'un enfant de ma rue est maltraité"),
    ("urgence_medicale", "mon père a fait un malaise, il ne répond plus"),
    ("urgence_medicale", "ma femme n'arrive plus à respirer"),
    ("danger_immediat", "quelqu'un essaie d'entrer chez moi en forçant la porte"),
    ("danger_immediat", "au secours"),
    ("sourd_malentendant", "malentendant, urgence, mon voisin est tombé"),
    ("fuite_gaz", "jsens le gaz chez moi jfais koi"),
    ("fuite_gaz", "les ouvriers ont percé une conduite de gaz dans la rue"),
    ("urgence_eau", "on a plus une goutte d'eau chez nous depuis hier soir"),
    ("incendie", "il y a le feu dans l'immeuble d'en face"),
]
OWN_LOOKALIKES = [
    "je veux en finir avec ces démarches pour le permis de louer",
    "je meurs de chaud, la piscine est ouverte ?",
    "ces formulaires me tuent, c'est quoi les pièces à fournir ?",
    "j'ai une fuite après le compteur, qui paie ?",
    "comment réduire les gaz à effet de serre de ma maison ?",
    "le centre de santé prend-il les urgences ?",
    "une coupure d'eau est prévue la semaine prochaine dans ma rue ?",
    "mon voisin brûle ses déchets verts dans son jardin, c'est interdit ?",
    "au secours ce site des démarches en ligne est compliqué",
    "revenons à l'aide vélo : quelles pièces fournir ?",
    "je voudrais courir sur la voie verte",
    "ma grand-mère ne répond plus au téléphone depuis qu'elle a déménagé",
    "je suis sourd, comment contacter l'Agglo par écrit ?",
    "je veux tuer les mauvaises herbes sans pesticides",
    "mon père a eu un AVC l'an dernier, y a-t-il des aides pour adapter son logement ?",
    "je ne serai plus là samedi, la collecte peut passer plus tard ?",
]


def _kind_of(case: PeopleCase) -> str:
    return case.category


@pytest.mark.parametrize("case", DISTRESS, ids=lambda case: f"{case.category}:{case.text[:40]}")
def test_every_distress_message_gets_the_right_number(services: Services, case: PeopleCase) -> None:
    detector = services.emergencies
    kinds = detector.detect(case.text)
    assert _kind_of(case) in kinds
    answer = detector.answer(kinds)
    text = answer.answer.text
    assert any(number in text for number in case.must_contain_any)
    assert all(number in text for number in case.must_contain_all)
    assert answer.payload()["topic"] == EMERGENCY_TOPIC and answer.payload()["emergency"] == kinds


def test_the_look_alike_table_stays_ordinary(services: Services) -> None:
    fired = [case.text for case in LOOKALIKES if services.emergencies.detect(case.text)]
    assert len(LOOKALIKES) >= 60
    assert fired == []


@pytest.mark.parametrize(("kind", "text"), OWN_DISTRESS)
def test_distress_in_words_of_its_own(services: Services, kind: str, text: str) -> None:
    assert kind in services.emergencies.detect(text)


@pytest.mark.parametrize("text", OWN_LOOKALIKES)
def test_look_alikes_in_words_of_their_own(services: Services, text: str) -> None:
    assert services.emergencies.detect(text) == []


def test_everyday_questions_of_the_training_data_are_no_emergencies(services: Services) -> None:
    examples = _examples(PROJECT_ROOT / "data" / "nlu")
    fired = {(intent, text) for intent, text in examples if services.emergencies.detect(text)}
    assert len(examples) > 2000
    assert {intent for intent, _ in fired} <= MAY_BE_EMERGENCIES, sorted(fired)
    assert len(fired) <= 10, sorted(fired)


def test_the_answer_is_the_kinds_facts_alone_in_order(services: Services) -> None:
    detector = services.emergencies
    answer = detector.answer(["violences_conjugales", "enfance_en_danger"])
    shown = answer.answer.facts
    # Each fact once (the 17 is in both kinds), in the order of kb/emergencies.yml.
    assert shown == ["urgence_3919", "urgence_17", "urgence_signalement_en_ligne", "urgence_119"]
    assert not answer.answer.buttons
    assert answer.answer.text.splitlines()[0].startswith("Si vous subissez des violences")
    assert {source.url for source in answer.answer.sources} >= {"https://solidaritefemmes.org/appeler-le-3919/"}


def test_water_gives_the_numbers_as_the_knowledge_base_dates_them_and_the_switchboard(services: Services) -> None:
    text = services.emergencies.answer(["urgence_eau"]).answer.text
    assert "0800 100 109" in text and "2020" in text and "à vérifier pour 2026" in text
    assert "03 21 61 50 00" in text


def test_the_gas_number_is_told_with_its_medium_confidence_kept_for_agents(services: Services) -> None:
    urgence = services.kb.topic(EMERGENCY_TOPIC)
    assert urgence is not None
    gas = next(fact for fact in urgence.facts if fact.id == "urgence_gaz_numero")
    assert gas.confidence == "medium" and "grdf.fr" in gas.applies_to
    assert "0 800 47 33 33" in services.emergencies.answer(["fuite_gaz"]).answer.text


def test_several_kinds_in_a_long_message_come_in_the_files_order(services: Services) -> None:
    text = (
        "Bonjour, je voulais savoir pour la mutuelle. Je suis sourde et mon mari me frappe. "
        "Il dit qu'il va recommencer ce soir."
    )
    kinds = services.emergencies.detect(text)
    assert kinds[:2] == ["sourd_malentendant", "violences_conjugales"]
    assert re.search(r"\b114\b", services.emergencies.answer(kinds).answer.text)
