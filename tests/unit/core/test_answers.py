"""Resident answers never invent or leak; agent fiches are complete."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bench.quality.figures import NUMBER, unsourced_numbers
from bot.core.answers import _period_tells_something, agent_fiche, commune_answer, orientation_answer, resident_answer
from bot.core.services import Services
from bot.kb.content import FIELDS
from bot.kb.queries import KnowledgeBase

# Families never answered as a topic overview: small talk, and the emergencies (bot/core/emergencies.py).
NOT_OVERVIEWS = ("conversation", "safety")
DIVION, BETHUNE, VERMELLES, GOSNAY, LENS = "62270", "62119", "62846", "62377", "62498"
COMMUNES = (None, DIVION, BETHUNE, VERMELLES, GOSNAY, LENS)


def _resident_answers(kb: KnowledgeBase):
    for topic in kb.topics():
        if topic.family in NOT_OVERVIEWS:
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
        # One short line ends the text: the first source and its date; the payload has them all.
        first = payload["sources"][0]
        verified = "/".join(reversed(first["verified_on"].split("-")))
        last_line = answer.text.splitlines()[-1]
        assert last_line.startswith("Source") and first["title"] in last_line and verified in last_line, slug
        assert "http" not in answer.text, slug


def test_unknown_amount_is_said_to_be_unknown_with_the_contact(services: Services) -> None:
    answer = resident_answer(services.kb, "mutuelle", field_name="amount")
    assert "€" not in answer.text
    assert "n'ont pas été publiés" in answer.text
    assert "03 21 61 50 00" in answer.text
    # Asked for, the contact comes whole.
    asked = resident_answer(services.kb, "mutuelle", field_name="contact")
    assert "03 21 61 50 00" in asked.text and "demarches.bethunebruay.fr" in asked.text


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
    topic = services.kb.topic("aide_velo")
    agglo_texts = [topic.intro or "", *(fact.text for fact in topic.facts if not fact.commune_insee)]
    first_line = answer.text.splitlines()[0]
    # The Agglo's answer may start by saying its last session has ended (the day the test runs).
    ended = "Attention : la dernière période connue"
    assert first_line.startswith(ended) or any(text and text in first_line for text in agglo_texts), first_line
    assert answer.text.index("dispositif de la commune") > len(first_line)


def test_the_question_brings_the_matching_fact_forward(services: Services) -> None:
    question = "quel est le prix de l'eau potable en 2026 ?"
    assert "2,91 €" not in resident_answer(services.kb, "eau_potable").text
    assert "2,91 €" in resident_answer(services.kb, "eau_potable", question=question).text


def test_a_field_without_facts_is_answered_by_the_matching_fact(services: Services) -> None:
    answer = resident_answer(services.kb, "tourisme", field_name="amount", question="prix du topo-guide VTT")
    assert "14 €" in answer.text
    assert "pas d'information vérifiée" not in answer.text


def test_a_headline_aid_still_says_its_amount_is_unknown(services: Services) -> None:
    answer = resident_answer(services.kb, "mutuelle", field_name="amount", question="combien par mois pour un couple ?")
    assert "n'ont pas été publiés" in answer.text
    assert "€" not in answer.text


@pytest.mark.parametrize(
    ("slug", "question"),
    [
        ("mutuelle", "où en est la mutuelle pour tous ?"),
        ("aide_recuperateur_eau", "et l'aide aux récupérateurs d'eau de pluie, ça en est où ?"),
        # The plan's fact shares « prévu » with the question: still after the intro.
        ("aide_recuperateur_eau", "qu'est-ce qui est prévu pour l'aide aux récupérateurs d'eau de pluie ?"),
        ("mutuelle", "c'est quoi exactement cette mutuelle intercommunale prévue ?"),
    ],
)
def test_asking_where_a_planned_aid_stands_gets_where_it_stands(services: Services, slug: str, question: str) -> None:
    # Its facts say so in other fields than « actions »: no « pas d'information sur les actions ».
    topic = services.kb.topic(slug)
    assert not topic.facts_for("actions", residents=True)
    answer = resident_answer(services.kb, slug, question=question)
    assert answer.text.startswith(topic.intro)
    assert "les actions prévues" not in answer.text


@pytest.mark.parametrize(
    ("slug", "question", "unknown"),
    [
        ("dechets", "et en hiver, les déchetteries changent d'horaires ?", "horaires d'hiver des déchetteries"),
        ("industrie", "ACC embauche pour son usine de batteries ?", "les recrutements de l'usine de batteries"),
    ],
)
def test_what_the_facts_shown_do_not_say_is_said_unknown_after_them(
    services: Services, slug: str, question: str, unknown: str
) -> None:
    # The question, as the topic's action reads it (no reading of the turn): its words name what
    # the facts shown lack (winter, hiring) and one of the topic's unknowns holds.
    answer = resident_answer(services.kb, slug, question=question)
    assert answer.facts and answer.facts[0] != "contact_standard"
    assert unknown in answer.text
    assert answer.gave_contact


def test_a_period_in_brackets_only_where_it_tells_something(services: Services) -> None:
    kb = services.kb
    # « Le projet de territoire prévoit … » needs no « (projet de territoire 2022-2032) » after it.
    plan_fact = next(fact for fact in kb.topic("zfe").facts if fact.id == "zfe_projet")
    assert plan_fact.applies_to == "projet de territoire 2022-2032" and "projet de territoire" in plan_fact.text
    answer = resident_answer(kb, "zfe", question="la zone à faibles émissions, c'est prévu ?")
    line = next(line for line in answer.text.splitlines() if plan_fact.text in line)
    assert line.endswith(plan_fact.text), line
    # A date the text does not say is kept (« depuis le 1er janvier 2026 »).
    dated = [
        fact
        for topic in kb.topics()
        for fact in topic.facts
        if re.search(r"\b1er|\bjanvier|\bseptembre", fact.applies_to or "")
        and fact.field != "contact"
        and not all(year in fact.text for year in re.findall(r"\d{4}", fact.applies_to))
    ]
    assert dated
    assert all(_period_tells_something(fact) for fact in dated)


# Short answers (issue 9) -------------------------------------------------------------------------
def _topic_facts_in(answer_text: str, kb: KnowledgeBase, slug: str) -> list[str]:
    topic = kb.topic(slug)
    contacts = {fact.id for fact in topic.contacts}
    return [fact.id for fact in topic.facts if fact.id not in contacts and fact.text in answer_text]


def test_a_resident_answer_shows_at_most_two_of_the_topics_facts(services: Services) -> None:
    kb = services.kb
    for topic in kb.topics():
        if topic.family in NOT_OVERVIEWS:
            continue
        for field_name in (None, *FIELDS):
            answer = resident_answer(kb, topic.slug, field_name=field_name)
            assert len(_topic_facts_in(answer.text, kb, topic.slug)) <= 2, (topic.slug, field_name)


def test_quick_replies_lead_to_the_topics_other_fields_with_the_topic(services: Services) -> None:
    answer = resident_answer(services.kb, "permis_de_louer", field_name="how_to_apply")
    titles = [button["title"] for button in answer.buttons]
    labels = services.kb.message("follow_up_buttons")
    assert labels["how_to_apply"] not in titles, "the field just answered is not offered again"
    assert labels["eligibility"] in titles and labels["contact"] in titles
    for button in answer.buttons:
        assert re.fullmatch(r'/demander_[a-z]+\{"dispositif": "permis_de_louer"\}', button["payload"])


def test_never_a_dead_end_even_right_after_the_contact_was_given(services: Services) -> None:
    kb = services.kb
    reminder = kb.message("templates")["contact_again"]
    first = resident_answer(kb, "mutuelle", field_name="amount")
    assert first.gave_contact and "03 21 61 50 00" in first.text and reminder not in first.text
    # The next unknown gives the contact again, in short: the first contact, no introduction.
    again = resident_answer(kb, "mutuelle", field_name="documents", contact_just_given=True)
    assert again.gave_contact and reminder in again.text and again.text.count("03 21 61 50 00") == 1
    asked = resident_answer(kb, "mutuelle", field_name="contact", contact_just_given=True)
    assert asked.gave_contact and "03 21 61 50 00" in asked.text and reminder not in asked.text
    # Once a scheme's last period has ended, every contact comes again in full.
    ended = resident_answer(kb, "aide_velo", field_name="documents", contact_just_given=True)
    assert ended.gave_contact and reminder not in ended.text


def test_the_contact_comes_only_when_something_is_unknown(services: Services) -> None:
    # The form is known: the answer admits nothing unknown, so no contact block.
    answer = resident_answer(services.kb, "permis_de_louer", field_name="how_to_apply")
    assert "15652*01" in answer.text
    assert not answer.gave_contact and "03 21 61 50 00" not in answer.text


def test_a_non_member_commune_gets_no_agglo_fact(services: Services) -> None:
    kb = services.kb
    answer = resident_answer(kb, "permis_de_louer", commune_insee=LENS)
    assert "Lens ne fait pas partie" in answer.text
    assert _topic_facts_in(answer.text, kb, "permis_de_louer") == []
    assert answer.sources, "the list of member communes is cited"


def test_sanctions_have_their_own_field(services: Services) -> None:
    kb = services.kb
    fine = resident_answer(kb, "permis_de_louer", field_name="sanctions")
    assert "15 000 €" in fine.text
    fees = resident_answer(kb, "permis_de_louer", field_name="amount", question="c'est gratuit ?")
    assert "15 000 €" not in fees.text, "a question about the price is not answered with the fine"


# Orientation -------------------------------------------------------------------------------------
def test_every_orientation_entry_says_who_handles_it_with_its_source(services: Services) -> None:
    kb = services.kb
    entries = kb.orientations()
    assert len(entries) >= 8
    for entry in entries:
        answer = orientation_answer(kb, entry.fact.id)
        assert answer.topic == "hors_sujet"
        assert entry.fact.text in answer.text and "ne relève pas de l'Agglo" in answer.text
        assert answer.payload()["sources"] == [entry.fact.source.as_payload()]
        assert entry.fact.source.url.startswith("https://")
        assert unsourced_numbers(kb, "hors_sujet", answer.text, answer.sources) == []


@pytest.mark.parametrize(
    ("question", "fact_id"),
    [
        ("je dois refaire mon passeport", "orientation_papiers_identite"),
        ("renouveler ma carte d'identite", "orientation_papiers_identite"),
        ("ma déclaration d'impôt sur le revenu", "orientation_impots"),
        ("un souci avec la CAF", "orientation_caf"),
        ("m'inscrire à France Travail", "orientation_france_travail"),
        ("la cantine de l'école de mon fils", "orientation_mairie_ecole"),
        ("obtenir un acte de naissance", "orientation_etat_civil"),
        ("mon voisin fait du bruit toute la nuit", "orientation_voisinage"),
        ("j'ai perdu mon permis de conduire", "orientation_permis_de_conduire"),
        ("refaire ma carte grise", "orientation_carte_grise"),
        ("le permis de louer à Béthune", None),
        ("quel temps fera-t-il demain", None),
    ],
)
def test_the_orientation_entry_is_found_by_its_keywords(services: Services, question: str, fact_id: str | None) -> None:
    assert services.orientation.find(question) == fact_id


@pytest.mark.parametrize(
    ("intent", "question", "field"),
    [
        ("demander_montant", "si je loue sans autorisation, l'amende peut monter à combien ?", "sanctions"),
        ("demander_delai", "l'autorisation reste valable combien de temps ?", "period"),
        ("demander_demarche", "quelles pièces justificatives faut-il ?", "documents"),
        ("demander_montant", "c'est combien ?", "amount"),
        ("demander_delai", "ça prend combien de temps ?", "delay"),
        ("aide_velo", "l'amende", None),
    ],
)
def test_a_question_naming_a_field_asks_about_it(services: Services, intent: str, question: str, field: str) -> None:
    from bot.core.topics import asked_field

    assert asked_field(intent, question, services.kb) == field


def test_the_newest_fact_of_a_field_comes_first(services: Services) -> None:
    answer = resident_answer(services.kb, "eau_potable")
    assert "L'Eau de l'Agglo" in answer.text.splitlines()[0], "the régie of 2026 before the transfer of 2020"


def test_a_commune_named_otherwise_gets_the_facts_about_that_name_first(services: Services) -> None:
    kb = services.kb
    # « Labuissière » is an associated commune of Bruay-la-Buissière, not one of the 100.
    match = services.communes.find_all("Labuissière fait partie des 100 communes ?")[0]
    answer = commune_answer(kb, match.commune.insee, said=match.matched_text)
    assert answer.facts[0] == "communes_labuissiere"
    # A short name of the commune itself says nothing more (« Noeux » for Nœux-les-Mines).
    match = services.communes.find_all("j'habite Noeux")[0]
    assert "communes_graphies" not in commune_answer(kb, match.commune.insee, said=match.matched_text).facts
