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


def for_variant(facts: Sequence[FactView], related: Sequence[FactView], variant: str | None) -> list[FactView]:
    """A field's facts for the case named: those specific to ``variant`` when there are some
    (« pour un vélo cargo ? » gets the cargo amount alone); else, when the question's words
    match one specific fact (« un vélo adapté »), that one; else the general facts (the list)."""
    if variant is not None:
        specific = [fact for fact in facts if fact.variant == variant]
        if specific:
            return specific
    else:
        matched = [fact for fact in related if fact.variant is not None and fact in facts]
        if matched:
            return matched[:1]
    return [fact for fact in facts if fact.variant is None]


def asked_first(facts: Sequence[FactView], related: Sequence[FactView]) -> list[FactView]:
    """A field's facts with those the question's words match first, most relevant first (« quelles
    rues à Vendin ? » gets the Vendin streets before the list of communes), then the others in
    their order."""
    matched = [fact for fact in related if fact in facts]
    return [*matched, *(fact for fact in facts if fact not in matched)]


def in_time_order(facts: Sequence[FactView], today: dt.date) -> list[FactView]:
    """What applies today first (and the timeless facts, in their order), then what is to come
    (soonest first), then what has ended (latest first)."""
    current = [fact for fact in facts if not fact.expired(today) and not fact.not_yet_valid(today)]
    coming = sorted((fact for fact in facts if fact.not_yet_valid(today)), key=lambda fact: fact.valid_from or today)
    ended = sorted((fact for fact in facts if fact.expired(today)), key=lambda fact: fact.valid_until or today)
    return [*current, *coming, *reversed(ended)]


def last_period_ended(facts: Sequence[FactView], today: dt.date) -> FactView | None:
    """When every dated fact told once ended (sessions, a year's amounts) has ended, the one
    that ended last: the answer must then say that the last known period is over. None while
    one of them is current or to come, or when there are none."""
    dated = [fact for fact in facts if fact.told_when_ended and fact.valid_until is not None]
    if not dated or not all(fact.expired(today) for fact in dated):
        return None
    return max(dated, key=lambda fact: (fact.valid_until or today, fact.field == "period"))
