"""Actions run on JSON tracker fixtures: the exact events and the exact messages they send."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.common
from actions.communes import ActionAnswerCommune
from actions.conversation import ActionConversation
from actions.fallback import ActionNotUnderstood
from actions.followups import ActionFollowUp
from actions.topics import ActionAnswerTopic
from bot.core.answers import agent_fiche, commune_answer, contact_answer, orientation_answer, resident_answer
from bot.core.services import Services
from tests.conftest import make_settings

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(autouse=True)
def use_test_services(services: Services) -> Iterator[None]:
    actions.common._services = services
    yield
    actions.common.reset_services()


def run(action: Action, fixture: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    tracker = Tracker.from_dict(json.loads((FIXTURES / fixture).read_text(encoding="utf-8")))
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, dispatcher.messages


def message(text: str | None = None, payload: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A message as rasa_sdk's CollectingDispatcher records it."""
    return {
        "text": text,
        "buttons": extra.get("buttons", []),
        "elements": [],
        "custom": payload or {},
        "template": extra.get("response"),
        "response": extra.get("response"),
        "image": None,
        "attachment": None,
    }


def test_commune_in_the_question(services: Services) -> None:
    events, messages = run(ActionAnswerTopic(), "permis_vermelles.json")
    expected = resident_answer(
        services.kb,
        "permis_de_louer",
        commune_insee="62846",
        commune_only=True,
        question="mon appart à Vermelles est concerné par le permis de louer ?",
    )
    assert events == [SlotSet("topic", "permis_de_louer"), SlotSet("commune", "62846")]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]
    assert expected.payload()["commune"] == "62846"
    assert "Vermelles fait partie des communes concernées" in expected.text


def test_the_street_a_landlord_names_is_checked_against_the_communes_list() -> None:
    events, messages = run(ActionAnswerTopic(), "permis_rue_vendin.json")
    assert events == [SlotSet("topic", "permis_de_louer"), SlotSet("commune", "62841")]
    text = messages[0]["text"]
    assert "À Vendin-lès-Béthune, « rue d'Hinges » fait partie des rues où le permis de louer s'applique" in text
    titles = [source["title"] for source in messages[0]["custom"]["sources"]]
    assert any("Vendin-lès-Béthune – périmètres concernés" in title for title in titles)


def test_the_whole_commune_name_wins_over_a_partial_entity() -> None:
    # The NLU extracted only "Béthune" from "Fouquières-lès-Béthune".
    events, messages = run(ActionAnswerTopic(), "permis_fouquieres_entite_partielle.json")
    assert SlotSet("commune", "62350") in events
    assert messages[0]["custom"]["commune"] == "62350"
    assert "Fouquières-lès-Béthune" in str(messages[0]["text"])


def test_follow_up_question_uses_the_current_topic(services: Services) -> None:
    events, messages = run(ActionAnswerTopic(), "delai_suite.json")
    expected = resident_answer(services.kb, "permis_de_louer", field_name="delay", question="quel est le délai ?")
    assert events == [SlotSet("topic", "permis_de_louer"), SlotSet("commune", None)]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]
    assert "1 mois" in expected.text


def test_another_commune_for_the_same_topic(services: Services) -> None:
    events, messages = run(ActionAnswerCommune(), "et_a_gosnay.json")
    expected = resident_answer(services.kb, "permis_de_louer", commune_insee="62377", commune_only=True)
    assert events == [SlotSet("commune", "62377")]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]
    assert expected.text.startswith("Gosnay ne figure pas dans la liste")


def test_commune_given_first_is_kept(services: Services) -> None:
    events, messages = run(ActionAnswerCommune(), "habite_auchel.json")
    expected = commune_answer(services.kb, "62048")
    assert events == [SlotSet("commune", "62048"), SlotSet("topic", "communes")]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]

    events, messages = run(ActionAnswerTopic(), "permis_me_concerne.json")
    expected = resident_answer(
        services.kb, "permis_de_louer", commune_insee="62048", question="le permis de louer me concerne ?"
    )
    assert events == [SlotSet("topic", "permis_de_louer"), SlotSet("commune", "62048")]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]
    assert "Auchel fait partie des communes concernées" in expected.text


