"""From a message to its answers (bot/core/turns.py), on kb/, with the NLU's intent given."""

from __future__ import annotations

import pytest

from bot.core.reading import read
from bot.core.services import Services
from bot.core.turns import Asked, Context, Nlu, answer_plan, answer_questions, turn_plan
from bot.web.language_model import nlu_of

SWITCHBOARD = "03 21 61 50 00"


def _answer(services: Services, intent: str, text: str) -> tuple[list[str], str]:
    answers = answer_questions(services, text, Nlu(intent=intent), Context(), Asked())
    assert answers
    return [fact for answer in answers for fact in answer.facts], "\n".join(answer.text for answer in answers)


def test_a_fact_about_another_commune_does_not_answer_for_the_one_named(services: Services) -> None:
    facts, text = _answer(services, "sport_culture", "la piscine de Béthune ouvre à quelle heure le dimanche ?")
    assert "sport_culture_piscine_lillers" not in facts
    assert SWITCHBOARD in text


def test_a_thing_named_that_no_answering_fact_speaks_of_is_an_unknown_with_the_contact(services: Services) -> None:
    facts, text = _answer(services, "sport_culture", "combien coûte le ski à Loisinord ?")
    # Not the pools' or the music school's figures in euros presented as its price: the unknown
    # first, then what is known of Loisinord, then the contact.
    assert "€" not in text and "Loisinord" in text
    assert text.index("pas d'information vérifiée") < text.index("Loisinord") < text.index(SWITCHBOARD)
    assert any(fact.startswith("contact_") for fact in facts)


def test_an_unknown_comes_with_what_is_known_of_the_thing_asked(services: Services) -> None:
    # The only fact answering « quand » is the food plan's first meeting: not the school's date.
    facts, text = _answer(services, "agriculture", "elle ouvre quand l'école de production agricole ?")
    assert facts[0] == "agriculture_ecole_production"
    assert "pas d'information vérifiée" in text and SWITCHBOARD in text and "2020" not in text


def test_everyday_words_of_a_question_do_not_make_it_an_unknown(services: Services) -> None:
    facts, _ = _answer(
        services, "permis_de_louer", "mettre en location alors que l'agglo a dit non, c'est quelle amende au maximum ?"
    )
    assert facts[0] == "pdl_sanctions"


def test_the_contact_topic_gives_way_to_the_topic_the_contact_is_for(services: Services) -> None:
    plan = turn_plan(
        services,
        "c'est quoi le site internet pour demander le récupérateur d'eau ?",
        Nlu("demander_contact"),
        Context(),
    )
    assert [part.topic for part in plan.parts] == ["aide_recuperateur_eau"]
    alone = turn_plan(services, "quel est le site internet de l'agglo ?", Nlu("demander_contact"), Context())
    assert [part.topic for part in alone.parts] in ([], ["contact"])


def test_two_questions_on_one_topic_counting_two_things_get_two_answers(services: Services) -> None:
    answers = answer_questions(
        services,
        "combien d'habitants dans l'agglo et combien de communes au total ?",
        Nlu("communes"),
        Context(),
        Asked(),
    )
    assert answers is not None and len(answers) == 2
    first, second = answers
    assert "275 327" in first.text
    # The second does not repeat the first's fact: it gives its own.
    assert first.facts[0] not in second.facts and "100 communes" in second.text


def test_a_contact_asked_after_a_question_is_the_contact_for_its_topic(services: Services) -> None:
    text = "Quel est le prix de l'eau cette année, et quel numéro appeler en cas de fuite en pleine nuit ?"
    plan = turn_plan(services, text, Nlu("eau_potable"), Context())
    assert [(part.topic, part.question.kind) for part in plan.parts] == [
        ("eau_potable", "amount"),
        ("eau_potable", "contact"),
    ]


def test_a_second_fact_speaks_of_what_the_first_answered(services: Services) -> None:
    facts, text = _answer(services, "dechets", "combien coûte le grand composteur de 800 L ?")
    assert facts[0] == "dechets_composteurs_prix"
    assert "M€" not in text, "not the cost of a plant after the composters' price"


def test_an_agent_asking_about_a_commune_gets_its_rule_not_the_whole_fiche(services: Services) -> None:
    violaines = services.communes.find("Violaines")
    assert violaines is not None and violaines.commune is not None
    asked = Asked(commune=violaines.commune.insee, agent=True)
    answers = answer_questions(
        services, "Violaines est bien dans la liste APML 2025 ?", Nlu("permis_de_louer"), Context(), asked
    )
    assert answers is not None and len(answers) == 1
    assert "Violaines fait partie des communes concernées" in answers[0].text
    assert len(answers[0].text) < 2000, "not the whole fiche"


def test_an_owner_asking_for_documents_stays_on_the_nlus_topic(services: Services) -> None:
    plan = turn_plan(
        services, "un propriétaire de Beuvry me demande quels diagnostics joindre", Nlu("permis_de_louer"), Context()
    )
    assert [part.topic for part in plan.parts] in ([], ["permis_de_louer"])


def test_thanks_give_way_to_the_question_that_follows(services: Services) -> None:
    text = "merci pour tout ! juste pour être sûre : le composteur de 800 L coûte combien ?"
    plan = turn_plan(services, text, Nlu("remerciement"), Context())
    assert [part.topic for part in plan.parts] == ["dechets"]
    assert turn_plan(services, "merci beaucoup", Nlu("remerciement"), Context()).defer


def test_a_sentence_ending_with_a_question_mark_is_a_question_of_its_own(services: Services) -> None:
    text = "Loisinord c'est où ? et le futur centre de valorisation des déchets, il sera où ?"
    plan = turn_plan(services, text, Nlu("sport_culture"), Context())
    assert [part.topic for part in plan.parts] == ["sport_culture", "dechets"]
    # One that asks nothing of its own stays with the question before it.
    alone = turn_plan(
        services, "le composteur de 800 L coûte combien, on a quoi comme info ?", Nlu("dechets"), Context()
    )
    assert [part.topic for part in alone.parts] == ["dechets"]


def test_a_verb_asks_its_kind_in_any_tense(services: Services) -> None:
    plan = turn_plan(services, "la zone à faibles émissions concernera quelles voitures ?", Nlu("zfe"), Context())
    assert [part.question.kind for part in plan.parts] == ["eligibility"]


def test_pas_opening_a_clause_rejects_what_it_names(services: Services) -> None:
    context = Context(topic="zfe")
    plan = turn_plan(
        services, "non, pas la zone à faibles émissions : je voulais savoir si le bus est gratuit", Nlu("zfe"), context
    )
    assert plan.reading is not None and plan.reading.rejected_topics == ("zfe",)
    assert [part.topic for part in plan.parts] == ["mobilite"]
    # « pas » inside a clause rejects nothing.
    other = turn_plan(services, "je n'ai pas le temps, le bus est gratuit ?", Nlu("mobilite"), context)
    assert other.reading is not None and other.reading.rejected_topics == ()


def test_a_correction_to_another_aspect_of_the_same_topic_answers_that_aspect(services: Services) -> None:
    context = Context(topic="formation")
    plan = turn_plan(services, "non, pas l'école d'ingénieurs, la cité des métiers", Nlu("formation"), context)
    assert plan.reading is not None and plan.reading.rejected_topics == ()
    answers = answer_questions(
        services, "non, pas l'école d'ingénieurs, la cité des métiers", Nlu("formation"), context, Asked()
    )
    assert answers[0].facts[0] == "formation_plan_cite_metiers"
    assert "ingénieurs" not in answers[0].text


def test_what_it_is_only_frames_another_kind_asked(services: Services) -> None:
    plan = turn_plan(services, "c'est quoi le délai pour le permis de louer ?", Nlu("permis_de_louer"), Context())
    assert [part.question.kinds for part in plan.parts] == [("delay",)]
    alone = turn_plan(services, "il y a une aide pour la cuve à eau ?", Nlu("aide_recuperateur_eau"), Context())
    assert [part.question.kinds for part in alone.parts] in ([("what",)], [])


def test_a_situation_told_before_the_question_joins_it(services: Services) -> None:
    text = "je renouvelle le bail avec le même locataire, faut refaire une demande de permis de louer ?"
    plan = turn_plan(services, text, Nlu("logement"), Context())
    assert [part.topic for part in plan.parts] == ["permis_de_louer"]
    # A question of its own before the comma stays one.
    two = turn_plan(services, "combien coûte le composteur, et la déchetterie ouvre quand ?", Nlu("dechets"), Context())
    assert len(two.reading.questions if two.reading else ()) == 2


def test_an_unknown_is_the_topics_own_about_what_was_asked(services: Services) -> None:
    _, text = _answer(services, "agriculture", "elle ouvre quand l'école de production agricole ?")
    assert text.startswith("Nous n'avons pas d'information vérifiée sur la création de l'école de production agricole")


def test_an_unknown_that_speaks_of_the_thing_asked_beats_an_unrelated_fact(services: Services) -> None:
    facts, text = _answer(services, "education_citoyennete", "où sont les permanences des conseillers numériques ?")
    assert "lieux et horaires de leurs permanences" in text and SWITCHBOARD in text
    assert "education_citoyennete_associations" not in facts


def test_an_aids_unknown_amount_is_said_by_its_amount_unknown(services: Services) -> None:
    _, text = _answer(
        services, "aide_recuperateur_eau", "je voudrais savoir combien il faut payer pour une cuve à eau de pluie"
    )
    assert text.startswith("Le montant de cette aide") and "€" not in text


def test_one_shared_word_names_no_unknown_of_the_topic(services: Services) -> None:
    _, text = _answer(services, "sport_culture", "est-ce que la piscine de Bruay est ouverte le dimanche matin ?")
    assert "liste complète des piscines" not in text
    assert "pas d'information vérifiée" in text and SWITCHBOARD in text


def test_an_aids_field_unknown_is_said_when_only_other_fields_answered_the_kind(services: Services) -> None:
    # The fine answers « combien » in euros, but a fee for the demand is the amount field's
    # unknown, said in so many words, not a generic « pas d'information sur le montant ».
    facts, text = _answer(services, "permis_de_louer", "est-ce qu'il faut payer des frais pour la demande ?")
    assert text.startswith("Nous n'avons pas d'information vérifiée sur d'éventuels frais")
    assert "pdl_sanctions" not in facts


def test_an_aids_field_unknown_is_not_said_for_facts_left_out_as_about_something_else(services: Services) -> None:
    # The validity facts are left out (« une fois obtenue » is another fact's words): the period
    # field's unknown about the communes' list would answer something nobody asked.
    _, text = _answer(
        services, "permis_de_louer", "une fois obtenu, le permis de louer reste valable combien de temps ?"
    )
    assert "changements de la liste" not in text


def test_opening_days_unknown_is_the_one_that_speaks_of_opening(services: Services) -> None:
    # Opening days have no field of their own: the unknown is the one about opening hours, not
    # the first field's (the Maison de l'habitat's address).
    _, text = _answer(services, "demander_contact", "à quelle heure ouvre l'accueil du siège de l'agglo ?")
    assert text.startswith("Nous n'avons pas d'information vérifiée sur les horaires d'ouverture de l'accueil")
    assert "Maison de l'habitat" not in text


def test_a_phone_number_of_the_commune_asked_answers_before_the_general_contact(services: Services) -> None:
    # The list of the déchetteries gives each one's number: the one of the commune asked comes
    # first, the collection service after it.
    facts, text = _answer(services, "dechets", "quel est le téléphone de la déchetterie de Lillers ?")
    assert facts[0] == "dechets_liste_dechetteries" and "03 21 54 43 11" in text
    # Without a commune, the contact facts keep their order: the switchboard, not a service's.
    facts, _ = _answer(services, "demander_contact", "c'est quoi le numéro de téléphone de l'agglo ?")
    assert facts[0] == "contact_standard"


