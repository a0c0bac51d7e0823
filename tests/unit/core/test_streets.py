"""« Ma rue est-elle concernée ? »: addresses matched with the street lists of kb/streets.yml,
in the console's field and in what residents write to the assistant."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.answers import agent_answer, commune_answer, resident_answer
from bot.core.services import Services
from bot.core.streets import StreetMatcher, similar, street_matcher

VENDIN, LILLERS, BETHUNE, GOSNAY = "62841", "62516", "62119", "62377"
RULE = "permis_de_louer"


@pytest.fixture(scope="module")
def matcher(services: Services) -> StreetMatcher:
    return street_matcher(services.kb)


@pytest.mark.parametrize(
    ("address", "kind", "streets", "exact"),
    [
        ("rue d'Hinges", "listed", ["rue d'Hinges"], True),
        ("RUE D’HINGES", "listed", ["rue d'Hinges"], True),
        ("12 r. d'hinge", "listed", ["rue d'Hinges"], True),  # number, abbreviation, a typo
        ("12bis rue d'Hingse", "listed", ["rue d'Hinges"], True),  # two letters swapped
        ("Hinges", "listed", ["rue d'Hinges"], False),  # no kind of street: to check
        ("avenue d'Hinges", "listed", ["rue d'Hinges"], False),  # another kind: to check
        ("rue Pierre Mendes-France", "listed", ["rue Pierre Mendès France"], True),
        ("Mendès France", "listed", ["rue Pierre Mendès France"], False),
        ("3 bis rue de Merville 62232 Vendin-lès-Béthune", "listed", ["rue de Merville"], True),
        ("rue Pierre", "not_listed", [], False),  # the listed name's last word is missing
        ("rue des Lilas", "not_listed", [], False),
        ("", "not_listed", [], False),
    ],
)
def test_an_address_in_vendin(matcher: StreetMatcher, address: str, kind: str, streets: list[str], exact: bool) -> None:
    verdict = matcher.check(RULE, VENDIN, address, commune_name="Vendin-lès-Béthune", residents=True)
    assert (verdict.kind, [street.name for street in verdict.streets], verdict.exact) == (kind, streets, exact)


def test_lillers_list_is_the_2018_one(matcher: StreetMatcher) -> None:
    verdict = matcher.check(RULE, LILLERS, "pl. de l'eglise", commune_name="Lillers", residents=True)
    assert verdict.kind == "listed" and verdict.exact
    assert verdict.street_list is not None and verdict.street_list.superseded
    # The article's spelling and the other one both name the street.
    for spelling in ("rue du Bourg d'Aval", "rue du Faubourg-d'Aval"):
        found = matcher.check(RULE, LILLERS, spelling, commune_name="Lillers", residents=True)
        assert [street.name for street in found.streets] == ["rue du Faubourg d'Aval"]
    both = matcher.check(RULE, LILLERS, "Église", commune_name="Lillers", residents=True)
    assert [street.name for street in both.streets] == ["rue de l'Église", "place de l'Église"]
    assert not both.exact


def test_no_list_for_a_commune_no_source_covers(matcher: StreetMatcher) -> None:
    assert matcher.check(RULE, BETHUNE, "rue d'Arras", commune_name="Béthune", residents=True).kind == "no_list"


def test_words_are_compared_with_one_typo_from_four_letters() -> None:
    assert similar("hinges", "hinge") and similar("merville", "mervile") and similar("blum", "blun")
    assert not similar("rue", "ru") and not similar("ham", "hal") and not similar("neuve", "nevers")


def test_lists_for_residents_leave_out_low_ones_and_put_current_first(services: Services) -> None:
    data = services.kb.message("streets")
    vendin = next(item for item in data["lists"] if item["commune"] == VENDIN)
    older = {**vendin, "applies_to": "en 2020", "valid_from": "2020-01-01", "superseded": True}
    low = {**vendin, "applies_to": "en 2026", "valid_from": "2026-01-01", "confidence": "low"}
    matcher = StreetMatcher({**data, "lists": [older, low, vendin]})
    today = dt.date(2026, 12, 2)
    assert [item.applies_to for item in matcher.lists_for(RULE, VENDIN, residents=True, today=today)] == [
        "depuis le 1er janvier 2025",
        "en 2020",
    ]
    assert [item.applies_to for item in matcher.lists_for(RULE, VENDIN, residents=False, today=today)] == [
        "en 2026",
        "depuis le 1er janvier 2025",
        "en 2020",
    ]


@pytest.mark.parametrize(
    ("message", "kind", "streets"),
    [
        ("est-ce que la rue d'Hinges à Vendin est concernée par le permis de louer ?", "listed", ["rue d'Hinges"]),
        ("j'ai un logement au 12 r. d'hinge, dois-je demander le permis de louer ?", "listed", ["rue d'Hinges"]),
        ("ma maison à Mendes France, permis de louer ?", "listed", ["rue Pierre Mendès France"]),
        ("permis de louer rue des Lilas concernée ?", "not_listed", []),
        ("je suis à la rue", None, []),
        ("permis de louer : quelles rues sont concernées ?", None, []),
        # As the answer gets it, words read singular: « quelle rue » names no street either.
        ("a vendin les bethune quelle rue sont concernee par le permi de louer", None, []),
        ("le permis de louer, c'est dans toutes les rues de Vendin ?", None, []),
    ],
)
def test_the_street_a_message_names(matcher: StreetMatcher, message: str, kind: str | None, streets: list[str]) -> None:
    verdict = matcher.in_message(RULE, VENDIN, message, residents=True)
    assert (verdict.kind if verdict else None) == kind
    assert ([street.name for street in verdict.streets] if verdict else []) == streets


def test_a_resident_asks_about_a_listed_street(services: Services) -> None:
    answer = resident_answer(
        services.kb,
        RULE,
        commune_insee=VENDIN,
        question="Est-ce que la rue d'Hinges est concernée par le permis de louer ?",
    )
    assert "À Vendin-lès-Béthune, « rue d'Hinges » fait partie des rues où le permis de louer s'applique" in answer.text
    assert "depuis le 1er janvier 2025" in answer.text
    assert any("Vendin-lès-Béthune – périmètres concernés" in source.title for source in answer.sources)


def test_a_resident_asks_about_a_street_that_is_not_listed(services: Services) -> None:
    answer = resident_answer(
        services.kb, RULE, commune_insee=VENDIN, question="permis de louer rue des Lilas concernée ?"
    )
    assert "s'applique seulement dans ces rues" in answer.text
    assert "« rue Pierre Mendès France », « rue d'Hinges » et « rue de Merville »" in answer.text
    assert "La rue indiquée n'en fait pas partie." in answer.text


def test_a_resident_of_vendin_is_told_the_streets(services: Services) -> None:
    answer = resident_answer(
        services.kb, RULE, commune_insee=VENDIN, question="quelles rues sont concernées par le permis de louer ?"
    )
    assert "À Vendin-lès-Béthune, le permis de louer s'applique dans ces rues" in answer.text
    assert "rue de Merville" in commune_answer(services.kb, VENDIN).text


def test_a_past_list_is_told_as_past_with_the_contact(services: Services) -> None:
    answer = resident_answer(
        services.kb, RULE, commune_insee=LILLERS, question="permis de louer rue Victor Hugo concernée ?"
    )
    assert "ne faisait pas partie des rues concernées par le permis de louer en 2018" in answer.text
    assert "nous ne savons pas si elle l'est aujourd'hui" in answer.text
    assert answer.gave_contact


def test_where_no_source_lists_the_streets_the_answer_says_so(services: Services) -> None:
    answer = resident_answer(
        services.kb,
        RULE,
        commune_insee=BETHUNE,
        question="ma rue Victor Hugo est-elle concernée par le permis de louer ?",
    )
    assert "Aucune source publique que nous connaissons ne donne la liste des rues" in answer.text
    assert answer.gave_contact
    # A commune the rule does not cover is not asked about streets.
    gosnay = resident_answer(services.kb, RULE, commune_insee=GOSNAY, question="rue Victor Hugo concernée ?")
    assert "Aucune source publique" not in gosnay.text


def test_an_agent_gets_the_same_verdict(services: Services) -> None:
    answer = agent_answer(
        services.kb, RULE, commune_insee=VENDIN, question="qui est concerné rue de Merville par le permis de louer ?"
    )
    assert "« rue de Merville » fait partie des rues" in answer.text


@pytest.mark.parametrize(
    ("message", "insee"),
    [
        ("J'ai un logement rue d'Hinges à Vendin-lès-Béthune", VENDIN),
        ("route de Béthune à Beuvry, suis-je concerné ?", "62126"),
        ("12 r. de Lillers, Béthune", BETHUNE),
        ("j'habite à Hinges", "62454"),
        ("rue d'Hinges", "62454"),  # nothing else named: still a commune
    ],
)
def test_a_commune_in_a_street_name_is_not_where_one_lives(services: Services, message: str, insee: str) -> None:
    match = services.communes.find(message)
    assert match is not None and match.commune is not None
    assert match.commune.insee == insee