def test_bike_type_gets_its_amount(services: Services) -> None:
    events, messages = run(ActionAnswerTopic(), "montant_velo_cargo.json")
    expected = resident_answer(
        services.kb,
        "aide_velo",
        field_name="amount",
        bike_type="cargo",
        question="combien pour un vélo cargo avec le pass mobil agglo",
    )
    assert events == [SlotSet("topic", "aide_velo"), SlotSet("commune", None)]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]
    assert "velo_mav_montant_cargo" in expected.facts and "500 €" in expected.text


def test_agent_mode_comes_from_the_metadata(services: Services) -> None:
    events, messages = run(ActionAnswerTopic(), "metadata_agent.json")
    expected = agent_fiche(services.kb, "mutuelle")
    assert events == [SlotSet("topic", "mutuelle"), SlotSet("commune", None)]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]
    assert "à vérifier" in expected.text


def test_typing_fiche_gives_a_resident_the_resident_answer(services: Services) -> None:
    _events, messages = run(ActionAnswerTopic(), "fiche_sans_session.json")
    topic = services.kb.topic("aide_recuperateur_eau")
    assert topic is not None
    low = [fact for fact in topic.facts if not fact.for_residents]
    assert low, "the rainwater aid has unconfirmed facts, which this test is about"
    text = str(messages[0]["text"])
    assert "FICHE AGENT" not in text
    assert all(fact.text not in text for fact in low)
    assert "70" not in text
    assert messages[0]["custom"]["topic"] == "aide_recuperateur_eau"


def test_first_miss_offers_the_three_likeliest_topics() -> None:
    events, messages = run(ActionNotUnderstood(), "incompris_premier.json")
    buttons = [
        {"title": "Déchets et tri", "payload": "/dechets"},
        {"title": "Mobilité (hors aide vélo)", "payload": "/mobilite"},
        {"title": "Eau potable et ressource en eau", "payload": "/eau_potable"},
    ]
    assert events == []
    assert messages == [
        message(
            response="utter_incompris_reformuler",
            # The rephrase request asks the resident to choose: « non » then answers it.
            payload={"topic": "incompris", "sources": [], "commune": None, "contact": False, "facts": [], "asks": True},
            buttons=buttons,
        )
    ]


def test_a_miss_with_no_known_word_offers_the_most_asked_aids(services: Services) -> None:
    events, messages = run(ActionNotUnderstood(), "incompris_aucun_mot_connu.json")
    titles = [button["title"] for button in messages[0]["buttons"]]
    assert events == []
    assert titles == [
        services.kb.topic(slug).title for slug in ("aide_velo", "permis_de_louer", "aide_recuperateur_eau")
    ]
    assert messages[0]["response"] == "utter_incompris_reformuler"


def test_second_miss_gives_the_contact_and_offers_a_callback(services: Services) -> None:
    events, messages = run(ActionNotUnderstood(), "incompris_second.json")
    expected = contact_answer(services.kb, "incompris")
    assert events == []
    assert messages == [
        message(response="utter_incompris_contact"),
        message(expected.text, {**expected.payload(), "offer_callback": True}, buttons=expected.buttons),
    ]
    assert "03 21 61 50 00" in expected.text


def test_out_of_scope_has_its_own_topic() -> None:
    events, messages = run(ActionConversation(), "hors_sujet.json")
    assert events == []
    assert messages == [
        message(
            response="utter_hors_sujet",
            payload={"topic": "hors_sujet", "sources": [], "commune": "62617", "contact": False, "facts": []},
        )
    ]


@pytest.mark.parametrize(
    ("action", "fixture"),
    [
        (ActionAnswerTopic(), "permis_vermelles.json"),
        (ActionAnswerCommune(), "habite_auchel.json"),
        (ActionNotUnderstood(), "incompris_second.json"),
    ],
)
def test_unreachable_knowledge_base_gives_an_apology_and_the_contact(
    tmp_path: Path, action: Action, fixture: str
) -> None:
    actions.common._services = Services(make_settings(tmp_path / "missing"))
    events, messages = run(action, fixture)
    assert events == []
    assert len(messages) == 1
    assert messages[0]["response"] == "utter_erreur_technique"
    assert messages[0]["custom"]["topic"] == "contact"


