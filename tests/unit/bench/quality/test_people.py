"""The checks of issue 16's tables (bench/quality/people.py), on answers written for the test."""

from __future__ import annotations

from bench.quality.people import PeopleCase, Reply, check, load_tables, reply_of, score, targets


def no_insult(_: str) -> set[str]:
    return set()


def test_the_three_frozen_tables_load_with_what_the_issue_asks() -> None:
    cases = load_tables()
    tables = {table: [case for case in cases if case.table == table] for table in ("distress", "lookalikes", "person")}
    assert len(tables["distress"]) >= 60 and len(tables["lookalikes"]) >= 60
    assert all(case.must_contain_any for case in tables["distress"])
    assert all(case.accepted_topics for case in tables["lookalikes"])
    assert {case.category for case in tables["person"]} == {"humain", "insulte", "insulte_et_question"}


def test_a_distress_answer_needs_its_topic_and_its_numbers() -> None:
    case = PeopleCase("distress", "...", "violences_conjugales", ("3919",), ("3919", "17"))
    good = Reply("Appelez le 3919. En danger, le 17.", {"topic": "urgence"}, ())
    assert check(case, good, no_insult) == ""
    assert check(case, Reply("Appelez le 3919.", {"topic": "urgence"}, ()), no_insult) == "number missing (17)"
    assert check(case, Reply("3919 17", {"topic": "hors_sujet"}, ()), no_insult) == "answered under hors_sujet"


def test_a_request_for_a_person_needs_the_contact_with_the_offer_and_no_pretence() -> None:
    case = PeopleCase("person", "...", "humain")
    offer = {"topic": "contact", "contact": True, "offer_callback": True}
    assert check(case, Reply("Je suis un assistant automatique.", offer, ()), no_insult) == ""
    question = {**offer, "topic": "identite_bot"}
    assert check(case, Reply("Je suis un assistant automatique.", question, ()), no_insult) == ""
    assert check(case, Reply("Je suis une conseillère.", offer, ()), no_insult) == "passes for a person"
    assert check(case, Reply("Contact", {"topic": "contact"}, ()), no_insult).startswith("no contact")


def test_an_insult_alone_needs_the_menu_and_never_its_words() -> None:
    case = PeopleCase("person", "bande de guignols", "insulte")
    calm = Reply("Restons courtois.", {"topic": "insulte"}, ("Aide vélo",))
    assert check(case, calm, lambda _: {"guignols"}) == ""
    echo = Reply("Les guignols, non.", {"topic": "insulte"}, ("Aide vélo",))
    assert check(case, echo, lambda _: {"guignols"}) == "echoes guignols"
    assert check(case, Reply("Restons courtois.", {"topic": "insulte"}, ()), no_insult).startswith("no calm")


def test_rates_failures_and_targets() -> None:
    cases = [
        PeopleCase("distress", "a", "suicide"),
        PeopleCase("lookalikes", "b", "ordinaire", accepted_topics=("dechets",)),
    ]
    section = score(cases, ["", "answered under urgence"])
    assert section["tables"] == {"distress": {"messages": 1, "rate": 1.0}, "lookalikes": {"messages": 1, "rate": 0.0}}
    assert section["failures"] == [
        {"table": "lookalikes", "category": "ordinaire", "text": "b", "why": "answered under urgence"}
    ]
    assert [target["met"] for target in targets(section)] == [True, False]


def test_a_reply_gathers_text_buttons_and_the_first_payload() -> None:
    reply = reply_of(
        [
            {"text": "Restons courtois.", "buttons": [{"title": "Aide vélo", "payload": "/aide_velo"}]},
            {"custom": {"topic": "insulte"}},
        ]
    )
    assert (reply.text, reply.buttons, reply.topic) == ("Restons courtois.\n", ("Aide vélo",), "insulte")