def test_an_english_question_about_tap_water_gets_the_french_answer_too(services: Services) -> None:
    # « water » alone is an everyday word; « tap water » means « eau du robinet » (kb/lexicon.yml).
    answers = answer_questions(
        services, "how much does running water cost here?", Nlu(intent="hors_sujet"), Context(), Asked()
    )
    assert answers and [answer.topic for answer in answers] == ["eau_potable"] * 3
    # The notice announces the French answer, whose fact is the first the resident reads; the
    # Agglo's contact comes after it, in English.
    wording = services.kb.message("english")
    assert answers[0].text == wording["answer_follows"] and not answers[0].facts
    assert answers[1].facts[0] == "eau_prix_2026"
    assert answers[2].text.startswith(wording["contact_after"]) and "03 21 61 50 00" in answers[2].text


def test_an_english_question_whose_answer_gives_the_switchboard_gets_it_once(services: Services) -> None:
    answers = answer_questions(
        services, "what is the phone number of the Agglo?", Nlu(intent="hors_sujet"), Context(), Asked()
    )
    assert answers and answers[0].text.startswith("Hello")
    assert sum(answer.text.count("03 21 61 50 00") for answer in answers) == 1


def test_an_english_message_on_no_topic_gets_the_contact_at_once(services: Services) -> None:
    answers = answer_questions(services, "hello, do you speak english?", Nlu(intent="hors_sujet"), Context(), Asked())
    assert answers and len(answers) == 1 and "03 21 61 50 00" in answers[0].text


def test_an_english_question_in_the_first_person_is_read_as_english(services: Services) -> None:
    # « I'm a landlord, do I need … »: « i » is English only; the NLU, reading French, took it for
    # a question on the music school when it named a commune.
    answers = answer_questions(
        services, "I'm a landlord, do I need a rental permit in Bruay?", Nlu(intent="sport_culture"), Context(), Asked()
    )
    assert [answer.topic for answer in answers] == ["permis_de_louer"] * 3
    assert answers[0].text.startswith("Hello")


def test_mon_eau_names_drinking_water_in_a_message_naming_a_commune(services: Services) -> None:
    # The NLU took it for the commune; kb/topics/eau_potable.yml: « mon eau » names the water.
    plan = turn_plan(services, "j'habite Isbergues, qui s'occupe de mon eau ?", Nlu("informer_commune"), Context())
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [("eau_potable", ("who",))]


def test_what_follows_mais_is_what_is_asked_about(services: Services) -> None:
    # « bus », an everyday word, overrules the NLU's topic when the message says it moves on to it.
    context = Context(topic="permis_de_louer", kind="what", previous="expliquez-moi en deux mots le permis de louer")
    text = "on parlait du permis de louer, mais au fait le bus est gratuit maintenant ?"
    plan = turn_plan(services, text, Nlu("permis_de_louer"), context)
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [("mobilite", ("amount",))]


def test_an_english_question_on_an_old_fridge_gets_what_the_dechetteries_accept(services: Services) -> None:
    # kb/lexicon.yml: « fridge » reads « électroménager » (a keyword of waste), « throw away »
    # asks where a thing goes.
    answers = answer_questions(
        services, "good morning, where can I throw away an old fridge?", Nlu(intent="incompris"), Context(), Asked()
    )
    assert [answer.topic for answer in answers] == ["dechets"] * 3
    assert answers[1].facts[0] == "dechets_dechetteries_acceptes"


def test_setting_up_ones_own_business_in_everyday_words_is_about_creating_a_company(services: Services) -> None:
    # « lancer ma boîte » means « création d'entreprise » (kb/lexicon.yml), not the economy's
    # « entreprise » alone.
    plan = turn_plan(services, "est-ce que l'agglo peut m'aider à lancer ma boîte ?", Nlu("economie_emploi"), Context())
    assert [part.topic for part in plan.parts] == ["entrepreneuriat"]


def test_the_aids_own_name_is_not_what_is_asked_about_within_it(services: Services) -> None:
    # « le montant du pass mobil agglo » names the aid, not something within it: the amounts
    # answer, for a resident and for an agent alike.
    for agent in (False, True):
        answers = answer_questions(
            services, "montant du pass mobil agglo pour un VAE", Nlu("aide_velo"), Context(), Asked(agent=agent)
        )
        assert answers and "velo_mav_montant_electrique" in answers[0].facts, agent


def test_an_unaccented_ou_offering_an_alternative_does_not_ask_where(services: Services) -> None:
    # Folded, « ou c'est au propriétaire » reads « où est … »: a question of where, answered by
    # a context line about drinking water. The alternative asks who may apply for the aid
    # (« c'est au propriétaire ? », kb/lexicon.yml).
    text = "un locataire peut demander lui-même le récupérateur d'eau de pluie ou c'est au propriétaire ?"
    plan = turn_plan(services, text, Nlu("aide_recuperateur_eau"), Context())
    assert [part.question.kind for part in plan.parts] == ["who"]
    where = turn_plan(services, "ou se trouve la déchetterie de Béthune ?", Nlu("dechets"), Context())
    assert [part.question.kind for part in where.parts] == ["where"]
    # « … ce jour-là ou c'est fermé ? »: whether it is open, not where it is.
    closed = "je finis à 17h le lundi, est-ce que je peux passer à la déchèterie ce jour-là ou c'est fermé ?"
    assert [part.question.kinds for part in turn_plan(services, closed, Nlu("dechets"), Context()).parts] == [
        ("opening",)
    ]


def test_a_facility_open_to_someone_answers_who_may_go_there(services: Services) -> None:
    # « ouverte aux particuliers » tells who may use the « gros volumes » déchetterie.
    facts, _ = _answer(services, "dechets", "qui a le droit d'utiliser la déchetterie gros volumes ?")
    assert facts[0] == "dechets_gros_volumes"


def test_where_a_facility_of_an_unlisted_commune_is_an_unknown_not_a_fact_saying_route(services: Services) -> None:
    # No déchetterie of the knowledge base is at Beuvry: the others' are left out, and so is the
    # fact on putting the bins out, which only says « la route ».
    facts, text = _answer(services, "dechets", "la déchetterie de Beuvry, c'est où ?")
    assert "dechets_bacs_presentation" not in facts
    assert "pas d'information vérifiée" in text and SWITCHBOARD in text
    facts, _ = _answer(services, "dechets", "la déchetterie de Béthune, c'est où ?")
    assert facts[0] in ("dechets_liste_dechetteries", "dechets_gros_volumes")


def test_who_runs_something_is_a_kind_of_question_answered_by_who_does(services: Services) -> None:
    # « qui … » asks who chairs, builds or runs: the fact that says it (kb/lexicon.yml, « who »).
    answers = answer_questions(
        services, "c'est qui le président de l'agglo en ce moment ?", Nlu(intent="hors_sujet"), Context(), Asked()
    )
    assert answers and answers[0].facts[0] == "contact_president"
    facts, _ = _answer(services, "eau_potable", "qui s'occupe de l'eau du robinet depuis cette année ?")
    assert facts[0] == "eau_regie_2026"
    # Another body's president is not the Agglo's.
    plan = turn_plan(services, "qui est le président de la République ?", Nlu("hors_sujet"), Context())
    assert plan.defer


def test_what_a_thing_is_comes_before_what_is_planned_for_it(services: Services) -> None:
    # Both facts speak of Loisinord alike: « c'est quoi » gets the one that says what it is.
    facts, _ = _answer(services, "sport_culture", "c'est quoi loisinord")
    assert facts[0] == "sport_culture_loisinord"
    plan = turn_plan(services, "à Loisinord, y a des travaux de prévus ?", Nlu("sport_culture"), Context())
    assert [part.question.kind for part in plan.parts] == ["actions"]


def test_the_agglos_own_name_names_no_other_commune(services: Services) -> None:
    # « … des agglomérations de Béthune-Bruay, Lens-Liévin… » is not about Béthune: the free bus
    # answers a resident of Barlin.
    facts, _ = _answer(services, "mobilite", "jsuis a barlin, le bus c gratuit ?")
    assert facts[0] == "mobilite_tadao_gratuit_2026"


def test_the_keyword_that_named_the_topic_still_says_what_the_second_fact_must_be_about(
    services: Services,
) -> None:
    # « composteur » named the waste topic; it is also what is priced: not the energy centre's
    # 146 M€ after the composters' prices.
    facts, text = _answer(services, "dechets", "combien coûte un composteur ?")
    assert facts == ["dechets_composteurs_prix"] or "dechets_cve_cout" not in facts
    assert "M€" not in text


def test_a_second_fact_holds_the_very_word_asked_about_not_only_its_stem(services: Services) -> None:
    # « déchetterie » and « déchets » share a stem: the form for broken bins is no answer about
    # asbestos at the déchetterie.
    facts, _ = _answer(services, "dechets", "je peux déposer de l'amiante à la déchetterie ?")
    assert facts[0] == "dechets_amiante" and "dechets_demande_bac" not in facts


def test_what_is_known_comes_with_what_is_not_of_the_kind_asked(services: Services) -> None:
    # The zone « réservée aux véhicules les moins polluants » says which ones in general only:
    # the unknown about the vehicles concerned follows, with whom to ask.
    facts, text = _answer(services, "zfe", "la zone à faibles émissions, quels véhicules seront concernés exactement ?")
    assert facts[0] == "zfe_projet"
    assert "véhicules qui seraient concernés" in text and SWITCHBOARD in text
    # A fact of the kind's own field answered: no unknown added.
    _, text = _answer(services, "dechets", "combien coûte un composteur ?")
    assert "pas d'information vérifiée" not in text


def test_a_second_fact_says_the_very_word_of_the_kind_asked_when_the_first_does(services: Services) -> None:
    # « gratuit » asked and said by the first fact: a project's « 410 M€ » answers no « how much ».
    facts, _ = _answer(services, "mobilite", "les bus de l'agglo sont gratuits ?")
    assert facts[0] == "mobilite_tadao_gratuit_2026" and "mobilite_bulles" not in facts


def test_et_celle_de_after_a_question_asks_it_again_for_what_it_names(services: Services) -> None:
    plan = turn_plan(
        services, "la piscine de Bruay est ouverte l'hiver ? et celle de Lillers ?", Nlu("sport_culture"), Context()
    )
    assert [(part.topic, part.question.kind) for part in plan.parts] == [("sport_culture", "opening")] * 2
    answers = answer_plan(services, plan, "", Asked())
    assert "sport_culture_piscine_lillers" in answers[1].facts


def test_comment_and_a_pronoun_asks_how_to_apply(services: Services) -> None:
    plan = turn_plan(services, "combien coûte un composteur et comment on le réserve ?", Nlu("dechets"), Context())
    assert [part.question.kind for part in plan.parts] == ["amount", "how_to_apply"]


def test_the_keyword_naming_a_broad_topic_says_what_within_it_is_asked(services: Services) -> None:
    # « Proxibus » named mobility, and the on-demand buses within it: their fact, not the
    # car-sharing one that also says « gratuit ».
    facts, _ = _answer(services, "mobilite", "le Proxibus c'est gratuit aussi ?")
    assert facts[0] == "mobilite_tad_gratuit"
    # A headline aid's keyword only names the aid: the delay is still answered.
    facts, _ = _answer(services, "permis_de_louer", "délai d'instruction d'une APML ?")
    assert facts[0] == "pdl_delai"


def test_a_part_of_a_year_says_when_and_a_horizon_does_not(services: Services) -> None:
    # « travaux envisagés fin 2026 » answers « quand », not the car parks' places at Nœux.
    facts, _ = _answer(services, "mobilite", "au pôle gare de Nœux-les-Mines, les travaux démarrent quand ?")
    assert facts[0] == "mobilite_poles_gares"
    # « -78 % d'ici à 2050 » is no date of the low-emission zone.
    facts, text = _answer(services, "zfe", "la ZFE, c'est pour quand ?")
    assert "2050" not in text.split("\n")[0]


