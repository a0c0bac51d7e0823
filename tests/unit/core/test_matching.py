"""Commune and topic recognition in what residents actually type."""

from __future__ import annotations

import pytest

from bot.core.services import Services

MEMBER = "member"
OUTSIDE = "outside"

# (text typed by a resident, expected INSEE code, member or outside the Agglo)
SPELLINGS = [
    # Official names, case, accents, hyphens
    ("Béthune", "62119", MEMBER),
    ("bethune", "62119", MEMBER),
    ("BETHUNE", "62119", MEMBER),
    ("Nœux-les-Mines", "62617", MEMBER),
    ("noeux les mines", "62617", MEMBER),
    ("Noeux-les-Mines", "62617", MEMBER),
    ("NOEUX LES MINES", "62617", MEMBER),
    ("noeux", "62617", MEMBER),
    ("Bruay-la-Buissière", "62178", MEMBER),
    ("bruay la buissiere", "62178", MEMBER),
    ("Bruay", "62178", MEMBER),
    ("Bruay-La-Buissière", "62178", MEMBER),
    ("Hersin-Coupigny", "62443", MEMBER),
    ("hersin coupigny", "62443", MEMBER),
    ("hersin", "62443", MEMBER),
    ("Vermelles", "62846", MEMBER),
    ("vermelle", "62846", MEMBER),
    ("vermeles", "62846", MEMBER),
    # lez / lès / les
    ("Fouquières-lès-Béthune", "62350", MEMBER),
    ("fouquieres lez bethune", "62350", MEMBER),
    ("Fouquieres les Bethune", "62350", MEMBER),
    ("fouquiere", "62350", MEMBER),
    ("Vendin-lez-Béthune", "62841", MEMBER),
    ("vendin les bethune", "62841", MEMBER),
    ("Hesdigneul-lès-Béthune", "62445", MEMBER),
    ("hesdigneul lez bethune", "62445", MEMBER),
    ("Noyelles-lès-Vermelles", "62626", MEMBER),
    ("noyelles lez vermelles", "62626", MEMBER),
    # St / Ste / Saint
    ("Saint-Venant", "62770", MEMBER),
    ("St Venant", "62770", MEMBER),
    ("st-venant", "62770", MEMBER),
    ("Saint-Floris", "62747", MEMBER),
    ("St Floris", "62747", MEMBER),
    ("Saint-Hilaire-Cottes", "62750", MEMBER),
    ("st hilaire cottes", "62750", MEMBER),
    # Other members, misc spellings and typos
    ("Auchel", "62048", MEMBER),
    ("auchell", "62048", MEMBER),
    ("Gosnay", "62377", MEMBER),
    ("Divion", "62270", MEMBER),
    ("Lillers", "62516", MEMBER),
    ("lilers", "62516", MEMBER),
    ("Isbergues", "62473", MEMBER),
    ("isbergue", "62473", MEMBER),
    ("Calonne-Ricouart", "62194", MEMBER),
    ("calonne ricouart", "62194", MEMBER),
    ("Calonne-sur-la-Lys", "62195", MEMBER),
    ("Marles-les-Mines", "62555", MEMBER),
    ("marles les mines", "62555", MEMBER),
    ("Beuvry", "62126", MEMBER),
    ("Haisnes", "62401", MEMBER),
    ("Gauchin-Légal", "62366", MEMBER),
    ("gauchin le gal", "62366", MEMBER),
    ("Camblain-Châtelain", "62197", MEMBER),
    ("camblain chatelain", "62197", MEMBER),
    ("Cauchy-à-la-Tour", "62217", MEMBER),
    ("cauchy a la tour", "62217", MEMBER),
    ("Sailly-Labourse", "62735", MEMBER),
    ("Labourse", "62480", MEMBER),
    ("Annezin", "62035", MEMBER),
    ("Violaines", "62863", MEMBER),
    # A commune inside a sentence
    ("j'habite a noeux les mines depuis 2 ans", "62617", MEMBER),
    ("mon appart à Vermelles est concerné ?", "62846", MEMBER),
    ("je vis sur Bruay depuis peu", "62178", MEMBER),
    ("et à Gosnay ?", "62377", MEMBER),
    ("moi je suis de st venant", "62770", MEMBER),
    # A longer name that contains another commune's name, inside a sentence: the whole wins
    ("le permis de louer à Fouquières-lès-Béthune, ça me concerne ?", "62350", MEMBER),
    ("mon logement est à vendin les bethune, c'est concerné ?", "62841", MEMBER),
    ("j'ai un appartement à Hesdigneul-lès-Béthune", "62445", MEMBER),
    ("je loue une maison sur Noyelles-lès-Vermelles", "62626", MEMBER),
    ("et pour Annezin, la collecte c'est quel jour ?", "62035", MEMBER),
    ("ma mère habite Vendin-le-Vieil, elle y a droit ?", "62842", OUTSIDE),
    # Not members: recognised as such, never forced onto a member
    ("Lens", "62498", OUTSIDE),
    ("Arras", "62041", OUTSIDE),
    ("Lille", "59350", OUTSIDE),
    ("Liévin", "62510", OUTSIDE),
    ("lievin", "62510", OUTSIDE),
    ("Bully-les-Mines", "62186", OUTSIDE),
    ("Douai", "59178", OUTSIDE),
    ("Aire-sur-la-Lys", "62014", OUTSIDE),
    ("j'habite à Lens", "62498", OUTSIDE),
    ("Fouquières-lès-Lens", "62351", OUTSIDE),
    ("Vendin-le-Vieil", "62842", OUTSIDE),
]