def test_a_commune_on_its_own_is_answered_as_a_commune_whatever_the_intent(services: Services) -> None:
    events, messages = run(ActionAnswerTopic(), "commune_seule_mal_classee.json")
    expected = commune_answer(services.kb, "62632")
    assert events == [SlotSet("commune", "62632"), SlotSet("topic", "communes")]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]


def test_a_miss_naming_a_topic_keyword_is_answered_about_that_topic(services: Services) -> None:
    events, messages = run(ActionNotUnderstood(), "incompris_mot_cle.json")
    expected = resident_answer(
        services.kb, "formation", commune_insee="62119", question="une école d'ingénieurs à Béthune, c'est prévu ?"
    )
    assert events == [SlotSet("topic", "formation"), SlotSet("commune", "62119")]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]
    assert "école d'ingénieurs" in expected.text


def test_a_miss_naming_a_commune_is_answered_about_the_commune(services: Services) -> None:
    events, messages = run(ActionNotUnderstood(), "incompris_commune.json")
    expected = commune_answer(services.kb, "62473")
    assert events == [SlotSet("commune", "62473"), SlotSet("topic", "communes")]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]
    assert "Isbergues (62330) fait bien partie" in expected.text


def test_a_commune_on_its_own_is_a_follow_up_even_when_taken_for_small_talk(services: Services) -> None:
    events, messages = run(ActionConversation(), "commune_seule_au_revoir.json")
    expected = resident_answer(services.kb, "permis_de_louer", commune_insee="62041", commune_only=True)
    assert events == [SlotSet("commune", "62041")]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]
    assert expected.text.startswith("Arras ne fait pas partie des communes de l'Agglo")


# Follow-ups (issue 9) -----------------------------------------------------------------------
def test_la_deuxieme_picks_the_second_button_offered(services: Services) -> None:
    events, messages = run(ActionFollowUp(), "suite_la_deuxieme.json")
    expected = resident_answer(services.kb, "permis_de_louer", question="la 2e")
    assert events == [SlotSet("topic", "permis_de_louer"), SlotSet("commune", None)]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]


def test_oui_takes_the_only_option_offered_with_its_context(services: Services) -> None:
    events, messages = run(ActionFollowUp(), "suite_oui.json")
    expected = resident_answer(services.kb, "mutuelle", field_name="eligibility", question="oui")
    assert events == [SlotSet("topic", "mutuelle"), SlotSet("commune", None)]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]


def test_non_keeps_the_conversation_open() -> None:
    events, messages = run(ActionFollowUp(), "suite_non.json")
    assert events == []
    assert messages == [
        message(
            response="utter_nier",
            payload={"topic": "permis_de_louer", "sources": [], "commune": "62126", "contact": False, "facts": []},
        )
    ]


def test_dans_l_agglo_uses_the_commune_stated_earlier(services: Services) -> None:
    events, messages = run(ActionAnswerCommune(), "dans_l_agglo_apres_beuvry.json")
    expected = commune_answer(services.kb, "62126")
    assert events == [SlotSet("topic", "communes")]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]
    assert "Beuvry" in expected.text


def test_je_suis_concerne_uses_the_commune_and_the_topic(services: Services) -> None:
    events, messages = run(ActionAnswerTopic(), "concerne_apres_beuvry.json")
    assert events == [SlotSet("topic", "permis_de_louer"), SlotSet("commune", "62126")]
    assert "Beuvry fait partie des communes concernées" in str(messages[0]["text"])


def test_a_question_for_another_body_says_who_handles_it(services: Services) -> None:
    events, messages = run(ActionConversation(), "hors_sujet_passeport.json")
    expected = orientation_answer(services.kb, "orientation_papiers_identite")
    assert events == []
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]
    assert messages[0]["custom"]["topic"] == "hors_sujet"


def test_right_after_the_contact_an_unknown_still_says_whom_to_ask_in_short(services: Services) -> None:
    _events, messages = run(ActionAnswerTopic(), "contact_deja_donne.json")
    text = str(messages[0]["text"])
    reminder = services.kb.message("templates")["contact_again"]
    assert reminder in text and "Pour en savoir plus" not in text
    assert text.count("03 21 61 50 00") == 1