def test_a_short_message_opening_with_et_asks_the_last_question_of_what_it_names(services: Services) -> None:
    # After « combien de médecins généralistes ? » (santé, a figure): the associations' number.
    answers = answer_questions(services, "et d'associations ?", Nlu("sante"), Context("sante", "figure"), Asked())
    assert answers[0].facts[0] == "pdt_chiffre_associations"
    # After « le bus est gratuit ? »: the train's fare, not the car-sharing that also says « gratuit ».
    answers = answer_questions(services, "et le train ?", Nlu("mobilite"), Context("mobilite", "amount"), Asked())
    assert answers[0].facts[0] == "mobilite_ter_pass_pass"
    # Within a longer message « et » joins two questions, each with its own kind.
    plan = turn_plan(
        services,
        "Les bus Tadao sont gérés par qui ? Et il y a combien de parkings relais ?",
        Nlu("mobilite"),
        Context(),
    )
    assert [part.question.kind for part in plan.parts] == ["who", "figure"]


def test_the_keyword_naming_a_broad_topic_puts_the_facts_holding_it_first(services: Services) -> None:
    # « TER » and « transport à la demande » named mobility: their fares, not the bus network's.
    facts, _ = _answer(services, "mobilite", "le TER c'est gratuit ?")
    assert facts[0].startswith("mobilite_ter_")
    facts, _ = _answer(services, "mobilite", "le transport à la demande est gratuit ?")
    assert facts[0] == "mobilite_tad_gratuit"
    # An everyday word too (« train »), but not for the contact topic, which yields to the thing
    # asked about (« numéro » is no subject).
    facts, _ = _answer(services, "mobilite", "le train est gratuit ?")
    assert facts[0].startswith("mobilite_ter_")
    facts, _ = _answer(services, "contact", "quel numéro pour joindre le service presse de l'Agglo, svp ?")
    assert facts[0] == "contact_presse"


def test_everyday_ways_of_asking_what_and_for_whom(services: Services) -> None:
    # « parlez-moi de … » asks what it is (the NLU may read « parler » as asking for a contact).
    plan = turn_plan(services, "parlez-moi du récupérateur d'eau", Nlu("demander_contact"), Context())
    assert [(part.topic, part.question.kind) for part in plan.parts] == [("aide_recuperateur_eau", "what")]
    plan = turn_plan(services, "je suis retraité, la mutuelle pour tous c'est pour moi ?", Nlu("mutuelle"), Context())
    assert [part.question.kind for part in plan.parts] == ["eligibility"]


def test_two_questions_in_everyday_words_get_two_answers(services: Services) -> None:
    # « où le récupérer » asks how to get what the first question named.
    answers = answer_questions(
        services, "Combien coûte un composteur ? Et où le récupérer ?", Nlu("dechets"), Context(), Asked()
    )
    assert [answer.facts[0] for answer in answers] == ["dechets_composteurs_prix", "dechets_composteurs_demarche"]
    # « qui préside l'Agglo » names the contact topic, whatever the NLU made of the message.
    answers = answer_questions(
        services, "qui préside l'agglo et combien de communes en font partie ?", Nlu("communes"), Context(), Asked()
    )
    assert [answer.facts[0] for answer in answers] == ["contact_president", "communes_nombre"]


def test_a_question_that_names_nothing_is_about_what_the_last_message_named(services: Services) -> None:
    last = Context("sport_culture", "when", previous="quand ouvrira la cité de la musique ?")
    answers = answer_questions(services, "elle coûte combien ?", Nlu("demander_montant"), last, Asked())
    assert answers[0].facts[0] == "sport_culture_cite_musique"
    # « ses … » too, whatever the NLU made of it: the topic of the conversation.
    last = Context("agriculture", "what", previous="le projet alimentaire territorial, c'est quoi ?")
    plan = turn_plan(services, "et ses objectifs ?", Nlu("environnement"), last)
    assert [part.topic for part in plan.parts] == ["agriculture"]


def test_a_correction_within_the_topic_asks_the_last_question_of_what_it_names(services: Services) -> None:
    last = Context("dechets", "opening", previous="horaires des déchetteries ?")
    text = "je parle pas des déchetteries mais de la déchetterie gros volumes"
    answers = answer_questions(services, text, Nlu("dechets"), last, Asked())
    assert answers[0].facts[0] == "dechets_gros_volumes"


def test_after_the_intro_what_is_planned_comes_before_a_figure(services: Services) -> None:
    facts, text = _answer(services, "zfe", "c'est quoi la ZFE ?")
    assert facts[0] == "zfe_projet"
    assert "-78 %" not in text


def test_quand_meme_asks_no_date(services: Services) -> None:
    # « je peux louer quand même ? » asks whether, not when: the tacit authorisation answers.
    facts, _ = _answer(services, "permis_de_louer", "si l'agglo ne répond pas à ma demande, je peux louer quand même ?")
    assert facts[0] == "pdl_autorisation_tacite"


def test_a_paper_named_and_the_word_asking_its_validity_answer_in_a_headline_aid(services: Services) -> None:
    # The DPE's validity is the diagnostics' (filed under documents), not the authorisation's.
    facts, text = _answer(services, "permis_de_louer", "combien de temps est valable le DPE pour le permis de louer ?")
    assert facts[0] == "pdl_diagnostics_validite" and "10 ans" in text


def test_a_date_of_another_field_never_says_when_a_headline_aid_opens(services: Services) -> None:
    # « depuis le 1er janvier 2026 » (the water board's context) is no opening date of the aid.
    facts, text = _answer(
        services, "aide_recuperateur_eau", "la subvention pour les récupérateurs d'eau est ouverte depuis quand ?"
    )
    assert "recup_contexte_regie" not in facts[:1] and "2026" not in text.split("\n")[0]


def test_a_short_everyday_word_of_a_correction_names_nothing(services: Services) -> None:
    # « non, je voulais dire la déchetterie » after the pool's opening hours: the déchetteries'
    # hours, not the bin whose fact says « sales ou non vidés ».
    answers = answer_questions(
        services,
        "non, je voulais dire la déchetterie",
        Nlu(intent="dechets"),
        Context("sport_culture", "opening"),
        Asked(),
    )
    assert answers[0].facts[0] in ("dechets_dechetteries_horaires", "dechets_dechetteries_fermeture")


def test_an_everyday_keyword_yields_to_another_keyword_named(services: Services) -> None:
    # « rénovation » names the housing topic (thermal renovation) but is said of pools and slopes
    # too: « Loisinord » names what is asked about, whatever the NLU's topic.
    plan = turn_plan(services, "la rénovation de Loisinord va coûter combien ?", Nlu(intent="logement"), Context())
    assert [part.topic for part in plan.parts] == ["sport_culture"]


def test_a_date_of_opening_is_no_answer_to_opening_hours(services: Services) -> None:
    # The health centre's fact says « ouvert en juin 2024 »: its hours are an unknown.
    facts, text = _answer(services, "sante", "le centre de santé intercommunal est ouvert le samedi ?")
    assert "sante_csipa" not in facts
    assert "les horaires, la prise de rendez-vous" in text and SWITCHBOARD in text


def test_open_to_someone_asks_who_may_and_not_when(services: Services) -> None:
    facts, _ = _answer(
        services,
        "dechets",
        "le financement participatif du centre de valorisation énergétique, c'est ouvert aux habitants ?",
    )
    assert facts[0] == "dechets_cve_financement"


def test_opening_hours_no_fact_gives_are_said_unknown_after_what_is_known(services: Services) -> None:
    # The Lillers pool's closure answers « fermée », no day nor hour: the pools' hours are an
    # unknown of the topic, said after it with whom to ask.
    facts, text = _answer(services, "sport_culture", "les horaires de la piscine ?")
    assert facts[0] == "sport_culture_piscine_lillers"
    assert "horaires d'ouverture des piscines" in text and SWITCHBOARD in text
    # The déchetteries' hours are given in days and hours: no unknown after them.
    facts, text = _answer(services, "dechets", "les horaires de la déchetterie ?")
    assert "dechets_dechetteries_horaires" in facts and "pas d'information vérifiée" not in text


def test_bikes_for_hire_are_mobility_even_when_electric(services: Services) -> None:
    # « vélo électrique » names the purchase aid; « … en libre-service » is Artois Mobilités'
    # planned bike hire, a keyword of mobility and the longer one.
    facts, text = _answer(services, "aide_velo", "les vélos électriques en libre-service, ça arrive quand ?")
    assert facts[0] == "mobilite_vls"
    assert "mis en attente" in text


def test_a_fact_holds_a_keyword_of_several_words_only_when_it_holds_them_all(services: Services) -> None:
    # « voiture électrique » named mobility; the bike hire's « vélos électriques » held only
    # half of it and came before the charging points' costs.
    facts, text = _answer(
        services, "mobilite", "les bornes pour recharger la voiture électrique, ça a coûté combien à l'agglo ?"
    )
    assert facts[0] == "mobilite_bornes_schema"
    assert "147 000 €" in text


def test_a_reference_asking_for_a_number_keeps_what_was_spoken_of(services: Services) -> None:
    # « numéro » names the contact topic, which yields: « et celle de Béthune ? » after the
    # déchetteries asks the déchetterie's number, not the Agglo's switchboard.
    context = Context(topic="dechets", kind="opening", previous="les déchetteries sont ouvertes le dimanche ?")
    plan = turn_plan(services, "et celle de Houdain, c'est quel numéro ?", Nlu("contact"), context)
    assert [(part.topic, part.question.kind) for part in plan.parts] == [("dechets", "contact")]
    assert answer_plan(services, plan, "", Asked())[0].facts[0] == "dechets_liste_dechetteries"


def test_a_second_question_naming_no_topic_goes_where_a_fact_answers_it_better(services: Services) -> None:
    # No keyword names the towpath: the first question's topic (tourism) has no fact about it,
    # mobility's greenway has.
    text = "le topo-guide VTT coûte combien ? et le chemin de halage entre Billy-Berclau et Hinges, c'est quoi ?"
    plan = turn_plan(services, text, Nlu("tourisme"), Context())
    assert [part.topic for part in plan.parts] == ["tourisme", "mobilite"]
    assert answer_plan(services, plan, "", Asked())[1].facts[0] == "mobilite_voie_verte"
    # A second question its facts answer as well stays with the first's topic.
    plan = turn_plan(services, "combien coûte un composteur et comment on le réserve ?", Nlu("dechets"), Context())
    assert [part.topic for part in plan.parts] == ["dechets", "dechets"]


def test_a_word_that_asks_does_not_move_a_question_leaning_on_the_last(services: Services) -> None:
    # « budget » names the Agglo's budget when nothing else is spoken of; « et son budget ? »
    # asks the price of what the last message named.
    context = Context(
        topic="dechets", kind="what", previous="c'est quoi le nouveau centre de valorisation énergétique ?"
    )
    plan = turn_plan(services, "et son budget ?", Nlu("projet_de_territoire"), context)
    assert [(part.topic, part.question.kind) for part in plan.parts] == [("dechets", "amount")]
    assert answer_plan(services, plan, "", Asked())[0].facts[0] == "dechets_cve_cout"


def test_how_a_correction_is_said_is_not_what_it_asks_about(services: Services) -> None:
    # « je demandais » met the form « demande d'intervention bacs ».
    context = Context(topic="dechets", kind="opening", previous="la déchetterie ouvre le lundi ?")
    plan = turn_plan(services, "non, je demandais pour le dimanche", Nlu("dechets"), context)
    assert answer_plan(services, plan, "", Asked())[0].facts[0] == "dechets_dechetteries_horaires"


def test_the_same_count_asked_for_another_commune(services: Services) -> None:
    # « Labourse » is no thing counted: the places of the last question are, at Labourse.
    context = Context(
        topic="mobilite", kind="figure", previous="combien de places sur l'aire de covoiturage de Divion ?"
    )
    plan = turn_plan(services, "même question pour Labourse", Nlu("mobilite"), context)
    assert plan.parts[0].question.counted == ("place",)
    assert answer_plan(services, plan, "", Asked())[0].facts[0] == "mobilite_aires_capacites"


def test_who_asks_yields_to_what_is_asked_about(services: Services) -> None:
    plan = turn_plan(services, "je suis propriétaire, combien coûte un composteur ?", Nlu("logement"), Context())
    assert [(part.topic, part.question.kind) for part in plan.parts] == [("dechets", "amount")]


