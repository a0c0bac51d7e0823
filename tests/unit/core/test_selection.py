"""Choosing the fact that answers the kind of question asked (bot/core/selection.py), on kb/."""

from __future__ import annotations

import pytest

from bot.core.answers import resident_answer
from bot.core.reading import question_of
from bot.core.relevance import place_words, question_words_of
from bot.core.selection import best_kind, kind_cues_said, names_place, score_facts
from bot.core.services import Services


def _first_answer(services: Services, slug: str, text: str) -> tuple[str | None, str]:
    kb = services.kb
    topic = kb.topic(slug)
    assert topic is not None
    lexicon = question_words_of(kb)
    facts = [fact for fact in topic.facts_for(None, residents=True) if not fact.commune_insee]
    kind, scored = best_kind(kb, slug, facts, question_of(text, lexicon), lexicon, place_words(kb))
    answering = [item for item in scored if item.answers_kind]
    return kind, answering[0].fact.id


def test_a_cue_of_several_words_is_told_only_by_those_words_in_a_row(services: Services) -> None:
    cues = question_words_of(services.kb).kind_cues
    assert ("mise", "en", "service") in cues["when"]
    # « jusqu'au » leaves only « au », which says nothing: it is no cue at all.
    assert all(any(len(word) > 2 for word in cue) for kind in cues.values() for cue in kind)
    assert ("au",) not in cues["when"] and ("en",) not in cues["when"]


def test_a_word_that_tells_the_kind_is_not_counted_twice(services: Services) -> None:
    # « réponse » asks for a delay: it must not also make « sans réponse… » the best-sharing fact.
    kind, first = _first_answer(
        services, "permis_de_louer", "pour le permis de louer, on a la réponse au bout de combien de temps ?"
    )
    assert (kind, first) == ("delay", "pdl_delai")


def test_the_day_asked_chooses_among_opening_facts(services: Services) -> None:
    kind, first = _first_answer(services, "dechets", "la déchetterie est ouverte le dimanche ?")
    assert (kind, first) == ("opening", "dechets_dechetteries_horaires")


def test_a_sum_in_euros_asks_an_amount(services: Services) -> None:
    # The tokenizer drops « € »: the sign is read as « euros », which asks an amount.
    lexicon = question_words_of(services.kb)
    assert question_of("l'agglo verse 50 € pour une cuve, c'est bien ça ?", lexicon).kinds == ("amount",)
    assert question_of("on m'a parlé de 100€ pour un vélo", lexicon).kinds == ("amount",)


def test_the_words_asking_a_kind_are_found_with_the_synonyms_in_place(services: Services) -> None:
    # The question is read « dans quelle bac » (« poubelle » is a « bac »): so is the kind's phrase.
    lexicon = question_words_of(services.kb)
    assert question_of("ça va dans quelle poubelle ?", lexicon).kinds == ("sorting",)


def test_a_kinds_phrase_with_an_elided_de_is_read_as_the_message_is(services: Services) -> None:
    # A message's « combien d'années » is read « combien de années » (what is counted): the
    # lexicon's « moins de combien d'années » must be read alike to be found at all.
    lexicon = question_words_of(services.kb)
    assert "validity" in question_of("le diagnostic doit avoir moins de combien d'années ?", lexicon).kinds


def test_sending_the_file_asks_how_to_apply(services: Services) -> None:
    # Not where the commune's rule applies (« où » alone asks where): how the file is sent.
    lexicon = question_words_of(services.kb)
    assert question_of("il faut envoyer le dossier où ?", lexicon).kinds == ("how_to_apply",)
    assert question_of("ma voisine transmet la demande où ?", lexicon).kinds == ("how_to_apply",)


def test_a_count_asked_with_the_verb_before_de_counts_what_follows(services: Services) -> None:
    # « combien compte-t-on de … » counts, no price; the « t » of « a-t-il » is no tonne.
    lexicon = question_words_of(services.kb)
    question = question_of("combien recense-t-on de médiathèques ?", lexicon)
    assert question.kinds == ("figure",) and "mediatheque" in question.counted
    assert "tonnes" not in question_of("combien y a-t-il de parkings relais ?", lexicon).counted
    assert question_of("combien on paie ?", lexicon).kinds == ("amount",)


def test_a_phrase_saying_its_meaning_in_other_words_lends_them_to_no_fact(services: Services) -> None:
    # « pots de confiture » are « bocaux », not any « pots » (of flowers); « médecin traitant »
    # is a variant of « médecin », whose words the facts say.
    lexicon = question_words_of(services.kb)
    jars = question_of("les pots de confiture vides ?", lexicon).words
    assert "bocau" in jars and "pot" not in jars
    assert "traitant" in question_of("sans médecin traitant ?", lexicon).words


