"""Text helpers shared by the web front and the REST channel."""

from __future__ import annotations

import pytest

from bot.french.text import singular, well_formed


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