def test_two_question_words_of_one_subject_are_one_question(services: Services) -> None:
    # « où et quand » is one question of two kinds: one answer, its fact said once (two answers
    # showed the same fact twice).
    plan = turn_plan(services, "le PAT a démarré où et quand ?", Nlu("agriculture"), Context())
    assert len(plan.parts) == 1 and set(plan.parts[0].question.kinds) == {"where", "when"}
    answers = answer_plan(services, plan, "", Asked())
    assert [answer.facts[0] for answer in answers] == ["agriculture_pat_gouvernance"]
    # A second question with words of its own stays a second question.
    plan = turn_plan(services, "combien coûte un composteur et comment on le réserve ?", Nlu("dechets"), Context())
    assert len(plan.parts) == 2


def test_hiring_a_bike_somewhere_is_about_mobility_not_the_purchase_aid(services: Services) -> None:
    # kb/topics/mobilite.yml: « louer un vélo » names the hire; « quelque part » asks where.
    plan = turn_plan(
        services, "on peut louer un vélo électrique quelque part dans le coin ?", Nlu("demander_montant"), Context()
    )
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [("mobilite", ("where",))]


@pytest.mark.parametrize(
    ("intent", "text", "topic", "kinds", "first"),
    [
        # kb/lexicon.yml relative_pronouns: « l'usine qui brûle … » is what the question after
        # the comma asks about, not a first question (it got the sorting of household waste).
        (
            "industrie",
            "la future usine qui brûle les ordures, elle sera terminée en quelle année ?",
            "dechets",
            ("when",),
            "dechets_cve_projet",
        ),
        # Out of scope for the NLU, answered when its words name a topic: « il y aura … ? » asks
        # what is planned and « spectacles » reads the plan's « événements culturels »;
        # « déplacements » names mobility (kb/topics/mobilite.yml).
        (
            "hors_sujet",
            "il y aura des spectacles ailleurs que dans les salles ?",
            "sport_culture",
            ("actions",),
            "sport_culture_plan_hors_les_murs",
        ),
        (
            "hors_sujet",
            "quelle proportion des déplacements se fait en voiture ?",
            "mobilite",
            ("figure",),
            "mobilite_part_voiture",
        ),
        # A kind no fact of the NLU's topic answers goes to the topic whose fact does: taken for
        # housing (« propriétaire »), which tells of no sanction, the permis de louer's fines.
        (
            "logement",
            "propriétaire à Auchel, si je loue sans autorisation je risque quoi ?",
            "permis_de_louer",
            ("sanctions",),
            "pdl_sanctions",
        ),
        # « je fais comment » asks how to apply.
        (
            "permis_de_louer",
            "j'ai un appartement à Barlin que je veux louer, je fais comment pour l'autorisation ?",
            "permis_de_louer",
            ("how_to_apply",),
            "pdl_formulaire",
        ),
        # « à quel moment de l'année » asks when.
        (
            "dechets",
            "la collecte de la tonte s'arrête à quel moment de l'année ?",
            "dechets",
            ("when",),
            "dechets_dechets_verts",
        ),
        # « X peut-il … ? » asks whether X may; « artisan » reads « professionnels ».
        (
            "dechets",
            "un artisan peut-il venir vider sa camionnette à la déchetterie gros volumes ?",
            "dechets",
            ("eligibility",),
            "dechets_gros_volumes",
        ),
        # « est-ce à moi de … » asks who must (before how): the landlord, not the renewal of a lease.
        (
            "permis_de_louer",
            "je suis locataire, est-ce à moi de demander le permis de louer ?",
            "permis_de_louer",
            ("who", "how_to_apply"),
            "pdl_principe",
        ),
        # « qui vient … » asks who does it: the commune's agents visit.
        (
            "permis_de_louer",
            "qui vient contrôler le logement pour le permis de louer ?",
            "permis_de_louer",
            ("who",),
            "pdl_visite",
        ),
        # « dater de moins de … » asks how long a paper stays valid.
        (
            "permis_de_louer",
            "le diagnostic électrique doit dater de moins de combien d'années pour le permis de louer ?",
            "permis_de_louer",
            ("documents", "validity"),
            "pdl_diagnostics_validite",
        ),
        # « être aidé » asks whether there is an aid: a keyword of the knowledge base (« fosse
        # septique ») then keeps a message the NLU took for a question about the assistant.
        (
            "identite_bot",
            "pour refaire une fosse septique, on peut être aidé ?",
            "eau_potable",
            ("what",),
            "eau_anc_aides",
        ),
        # « c'est moi qui dois … » asks who must: the landlord.
        (
            "permis_de_louer",
            "je suis locataire : c'est moi qui dois demander le permis de louer ?",
            "permis_de_louer",
            ("who", "how_to_apply"),
            "pdl_principe",
        ),
        # « tout refaire » asks whether the authorisation stays valid: it is transferred.
        (
            "permis_de_louer",
            "si je vends la maison louée, le nouveau propriétaire doit tout refaire pour le permis de louer ?",
            "permis_de_louer",
            ("validity",),
            "pdl_validite",
        ),
        # A lease renewed is about when the authorisation applies (kb/ files it under period),
        # not a step of the application.
        (
            "permis_de_louer",
            "le bail est reconduit avec le même locataire, faut-il refaire une demande d'autorisation ?",
            "permis_de_louer",
            ("validity",),
            "pdl_renouvellement_bail",
        ),
        # « je n'habite pas … » asks who may; « Lillers » is no filter on the aid's facts, and
        # « Artois » alone (Artois Lys Romane) names the region, not Ham-en-Artois.
        (
            "aide_velo",
            "je n'habite pas ici mais je bosse à Lillers, le Pass'Mobil'Agglo c'est jouable ?",
            "aide_velo",
            ("eligibility",),
            "velo_eligibilite_habitants",
        ),
        (
            "mobilite",
            "habitant de Lillers, comment j'obtiens le titre gratuit pour le TER ?",
            "mobilite",
            ("amount", "how_to_apply"),
            "mobilite_ter_gratuit",
        ),
        # « venir la chercher » asks how to have it collected; « amiante » names waste.
        (
            "hors_sujet",
            "l'amiante de ma cabane, quelqu'un peut venir la chercher chez moi ?",
            "dechets",
            ("how_to_apply",),
            "dechets_amiante",
        ),
        # « aider financièrement » asks whether there is an aid, which keeps the keyword's topic.
        (
            "fonds_de_concours",
            "ma fosse septique est à changer, l'agence de l'eau peut m'aider financièrement ?",
            "eau_potable",
            ("what",),
            "eau_anc_aides",
        ),
        # A keyword of several words holding a word that asks (« qui s'occupe de l'eau ») names
        # its topic before an everyday one (« mairie »).
        (
            "fonds_de_concours",
            "qui s'occupe de l'eau chez nous depuis que la mairie ne le fait plus ?",
            "eau_potable",
            ("who",),
            "eau_regie_2026",
        ),
        # « c qui » asks who, as « c'est qui ».
        ("hors_sujet", "c qui le président de la communauté d'agglo ?", "contact", ("who",), "contact_president"),
        # « où on peut trouver » asks where; « randos » reads « randonnées ».
        ("tourisme", "où on peut trouver des randos à faire à pied ?", "tourisme", ("where",), "tourisme_office"),
        # « vise », « lutte contre » tell what is done (the food plan's aims); « précarité
        # alimentaire » names it.
        (
            "hors_sujet",
            "qu'est-ce que vous faites contre la précarité alimentaire ?",
            "agriculture",
            ("actions",),
            "agriculture_pat_objectifs",
        ),
        # The NLU's topic counts communes (a heat network's « 7 communes »), but « habitants »
        # names the communes, whose fact counts them better (« 2000 » is « 2 000 »).
        (
            "dechets",
            "combien de petites communes ont moins de 2000 habitants ?",
            "communes",
            ("figure",),
            "communes_population",
        ),
        # Out of scope for the NLU, wrapped (« franchement »): an everyday keyword (« bus ») and
        # the word asking the kind (« gratuit ») said by one fact keep the question.
        (
            "hors_sujet",
            "franchement, le bus est gratuit maintenant ?",
            "mobilite",
            ("amount",),
            "mobilite_tadao_gratuit_2026",
        ),
        # « on la met dans quoi » asks where it is sorted.
        ("dechets", "la tonte de pelouse, on la met dans quoi ?", "dechets", ("sorting",), "dechets_dechets_verts_bac"),
        # A commune's name counts nothing: not the car-sharing places « à Labourse/Nœux-les-Mines ».
        (
            "sport_culture",
            "la piste de ski de Nœux-les-Mines mesure quelle longueur ?",
            "sport_culture",
            ("figure",),
            "sport_culture_loisinord",
        ),
        # « je loue une maison » names the permis de louer (kb/topics/permis_de_louer.yml).
        (
            "hors_sujet",
            "je loue une maison à Auchel, quel est le délai de réponse pour l'autorisation ?",
            "permis_de_louer",
            ("delay",),
            "pdl_delai",
        ),
        # « le président de la communauté d'agglo » names the contact topic.
        ("agglomobile", "qui est le président de la communauté d'agglo ?", "contact", ("who",), "contact_president"),
    ],
)
def test_what_everyday_questions_are_about_and_their_first_fact(
    services: Services, intent: str, text: str, topic: str, kinds: tuple[str, ...], first: str
) -> None:
    plan = turn_plan(services, text, Nlu(intent), Context())
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [(topic, kinds)]
    facts, _ = _answer(services, intent, text)
    assert facts[0] == first


@pytest.mark.parametrize(
    ("context", "text", "first"),
    [
        # kb/lexicon.yml: « je me suis mal exprimé » says the last answer missed; « isoler »
        # reads « isolation », housing's word.
        (
            Context(topic="logement", previous="quelles sont les aides pour rénover ma maison ?"),
            "je me suis mal exprimé : c'est pour isoler, qui je dois appeler ?",
            "logement_contact_france_renov",
        ),
        # « je voulais dire … » corrects the last question; « comment on l'obtient » asks how to
        # apply.
        (
            Context(topic="dechets", kind="amount", previous="le prix du composteur ?"),
            "pardon, je voulais dire comment on l'obtient",
            "dechets_composteurs_demarche",
        ),
    ],
)
def test_a_correction_asks_again_of_the_topic_spoken_of(
    services: Services, context: Context, text: str, first: str
) -> None:
    answers = answer_questions(services, text, Nlu(intent="hors_sujet"), context, Asked())
    assert answers and answers[0].topic == context.topic
    assert answers[0].facts[0] == first


def test_the_keyword_naming_the_topic_brings_no_unknown_of_its_own(services: Services) -> None:
    # « déchetterie » named the topic; the winter hours of the déchetteries are not what « le
    # numéro de la déchetterie d'Auchel ? » asks.
    _, text = _answer(services, "dechets", "le numéro de la déchetterie d'Auchel ?")
    assert "hiver" not in text
    _, text = _answer(services, "dechets", "les déchetteries ont des horaires d'hiver ?")
    assert "horaires d'hiver" in text


def test_where_to_collect_something_asked_last_asks_how_to_get_it(services: Services) -> None:
    # « on le récupère où ? » asks how to get the composter (booking, then collection), not the
    # list of the déchetteries that « où » alone would ask.
    answers = answer_questions(
        services,
        "un composteur de 800 litres, c'est quel prix et on le récupère où ?",
        Nlu("dechets"),
        Context(),
        Asked(),
    )
    assert [(answer.kind, answer.facts[0]) for answer in answers] == [
        ("amount", "dechets_composteurs_prix"),
        ("how_to_apply", "dechets_composteurs_demarche"),
    ]


def test_vouchers_in_everyday_words_are_the_aids_cheques(services: Services) -> None:
    # kb/lexicon.yml: « des bons » reads « chèques », the form the bike aid takes.
    facts, _ = _answer(services, "aide_velo", "le Pass'Mobil'Agglo, on le touche en coupons ?")
    assert facts[0] == "velo_cheques_partenaires"