def test_open_to_whom_asks_who_is_eligible(services: Services) -> None:
    # « ouvert » alone asks opening days and « à qui » a contact; together they ask who may.
    lexicon = question_words_of(services.kb)
    assert question_of("cette aide est ouverte à qui ?", lexicon).kinds == ("eligibility",)
    assert question_of("ce service sera ouvert à tout le monde ?", lexicon).kinds == ("eligibility",)


def test_whether_one_must_ask_is_who_is_concerned(services: Services) -> None:
    # « besoin du permis ? », « il doit faire une demande ? »: whether the rule applies, not how
    # to apply; « comment » still asks how.
    lexicon = question_words_of(services.kb)
    assert question_of("pour une maison, ai-je besoin du permis ?", lexicon).kinds == ("eligibility",)
    assert question_of("ma fille doit faire une demande pour son studio ?", lexicon).kinds == ("eligibility",)
    assert "how_to_apply" in question_of("je dois faire une demande, comment je fais ?", lexicon).kinds
    # kb/lexicon.yml asked_alone: another word asking says what is asked.
    assert question_of("je dois demander l'autorisation ?", lexicon).kinds == ("eligibility",)
    assert question_of("je dois faire une demande où ?", lexicon).kinds == ("how_to_apply",)
    assert question_of("comment je dois demander l'autorisation ?", lexicon).kinds != ("eligibility",)


def test_only_for_some_asks_who_may(services: Services) -> None:
    # « seulement pour », « uniquement pour », « réservé aux »: whether others may too.
    lexicon = question_words_of(services.kb)
    for text in ("le composteur, c'est uniquement pour les maisons ?", "la navette est réservée aux seniors ?"):
        assert question_of(text, lexicon).kinds == ("eligibility",)


def test_taken_is_no_price(services: Services) -> None:
    # « pris » and « prix » were both read « pri »: « pris » asked a price. « pris en charge »
    # still asks whether something is paid for.
    lexicon = question_words_of(services.kb)
    assert question_of("les sacs à côté du bac, ils sont pris quand même ?", lexicon).kinds == ()
    assert question_of("le prix du composteur ?", lexicon).kinds == ("amount",)
    assert question_of("c'est combien ?", lexicon).kinds == ("amount",)
    assert question_of("la réparation est prise en charge ?", lexicon).kinds == ("amount",)


def test_the_present_forms_of_payer_ask_an_amount(services: Services) -> None:
    # « paye », « paie » are not in the lemma table's forms of « payer »: kb/lexicon.yml lists them.
    lexicon = question_words_of(services.kb)
    assert question_of("c'est l'agglo qui paie les trajets partagés ?", lexicon).kinds == ("amount",)
    assert question_of("on paye quelque chose pour le composteur ?", lexicon).kinds == ("amount",)


def test_a_longer_word_sharing_the_stem_of_the_topic_name_tells_facts_apart(services: Services) -> None:
    # « déchèterie » is cut to « dechet », the stem of the topic's name « Déchets et tri », which
    # scores nothing within the topic: compared whole, it brings the déchetteries' facts forward.
    kb = services.kb
    topic = kb.topic("dechets")
    assert topic is not None
    facts = {fact.id: fact for fact in topic.facts_for(None, residents=True)}
    access, bins = facts["dechets_dechetteries_acces"], facts["dechets_demande_bac"]
    scores = kb.fact_scores("il faut quoi pour rentrer a la decheterie dechetterie", "dechets", [access, bins])
    assert scores[0] > scores[1]
    # The number of déchetteries still answers « combien de déchèteries ? » before their list,
    # which writes both spellings: words of one stem count once.
    assert _first_answer(services, "dechets", "y a combien de déchèteries en tout ?") == (
        "figure",
        "dechets_nombre_dechetteries",
    )


def test_a_fact_speaking_over_and_over_of_the_paper_named_answers_before_one_listing_it(services: Services) -> None:
    # « quels diagnostics ? »: the diagnostics' fact, not the proof of ownership that ends with
    # « … et les diagnostics » after four other papers.
    kind, first = _first_answer(
        services, "permis_de_louer", "quels diagnostics il faut joindre au dossier du permis de louer ?"
    )
    assert (kind, first) == ("documents", "pdl_diagnostics")