# People first (actions/people.py): every action reads the message for distress, a request for
# a person or an insult before anything else.
def test_distress_in_a_long_message_gets_the_numbers_alone(services: Services) -> None:
    events, messages = run(ActionAnswerTopic(), "urgence_message_long.json")
    expected = services.emergencies.answer(["suicide"], commune_insee="62119")
    assert events == []
    assert messages == [message(expected.answer.text, expected.payload())]
    assert "3114" in expected.answer.text
    assert messages[0]["custom"]["topic"] == "urgence" and messages[0]["custom"]["emergency"] == ["suicide"]
    assert "mutuelle" not in str(messages[0]["text"]).lower(), "no topic answer around the numbers"


def test_an_emergency_comes_before_small_talk(services: Services) -> None:
    events, messages = run(ActionConversation(), "urgence_gaz_bonjour.json")
    expected = services.emergencies.answer(["fuite_gaz"])
    assert (events, messages) == ([], [message(expected.answer.text, expected.payload())])
    assert "0 800 47 33 33" in expected.answer.text


def test_a_request_for_a_person_gets_the_contact_and_a_callback_offer(services: Services) -> None:
    events, messages = run(ActionAnswerTopic(), "demande_humain.json")
    contact = contact_answer(services.kb, "contact")
    assert events == []
    assert messages == [
        message(response="utter_demande_humain"),
        message(contact.text, {**contact.payload(), "offer_callback": True}),
    ]


def test_an_insult_alone_gets_one_calm_sentence_and_the_menu() -> None:
    events, messages = run(ActionConversation(), "insulte_seule.json")
    assert events == []
    assert len(messages) == 1 and messages[0]["response"] == "utter_insulte"
    assert messages[0]["custom"]["topic"] == "insulte"
    assert [button["payload"] for button in messages[0]["buttons"]] == [
        "/aide_recuperateur_eau",
        "/aide_velo",
        "/permis_de_louer",
        "/mutuelle",
    ]
    assert messages[0]["text"] is None, "the sentence is domain.yml's: nothing of the message is echoed"


def test_an_insult_around_a_question_taken_for_out_of_scope_gets_the_question_answered() -> None:
    events, messages = run(ActionConversation(), "insulte_et_question.json")
    assert SlotSet("topic", "aide_velo") in events
    assert messages[0]["custom"]["topic"] == "aide_velo"


def test_an_insult_around_a_question_understood_changes_nothing(services: Services) -> None:
    events, messages = run(ActionAnswerTopic(), "insulte_question_comprise.json")
    assert SlotSet("topic", "permis_de_louer") in events
    assert messages[0]["custom"]["topic"] == "permis_de_louer"


def test_a_button_payload_is_never_read_as_distress_or_insult(services: Services) -> None:
    events, messages = run(ActionAnswerTopic(), "bouton_aide_velo.json")
    expected = resident_answer(services.kb, "aide_velo", question="/aide_velo")
    assert events == [SlotSet("topic", "aide_velo"), SlotSet("commune", None)]
    assert messages == [message(expected.text, expected.payload(), buttons=expected.buttons)]


def _conversation(*said: str) -> Tracker:
    events = [{"event": "user", "text": text, "parse_data": {"intent": {"name": "x"}, "entities": []}} for text in said]
    return Tracker.from_dict({"sender_id": "t", "slots": {}, "latest_message": {"text": said[-1]}, "events": events})


def test_the_message_before_the_latest_is_the_context_of_a_question_that_names_nothing() -> None:
    tracker = _conversation("quand ouvrira la cité de la musique ?", "elle coûte combien ?")
    assert actions.common.previous_text(tracker) == "quand ouvrira la cité de la musique ?"
    # A button's payload names nothing the resident said; a first message has nothing before it.
    assert actions.common.previous_text(_conversation('/aide_velo{"dispositif": "aide_velo"}', "et ensuite ?")) == ""
    assert actions.common.previous_text(_conversation("bonjour")) == ""