def test_a_pronoun_and_a_word_telling_the_kind_ask_of_what_was_named(services: Services) -> None:
    # « des » is a small word (kb/lexicon.yml): « il a des antennes où ? » names nothing but the
    # kind's cue, so it asks about the health centre just spoken of.
    context = Context(topic="sante", previous="parlez-moi du centre de santé intercommunal")
    answers = answer_questions(services, "et il a des antennes où ?", Nlu("hors_sujet"), context, Asked())
    assert answers and answers[0].facts[0] == "sante_csipa"


def test_a_wrapper_asking_a_guarantee_keeps_the_question_and_guarantees_nothing(services: Services) -> None:
    # « je compte sur vous pour me garantir que … » wraps a question the NLU put out of scope.
    answers = answer_questions(
        services,
        "je compte sur vous pour me garantir que le Pass'Mobil'Agglo reviendra au printemps",
        Nlu("hors_sujet"),
        Context(),
        Asked(),
    )
    assert answers and answers[0].topic == "aide_velo"
    assert "reviendra au printemps" not in answers[0].text


def test_owning_up_to_a_mistake_corrects_the_last_question(services: Services) -> None:
    # kb/lexicon.yml references « wrong »: « autant pour moi », « erreur de ma part ».
    context = Context(topic="mobilite", kind="amount", previous="le bus est payant ?")
    for text in ("autant pour moi, le composteur", "erreur de ma part : le composteur"):
        plan = turn_plan(services, text, Nlu("dechets"), context)
        assert plan.reading is not None and plan.reading.correction
        assert [(part.topic, part.question.kinds) for part in plan.parts] == [("dechets", ("amount",))]


@pytest.mark.parametrize(
    ("intent", "text", "topic", "first"),
    [
        # A synonym's meaning of several words is added whole: it names what the keyword of the
        # same words names (« petits commerces » → « commerces de proximité », « sans diplôme »
        # → « école de la seconde chance »), even out of scope for the NLU; « il y a une … ? »
        # asks whether it exists.
        ("hors_sujet", "combien de petits commerces dans l'agglo ?", "commerces", "commerces_nombre"),
        (
            "hors_sujet",
            "ma fille a quitté l'école sans diplôme, il y a une solution ?",
            "formation",
            "formation_plan_e2c",
        ),
        # « qui peut me renseigner » asks whom to contact; « passoire thermique » is the energy
        # renovation of the home.
        (
            "logement",
            "mon appartement est une passoire thermique, qui peut me renseigner ?",
            "logement",
            "logement_contact_france_renov",
        ),
        # « nager » reads « nageurs », « conseil des jeunes » the « parlement des jeunes », « le
        # four qui brûle les ordures » the energy recovery centre and « du chauffage » its heat
        # network.
        (
            "sport_culture",
            "savoir nager pour tous les enfants, c'est quoi l'objectif ?",
            "sport_culture",
            "sport_culture_savoir_nager",
        ),
        (
            "education_citoyennete",
            "il existe un conseil des jeunes ?",
            "education_citoyennete",
            "education_citoyennete_parlement_jeunes",
        ),
        ("dechets", "le four qui brûle les ordures va faire du chauffage ?", "dechets", "dechets_cve_capacite"),
    ],
)
def test_everyday_words_the_lexicon_reads_as_the_facts_words(
    services: Services, intent: str, text: str, topic: str, first: str
) -> None:
    answers = answer_questions(services, text, Nlu(intent), Context(), Asked())
    assert answers and (answers[0].topic, answers[0].facts[0]) == (topic, first)


@pytest.mark.parametrize(
    ("intent", "text", "topic", "told"),
    [
        # kb/lexicon.yml: « tip » is a déchetterie, « closed » asks the opening days; « president
        # of the agglomeration » names the contact topic's president.
        ("hors_sujet", "is the tip closed on mondays?", "dechets", "fermées tous les lundis"),
        ("incompris", "who is the president of the agglomeration please?", "contact", "Olivier Gacquerre"),
    ],
)
def test_english_questions_in_everyday_words_get_the_french_answer(
    services: Services, intent: str, text: str, topic: str, told: str
) -> None:
    answers = answer_questions(services, text, Nlu(intent=intent), Context(), Asked())
    assert answers and answers[0].text.startswith("Hello")
    assert [answer.topic for answer in answers[1:-1]] == [topic] and told in answers[1].text.split("\n")[0]
    assert "03 21 61 50 00" in answers[-1].text


def test_a_first_sentence_asking_nothing_of_its_own_joins_the_question(services: Services) -> None:
    # « quoi ?! » asks nothing: one question, whose number the health figures' fact holds (the
    # overview of health, for « quoi », came first).
    text = "quoi ?! seulement 114 généralistes pour 100 000 habitants ?"
    plan = turn_plan(services, text, Nlu("sante"), Context())
    assert plan.reading is not None and len(plan.reading.questions) == 1
    facts, _ = _answer(services, "sante", text)
    assert facts[0] == "sante_generalistes"


def test_a_demand_for_an_assurance_wraps_a_question_and_is_not_granted(services: Services) -> None:
    # « assurez-moi que … » (kb/lexicon.yml wrappers) wraps a question the NLU put out of scope.
    answers = answer_questions(
        services, "assurez-moi que l'Agglomobile passera dans mon village", Nlu("hors_sujet"), Context(), Asked()
    )
    assert answers and answers[0].topic == "agglomobile"
    assert "passera dans mon village" not in answers[0].text


def test_the_words_of_a_commune_named_say_where_not_what_is_asked(services: Services) -> None:
    # « Marles-les-Mines »: « marle » and « mine » are French words, not distinctive place words;
    # they named what was asked about, which only the list of communes holds (the form was then
    # said unknown).
    facts, _ = _answer(services, "permis_de_louer", "à Marles-les-Mines, c'est quel cerfa pour le permis de louer ?")
    assert facts[0] == "pdl_formulaire"


def test_a_fact_listing_the_very_question_asked_answers_it(services: Services) -> None:
    # kb/topics/communes.yml: communes_nombre lists « combien de communes dans l'Agglo ? »; the
    # population's fact, filed under figures, also counts communes (« 62 de ses communes »).
    answers = answer_questions(
        services, "combien de communes dans l'agglo et combien d'habitants ?", Nlu("communes"), Context(), Asked()
    )
    assert [answer.facts[0] for answer in answers] == ["communes_nombre", "communes_population"]


def test_a_second_question_naming_nothing_of_its_own_asks_of_what_the_first_named(services: Services) -> None:
    # « faut-il un justificatif ? » after the déchetteries: their proof of address, not the form
    # for a broken bin, which also says how to apply.
    answers = answer_questions(
        services,
        "la déchetterie ferme à quelle heure, et faut-il un justificatif ?",
        Nlu("dechets"),
        Context(),
        Asked(),
    )
    assert [answer.kind for answer in answers] == ["opening", "documents"]
    assert answers[1].facts[0] == "dechets_dechetteries_acces"


def test_a_home_to_let_names_the_permis_de_louer(services: Services) -> None:
    # kb/topics/permis_de_louer.yml: « appartement à louer », in a message the NLU put out of scope.
    plan = turn_plan(
        services, "j'ai un appartement à louer, quel délai pour la réponse ?", Nlu("hors_sujet"), Context()
    )
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [("permis_de_louer", ("delay",))]


def test_a_keyword_of_several_words_naming_a_broad_topic_is_what_its_overview_shows(services: Services) -> None:
    # « centre de santé » named health, and no other word ranks its facts: the health centre's
    # facts, not the topic's usual overview (the doctors' figures).
    facts, _ = _answer(services, "sante", "il y a un centre de santé ?")
    assert facts[0] in ("sante_plan_centre", "sante_csipa") and "sante_generalistes" not in facts


def test_a_keyword_does_not_overrule_the_nlus_topic_when_another_names_it_too(services: Services) -> None:
    # « vélo électrique » names the bike aid, « voie verte » mobility, the NLU's topic: riding on
    # the greenway at night is no question about the purchase aid (« y a-t-il un … ? » asks it).
    text = "y a-t-il un risque à rouler en vélo électrique sur la voie verte la nuit ?"
    plan = turn_plan(services, text, Nlu("mobilite"), Context())
    assert [part.topic for part in plan.parts] == ["mobilite"]


def test_choices_after_a_question_belong_to_it(services: Services) -> None:
    # « …, l'agglo ou la mairie ? » offers the first question's possible answers: no second
    # question about the communes' funds (« mairie »).
    plan = turn_plan(services, "qui gère l'eau chez nous, l'agglo ou la mairie ?", Nlu("fonds_de_concours"), Context())
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [("eau_potable", ("who",))]


@pytest.mark.parametrize(
    ("intent", "context", "text", "topic", "first"),
    [
        # « en acheter » and « le moins cher » stand for what the last message named: the
        # composters, in a message the NLU puts out of scope.
        (
            "hors_sujet",
            Context(topic="dechets", kind="amount", previous="combien coûte le composteur de 345 litres ?"),
            "je peux en acheter combien pour ma maison ?",
            "dechets",
            "dechets_composteurs_prix",
        ),
        (
            "hors_sujet",
            Context(topic="dechets", kind="amount", previous="le composteur de 800 litres coûte combien ?"),
            "et le moins cher, il fait combien ?",
            "dechets",
            "dechets_composteurs_prix",
        ),
        # « ce machin » is what the last message named: the new plant's cost, not a composter's.
        (
            "hors_sujet",
            Context(topic="dechets", kind="what", previous="le nouvel incinérateur de Labeuvrière remplace l'ancien ?"),
            "et ce machin, il coûte combien ?",
            "dechets",
            "dechets_cve_cout",
        ),
        # A question for a commune the NLU took for one naming a commune: about the topic spoken of.
        (
            "informer_commune",
            Context(topic="mobilite", kind="where", previous="où sont les aires de covoiturage ?"),
            "et combien de places à Lillers ?",
            "mobilite",
            "mobilite_aires_capacites",
        ),
        # « traverse quelles communes » asks where, of what was spoken of (not the communes).
        (
            "communes",
            Context(topic="mobilite", kind="figure", previous="la voie verte fait combien de km ?"),
            "elle traverse quelles communes ?",
            "mobilite",
            "mobilite_voie_verte",
        ),
        # « Saint-Venant »: both words are French words too; the fact holding the whole name
        # answers for it before the collection service's number.
        (
            "informer_commune",
            Context(topic="dechets", kind="contact", previous="le téléphone de la déchetterie de Lillers ?"),
            "et pour Saint-Venant ?",
            "dechets",
            "dechets_liste_dechetteries",
        ),
        # « dites-moi », « plutôt » name nothing asked: the fact listing the question answers;
        # what « combien de … » counts names its topic, though « communes » says who asks
        # elsewhere (« et pour une commune ? »).
        (
            "hors_sujet",
            Context(topic="sante", kind="figure", previous="combien de médecins ?"),
            "laissez tomber, dites-moi plutôt combien de communes y a-t-il dans l'agglo",
            "communes",
            "communes_nombre",
        ),
    ],
)
def test_a_question_in_a_conversation_gets_its_answer(
    services: Services, intent: str, context: Context, text: str, topic: str, first: str
) -> None:
    answers = answer_questions(services, text, Nlu(intent), context, Asked())
    assert answers and answers[0].topic == topic
    assert answers[0].facts[0] == first


def test_what_else_the_question_names_beats_its_keyword(services: Services) -> None:
    # « bac jaune » names what goes in the yellow bin; « cassé » the form for a broken bin.
    facts, _ = _answer(services, "dechets", "mon bac jaune est cassé, je fais comment pour le remplacer ?")
    assert facts[0] == "dechets_demande_bac"


def test_an_agent_naming_a_thing_within_a_topic_gets_its_facts_not_the_fiche(services: Services) -> None:
    # No kind of question: « les antennes du CSIPA » names one fact, given with the agents'
    # details; « fiche complète » asks for every fact of the topic.
    agent = Asked(agent=True)
    answers = answer_questions(services, "les antennes du CSIPA", Nlu("sante"), Context(), agent)
    fiche = answer_questions(services, "fiche complète santé", Nlu("sante"), Context(), agent)
    assert answers and fiche
    assert answers[0].facts[0] == "sante_csipa"
    assert "sante_generalistes" in fiche[0].facts
    assert "sante_generalistes" not in answers[0].facts