def test_what_a_fact_opens_with_tells_what_it_is_about(services: Services) -> None:
    # The car-sharing areas' costs, not the charging points' plan that lists the areas among its
    # sites (and costs 735 500 €).
    kind, first = _first_answer(services, "mobilite", "les aires de covoiturage ont coûté combien ?")
    assert (kind, first) == ("amount", "mobilite_aires_capacites")


def test_the_words_asking_the_kind_name_no_subject(services: Services) -> None:
    # « le numéro » asks a contact: it does not make the water's « numéros verts » the answer.
    kind, first = _first_answer(services, "contact", "c'est quoi le numéro de téléphone de l'agglo ?")
    assert (kind, first) == ("contact", "contact_standard")


def test_ou_asks_where_only_when_it_ends_the_question(services: Services) -> None:
    lexicon = question_words_of(services.kb)
    # « où », folded, is also « ou »: it asks where at the end of a question, not within one.
    assert question_of("mon voisin brûle ses déchets verts, je peux les amener où ?", lexicon).kinds == ("where",)
    assert "where" not in question_of("le composteur c'est gratuit ou payant ?", lexicon).kinds
    # « quand même » asks no date.
    assert "when" not in question_of("je peux louer quand même ?", lexicon).kinds


def test_il_y_a_des_aides_asks_what_there_is_like_une_aide(services: Services) -> None:
    lexicon = question_words_of(services.kb)
    assert question_of("j'ai une fosse septique à refaire, il y a des aides ?", lexicon).kinds == ("what",)


def test_between_equal_scores_the_fact_sharing_more_with_the_question_comes_first(services: Services) -> None:
    # Both Cité de la musique facts name Béthune; the one building it « rue de Lille » shares more
    # with the question than the plan's « deux sites » (their capped scores are equal).
    kind, first = _first_answer(services, "sport_culture", "à Béthune, la cité de la musique sera où ?")
    assert (kind, first) == ("where", "sport_culture_cite_musique")


@pytest.mark.parametrize(
    ("slug", "text", "first"),
    [
        ("mobilite", "des transports solidaires pour les villages ?", "mobilite_plan_transports_solidaires"),
        ("tourisme", "et les circuits de randonnée à pied ?", "tourisme_plan_circuits"),
    ],
)
def test_a_question_of_no_kind_gets_first_the_fact_whose_first_clause_it_names(
    services: Services, slug: str, text: str, first: str
) -> None:
    # Artois Mobilités' fact weighs as much by its words (« transports », « communes »), the
    # tourist office's too; the plan's facts are about what is asked from their first words.
    assert resident_answer(services.kb, slug, question=text).facts[0] == first


def test_a_question_read_without_its_turn_still_names_what_it_is_about(services: Services) -> None:
    # The topic's action reads the question alone (no turn plan): what it names is kept, apart
    # from the words that ask (« horaires », « quand »), for the subject's checks.
    question = question_of("les déchetteries ont des horaires d'hiver ?", question_words_of(services.kb))
    assert "hiver" in question.content
    assert "horaires" not in question.content


