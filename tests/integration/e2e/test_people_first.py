"""People first, end to end: issue 16's frozen tables (bench/eval/people/) through the REST
channel of the real servers, one conversation per message, checked as the quality bench checks
them (bench/quality/people.py); then the callback offer after two misses, and how an emergency
turn is stored."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict

import pytest

from bench.quality.people import TARGET_DISTRESS, TARGET_LOOKALIKES, check, load_tables, reply_of
from bot.core.services import Services
from ops.dev import DEFAULT_MODEL, Servers
from tests.integration.e2e.conftest import payload, say, text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
]
# An insult around a question: most of them answered about the question (the rest depends on
# the topic the NLU and the keywords find, which issue 16 does not change).
TARGET_INSULT_WITH_QUESTION = 0.8


def test_the_people_tables_end_to_end(servers: Servers, services: Services) -> None:
    results: dict[str, list[str]] = defaultdict(list)
    for number, case in enumerate(load_tables()):
        reply = reply_of(say(servers, f"people-table-{number:03d}", case.text))
        why = check(case, reply, services.people.insulting_words)
        key = case.table if case.table != "person" else case.category
        results[key].append(why and f"{why}: {case.text}")

    def rate(key: str) -> float:
        return sum(not why for why in results[key]) / len(results[key])

    assert len(results["distress"]) >= 60 and len(results["lookalikes"]) >= 60
    failures = {key: [why for why in whys if why] for key, whys in results.items()}
    assert rate("distress") >= TARGET_DISTRESS, failures["distress"]
    assert rate("lookalikes") >= TARGET_LOOKALIKES, failures["lookalikes"]
    assert rate("humain") == 1.0, failures["humain"]
    assert rate("insulte") == 1.0, failures["insulte"]
    assert rate("insulte_et_question") >= TARGET_INSULT_WITH_QUESTION, failures["insulte_et_question"]


def test_two_misses_in_a_row_offer_a_callback(servers: Servers) -> None:
    first = say(servers, "people-misses", "xqzw plomf")
    assert payload(first)["topic"] == "incompris" and not payload(first).get("offer_callback")
    second = say(servers, "people-misses", "vrrk tzoing")
    assert payload(second)["offer_callback"] is True and "03 21 61 50 00" in text(second)


def test_an_emergency_turn_is_stored_masked_under_its_own_topic(servers: Servers) -> None:
    reply = say(servers, "people-stored", "mon mari me frappe, rappelez-moi au 06 12 34 56 78")
    assert payload(reply)["topic"] == "urgence" and payload(reply)["emergency"] == ["violences_conjugales"]
    assert "3919" in text(reply)
    with sqlite3.connect(servers.config.var_dir / "tracker.sqlite3") as database:
        rows = database.execute("SELECT type_name, data FROM events WHERE sender_id = 'people-stored'").fetchall()
    events = [(kind, json.loads(data)) for kind, data in rows]
    said = [data["text"] for kind, data in events if kind == "user"]
    answered = [data["data"]["custom"] for kind, data in events if kind == "bot" and data["data"].get("custom")]
    assert said == ["mon mari me frappe, rappelez-moi au [téléphone]"]
    assert [custom["emergency"] for custom in answered] == [["violences_conjugales"]]
