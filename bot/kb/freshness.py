"""Which facts are due for a new check of their source, and which periods have ended.

Works on the content records of ``kb/`` (``kb check --stale``) and on the views of the built
database alike (the console), so both list the same facts. Every function takes ``today``:
the caller decides the date, and tests fix it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from bot.kb.content import RESIDENT_CONFIDENCES

HEADLINE_FAMILY = "headline_aid"


class _Source(Protocol):
    @property
    def verified_on(self) -> dt.date: ...


class _Fact(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def topic(self) -> str: ...
    @property
    def confidence(self) -> str: ...
    @property
    def source(self) -> _Source: ...
    @property
    def valid_until(self) -> dt.date | None: ...


@dataclass(frozen=True)
class StaleFact:
    topic: str
    fact_id: str
    verified_on: dt.date
    age_days: int
    for_residents: bool
    headline_aid: bool


@dataclass(frozen=True)
class EndedFact:
    topic: str
    fact_id: str
    valid_until: dt.date


def stale_facts(
    facts: Iterable[_Fact], families: Mapping[str, str], *, older_than_days: int, today: dt.date
) -> list[StaleFact]:
    """The facts whose source was last verified more than ``older_than_days`` ago, oldest first
    (then by topic and id, so the list is stable)."""
    stale = []
    for fact in facts:
        age = (today - fact.source.verified_on).days
        if age > older_than_days:
            stale.append(
                StaleFact(
                    topic=fact.topic,
                    fact_id=fact.id,
                    verified_on=fact.source.verified_on,
                    age_days=age,
                    for_residents=fact.confidence in RESIDENT_CONFIDENCES,
                    headline_aid=families.get(fact.topic) == HEADLINE_FAMILY,
                )
            )
    stale.sort(key=lambda item: (item.verified_on, item.topic, item.fact_id))
    return stale


def overdue_headline_facts(
    facts: Iterable[_Fact], families: Mapping[str, str], *, max_age_days: int, today: dt.date
) -> list[StaleFact]:
    """Resident-facing facts of a headline aid checked longer ago than ``max_age_days``."""
    return [
        fact
        for fact in stale_facts(facts, families, older_than_days=max_age_days, today=today)
        if fact.headline_aid and fact.for_residents
    ]


def ended_facts(facts: Iterable[_Fact], *, today: dt.date) -> list[EndedFact]:
    """The facts whose ``valid_until`` has passed, the longest ended first."""
    ended = [
        EndedFact(topic=fact.topic, fact_id=fact.id, valid_until=fact.valid_until)
        for fact in facts
        if fact.valid_until is not None and fact.valid_until < today
    ]
    ended.sort(key=lambda item: (item.valid_until, item.topic, item.fact_id))
    return ended


class _Imported(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def topic(self) -> str: ...
    @property
    def last_update(self) -> dt.date: ...


@dataclass(frozen=True)
class OverdueImport:
    title: str
    topic: str
    last_update: dt.date
    age_days: int


def overdue_imports(datasets: Iterable[_Imported], *, max_age_days: int, today: dt.date) -> list[OverdueImport]:
    """The imported official datasets whose own date of last update is older than
    ``max_age_days`` (the headline limit): their facts may be out of date, whatever the
    package's version."""
    overdue = []
    for dataset in datasets:
        age = (today - dataset.last_update).days
        if age > max_age_days:
            overdue.append(OverdueImport(dataset.title, dataset.topic, dataset.last_update, age))
    return overdue
