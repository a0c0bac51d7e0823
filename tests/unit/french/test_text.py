"""Text helpers shared by the web front and the REST channel."""

from __future__ import annotations

import pytest

from bot.french.text import fold, singular, well_formed


@pytest.mark.parametrize("text", ["\ud800", "bonjour \udfff", "\ud83d permis de louer"])
def test_a_lone_surrogate_is_replaced(text: str) -> None:
    cleaned = well_formed(text)
    cleaned.encode("utf-8")  # would raise on a surrogate
    assert len(cleaned) == len(text)


def test_well_formed_text_is_unchanged() -> None:
    text = "Vélo électrique 🚲, Nœux-les-Mines « ok »"
    assert well_formed(text) == text


@pytest.mark.parametrize(
    ("word", "read"),
    [
        ("aides", "aide"),
        ("jeux", "jeu"),
        ("eaux", "eau"),
        ("prix", "prix"),
        ("pris", "pri"),
        ("bus", "bus"),
        # « Pass'Mobil'Agglo » was read « pas », the negation.
        ("pass", "pass"),
        ("stress", "stress"),
    ],
)
def test_a_plural_is_read_singular_and_prix_stays_prix(word: str, read: str) -> None:
    assert singular(word) == read


@pytest.mark.parametrize(
    ("written", "as_typed"),
    [("moins de 2 000 habitants", "moins de 2000 habitants"), ("100 000 t/an", "100000 t an")],
)
def test_a_number_in_groups_of_three_digits_is_one_number(written: str, as_typed: str) -> None:
    assert fold(written) == fold(as_typed)


def test_numbers_that_are_not_groups_of_three_digits_stay_apart() -> None:
    # A phone number's pairs, a year followed by a count.
    assert fold("03 21 61 50 00") == "03 21 61 50 00"
    assert fold("en 2018 250 logements") == "en 2018 250 logements"
