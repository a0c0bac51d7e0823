"""The bike aid (Pass'Mobil'Agglo) as residents are told it, from the rule imported from Mes
Aides Vélo: the amount of the bike type named, the list otherwise, and sessions never presented
as open once ended. Every amount an answer states must be one of the imported rule's."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.core.answers import resident_answer
from bot.core.services import Services
from bot.kb.content import load_content
from bot.kb.sources import IMPORTERS, ImportContext
from bot.settings import load_settings

DURING = dt.date(2026, 6, 10)  # second session of 2026
BETWEEN = dt.date(2026, 5, 1)  # between the first and the second
AFTER = dt.date(2026, 12, 2)  # the last session of 2026 ended on 6 November
# « 300 € », « 5 000 € », « 1 500,50 € »: an amount as an answer writes it.
_EUROS = re.compile(r"(\d[\d\u202f\u00a0 ]*(?:,\d+)?)\s*€")


def imported_rule_amounts() -> set[int]:
    """The amounts of the rule the build imports, read from the data by the importer itself."""
    settings = load_settings()
    (importer,) = IMPORTERS
    dataset = importer.load(ImportContext(settings.kb_dir, settings.data_packages_dir))
    return {int(value.removesuffix(" €")) for key, value in dataset.record.items() if key.startswith("amount for ")}


def euro_amounts(text: str) -> set[int]:
    return {int(re.sub(r"\D", "", match.split(",")[0])) for match in _EUROS.findall(text)}


def test_the_rule_amounts_are_the_published_ones() -> None:
    assert imported_rule_amounts() == {70, 200, 300, 500}


QUESTIONS = [
    ("combien pour un vélo électrique ?", "amount", "electrique"),
    ("pour un vélo cargo ?", "amount", "cargo"),
    ("et un pliant ?", "amount", "pliant"),
    ("un vélo normal c'est combien ?", "amount", "classique"),
    ("c'est combien l'aide vélo ?", "amount", None),
    ("un vélo adapté pour mon fils handicapé, l'aide est de combien ?", "amount", None),
    ("un kit de motorisation c'est aidé ?", "amount", None),
    ("oui ou non, l'agglo rembourse 500 euros sur un vélo cargo ?", None, "cargo"),
    ("les sessions c'est quand ?", "period", None),
    ("comment faire la demande de chèque vélo ?", "how_to_apply", None),
    ("qui peut avoir l'aide vélo ?", "eligibility", "electrique"),
    ("quels papiers pour l'aide vélo ?", "documents", None),
    ("le pass mobil agglo", None, None),
]


@pytest.mark.parametrize("today", [DURING, BETWEEN, AFTER, dt.date(2026, 1, 15), dt.date(2027, 3, 1)])
@pytest.mark.parametrize("commune", [None, "62270", "62119"])
def test_no_bike_aid_answer_states_an_amount_outside_the_imported_rule(
    services: Services, today: dt.date, commune: str | None
) -> None:
    allowed = imported_rule_amounts()
    for question, field_name, bike_type in QUESTIONS:
        answer = resident_answer(
            services.kb,
            "aide_velo",
            field_name=field_name,
            bike_type=bike_type,
            question=question,
            commune_insee=commune,
            today=today,
        )
        stated = euro_amounts(answer.text)
        assert stated <= allowed, (question, today, stated - allowed, answer.text)


def test_no_hand_written_bike_fact_states_an_amount_outside_the_imported_rule() -> None:
    """The topic file may not contradict the import (the Divion commune scheme aside, which is
    the commune's, told only to its residents)."""
    settings = load_settings()
    content = load_content(settings.kb_dir, settings.french_communes_file, settings.data_packages_dir)
    allowed = imported_rule_amounts()
    for fact in content.topics["aide_velo"].facts:
        if fact.commune is None and fact.confidence != "low":
            assert euro_amounts(fact.text) <= allowed, fact.id


def test_the_guard_catches_an_amount_the_rule_does_not_hold() -> None:
    assert euro_amounts("• Aide pour un vélo cargo : 450 €.") - imported_rule_amounts() == {450}
    assert euro_amounts("de 1 500 € à 2 000,50 € par an") == {1500, 2000}


def test_a_named_bike_type_gets_its_amount_alone(services: Services) -> None:
    answer = resident_answer(
        services.kb, "aide_velo", field_name="amount", bike_type="cargo", question="pour un vélo cargo ?", today=DURING
    )
    assert answer.facts[0] == "velo_mav_montant_cargo"
    assert not any(fact.startswith("velo_mav_montant") for fact in answer.facts[1:])
    assert "vélo cargo, électrique ou non : 500 €" in answer.text
    assert "300 €" not in answer.text and "Période terminée" not in answer.text
    assert answer.text.splitlines()[-1].startswith("Source")
    assert "Mes Aides Vélo, vérifié le 14/04/2026" in answer.text.splitlines()[-1]


def test_without_a_bike_type_the_list_is_given(services: Services) -> None:
    answer = resident_answer(services.kb, "aide_velo", field_name="amount", question="c'est combien ?", today=DURING)
    assert answer.facts == ["velo_mav_montants"]
    for amount in ("500 €", "300 €", "200 €", "70 €"):
        assert amount in answer.text


def test_a_bike_type_named_in_words_only_gets_its_amount(services: Services) -> None:
    """Kinds the language model does not tag (a vélo adapté, a kit) match the fact's words."""
    question = "pour un vélo adapté à mon fils en situation de handicap, l'aide est de combien ?"
    answer = resident_answer(services.kb, "aide_velo", field_name="amount", question=question, today=DURING)
    assert answer.facts[0] == "velo_mav_montant_adapte"
    # Another bike type named by the language model never brings the adapted bike's fact.
    other = resident_answer(
        services.kb, "aide_velo", field_name="amount", bike_type="pliant", question=question, today=DURING
    )
    assert other.facts[0] == "velo_mav_montant_pliant" and "velo_mav_montant_adapte" not in other.facts


def test_after_the_last_session_the_answer_says_so_and_gives_page_and_contact(services: Services) -> None:
    answer = resident_answer(
        services.kb,
        "aide_velo",
        field_name="amount",
        bike_type="electrique",
        question="combien pour un vélo électrique ?",
        today=AFTER,
    )
    lines = answer.text.splitlines()
    assert lines[0] == (
        "Attention : la dernière période connue (session 3 sur 3 du Pass'Mobil'Agglo en 2026) "
        "s'est terminée le 06/11/2026."
    )
    assert lines[1] == "Les dates des prochaines sessions ne sont pas encore connues."
    # The last known amount, as past.
    assert "• Période terminée le 06/11/2026 (sessions 2026 du Pass'Mobil'Agglo" in answer.text
    assert "vélo à assistance électrique (VAE) : 300 €" in answer.text
    # The Agglo's page and the switchboard for the next sessions.
    assert "bethunebruay.fr/fr/passmobilagglo" in answer.text and "03 21 61 50 00" in answer.text
    assert answer.facts == ["velo_mav_montant_electrique", "velo_mav_page", "contact_standard"]
    for wording in ("est ouverte", "en cours", "toujours ouverte"):
        assert wording not in answer.text


@pytest.mark.parametrize("field_name", [None, "amount", "period", "how_to_apply", "eligibility", "documents"])
def test_an_ended_session_is_never_presented_as_open(services: Services, field_name: str | None) -> None:
    answer = resident_answer(services.kb, "aide_velo", field_name=field_name, question="je peux encore ?", today=AFTER)
    assert answer.text.startswith("Attention : la dernière période connue")
    assert "À partir du" not in answer.text
    facts = {fact.id: fact for topic in services.kb.topics() for fact in topic.facts}
    for fact_id in answer.facts:
        fact = facts[fact_id]
        if fact.told_when_ended:
            assert f"Période terminée le {fact.valid_until:%d/%m/%Y}" in answer.text, fact_id


def test_between_sessions_the_next_one_comes_first_and_the_past_one_is_past(services: Services) -> None:
    answer = resident_answer(services.kb, "aide_velo", field_name="period", question="quand ?", today=BETWEEN)
    assert answer.facts == ["velo_mav_session_2", "velo_mav_session_3"]
    assert answer.text.startswith("• À partir du 01/06/2026 : Session du 1er juin au 17 juillet 2026.")
    during = resident_answer(services.kb, "aide_velo", field_name="period", question="quand ?", today=DURING)
    assert during.text.startswith("• Session du 1er juin au 17 juillet 2026.")
    assert "Attention" not in during.text
