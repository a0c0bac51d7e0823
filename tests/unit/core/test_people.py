"""Requests for a person and insults are recognised before the topic, on the frozen table of
bench/eval/people/ and on cases written for this test; ordinary questions are left alone."""

from __future__ import annotations

import pytest

from bench.quality.people import PeopleCase, load_tables
from bot.core.people import menu_buttons, with_callback_offer
from bot.core.services import Services
from bot.core.turns import Asked, Context, Nlu, Said, answer_questions, people_first
from bot.settings import PROJECT_ROOT
from tests.integration.rasa.test_held_out_split import _examples

CASES = load_tables()
PEOPLE = [case for case in CASES if case.table == "person"]
LOOKALIKES = [case for case in CASES if case.table == "lookalikes"]

OWN_PERSON = [
    "je veux parler à quelqu'un de l'Agglo",
    "pouvez-vous me rappeler demain ?",
    "un humain svp",
    "vous êtes un vrai conseiller ?",
    "j'aimerais être recontactée par un agent",
    "c'est une IA qui me répond ?",
]
OWN_NOT_PERSON = [
    "rappelle-moi le montant de l'aide vélo",
    "qui peut me conseiller pour isoler mes combles ?",
    "je voudrais un rendez-vous avec un conseiller France Rénov",
    "où trouver un conseiller numérique près de chez moi ?",
    "le robot de tonte est autorisé le dimanche ?",
    "c'est quoi le programme de l'Agglo pour 2032 ?",
    "la mutuelle couvre les personnes âgées ?",
]
OWN_INSULTS = ["t'es vraiment con", "espèce de machine débile", "va te faire voir sale robot", "vous êtes nuls"]


@pytest.mark.parametrize("case", PEOPLE, ids=lambda case: f"{case.category}:{case.text[:40]}")
def test_the_table_of_requests_and_insults(services: Services, case: PeopleCase) -> None:
    people = services.people
    assert services.emergencies.detect(case.text) == []
    asks = people.asks_for_person(case.text)
    insult = people.insult(case.text)
    if case.category == "humain":
        assert asks
    elif case.category == "insulte":
        assert not asks and insult is not None and insult.alone
        assert people.insulting_words(case.text)
    else:  # an insult around a question: the question is what is left
        assert not asks and insult is not None and not insult.alone


def test_ordinary_look_alikes_are_no_request_and_no_insult(services: Services) -> None:
    people = services.people
    fired = [
        case.text
        for case in LOOKALIKES
        if people.asks_for_person(case.text) or ((insult := people.insult(case.text)) is not None and insult.alone)
    ]
    assert fired == []


@pytest.mark.parametrize("text", OWN_PERSON)
def test_requests_for_a_person_in_words_of_their_own(services: Services, text: str) -> None:
    assert services.people.asks_for_person(text)


def test_a_question_whether_a_machine_answers_is_told_apart_from_a_request(services: Services) -> None:
    people = services.people
    assert people.person_request("tu es une vraie personne ?") == "identite_bot"
    assert people.person_request("c'est une IA ? je veux parler à un agent") == "contact"
    assert people.person_request("je voudrais parler à un conseiller") == "contact"
    assert people.person_request("qui es-tu ?") is None
    # Saying one knows it is a machine asks nothing of the kind: the rest of the message is the
    # question (kb/people.yml, machine « unless »).
    assert people.person_request("je me doute que vous êtes un robot, mais les bus sont gratuits ?") is None
    assert people.person_request("vous êtes un robot ?") == "identite_bot"


@pytest.mark.parametrize("text", OWN_NOT_PERSON)
def test_questions_that_only_look_like_requests_for_a_person(services: Services, text: str) -> None:
    assert not services.people.asks_for_person(text)


@pytest.mark.parametrize("text", OWN_INSULTS)
def test_insults_in_words_of_their_own(services: Services, text: str) -> None:
    insult = services.people.insult(text)
    assert insult is not None and insult.alone


