"""Fact ranking: idf-weighted overlap of word stems between a question and the facts."""

from __future__ import annotations

from bot.kb.ranking import FactRanker

FACTS = [
    "L'Agglo vend des composteurs de 345 L.",
    "L'Agglo gère 11 déchèteries, ouvertes le lundi.",
    "Chaque habitant de l'Agglo produit 770 kg de déchets par an.",
    "L'Agglo est compétente pour l'eau potable depuis 2020.",
    "Le prix de l'eau de l'Agglo est de 2,91 € par m³ en 2026.",
]
STOP_WORDS = frozenset({"de", "des", "le", "la", "par", "est", "pour", "en", "quel", "combien", "on"})


def test_plurals_and_derived_forms_share_a_stem() -> None:
    ranker = FactRanker([])
    assert ranker.stems("récupérateurs") == ranker.stems("récupérateur")
    assert ranker.stems("déchets") == ranker.stems("déchèterie")
    assert ranker.stems("2026") == frozenset({"2026"})


def test_feminine_and_participle_endings_meet_the_noun() -> None:
    ranker = FactRanker([])
    # « refusé » asks about the fact that says « en cas de refus ».
    assert ranker.stems("refusé") == ranker.stems("refusées") == ranker.stems("refus")
    assert ranker.stems("fermée") == ranker.stems("ferme")
    # Short words keep their last letters: « base » is no « bas ».
    assert ranker.stems("bases") == frozenset({"base"})


def test_a_long_word_loses_its_ending_after_the_cut_as_a_short_one_does() -> None:
    ranker = FactRanker(["Vous risquez une amende."])
    # « risquez » is cut to « risque », then loses its « e » as « risque » itself does.
    assert ranker.stems("je risque quoi") & ranker.stems("vous risquez") == ranker.stems("risque")


def test_a_verb_meets_its_other_persons_and_its_infinitive() -> None:
    ranker = FactRanker(["Si vous vendez le logement, sortez les bacs."])
    # The facts say « vous »; residents say « je vends », « sortir ».
    assert ranker.stems("je vend") == ranker.stems("vendez") == ranker.stems("vendre")
    assert ranker.stems("sortir") == ranker.stems("sortez")
    # Not below four letters: « louer » is no « lou ».
    assert ranker.stems("louer") == frozenset({"louer"})


def test_a_word_no_fact_uses_weighs_as_the_rarest_in_other_texts() -> None:
    ranker = FactRanker(["Les bacs sont collectés.", "Les bacs jaunes sont collectés le lundi.", "Le lundi."])
    unknown = "Nous ne savons rien des terrains disponibles."
    # « terrains » is in no fact: it still tells the unknown about them, more than any fact's word.
    assert ranker.score(ranker.stems("quels terrains ?"), unknown) > 0
    assert ranker.weight(next(iter(ranker.stems("terrains")))) >= ranker.weight(next(iter(ranker.stems("jaunes"))))


def test_stop_words_and_short_words_are_left_out() -> None:
    ranker = FactRanker(FACTS, STOP_WORDS)
    assert ranker.stems("c'est par ici, on y va") == frozenset({"ici"})
    # The question's words come singular: « mais » read « mai » is still no word (no month).
    assert FactRanker([], frozenset({"mais"})).stems("mai gros") == frozenset({"gros"})


def test_the_fact_matching_the_question_comes_first() -> None:
    ranker = FactRanker(FACTS, STOP_WORDS)
    assert ranker.relevant("on produit combien de déchets par habitant ?", FACTS)[0] == 2
    assert ranker.relevant("quel est le prix de l'eau en 2026 ?", FACTS)[0] == 4


def test_a_word_found_in_every_fact_makes_no_fact_relevant() -> None:
    ranker = FactRanker(FACTS, STOP_WORDS)
    assert ranker.relevant("l'Agglo", FACTS) == []


def test_ignored_words_do_not_count() -> None:
    ranker = FactRanker(FACTS, STOP_WORDS)
    question = "le prix de l'eau en 2026 ?"
    assert 4 in ranker.relevant(question, FACTS)
    assert ranker.relevant(question, FACTS, ignore=ranker.stems("prix")) == []


def test_a_longer_word_sharing_the_stem_of_a_name_is_compared_whole() -> None:
    ranker = FactRanker(FACTS, STOP_WORDS)
    name = ranker.words("Déchets et tri")
    # « déchèteries » is cut to the stem of « déchets »: left out with the name, it is kept whole.
    assert ranker.apart("combien de déchèteries et de déchets ?", name) == frozenset({"decheterie"})
    stems = ranker.stems("combien de déchèteries ?") - ranker.stems("Déchets et tri")
    assert ranker.score(stems, FACTS[1]) == 0.0
    assert ranker.score(stems, FACTS[1], frozenset({"decheterie"})) > 0.0
    assert ranker.score(stems, FACTS[2], frozenset({"decheterie"})) == 0.0
