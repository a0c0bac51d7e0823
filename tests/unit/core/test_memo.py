"""One turn's memory of a matcher's answers (bot/core/memo.py)."""

from __future__ import annotations

from bot.core.memo import one_turn, per_turn


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    @per_turn
    def words(self, text: str, ignore: list[str] | None = None) -> list[str]:
        self.calls += 1
        return [word for word in text.split() if word not in (ignore or [])]


def test_outside_a_turn_every_call_computes() -> None:
    counting = Counting()
    counting.words("et à Gosnay")
    counting.words("et à Gosnay")
    assert counting.calls == 2


def test_inside_a_turn_the_same_question_is_answered_once_and_forgotten_after() -> None:
    counting, other = Counting(), Counting()
    with one_turn():
        first = counting.words("et à Gosnay")
        first.append("changed by the caller")
        assert counting.words("et à Gosnay") == ["et", "à", "Gosnay"]
        assert counting.words("et à Gosnay", ["et"]) == ["à", "Gosnay"]
        assert other.words("et à Gosnay") == ["et", "à", "Gosnay"]
    assert (counting.calls, other.calls) == (2, 1)
    with one_turn():
        counting.words("et à Gosnay")
    assert counting.calls == 3