def test_an_insult_with_a_question_keeps_the_question(services: Services) -> None:
    insult = services.people.insult("bande de nuls, il y a une aide pour le vélo ?")
    assert insult is not None and not insult.alone
    assert "aide pour le velo" in insult.rest and "nuls" not in insult.rest


def test_the_callback_offer_and_the_menu(services: Services) -> None:
    assert with_callback_offer({"topic": "contact"}) == {"topic": "contact", "offer_callback": True}
    assert [button["payload"] for button in menu_buttons(services.kb)] == [
        "/aide_recuperateur_eau",
        "/aide_velo",
        "/permis_de_louer",
        "/mutuelle",
    ]


def test_no_everyday_question_of_the_training_data_is_taken_for_an_insult_or_a_request(services: Services) -> None:
    """The insults' words are no words of the Agglo's subjects (« ordures ménagères », « vieille
    machine à laver »), and questions about a topic are no requests for a person."""
    people = services.people
    may_ask_for_a_person = {"identite_bot", "hors_sujet", "demander_contact", "agglomobile"}
    examples = [
        (intent, text)
        for intent, text in _examples(PROJECT_ROOT / "data" / "nlu")
        if intent not in may_ask_for_a_person
    ]
    assert len(examples) > 1500
    assert [text for _, text in examples if people.insult(text) is not None] == []
    assert [text for _, text in examples if people.asks_for_person(text)] == []


# The decision of bot/core/turns.py, which every action sends (actions/people.py).
def test_people_first_decides_before_any_topic(services: Services) -> None:
    asked = Asked(commune="62119")
    emergency = people_first(services, "ça sent le gaz chez moi, et l'aide vélo ?", Nlu("aide_velo"), asked)
    assert emergency is not None and emergency.said is None and not emergency.about_topic
    assert [answer.topic for answer in emergency.answers] == ["urgence"]
    assert emergency.answers[0].payload()["emergency"] == ["fuite_gaz"]
    person = people_first(services, "je voudrais parler à un humain", Nlu("hors_sujet"), asked)
    assert person is not None and person.said == Said("utter_demande_humain")
    assert [answer.payload()["offer_callback"] for answer in person.answers] == [True]
    assert person.answers[0].payload()["contact"] is True and person.answers[0].commune == "62119"
    insult = people_first(services, "espèce de machine débile", Nlu("hors_sujet"), asked)
    assert insult is not None and insult.answers == ()
    assert insult.said == Said("utter_insulte", topic="insulte", commune="62119", buttons=menu_buttons(services.kb))
    mixed = people_first(services, "bot débile, c'est combien l'aide vélo ?", Nlu("nlu_fallback"), asked)
    assert mixed is not None and mixed.about_topic and mixed.said is None
    assert [answer.topic for answer in mixed.answers] == ["aide_velo"]
    assert "débile" not in mixed.answers[0].text
    understood = people_first(services, "bot débile, c'est combien l'aide vélo ?", Nlu("aide_velo"), asked)
    assert understood is None, "a question the NLU understood is answered by its action"
    assert people_first(services, "/aide_velo", Nlu("aide_velo"), asked) is None
    assert people_first(services, "quel est le montant de l'aide vélo ?", Nlu("aide_velo"), asked) is None


def test_the_one_path_never_answers_a_topic_to_an_emergency(services: Services) -> None:
    answers = answer_questions(
        services, "mon mari me frappe, et le permis de louer ?", Nlu("permis_de_louer"), Context(), Asked()
    )
    assert answers is not None and [answer.topic for answer in answers] == ["urgence"]
    assert "3919" in answers[0].text


def test_an_english_word_is_no_misspelt_insult(services: Services) -> None:
    # Read as French, « towards » was one letter from an insult; in English no typo is corrected.
    text = "What grant does the Agglo give towards a folding bicycle?"
    answer = people_first(services, text, Nlu(intent="nlu_fallback"), Asked())
    assert answer is None
    # A French message keeps its typos corrected.
    assert services.people.insult("bande de conards, y a une aide pour le vélo ?") is not None