@pytest.mark.parametrize(("text", "insee", "membership"), SPELLINGS)
def test_commune_spellings(services: Services, text: str, insee: str, membership: str) -> None:
    match = services.communes.find(text)
    assert match is not None, text
    assert match.commune is not None, (text, match.candidates)
    assert match.commune.insee == insee, (text, match.commune.name)
    assert match.is_member == (membership == MEMBER)


def test_table_is_large_enough() -> None:
    assert len(SPELLINGS) >= 60
    assert sum(1 for *_, membership in SPELLINGS if membership == OUTSIDE) >= 8


@pytest.mark.parametrize(
    "text",
    [
        "l'agglo de Béthune-Bruay",
        "Communauté d'agglomération de Béthune-Bruay, Artois Lys Romane",
        "c'est quoi la mutuelle pour tous",
        "les bus ont des horaires",
        "je voudrais une aide pour acheter un vélo",
        "bonjour",
    ],
)
def test_no_commune_in_text_without_one(services: Services, text: str) -> None:
    assert services.communes.find(text) is None


def test_agglo_name_does_not_hide_a_real_commune(services: Services) -> None:
    match = services.communes.find("l'agglo de Béthune-Bruay, j'habite à Lillers")
    assert match is not None and match.commune is not None
    assert match.commune.name == "Lillers"


def test_ambiguous_short_name_lists_both_members(services: Services) -> None:
    match = services.communes.find("Calonne")
    assert match is not None and match.ambiguous
    assert {commune.name for commune in match.candidates} == {"Calonne-Ricouart", "Calonne-sur-la-Lys"}


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("combien pour le pass mobil agglo", "aide_velo"),
        ("le délai pour l'APML", "permis_de_louer"),
        ("quels papiers pour la mutuelle pour tous", "mutuelle"),
        ("qui appeler pour les déchets", "dechets"),
        ("quel est le délai ?", None),
        ("qui a droit à l'aide pour les récupérateurs d'eau ?", "aide_recuperateur_eau"),
        ("des vélos pliants", "aide_velo"),
        ("les vélos en libre-service", "mobilite"),
    ],
)
def test_topic_named_in_text(services: Services, text: str, slug: str | None) -> None:
    assert services.topics.find(text) == slug


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Oblinghem", True),
        ("et pour Violaines ?", True),
        ("et à Gosnay ?", True),
        ("j'habite à Auchel", True),
        ("mon appart à Vermelles est concerné par le permis de louer ?", False),
        ("c'est quoi la mutuelle pour tous", False),
        ("Béthune ou Lillers", False),
    ],
)
def test_message_that_only_gives_a_commune(services: Services, text: str, expected: bool) -> None:
    assert services.communes.names_only_a_commune(text) is expected


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("et pour une association ?", "aide_recuperateur_eau", "aide_recuperateur_eau"),
        ("et les communes, elles peuvent en avoir ?", "aide_recuperateur_eau", "aide_recuperateur_eau"),
        ("et pour les jeunes ?", "mutuelle", "mutuelle"),
        # Without a topic in the conversation, the keyword still names its topic.
        ("quelles aides pour les associations ?", None, "education_citoyennete"),
        # A subject, not an audience, still switches the conversation.
        ("et les déchets, c'est quoi les conditions ?", "mutuelle", "dechets"),
    ],
)
def test_an_audience_does_not_switch_the_topic(
    services: Services, text: str, current: str | None, expected: str
) -> None:
    from bot.core.topics import resolve_topic

    assert resolve_topic("demander_conditions", None, text, current, services.kb, services.topics) == expected


def test_a_place_one_goes_to_is_not_the_commune_asked_about(services: Services) -> None:
    # « jusqu'à Lens », « vers Arras »: where the bus goes, not where the resident lives; a commune
    # named besides is still found.
    assert services.communes.find("pour aller jusqu'à Lens en bus, c'est payant ?") is None
    assert services.communes.find("le bus vers Arras est gratuit ?") is None
    match = services.communes.find("j'habite Beuvry, le bus pour aller à Lens est gratuit ?")
    assert match is not None and match.commune is not None and match.commune.name == "Beuvry"
    assert services.communes.find("j'habite à Lens") is not None
