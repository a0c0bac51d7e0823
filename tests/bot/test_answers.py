"""Resident answers never invent or leak; agent fiches are complete."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.answers import agent_fiche, commune_answer, resident_answer
from bot.figures import NUMBER, unsourced_numbers
from bot.kb.content import FIELDS
from bot.kb.queries import KnowledgeBase
from bot.services import Services

DIVION, BETHUNE, VERMELLES, GOSNAY, LENS = "62270", "62119", "62846", "62377", "62498"
COMMUNES = (None, DIVION, BETHUNE, VERMELLES, GOSNAY, LENS)


def _resident_answers(kb: KnowledgeBase):
    for topic in kb.topics():
        if topic.family == "conversation":
            continue
        for field_name in (None, *FIELDS):
            for commune in COMMUNES:
                yield topic.slug, resident_answer(kb, topic.slug, field_name=field_name, commune_insee=commune)
        yield topic.slug, resident_answer(kb, topic.slug, commune_insee=VERMELLES, commune_only=True)
        # A resident's question made of the very words of each fact, agent-only ones included:
        # the fact ranking must never bring forward what residents may not be told.
        for fact in topic.facts:
            for field_name in (None, *FIELDS):
                yield topic.slug, resident_answer(kb, topic.slug, field_name=field_name, question=fact.text)


def test_no_resident_answer_contains_a_low_confidence_fact(services: Services) -> None:
    kb = services.kb
    low = [fact for topic in kb.topics() for fact in topic.facts if not fact.for_residents]
    assert low, "the knowledge base is expected to hold low-confidence facts for agents"
    for slug, answer in _resident_answers(kb):
        for fact in low:
            assert fact.text not in answer.text, (slug, fact.id)


def test_unconfirmed_rainwater_amount_never_reaches_residents(services: Services) -> None:
    for field_name in (None, "amount"):
        for question in ("", "l'aide aux récupérateurs d'eau, c'est 70 € de remboursement ?"):
            answer = resident_answer(services.kb, "aide_recuperateur_eau", field_name=field_name, question=question)
            assert "70" not in answer.text
            assert "€" not in answer.text


def test_every_number_in_a_resident_answer_is_in_a_sourced_fact(services: Services) -> None:
    kb = services.kb
    checked = 0
    for slug, answer in _resident_answers(kb):
        checked += len(NUMBER.findall(answer.text))
        invented = unsourced_numbers(kb, slug, answer.text, answer.sources, commune_insee=answer.commune)
        assert not invented, (slug, invented, answer.text)
    assert checked > 1000


def test_every_answer_cites_its_sources_with_dates(services: Services) -> None:
    for slug, answer in _resident_answers(services.kb):
        payload = answer.payload()
        assert payload["topic"] == slug
        assert payload["sources"], slug
        for source in payload["sources"]:
            assert source["url"].startswith("http") and source["title"]
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", source["verified_on"])
            assert source["title"] in answer.text


def test_unknown_amount_is_said_to_be_unknown_with_the_contact(services: Services) -> None:
    answer = resident_answer(services.kb, "aide_velo", field_name="amount", bike_type="cargo")
    assert "€" not in answer.text
    assert "vélo cargo" in answer.text
    assert "03 21 61 50 00" in answer.text
    assert "demarches.bethunebruay.fr" in answer.text


def test_a_communes_own_scheme_is_told_only_to_its_residents(services: Services) -> None:
    kb = services.kb
    divion_fact = next(fact for fact in kb.topic("aide_velo").facts if fact.commune_insee == DIVION)
    assert divion_fact.text not in resident_answer(kb, "aide_velo").text
    assert divion_fact.text not in resident_answer(kb, "aide_velo", commune_insee=BETHUNE).text
    # A day within the scheme's period (2024): afterwards it is only said to have ended.
    for_divion = resident_answer(kb, "aide_velo", commune_insee=DIVION, today=dt.date(2024, 6, 1)).text
    assert divion_fact.text in for_divion
    assert "dispositif de la commune, pas de l'Agglo" in for_divion


def test_permis_de_louer_commune_rules(services: Services) -> None:
    kb = services.kb
    vermelles = resident_answer(kb, "permis_de_louer", commune_insee=VERMELLES, commune_only=True)
    assert "Vermelles fait partie des communes concernées" in vermelles.text
    assert "certains périmètres" in vermelles.text
    gosnay = resident_answer(kb, "permis_de_louer", commune_insee=GOSNAY, commune_only=True)
    assert "Gosnay ne figure pas dans la liste" in gosnay.text
    lens = resident_answer(kb, "permis_de_louer", commune_insee=LENS)
    assert "ne fait pas partie des communes de l'Agglo" in lens.text


def test_permis_de_louer_delay_comes_from_the_knowledge_base(services: Services) -> None:
    answer = resident_answer(services.kb, "permis_de_louer", field_name="delay")
    assert "1 mois" in answer.text


def test_agent_fiche_is_complete_and_flags_what_to_check(services: Services) -> None:
    kb = services.kb
    fiche = agent_fiche(kb, "aide_recuperateur_eau")
    topic = kb.topic("aide_recuperateur_eau")
    for fact in topic.facts:
        assert fact.text in fiche.text
    for unknown in topic.unknowns:
        assert unknown.text in fiche.text
    assert "70 €" in fiche.text and "confiance faible – à vérifier" in fiche.text
    rules = agent_fiche(kb, "permis_de_louer").text
    assert "Vermelles (62846)" in rules and "Règles par commune" in rules


def test_commune_answer_lists_membership_and_rules(services: Services) -> None:
    auchel = commune_answer(services.kb, "62048").text
    assert "Auchel (62260) fait bien partie des communes de l'Agglo" in auchel
    assert "permis de louer" in auchel
    assert "ne fait pas partie" in commune_answer(services.kb, LENS).text


@pytest.mark.parametrize("slug", ["inexistant", "salutation_x"])
def test_unknown_topic_raises(services: Services, slug: str) -> None:
    with pytest.raises(KeyError):
        resident_answer(services.kb, slug)


def test_a_communes_scheme_never_stands_alone(services: Services) -> None:
    """Even asked for a commune only, the bike answer starts with the Agglo's own answer."""
    answer = resident_answer(services.kb, "aide_velo", commune_insee=DIVION, commune_only=True)
    agglo_intro = services.kb.topic("aide_velo").intro
    assert agglo_intro is not None and answer.text.startswith(agglo_intro)
    assert answer.text.index("dispositif de la commune") > len(agglo_intro)


def test_the_question_brings_the_matching_fact_forward(services: Services) -> None:
    question = "quel est le prix de l'eau potable en 2026 ?"
    assert "2,91 €" not in resident_answer(services.kb, "eau_potable").text
    assert "2,91 €" in resident_answer(services.kb, "eau_potable", question=question).text


def test_a_field_without_facts_is_answered_by_the_matching_fact(services: Services) -> None:
    answer = resident_answer(services.kb, "tourisme", field_name="amount", question="prix du topo-guide VTT")
    assert "14 €" in answer.text
    assert "pas d'information vérifiée" not in answer.text


def test_a_headline_aid_still_says_its_amount_is_unknown(services: Services) -> None:
    answer = resident_answer(services.kb, "aide_velo", field_name="amount", question="combien pour un vélo cargo ?")
    assert "n'a pas été publié" in answer.text
    assert "€" not in answer.text