def test_the_same_kind_about_another_thing_is_another_question(services: Services) -> None:
    # Both ask a price in the waste topic, of two things: two answers, each its own fact.
    text = "quel est le prix d'un composteur ? et le prix pour l'amiante ?"
    plan = turn_plan(services, text, Nlu("dechets"), Context())
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [("dechets", ("amount",))] * 2
    answers = answer_plan(services, plan, text, Asked())
    assert [answer.facts[0] for answer in answers] == ["dechets_composteurs_prix", "dechets_amiante"]


def test_a_follow_up_the_nlu_put_out_of_scope_goes_on_when_a_fact_answers_it_in_its_words(
    services: Services,
) -> None:
    # After the déchetteries, « on a droit à combien de pneus ? »: a fact of the topic spoken
    # of says « 5 pneus ». The same question on something no fact of it speaks of stays out.
    context = Context(topic="dechets", kind="where", previous="les déchetteries sont ouvertes le samedi ?")
    answers = answer_questions(services, "on a droit à combien de pneus ?", Nlu("hors_sujet"), context, Asked())
    assert answers and answers[0].facts[0] == "dechets_dechetteries_acces"
    plan = turn_plan(services, "on a droit à combien de pizzas ?", Nlu("hors_sujet"), context)
    assert plan.defer


def test_an_announced_aids_unknown_comes_with_what_the_plan_says_of_it_and_no_figure(services: Services) -> None:
    # « qui peut en profiter ? »: the conditions are unknown, but the plan announces the aid for
    # the inhabitants and the communes; never the low-confidence 70 €.
    facts, text = _answer(services, "aide_recuperateur_eau", "la subvention pour une citerne, qui peut en profiter ?")
    assert text.startswith("Nous n'avons pas d'information vérifiée sur les conditions")
    assert facts[0] == "recup_plan_annonce" and "pour les habitants et pour les communes" in text
    assert "70" not in text and SWITCHBOARD in text


def test_sms_spellings_are_read_written_out(services: Services) -> None:
    # kb/people.yml spellings and « j » glued to a verb: « jrisque koi » asks the sanctions.
    plan = turn_plan(
        services, "jmets en location sans le permis de louer, jrisque koi ?", Nlu("permis_de_louer"), Context()
    )
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [("permis_de_louer", ("sanctions",))]


def test_when_to_call_asks_the_opening_days_a_contact_says(services: Services) -> None:
    # « quand » with « appeler » asks when the service answers, not a date; the permis de
    # louer's service says its days in its contact fact, filed under contact.
    context = Context(topic="permis_de_louer", kind="contact", previous="le permis de louer, on appelle qui ?")
    plan = turn_plan(services, "on peut les appeler quand ?", Nlu("demander_contact"), context)
    assert [part.question.kinds for part in plan.parts] == [("contact", "opening")]
    answers = answer_questions(services, "on peut les appeler quand ?", Nlu("demander_contact"), context, Asked())
    assert answers and answers[0].facts[0] == "pdl_contact_service_habitat"
    assert "pas d'information vérifiée" not in answers[0].text


def test_cela_and_faut_name_nothing_so_the_question_is_about_what_was_spoken_of(services: Services) -> None:
    # kb/lexicon.yml small_words: « cela », « faut ». « composer » a number asks a contact.
    context = Context(topic="dechets", kind="amount", previous="l'amiante, ils le prennent à la déchetterie ?")
    priced = answer_questions(services, "cela coûte combien ?", Nlu("demander_montant"), context, Asked())
    assert priced and priced[0].facts[0] == "dechets_amiante"
    plan = turn_plan(services, "quel numéro faut-il composer ?", Nlu("demander_contact"), context)
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [("dechets", ("contact",))]


def test_what_en_stands_for_said_last_is_what_is_counted(services: Services) -> None:
    # « on en compte combien, des déchetteries ? »: one question counting the déchetteries, not
    # a count of nothing then a second question.
    plan = turn_plan(services, "on en compte combien sur le territoire, des déchetteries ?", Nlu("dechets"), Context())
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [("dechets", ("figure",))]
    assert "dechetterie" in plan.parts[0].question.counted


def test_an_exclamation_before_a_question_asks_nothing_of_its_own(services: Services) -> None:
    # « marre de la paperasse ! »: « paperasse » would ask the documents; the question after the
    # « ! » is the one asked, about the topic both name.
    plan = turn_plan(
        services,
        "marre de la paperasse ! le permis de louer, on doit le refaire à chaque changement de locataire ?",
        Nlu("permis_de_louer"),
        Context(),
    )
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [("permis_de_louer", ("validity",))]


def test_en_before_a_verb_stands_for_what_was_spoken_of(services: Services) -> None:
    # kb/lexicon.yml referring_phrases « en serait », « en coûte »: after the water-butt aid, its
    # price is the aid's unknown, not the bike aid's amounts (whose fact speaks of « personnes »).
    context = Context(topic="aide_recuperateur_eau", kind="what", previous="l'aide pour une cuve de pluie existe ?")
    answers = answer_questions(
        services, "combien en coûte une pour une personne seule ?", Nlu("demander_montant"), context, Asked()
    )
    assert answers and answers[0].topic == "aide_recuperateur_eau"
    assert "€" not in answers[0].text


def test_a_pronoun_after_a_verb_like_pouvoir_stands_for_what_was_spoken_of(services: Services) -> None:
    # kb/lexicon.yml modal_verbs and object_pronouns: « on pourra toutes les amener ? » goes on
    # about the batteries of the last message, though the NLU put it out of scope.
    context = Context(topic="dechets", kind="what", previous="la déchetterie reprend les piles usagées ?")
    plan = turn_plan(services, "on pourra toutes les amener d'un seul coup ?", Nlu("hors_sujet"), context)
    assert [part.topic for part in plan.parts] == ["dechets"]
    # Out of a conversation, the same words lean on nothing.
    assert turn_plan(services, "on pourra toutes les amener d'un seul coup ?", Nlu("hors_sujet"), Context()).parts == ()


def test_an_article_after_a_verb_and_its_infinitive_stands_for_nothing_spoken_of(services: Services) -> None:
    # kb/lexicon.yml before_pronoun: in « qui doit faire la demande », « la » follows « faire »,
    # not « doit »: an article. The question names its own topic and does not take the bus's words.
    previous = "mon beau-frère habite à Arras, il peut prendre le bus Tadao gratuitement ?"
    context = Context(topic="mobilite", kind="eligibility", previous=previous)
    text = "je loue un studio à Lillers. qui doit faire la demande de permis de louer, moi ou le locataire ?"
    answers = answer_questions(services, text, Nlu("permis_de_louer"), context, Asked(commune="62516"))
    assert answers and answers[0].facts[0] == "pdl_principe"


def test_puis_je_asks_one_question_about_what_was_spoken_of(services: Services) -> None:
    # « puis » in « puis-je » is no « then » joining two questions, and « les » stands for the
    # service of the last answer: its days, not the Agglo's switchboard.
    context = Context(topic="permis_de_louer", kind="contact", previous="le service habitat, on l'appelle où ?")
    plan = turn_plan(services, "merci bien. à quels moments puis-je les appeler ?", Nlu("remerciement"), context)
    assert [part.topic for part in plan.parts] == ["permis_de_louer"]


def test_oui_ou_non_wraps_the_question_as_written_in_the_lexicon(services: Services) -> None:
    # The message's « ou » between alternatives is left out when it is read; the wrappers of
    # kb/lexicon.yml are read alike, so « …par oui ou non » is found and the question answered.
    reading = read("répondez seulement par oui ou non : une trottinette, c'est aidé ?", services.kb, services.topics)
    assert reading.wrapped
    plan = turn_plan(
        services, "répondez seulement par oui ou non : un vélo pliant, c'est aidé ?", Nlu("identite_bot"), Context()
    )
    assert [part.topic for part in plan.parts] == ["aide_velo"]


def test_thanks_then_a_pronoun_go_on_with_what_was_spoken_of(services: Services) -> None:
    # kb/lexicon.yml subject_pronouns: the NLU reads thanks, but « elle … les piles ? » asks about
    # the déchetterie of the last message, whose facts speak of batteries; a pronoun whose words
    # no fact of the topic says (« il pleut ? ») does not.
    context = Context(topic="dechets", kind="opening", previous="la déchetterie de Lillers ouvre à quelle heure ?")
    plan = turn_plan(services, "merci bien. et elle reprend les piles usagées ?", Nlu("remerciement"), context)
    assert [part.topic for part in plan.parts] == ["dechets"]
    assert turn_plan(services, "merci bien. et il pleut chez vous ?", Nlu("remerciement"), context).parts == ()


def test_an_everyday_word_does_not_take_a_second_question_to_another_topic(services: Services) -> None:
    # « une question » is said by the permis de louer's contact (« pour toute question… »): the
    # second question stays with the water of the first.
    plan = turn_plan(
        services,
        "l'eau coûte combien le mètre cube en 2026 ? et qui dois-je appeler pour une question sur mon compteur ?",
        Nlu("eau_potable"),
        Context(),
    )
    assert [part.topic for part in plan.parts] == ["eau_potable", "eau_potable"]


def test_a_comma_between_two_questions_about_two_topics_cuts_them(services: Services) -> None:
    # No « et », no « ? » between them; « … quoi » ending a question asks what it is.
    plan = turn_plan(
        services,
        "le centre de valorisation énergétique ouvrira quand, l'académie de l'entrepreneuriat elle apporte quoi",
        Nlu("entrepreneuriat"),
        Context(),
    )
    assert [(part.topic, part.question.kinds[-1]) for part in plan.parts] == [
        ("dechets", "when"),
        ("entrepreneuriat", "what"),
    ]
    # One topic around the comma: one question (« la déchetterie, elle ouvre quand ? »).
    plan = turn_plan(services, "la déchetterie de Beuvry, elle ouvre quand ?", Nlu("dechets"), Context())
    assert len(plan.parts) == 1


def test_up_to_what_asks_an_amount(services: Services) -> None:
    plan = turn_plan(services, "pour un vélo cargo, l'agglo aide à hauteur de quoi ?", Nlu("aide_velo"), Context())
    assert [part.question.kinds for part in plan.parts] == [("amount",)]
    # (« jusqu'à » is read « à »: « on a quoi » must not ask an amount)
    assert "amount" not in read("on a quoi comme info ?", services.kb, services.topics).first.kinds


def test_a_second_question_given_to_the_first_topic_stays_there(services: Services) -> None:
    # « l'accueil » yields to the first question's topic, the Agglo's contact: its opening hours
    # are not known, which is the answer, not the hours of a déchetterie.
    plan = turn_plan(
        services,
        "quelle est l'adresse de l'agglo, et l'accueil ouvre à quelle heure le matin ?",
        Nlu("contact"),
        Context(),
    )
    assert [part.topic for part in plan.parts] == ["contact", "contact"]


def test_a_sure_nlu_keeps_its_topic_that_an_everyday_word_names_too(services: Services) -> None:
    # « vélo » names the bike aid; « gare », an everyday word, names mobility, which the NLU is
    # sure of: the shelters at the stations, not the aid. An unsure NLU does not keep it.
    text = "en gare de Lillers, je peux mettre mon vélo à l'abri quelque part ?"
    sure = turn_plan(services, text, Nlu("mobilite", confidence=0.95), Context())
    assert [part.topic for part in sure.parts] == ["mobilite"]
    unsure = turn_plan(services, text, Nlu("mobilite", confidence=0.6), Context())
    assert [part.topic for part in unsure.parts] != ["mobilite"]


def test_a_correction_of_what_is_asked_keeps_the_place_of_the_last_question(services: Services) -> None:
    # After the déchetterie of Ruitz, « pas l'heure, son numéro à cette déchèterie » asks Ruitz's
    # number: the correction names nothing new, so the last message's commune still holds.
    context = Context(topic="dechets", kind="opening", previous="la déchèterie de Ruitz ouvre à quelle heure ?")
    plan = turn_plan(
        services, "non je voulais pas l'heure, mais le numéro de cette déchèterie", Nlu("hors_sujet"), context
    )
    assert plan.parts and "ruitz" in plan.parts[0].question.words