@pytest.mark.parametrize(
    ("slug", "text", "kinds", "first"),
    [
        # kb/lexicon.yml change_words: « combien » with a change asks by how much, not a price
        # (the composters' price came first).
        ("dechets", "de combien l'agglo veut réduire les déchets d'ici 2030 ?", ("figure",), "dechets_objectifs_2030"),
        # « apprendre » is read « se former », the digital advisers' word.
        (
            "education_citoyennete",
            "je suis nul en informatique, l'agglo peut m'aider à apprendre ?",
            (),
            "education_citoyennete_conseillers_numeriques",
        ),
        # « pour quelles communes » asks where a scheme applies: the list, not what the permis is.
        ("permis_de_louer", "le permis de louer c'est pour quelles communes ?", ("eligibility",), "pdl_liste_2025"),
        # « papier » alone is no paperwork (« une carte papier »): the price is asked, only it.
        (
            "tourisme",
            "il existe une carte papier des parcours VTT ? elle coûte combien ?",
            ("amount",),
            "tourisme_topo_guide",
        ),
        # « ouverts au public », « ouvertes à tous » say who may come, not opening hours.
        ("environnement", "les ateliers compost sont ouverts au public ?", ("eligibility",), "environnement_ateliers"),
        (
            "environnement",
            "les ateliers de sensibilisation sont ouverts à tous ?",
            ("eligibility",),
            "environnement_ateliers",
        ),
        # « déposer des … » asks what the déchetterie accepts, not how to apply (the asbestos
        # rule, whose field is how to apply, came first).
        (
            "dechets",
            "est-ce que je peux déposer des pneus à la déchetterie ?",
            ("sorting",),
            "dechets_dechetteries_acceptes",
        ),
        # « toujours bonne » asks whether it is still valid: when it lapses, not the fines.
        (
            "permis_de_louer",
            "je n'ai jamais loué mon appartement, mon autorisation de louer est toujours bonne ?",
            ("validity",),
            "pdl_validite",
        ),
        # « depuis quand ? » of a headline aid: the fact that opens with the date in those words
        # (« Depuis le 1er septembre 2018, … »), though filed under what it is, not the validity
        # period of an authorisation.
        ("permis_de_louer", "le permis de louer existe depuis quand ?", ("when",), "pdl_principe"),
        # kb/lexicon.yml start_words: « commencé » asks the start, as « depuis » does.
        ("permis_de_louer", "le permis de louer a commencé quand ?", ("when",), "pdl_principe"),
        # « incinérateur », the word residents know, asks of the new centre de valorisation énergétique.
        ("dechets", "le nouvel incinérateur sera en service en quelle année ?", ("when",), "dechets_cve_projet"),
        # Opening days and hours tying on the capped cues: the fact saying more of them (every
        # day's hours) before the one saying the closing day alone.
        ("dechets", "la déchetterie est ouverte le dimanche matin ?", ("opening",), "dechets_dechetteries_horaires"),
        ("dechets", "la déchetterie ferme à quelle heure ?", ("opening",), "dechets_dechetteries_horaires"),
        # Two kinds asked (which papers, how long they last): between the papers' facts tying,
        # the one saying how long they are valid first.
        (
            "permis_de_louer",
            "validité des diagnostics pour le permis de louer",
            ("documents", "validity"),
            "pdl_diagnostics_validite",
        ),
    ],
)
def test_everyday_words_get_the_fact_that_answers(
    services: Services, slug: str, text: str, kinds: tuple[str, ...], first: str
) -> None:
    assert question_of(text, question_words_of(services.kb)).kinds == kinds
    assert resident_answer(services.kb, slug, question=text).facts[0] == first


def test_only_a_fact_naming_a_commune_says_where(services: Services) -> None:
    # The cue of a commune named is no word to cut to a stem: cut, « communenommee » was met by
    # the « conseil communautaire » of a fact that says nothing of where.
    lexicon = question_words_of(services.kb)
    facts = {fact.id: fact for fact in services.kb.topic("agriculture").facts_for(None, residents=True)}
    assert kind_cues_said(facts["agriculture_pat_reconnu"], lexicon, "where") == 0
    question = question_of("le projet alimentaire territorial a démarré où ?", lexicon)
    scored = score_facts(
        services.kb, "agriculture", list(facts.values()), question, lexicon, "where", place_words(services.kb)
    )
    assert [item.fact.id for item in scored if item.answers_kind] == ["agriculture_pat_gouvernance"]


def test_a_helmet_is_one_of_the_safety_accessories(services: Services) -> None:
    # kb/lexicon.yml: « casque » reads « accessoires de sécurité », which the Pass'Mobil'Agglo's
    # fact names.
    answer = resident_answer(services.kb, "aide_velo", question="je peux acheter un casque avec le Pass'Mobil'Agglo ?")
    assert answer.facts[0] == "velo_pass_mobil_existe"


def test_a_percentage_counts_figures_in_percent_only(services: Services) -> None:
    lexicon = question_words_of(services.kb)
    question = question_of("quel pourcentage des déchets sera valorisé ?", lexicon)
    assert question.counted[0] == "pourcents"
    facts = services.kb.topic("dechets").facts_for(None, residents=True)
    counts = {item.fact.id: item.counts for item in score_facts(services.kb, "dechets", facts, question, lexicon)}
    # « 67 % » counts; « 50 M€ pour l'Agglo » does not (« pour cent » is one spelling, not two).
    assert counts["dechets_objectifs_2030"] and not counts["dechets_cve_cout"]


