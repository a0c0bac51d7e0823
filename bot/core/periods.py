"""Which of a topic's facts fit the case asked about and the day asked on: the bike type a
resident names (a fact's ``variant``), and the facts that follow one another in time (sessions,
amounts of a year) whose last period may have ended.

Pure functions of the facts, used by :mod:`bot.core.answers`: they choose and order facts, the
wording stays there and in ``kb/messages.yml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.kb.queries import FactView


def without_other_variants(
    related: Sequence[FactView], variant: str | None, facts: Sequence[FactView] = ()
) -> list[FactView]:
    """The facts a question's words matched, for the case named when one is: another case's
    facts go, and a general fact gives way to the named case's own fact of the same field among
    ``facts`` (the topic's): « une aide pour un vélo électrique » gets the e-bike's amount, not
    the list of every amount."""
    if variant is None:
        return list(related)
    own: dict[str, FactView] = {}
    for fact in facts:
        if fact.variant == variant:
            own.setdefault(fact.field, fact)
    chosen: list[FactView] = []
    for fact in related:
        if fact.variant is not None and fact.variant != variant:
            continue
        fact = own.get(fact.field, fact) if fact.variant is None else fact
        if fact not in chosen:
            chosen.append(fact)
    return chosen


def for_case(facts: Sequence[FactView], related: Sequence[FactView], variant: str | None) -> list[FactView]:
    """The facts for the case named, in their order: with ``variant`` named, its own facts take
    the place of the general ones of their field (« pour un vélo cargo ? » gets the cargo amount,
    not the list) and other cases' facts go; without, a case's fact stays only when the
    question's words match it (« un vélo adapté »: ``related``), first of its field, and takes
    the place of the general ones of its field."""
    if variant is not None:
        kept = [fact for fact in facts if fact.variant in (None, variant)]
    else:
        kept, seen = [], set()
        for fact in facts:
            if fact.variant is None:
                kept.append(fact)
            elif fact in related and fact.field not in seen:
                seen.add(fact.field)
                kept.append(fact)
    specific = {fact.field for fact in kept if fact.variant is not None}
    return [fact for fact in kept if fact.variant is not None or fact.field not in specific]


def in_time_ranks(facts: Sequence[FactView], today: dt.date) -> dict[str, tuple[int, int]]:
    """Sort keys by fact id: what applies today (and the timeless facts) first, keeping their
    order, then what is to come (soonest first), then what has ended (latest first)."""
    ranks: dict[str, tuple[int, int]] = {}
    for fact in facts:
        if fact.not_yet_valid(today):
            ranks[fact.id] = (1, (fact.valid_from or today).toordinal())
        elif fact.expired(today):
            ranks[fact.id] = (2, -(fact.valid_until or today).toordinal())
        else:
            ranks[fact.id] = (0, 0)
    return ranks


def last_period_ended(facts: Sequence[FactView], today: dt.date) -> FactView | None:
    """When every dated fact told once ended (sessions, a year's amounts) has ended, the one
    that ended last: the answer must then say that the last known period is over. None while
    one of them is current or to come, or when there are none."""
    dated = [fact for fact in facts if fact.told_when_ended and fact.valid_until is not None]
    if not dated or not all(fact.expired(today) for fact in dated):
        return None
    return max(dated, key=lambda fact: (fact.valid_until or today, fact.field == "period"))