def test_an_everyday_keyword_names_no_other_topic_for_a_second_question(services: Services) -> None:
    # « la mairie » is a keyword of the fonds de concours, but an everyday one: the second
    # question is still about the mutuelle (its unknown), never the 42 M€ for the communes.
    plan = turn_plan(
        services,
        "comment on adhère à la mutuelle pour tous ? on peut le faire à la mairie d'Auchel ?",
        Nlu("mutuelle"),
        Context(),
    )
    assert [part.topic for part in plan.parts] == ["mutuelle", "mutuelle"]


def test_the_words_that_ask_do_not_move_a_conversation_to_another_topic(services: Services) -> None:
    # After the water-butt aid, « bon, et je fais la demande où ? » names nothing: its unknown
    # procedure is the answer, not the permis de louer, whose facts say « demande ».
    context = Context(topic="aide_recuperateur_eau", kind="amount", previous="ça me ferait combien ?")
    plan = turn_plan(services, "bon, et je fais la demande où ?", Nlu("demander_demarche"), context)
    assert [part.topic for part in plan.parts] == ["aide_recuperateur_eau"]


def test_what_a_question_is_about_said_after_it_makes_one_question(services: Services) -> None:
    # « ça ouvre quand, la piscine de Lillers ? »: one question of its kind about what follows.
    plan = turn_plan(services, "franchement, ça rouvre quand, la piscine de Lillers ?", Nlu("sport_culture"), Context())
    assert [(part.topic, part.question.kinds) for part in plan.parts] == [("sport_culture", ("when",))]


def test_an_everyday_contact_word_asks_the_contact_of_what_is_spoken_of(services: Services) -> None:
    # After the composters, « le numéro à appeler pour un souci ? » is the waste service's, and « l'adresse
    # de l'agglo ? » still the Agglo's own.
    context = Context(topic="dechets", kind="amount", previous="combien coûte un composteur ?")
    plan = turn_plan(services, "bon, c'est quoi le numéro à appeler pour un souci ?", Nlu("demander_contact"), context)
    assert [part.topic for part in plan.parts] == ["dechets"]
    agglo = turn_plan(services, "vous avez l'adresse de l'agglo ?", Nlu("demander_contact"), context)
    assert [part.topic for part in agglo.parts] in ([], ["contact"])


def test_a_topics_longer_keyword_holding_another_bodys_keyword_names_the_topic(services: Services) -> None:
    # « chômage » is France Travail's (kb/orientation.yml); « taux de chômage » the territory's
    # figure (kb/topics/economie_emploi.yml).
    figure = turn_plan(services, "quel est le taux de chômage par chez nous ?", Nlu("hors_sujet"), Context())
    assert [part.topic for part in figure.parts] == ["economie_emploi"]
    registering = turn_plan(services, "je suis au chômage, je m'inscris où ?", Nlu("hors_sujet"), Context())
    assert registering.defer


def test_an_unsure_nlu_guess_does_not_overrule_an_everyday_word(services: Services) -> None:
    # « adresse » names the contact; the NLU's associations at 0.27 are a guess, at 0.9 a reading.
    text = "vous pourriez me dire à quelle adresse j'écris pour l'agglo ?"
    unsure = turn_plan(services, text, Nlu("education_citoyennete", confidence=0.27), Context())
    assert [part.topic for part in unsure.parts] == ["contact"]
    sure = turn_plan(services, text, Nlu("education_citoyennete", confidence=0.9), Context())
    assert [part.topic for part in sure.parts] != ["contact"]


def test_the_language_models_confidence_is_read_from_the_parse() -> None:
    parsed = nlu_of({"intent": "mutuelle", "confidence": 0.31, "entities": {}})
    assert parsed is not None and parsed.confidence == 0.31
    missing = nlu_of({"intent": "mutuelle", "entities": {}})
    assert missing is not None and missing.confidence == 1.0


def test_an_unsure_nlu_guess_yields_to_the_fact_that_answers(services: Services) -> None:
    # kb/lexicon.yml: « fondée » is « née »; the communes' fact says when the Agglo was born.
    text = "la communauté d'agglomération de Béthune-Bruay a été fondée en quelle année ?"
    unsure = answer_questions(services, text, Nlu("projet_de_territoire", confidence=0.3), Context(), Asked())
    assert unsure and unsure[0].facts[0] == "communes_nombre"
    sure = turn_plan(services, text, Nlu("projet_de_territoire", confidence=0.9), Context())
    assert [part.topic for part in sure.parts] == ["projet_de_territoire"]


def test_a_bus_one_books_is_the_demand_responsive_transport(services: Services) -> None:
    # kb/lexicon.yml synonyms: « un bus à réserver » says « transport à la demande ».
    facts, _ = _answer(services, "mobilite", "le bus sur réservation, c'est gratuit ?")
    assert {"mobilite_transport_a_la_demande", "mobilite_tad_gratuit"} & set(facts[:1])


def test_a_question_about_what_a_long_keyword_names_is_not_out_of_scope(services: Services) -> None:
    # The NLU, unsure, put it out of scope; « permis de louer » names the topic for sure and the
    # message asks something, though in no form of a kind the lexicon knows.
    text = "le permis de louer de mon studio, vous pouvez m'en dire deux mots ?"
    answers = answer_questions(services, text, Nlu(intent="hors_sujet", confidence=0.8), Context(), Asked())
    assert answers and answers[0].topic == "permis_de_louer"
    # Not a statement, nor a keyword of a topic that gives way (the contact's « site internet »).
    statement = "le permis de louer de mon studio, je m'en occupe demain"
    assert answer_questions(services, statement, Nlu(intent="hors_sujet", confidence=0.8), Context(), Asked()) is None
    other = "quelle personne gère le site internet d'une boulangerie ?"
    assert answer_questions(services, other, Nlu(intent="hors_sujet", confidence=0.8), Context(), Asked()) is None


def test_no_news_of_a_file_asks_for_the_processing_time(services: Services) -> None:
    facts, _ = _answer(
        services, "permis_de_louer", "dossier de permis de louer envoyé en mars et toujours pas de réponse de l'agglo"
    )
    assert facts[0] == "pdl_delai" and "pdl_autorisation_tacite" in facts


def test_how_long_a_paper_stays_valid_is_answered_by_the_fact_that_says_it(services: Services) -> None:
    # Filed under the documents, not the validity's own field: it answers in so many words
    # (« valable : 10 ans pour le … DPE »), never the unknown of the field.
    facts, text = _answer(
        services, "permis_de_louer", "permis de louer : le DPE de mon studio doit avoir moins de combien d'années ?"
    )
    assert facts[0] == "pdl_diagnostics_validite" and "10 ans" in text


def test_assos_are_associations(services: Services) -> None:
    facts, text = _answer(services, "communes", "les assos du coin, y en a combien chez nous ?")
    assert facts[0] == "education_citoyennete_associations" and "3300" in text


def test_how_to_get_rid_of_a_thing_asks_where_it_goes(services: Services) -> None:
    # Where it goes is the kind asked: not the composter one « retire » (« retiré » here).
    facts, _ = _answer(
        services, "dechets", "on a retiré des plaques d'amiante du toit de l'abri, comment on s'en débarrasse ?"
    )
    assert facts[0] == "dechets_amiante"


def test_sinon_before_a_second_question_says_nothing_of_it(services: Services) -> None:
    answers = answer_questions(
        services,
        "le centre aquatique de Bruay ouvre le dimanche ? et sinon combien de communes dans l'agglo ?",
        Nlu(intent="sport_culture"),
        Context(),
        Asked(),
    )
    assert answers and answers[-1].topic == "communes" and answers[-1].facts[0] == "communes_nombre"


def test_a_sentence_ending_with_ou_pas_asks_a_question_of_its_own(services: Services) -> None:
    # No question mark: « … ou pas » still asks, so it is a second question, not a situation
    # joined to the first.
    answers = answer_questions(
        services,
        "combien d'habitants dans l'agglo ? et le centre de valorisation énergétique il est construit ou pas",
        Nlu(intent="communes"),
        Context(),
        Asked(),
    )
    assert answers and [answer.topic for answer in answers] == ["communes", "dechets"]


def test_a_follow_up_opening_with_et_goes_on_about_the_topic(services: Services) -> None:
    # The NLU put it out of scope; « et » opens it, it asks the sanctions and names no topic.
    context = Context(topic="permis_de_louer", kind="what", previous="c'est quoi le permis de louer ?")
    text = "ok et si je m'en passe, je risque quoi le jour de l'état des lieux ?"
    answers = answer_questions(services, text, Nlu(intent="hors_sujet", confidence=0.6), context, Asked())
    assert answers and answers[0].topic == "permis_de_louer" and answers[0].facts[0] == "pdl_sanctions"
    # Out of a conversation, the same words stay out of scope.
    assert answer_questions(services, text, Nlu(intent="hors_sujet", confidence=0.6), Context(), Asked()) is None


def test_the_rental_permit_in_other_english_words(services: Services) -> None:
    facts, _ = _answer(
        services, "nlu_fallback", "Is there a fine for a landlord who lets a flat without the rental licence?"
    )
    assert "pdl_sanctions" in facts


def test_the_situation_told_before_a_question_does_not_make_it_an_unknown(services: Services) -> None:
    # « quartier » and « gare » name the 2018 perimeters, which do not say who applies: they tell
    # where the resident lives, not what the question is about.
    facts, text = _answer(
        services,
        "permis_de_louer",
        "nous louons un studio à Bruay dans le quartier de la gare. "
        "qui doit demander le permis de louer, nous ou le locataire ?",
    )
    assert facts[0] == "pdl_principe" and "pas d'information vérifiée" not in text


def test_how_much_one_risks_asks_the_sanctions(services: Services) -> None:
    facts, _ = _answer(services, "permis_de_louer", "louer sans le permis de louer, on risque jusqu'à combien ?")
    assert facts[0] == "pdl_sanctions"


def test_a_word_the_topic_spoken_of_names_too_stays_with_it(services: Services) -> None:
    # « logement » names the housing topic, and the permis de louer's « logement indigne » too.
    context = Context(
        topic="permis_de_louer", kind="eligibility", previous="Lillers est concerné par le permis de louer ?"
    )
    plan = turn_plan(services, "et pour le logement qu'on a à Ruitz ?", Nlu(intent="informer_commune"), context)
    assert [part.topic for part in plan.parts] == ["permis_de_louer"]


def test_where_to_order_a_thing_asks_how_to_get_it(services: Services) -> None:
    context = Context(topic="dechets", kind="amount", previous="un composteur coûte combien ?")
    answers = answer_questions(services, "et je le commande où ?", Nlu(intent="hors_sujet"), context, Asked())
    assert answers and answers[0].facts[0] == "dechets_composteurs_demarche"


def test_an_elision_typed_without_its_apostrophe_is_read_as_one(services: Services) -> None:
    # « d ingenieurs »: the « d » is the elided « de », not a word that breaks the keyword.
    plan = turn_plan(services, "l ecole d ingenieurs a ouvert quand exactement", Nlu(intent="hors_sujet"), Context())
    assert [part.topic for part in plan.parts] == ["formation"]
    # A unit after a number stays a unit.
    assert read("un bac de 240 l a la maison", services.kb, services.topics).first.words[4] == "l"


def test_the_plan_frames_what_it_speaks_of(services: Services) -> None:
    # « projet de territoire » is the longest keyword, but the message asks about the composters.
    plan = turn_plan(
        services,
        "les composteurs dont parle le projet de territoire, c'est quoi ?",
        Nlu(intent="projet_de_territoire", confidence=0.6),
        Context(),
    )
    assert [part.topic for part in plan.parts] == ["dechets"]