@pytest.mark.parametrize(
    ("text", "kinds", "counted_first"),
    [
        # « argent » is counted in euros: the 42 M€ for the communes, not any number.
        ("combien d'argent l'agglo donne aux communes ?", ("figure",), "euros"),
        # « veut quoi » asks what is planned.
        ("l'agglo veut quoi pour les piscines ?", ("actions",), None),
        # « réserver où », « s'inscrire où »: where to do it is how to apply (a website), not an
        # address.
        ("on le réserve où ?", ("how_to_apply",), None),
        # SMS spellings ask as the words they stand for.
        ("slt c koi le num du service collecte", ("contact",), None),
        # « on en fait quoi ? » of a thing asks where it goes; « qu'est-ce qui est fait ? » what
        # is done about it.
        ("et le verre on en fait quoi ?", ("sorting",), None),
        ("on a de l'eau rousse, qu'est-ce qui est fait ?", ("actions",), None),
        ("mon bac est cassé, comment en avoir un autre ?", ("how_to_apply",), None),
        # « combien » within « combien de temps » asks a delay, no count of « temps ».
        ("combien de temps pour avoir la réponse ?", ("delay",), None),
    ],
)
def test_what_everyday_words_ask_and_count(
    services: Services, text: str, kinds: tuple[str, ...], counted_first: str | None
) -> None:
    question = question_of(text, question_words_of(services.kb))
    assert question.kinds == kinds
    assert (question.counted[0] if question.counted else None) == counted_first


def test_a_commune_near_another_does_not_name_it(services: Services) -> None:
    # « Vendin-lès-Béthune » is Vendin near Béthune: its streets are not Béthune's.
    facts = {fact.id: fact for fact in services.kb.topic("permis_de_louer").facts_for(None, residents=True)}
    assert not names_place(facts["pdl_vendin_rues_2025"], frozenset({"bethune"}))
    assert names_place(facts["pdl_vendin_rues_2025"], frozenset({"vendin"}))
    # « dans quelle rue ? » in a commune with rules: the commune's rule answers, not the streets
    # of another.
    answer = resident_answer(
        services.kb,
        "permis_de_louer",
        question="Béthune, il faut un permis de louer dans quelle rue ?",
        commune_insee="62119",
    )
    assert answer.facts[0] == "pdl_liste_2025" and "Vendin" not in answer.text


def test_qui_after_a_noun_relates_a_clause_and_asks_nobody(services: Services) -> None:
    lexicon = question_words_of(services.kb)
    # « un fourgon qui fait 2,30 m »: the van, not who does something.
    van = "j'ai un fourgon qui fait 2,30 m de haut, je pourrai entrer dans une déchetterie avec ?"
    assert "who" not in question_of(van, lexicon).kinds
    # Opening a clause, after « c'est » or at the start, « qui » asks who all the same.
    assert "who" in question_of("pour le permis de louer, qui vient faire la visite ?", lexicon).kinds
    assert "who" in question_of("depuis quand c'est l'agglo qui s'occupe de l'eau ?", lexicon).kinds
    assert "who" in question_of("qui gère les piscines ?", lexicon).kinds
    assert _first_answer(services, "dechets", van)[1] == "dechets_dechetteries_acces"


def test_a_count_of_millions_meets_a_sum_in_millions_of_euros(services: Services) -> None:
    # « combien de millions » is the 336 M€ of the budget asked, not any fact writing « millions ».
    _kind, first = _first_answer(
        services, "projet_de_territoire", "en 2024, le budget de l'agglo se montait à combien de millions ?"
    )
    assert first == "pdt_budget_2024"


def test_the_word_after_quel_is_what_is_asked(services: Services) -> None:
    # « on envoie quel formulaire ? » asks which form: the cerfa, before the receipt of a sent
    # file.
    _kind, first = _first_answer(services, "permis_de_louer", "le permis de louer, on envoie quel formulaire ?")
    assert first == "pdl_formulaire"


def test_the_unit_that_asks_is_the_one_counted(services: Services) -> None:
    # « quel pourcentage » counts per cent, though « l'argent » names euros: the + 20 % of the
    # fonds de concours, not the 42 M€ given to the communes.
    lexicon = question_words_of(services.kb)
    question = question_of("l'argent versé aux communes, il augmentera de quel pourcentage ?", lexicon)
    assert "euros" not in question.counted
    _kind, first = _first_answer(
        services, "fonds_de_concours", "l'argent versé aux communes, il augmentera de quel pourcentage ?"
    )
    assert first == "fdc_plan_hausse"


def test_a_span_of_years_answers_when(services: Services) -> None:
    # « 2019-2025 » is a period, as « fin 2026 » is a date: the fact that states it answers « when ».
    lexicon = question_words_of(services.kb)
    question = question_of("le PAT, il court sur quelle période ?", lexicon)
    facts = services.kb.topic("agriculture").facts_for(None, residents=True)
    scored = score_facts(services.kb, "agriculture", facts, question, lexicon, "when")
    answering = [item.fact.id for item in scored if item.answers_kind]
    assert "agriculture_pat_reconnu" in answering
