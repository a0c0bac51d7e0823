"""The invented-figure check (bench/quality/figures.py), on kb/."""

from __future__ import annotations

from bench.quality.figures import unsourced_numbers
from bot.core.services import Services


def test_a_number_of_a_fact_the_answer_shows_is_sourced_whatever_the_topic(services: Services) -> None:
    kb = services.kb
    fact = next(fact for fact in kb.topic("eau_potable").facts if fact.for_residents and "0800" in fact.text)
    number = next(word for word in fact.text.split("0800")[1:2])
    text = f"Appelez le 0800{number.split(' pour')[0]}"
    # Under the emergencies' topic, the régie's number is invented unless the answer shows its fact.
    assert unsourced_numbers(kb, "urgence", text)
    assert unsourced_numbers(kb, "urgence", text, shown=[fact.id]) == []
    # Shown or not, a number no fact holds stays invented.
    assert unsourced_numbers(kb, "urgence", "Appelez le 0800 999 999", shown=[fact.id]) == ["0800 999 999"]
