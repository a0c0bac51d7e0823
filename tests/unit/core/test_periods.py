"""Choosing facts by the case named and by the day: pure functions of fact views."""

from __future__ import annotations

import datetime as dt

from bot.core.periods import for_case, in_time_ranks, last_period_ended, without_other_variants
from bot.kb.queries import FactView, SourceView

SOURCE = SourceView(title="Source", url="https://example.org", verified_on=dt.date(2026, 4, 14))


def fact(
    fact_id: str,
    variant: str | None = None,
    period: tuple[str, str] | None = None,
    *,
    told_when_ended: bool = False,
    field: str = "amount",
) -> FactView:
    start, end = (dt.date.fromisoformat(day) for day in period) if period else (None, None)
    return FactView(
        fact_id, "aide_velo", field, "Texte.", "2026", "medium", SOURCE, None, start, end, told_when_ended, variant
    )


LIST, CARGO, PLIANT = fact("list"), fact("cargo", "cargo"), fact("pliant", "pliant")


def test_a_named_case_keeps_its_own_fact_and_the_general_ones() -> None:
    everything = [LIST, CARGO, PLIANT]
    # The list gives way to the named case's own fact of the same field, matched or not;
    # another field's fact stays; without a named case, nothing changes.
    assert without_other_variants([LIST, CARGO, PLIANT], "cargo", everything) == [CARGO]
    assert without_other_variants([LIST, PLIANT], "cargo", everything) == [CARGO]
    assert without_other_variants([LIST], "adapte", everything) == [LIST]
    other_field = fact("what", field="what")
    assert without_other_variants([other_field, LIST], "cargo", everything) == [other_field, CARGO]
    assert without_other_variants([LIST, CARGO, PLIANT], None, everything) == [LIST, CARGO, PLIANT]
    assert without_other_variants([LIST, CARGO, PLIANT], None) == [LIST, CARGO, PLIANT]
    assert for_case([LIST, CARGO, PLIANT], [], "cargo") == [CARGO]
    # A case without its own fact gets the general facts; another field's facts stay, in order.
    assert for_case([LIST, CARGO, PLIANT], [], "adapte") == [LIST]
    assert for_case([other_field, LIST, CARGO], [], "cargo") == [other_field, CARGO]


def test_without_a_named_case_the_words_may_pick_one_else_the_list() -> None:
    assert for_case([LIST, CARGO, PLIANT], [PLIANT, LIST], None) == [PLIANT]
    assert for_case([LIST, CARGO, PLIANT], [LIST], None) == [LIST]
    # Two cases matched: the first in the given order, one per field.
    assert for_case([LIST, CARGO, PLIANT], [PLIANT, CARGO], None) == [CARGO]


def test_current_then_coming_then_ended_latest_first() -> None:
    first = fact("s1", period=("2026-03-02", "2026-04-17"))
    second = fact("s2", period=("2026-06-01", "2026-07-17"))
    third = fact("s3", period=("2026-09-21", "2026-11-06"))
    timeless = fact("page")

    def in_time_order(facts: list[FactView], today: dt.date) -> list[FactView]:
        ranks = in_time_ranks(facts, today)
        return sorted(facts, key=lambda item: ranks[item.id])

    assert in_time_order([first, second, third, timeless], dt.date(2026, 6, 10)) == [second, timeless, third, first]
    assert in_time_order([first, second, third], dt.date(2026, 12, 2)) == [third, second, first]
    coming = fact("s4", period=("2027-03-01", "2027-04-01"))
    assert in_time_order([coming, third, timeless], dt.date(2026, 12, 2)) == [timeless, coming, third]


def test_the_last_period_is_over_only_when_every_one_told_as_past_has_ended() -> None:
    session = fact("s3", period=("2026-09-21", "2026-11-06"), told_when_ended=True, field="period")
    amounts = fact("amounts", period=("2026-03-02", "2026-11-06"), told_when_ended=True)
    one_off = fact("divion", period=("2024-01-01", "2024-12-31"))
    assert last_period_ended([amounts, session, one_off], dt.date(2026, 11, 6)) is None
    # On a tie, the session (period) is the one named.
    assert last_period_ended([amounts, session, one_off], dt.date(2026, 11, 7)) == session
    assert last_period_ended([one_off], dt.date(2026, 11, 7)) is None