def test_whether_one_needs_it_asks_who_is_concerned(services: Services) -> None:
    # Not the permit's overview, which the topic's own action would give: whether it applies.
    text = "on a une maison à Auchel, il nous faut le permis de louer ?"
    plan = turn_plan(services, text, Nlu("permis_de_louer"), Context())
    assert not plan.defer and plan.parts[0].question.kinds == ("eligibility",)
    answers = answer_plan(services, plan, text, Asked(commune="62048"))
    assert answers and answers[0].facts[0] == "pdl_liste_2025"


def test_a_word_asking_a_price_leans_on_the_last_topic_only_when_it_has_one(services: Services) -> None:
    # After the Agglo's population, « son budget » is the Agglo's: the communes topic has no price.
    context = Context(topic="communes", kind="figure", previous="l'agglo, c'est combien d'habitants ?")
    answers = answer_questions(services, "et son budget, il fait combien ?", Nlu("communes"), context, Asked())
    assert answers and answers[0].facts[0] == "pdt_budget_2024"


def test_a_rate_counts_nothing_and_the_topic_named_counts_before_the_best_fact_elsewhere(services: Services) -> None:
    # « 114 médecins pour 100 000 habitants » counts médecins, not habitants; the NLU's plan has
    # then no count of them, and « habitants » names the communes, whose fact counts them (not the
    # bus network's 650 000 habitants, which shares more words of the Agglo's name).
    text = "il y a combien d'habitants en tout dans la communauté d'agglo Béthune-Bruay ?"
    answers = answer_questions(services, text, Nlu("projet_de_territoire", confidence=0.5), Context(), Asked())
    assert answers and answers[0].facts[0] == "communes_population"


def test_artois_alone_is_the_region_in_a_question_as_in_the_facts(services: Services) -> None:
    # « Artois Comm. » names no commune (Ham-en-Artois would): the founding fact, which names
    # Béthune, still answers for the Agglo.
    text = "l agglo elle a ete cree en quelle annee ? avant c etait artois comm je crois"
    answers = answer_questions(services, text, Nlu("communes", confidence=0.4), Context(), Asked())
    assert answers and answers[0].facts[0] == "communes_nombre"


def test_a_price_asked_per_unit_gets_the_price_written_with_that_unit(services: Services) -> None:
    # kb/lexicon.yml priced_by: « le mètre cube » asks the price per m³, not the régie's old
    # « 19 tarifs différents ».
    text = "on passe à la régie de l'eau, le mètre cube me coûtera combien ?"
    answers = answer_questions(services, text, Nlu("eau_potable"), Context(), Asked())
    assert answers and answers[0].facts[0] == "eau_prix_2026" and "2,91 €" in answers[0].text


def test_what_the_collectors_take_asks_what_goes_where(services: Services) -> None:
    # kb/lexicon.yml sorting « vous prenez »: what is collected, not the green waste's season.
    text = (
        "c'est la troisième fois que les éboueurs laissent mes sacs de tonte posés à côté du bac vert, ça commence "
        "à bien faire ! vous prenez quoi exactement pour les déchets verts ?"
    )
    answers = answer_questions(services, text, Nlu("dechets"), Context(), Asked())
    assert answers and answers[0].facts[0] == "dechets_dechets_verts_bac"


def test_a_topic_named_for_sure_is_answered_though_the_nlu_heard_a_commune(services: Services) -> None:
    # « oui ou par non » wraps the question (kb/lexicon.yml wrappers); the commune named tells
    # where, the president is asked about: his fact, not Béthune's membership.
    text = "Réponds juste par oui ou par non : le président de l'Agglo, c'est bien le maire de Béthune ?"
    plan = turn_plan(services, text, Nlu("communes", confidence=0.43), Context())
    assert plan.reading is not None and plan.reading.wrapped
    assert [part.topic for part in plan.parts] == ["contact"]
    # A commune's membership stays the commune action's.
    assert (
        turn_plan(services, "Lozinghem fait partie de l'agglo ?", Nlu("communes", confidence=0.9), Context()).parts
        == ()
    )


def test_the_train_is_the_ter(services: Services) -> None:
    # kb/lexicon.yml synonyms: « le train » asks of the TER, whose free fare is for residents only.
    text = "je prends le train de Béthune à Lillers pour le boulot, c'est gratuit aussi comme les bus ?"
    answers = answer_questions(services, text, Nlu("mobilite"), Context(), Asked())
    assert answers and answers[0].facts[0] == "mobilite_ter_pass_pass"


def test_de_typed_as_its_letter_still_names_the_permis_de_louer(services: Services) -> None:
    plan = turn_plan(
        services, "permis d louer c gratuit ou faut payer qqch ?", Nlu("demander_montant", confidence=0.99), Context()
    )
    assert [part.topic for part in plan.parts] == ["permis_de_louer"]


def test_a_number_of_what_is_counted_answers_a_follow_up_whatever_was_asked_before(services: Services) -> None:
    # The last message's words (« facture », « numéro ») say nothing of the m³'s price.
    previous = "depuis qu'on est passés à L'Eau de l'Agglo, qui appeler pour une question sur ma facture ?"
    context = Context(topic="eau_potable", kind="contact", previous=previous)
    answers = answer_questions(
        services, "et le m3 il est à combien cette année ?", Nlu("eau_potable"), context, Asked()
    )
    assert answers and answers[0].facts[0] == "eau_prix_2026"


def test_combien_ending_the_message_asks_a_price_whatever_else_it_asks(services: Services) -> None:
    # « je veux demander … ça fait combien »: how to apply and the price, the price first.
    text = "slt jveux demander le pass mobil agglo pr un velo cargo ca fait combien"
    plan = turn_plan(services, text, Nlu("aide_velo", confidence=0.9), Context())
    assert "amount" in plan.parts[0].question.kinds
    answers = answer_plan(services, plan, text, Asked())
    assert answers and answers[0].facts[0] == "velo_mav_montant_cargo"


def test_an_unsure_nlu_does_not_take_a_follow_up_away_from_the_topic_it_names(services: Services) -> None:
    # « sans batterie » is a word of industry (ACC's batteries); the NLU's unsure guess of it does
    # not overrule « vélo », which names the bike aid spoken of.
    context = Context(topic="aide_velo", previous="l'agglo donne un coup de pouce pour un vélo électrique ?")
    plan = turn_plan(services, "et pour un vélo normal, sans batterie ?", Nlu("industrie", confidence=0.27), context)
    assert [part.topic for part in plan.parts] == ["aide_velo"]


def test_where_to_buy_with_the_bike_aid_is_at_the_partner_shops(services: Services) -> None:
    # kb/lexicon.yml where: « chez les commerçants … partenaires » says where.
    context = Context(topic="aide_velo", kind="amount", previous="l'aide pour un vélo normal c'est combien ?")
    answers = answer_questions(
        services, "ok et on l'achète où, dans n'importe quel magasin ?", Nlu("aide_velo"), context, Asked()
    )
    assert answers and answers[0].facts[0] == "velo_cheques_partenaires"


def test_what_one_is_asked_for_at_the_entrance_asks_documents(services: Services) -> None:
    # kb/lexicon.yml documents « qu'on me demande »: the proof of address, not housing, which
    # « locataire » and the NLU's unsure guess pointed to.
    text = (
        "je suis locataire, j'emmenage a peine dans ma maison, "
        "qu'est ce qu'on me demande a l'entree de la dechetterie ?"
    )
    answers = answer_questions(services, text, Nlu("demander_demarche", confidence=0.22), Context(), Asked())
    assert answers and answers[0].facts[0] == "dechets_dechetteries_acces"


def test_whether_there_is_a_site_in_a_commune_gets_the_facts_naming_it(services: Services) -> None:
    # No word but the commune ranks the facts: the list of déchetteries, which names Lillers,
    # not the topic's overview (the waste-to-energy plant at Labeuvrière).
    text = "y a-t-il une déchetterie à Lillers ?"
    answers = answer_questions(services, text, Nlu("dechets"), Context(), Asked(commune="62516"))
    assert answers and answers[0].facts[0] == "dechets_liste_dechetteries"


def test_a_follow_up_naming_no_topic_keeps_the_conversations_unknown(services: Services) -> None:
    # The water-butt aid tells no delay; « dossier » and « réponse » are the permis de louer's
    # words too, but its month is no answer for a commune's rainwater tanks.
    previous = "l'Agglo finance-t-elle des cuves d'eau de pluie pour une commune ?"
    context = Context(topic="aide_recuperateur_eau", kind="amount", previous=previous)
    text = "Si nous déposons un dossier, ça prend combien de temps pour avoir une réponse ?"
    plan = turn_plan(services, text, Nlu("demander_delai", confidence=0.98), context)
    assert [part.topic for part in plan.parts] == ["aide_recuperateur_eau"]


def test_how_long_a_thing_measures_asks_a_length(services: Services) -> None:
    # Not a price (« combien » alone): a figure in metres or kilometres, of what was spoken of.
    context = Context(topic="sport_culture", kind="what", previous="la piscine art déco de Bruay, c'est quoi ?")
    answers = answer_questions(services, "ce bassin, il mesure combien ?", Nlu("hors_sujet"), context, Asked())
    assert answers and answers[0].facts[0] == "sport_culture_piscines_citees" and "33 m" in answers[0].text


def test_whether_a_place_takes_a_thing_is_a_question_of_its_own(services: Services) -> None:
    # « elle prend les pneus ? » asks what the déchetterie accepts: two questions, two answers.
    answers = answer_questions(
        services,
        "la déchetterie d'Isbergues est ouverte le lundi ? et elle prend les vieux pneus ?",
        Nlu("dechets"),
        Context(),
        Asked(),
    )
    assert answers and len(answers) == 2 and answers[1].facts[0] == "dechets_dechetteries_acceptes"


def test_an_apology_between_non_and_pas_still_corrects(services: Services) -> None:
    context = Context(topic="mutuelle", kind="what", previous="la mutuelle pour tous c'est quoi ?")
    plan = turn_plan(services, "non excusez-moi pas la mutuelle, l'aide pour acheter un vélo", Nlu("nier"), context)
    assert [part.topic for part in plan.parts] == ["aide_velo"]
    assert plan.reading is not None and plan.reading.rejected_topics == ("mutuelle",)


def test_whether_one_will_still_be_allowed_asks_who_is_concerned(services: Services) -> None:
    reading = read("le centre de santé, on pourra encore y aller sans médecin traitant ?", services.kb, services.topics)
    assert reading.first.kinds == ("eligibility",)
    # Another word that asks still decides: « quand pourra-t-on … » asks when.
    assert "when" in read("quand pourra-t-on s'inscrire ?", services.kb, services.topics).first.kinds


def test_a_vehicle_named_by_its_fuel_meets_the_unknown_about_vehicles(services: Services) -> None:
    _, text = _answer(services, "zfe", "avec mon diesel crit'air 4, la zone à faibles émissions, je suis concerné ?")
    assert "véhicules qui seraient concernés" in text and SWITCHBOARD in text


def test_the_engineering_school_by_its_everyday_short_name(services: Services) -> None:
    plan = turn_plan(
        services, "l'école d'ingé de Béthune, elle forme à quoi ?", Nlu("nlu_fallback", confidence=0.2), Context()
    )
    assert [part.topic for part in plan.parts] == ["formation"]


def test_a_service_open_to_all_is_not_refused_to_another_communes_resident(services: Services) -> None:
    def answer(text: str, intent: str) -> tuple[list[str], str]:
        match = services.communes.find(text)
        assert match is not None and match.commune is not None and not match.commune.is_member
        answers = answer_questions(services, text, Nlu(intent), Context(), Asked(commune=match.commune.insee))
        assert answers
        return answers[0].facts, answers[0].text

    # The bus is free for everyone, even those who live elsewhere: the kb says so.
    facts, text = answer("j'habite à Arras, je peux prendre le bus Tadao sans payer ?", "mobilite")
    assert facts[0] == "mobilite_tadao_sans_titre" and "ne vous concerne donc pas" not in text
    # The TER's free fare is the three agglomerations' residents': no fact says otherwise.
    _, text = answer("j'habite à Arras, je peux prendre le TER sans payer ?", "mobilite")
    assert "ne vous concerne donc pas" in text
