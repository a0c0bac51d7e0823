"""Typed, read-only queries on the knowledge base.

The database is opened once per :class:`KnowledgeBase` and every result is an immutable view,
so results can be cached: the content only changes with a rebuild, after which the servers
are restarted (or :meth:`KnowledgeBase.reload` is called).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.kb.content import RESIDENT_CONFIDENCES
from bot.kb.models import (
    Aid,
    Commune,
    CommuneAlias,
    CommuneRule,
    Fact,
    FrenchWord,
    Message,
    Orientation,
    Source,
    Topic,
    TopicContact,
    Unknown,
)
from bot.relevance import FactRanker
from bot.text import fold


class KnowledgeBaseUnavailable(RuntimeError):
    """The database cannot be read (missing, not built, or the server is down)."""


@dataclass(frozen=True)
class SourceView:
    title: str
    url: str
    verified_on: dt.date

    def as_payload(self) -> dict[str, str]:
        return {"title": self.title, "url": self.url, "verified_on": self.verified_on.isoformat()}


@dataclass(frozen=True)
class FactView:
    id: str
    topic: str
    field: str
    text: str
    applies_to: str
    confidence: str
    source: SourceView
    commune_insee: str | None

    @property
    def for_residents(self) -> bool:
        """High and medium facts may be told to residents; low ones only to agents."""
        return self.confidence in RESIDENT_CONFIDENCES


@dataclass(frozen=True)
class UnknownView:
    field: str
    text: str


@dataclass(frozen=True)
class AidView:
    name: str
    amount_min_eur: int | None
    amount_max_eur: int | None
    fields: dict[str, str | None]


@dataclass(frozen=True)
class CommuneView:
    insee: str
    name: str
    postal_code: str | None
    department: str
    is_member: bool


@dataclass(frozen=True)
class TopicView:
    slug: str
    family: str
    label: str
    title: str
    intro: str | None
    keywords: tuple[str, ...]
    facts: tuple[FactView, ...]
    unknowns: tuple[UnknownView, ...]
    contacts: tuple[FactView, ...]
    aid: AidView | None

    def facts_for(self, field: str | None = None, *, residents: bool, commune: str | None = None) -> list[FactView]:
        """Facts of a field (all fields when None). For residents: only high/medium facts, and a
        commune's own scheme only when ``commune`` is that commune."""
        selected = []
        for fact in self.facts:
            if field is not None and fact.field != field:
                continue
            if residents and (not fact.for_residents or (fact.commune_insee and fact.commune_insee != commune)):
                continue
            selected.append(fact)
        return selected

    def unknowns_for(self, field: str | None = None) -> list[UnknownView]:
        return [unknown for unknown in self.unknowns if field is None or unknown.field == field]


@dataclass(frozen=True)
class RuleView:
    rule: str
    topic: str
    commune: CommuneView
    status: str
    since: dt.date | None
    perimeter: str
    fact: FactView


@dataclass(frozen=True)
class OrientationView:
    """Who handles a question for another body, and the keywords that recognise it."""

    fact: FactView
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class SearchHit:
    topic: TopicView
    fact: FactView | None
    score: float


def _source_view(source: Source) -> SourceView:
    return SourceView(title=source.title, url=source.url, verified_on=source.verified_on)


def _fact_view(fact: Fact) -> FactView:
    return FactView(
        id=fact.id,
        topic=fact.topic_slug,
        field=fact.field,
        text=fact.text,
        applies_to=fact.applies_to,
        confidence=fact.confidence,
        source=_source_view(fact.source),
        commune_insee=fact.commune_insee,
    )


def _commune_view(commune: Commune) -> CommuneView:
    return CommuneView(
        insee=commune.insee,
        name=commune.name,
        postal_code=commune.postal_code,
        department=commune.department,
        is_member=commune.is_member,
    )


class _Snapshot:
    """Everything read from the database in one session, indexed for constant-time lookups."""

    def __init__(self, session: Session) -> None:
        facts = {
            fact.id: _fact_view(fact)
            for fact in session.execute(select(Fact).order_by(Fact.topic_slug, Fact.position)).scalars()
        }
        self.communes = {
            commune.insee: _commune_view(commune)
            for commune in session.execute(select(Commune).order_by(Commune.insee)).scalars()
        }
        self.aliases = {
            alias.alias_key: alias.insee
            for alias in session.execute(select(CommuneAlias).order_by(CommuneAlias.alias_key)).scalars()
        }
        self.french_words = frozenset(session.execute(select(FrenchWord.word)).scalars())
        self.stop_words = frozenset(session.execute(select(FrenchWord.word).where(FrenchWord.stop_word)).scalars())
        self.messages: dict[str, Any] = {
            message.key: json.loads(message.value) for message in session.execute(select(Message)).scalars()
        }
        unknowns: dict[str, list[UnknownView]] = {}
        for unknown in session.execute(select(Unknown).order_by(Unknown.topic_slug, Unknown.position)).scalars():
            unknowns.setdefault(unknown.topic_slug, []).append(UnknownView(field=unknown.field, text=unknown.text))
        contacts: dict[str, list[FactView]] = {}
        for link in session.execute(
            select(TopicContact).order_by(TopicContact.topic_slug, TopicContact.position)
        ).scalars():
            contacts.setdefault(link.topic_slug, []).append(facts[link.fact_id])
        aids = {aid.topic_slug: aid for aid in session.execute(select(Aid)).scalars()}
        self.topics: dict[str, TopicView] = {}
        for topic in session.execute(select(Topic).order_by(Topic.position)).scalars():
            aid = aids.get(topic.slug)
            self.topics[topic.slug] = TopicView(
                slug=topic.slug,
                family=topic.family,
                label=topic.label,
                title=topic.title or topic.label,
                intro=topic.intro,
                keywords=tuple(word for word in topic.keywords.split("\n") if word),
                facts=tuple(fact for fact in facts.values() if fact.topic == topic.slug),
                unknowns=tuple(unknowns.get(topic.slug, [])),
                contacts=tuple(contacts.get(topic.slug, [])),
                aid=None
                if aid is None
                else AidView(
                    name=aid.name,
                    amount_min_eur=aid.amount_min_eur,
                    amount_max_eur=aid.amount_max_eur,
                    fields={
                        name: getattr(aid, name)
                        for name in ("what", "eligibility", "amount", "how_to_apply", "documents", "contact", "period")
                    },
                ),
            )
        self.rules_by_commune: dict[str, list[RuleView]] = {}
        self.rules_by_topic: dict[str, list[RuleView]] = {}
        rules = session.execute(
            select(CommuneRule).order_by(CommuneRule.topic_slug, CommuneRule.rule, CommuneRule.insee)
        ).scalars()
        for rule in rules:
            view = RuleView(
                rule=rule.rule,
                topic=rule.topic_slug,
                commune=self.communes[rule.insee],
                status=rule.status,
                since=rule.since,
                perimeter=rule.perimeter,
                fact=facts[rule.fact_id],
            )
            self.rules_by_commune.setdefault(rule.insee, []).append(view)
            self.rules_by_topic.setdefault(rule.topic_slug, []).append(view)
        self.orientations = [
            OrientationView(fact=facts[row.fact_id], keywords=tuple(word for word in row.keywords.split("\n") if word))
            for row in session.execute(select(Orientation).order_by(Orientation.position)).scalars()
        ]
        self.fact_ranker = FactRanker((fact.text for fact in facts.values()), self.stop_words)
        # A topic's name, which every one of its facts is about (its keywords, which name its
        # aspects, do tell facts apart: "topo-guide", "prix de l'eau").
        self.topic_stems = {
            topic.slug: self.fact_ranker.stems(f"{topic.title} {topic.label}") for topic in self.topics.values()
        }
        self.search_index = [
            (topic, None, fold(" ".join([topic.title, topic.label, *topic.keywords, topic.intro or ""])))
            for topic in self.topics.values()
        ] + [(self.topics[fact.topic], fact, fold(fact.text)) for fact in facts.values()]


class KnowledgeBase:
    """Read access to the knowledge base: one engine, one snapshot, reused by every call."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    @cached_property
    def _engine(self) -> Engine:
        return create_engine(self.database_url, future=True)

    def _data(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None:
            return snapshot
        with self._lock:
            if self._snapshot is None:
                missing = self._missing_sqlite_file()
                if missing:
                    raise KnowledgeBaseUnavailable(f"knowledge base not built ({missing} is missing): run `make kb`")
                try:
                    with Session(self._engine) as session:
                        self._snapshot = _Snapshot(session)
                except SQLAlchemyError as error:
                    raise KnowledgeBaseUnavailable(
                        f"knowledge base unreadable at {self.database_url}: run `python -m bot kb build`"
                    ) from error
                if not self._snapshot.topics:
                    self._snapshot = None
                    raise KnowledgeBaseUnavailable(f"knowledge base at {self.database_url} is empty")
            return self._snapshot

    def _missing_sqlite_file(self) -> str | None:
        # Connecting to a missing SQLite file would create an empty one: check first.
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix):
            path = Path(self.database_url[len(prefix) :])
            if not path.exists():
                return str(path)
        return None

    def reload(self) -> None:
        """Forget the snapshot so the next call reads the (rebuilt) database again."""
        with self._lock:
            self._snapshot = None

    def check(self) -> None:
        """Raise :class:`KnowledgeBaseUnavailable` if the database cannot be read."""
        self._data()

    # Topics -----------------------------------------------------------------------------
    def topic(self, slug: str) -> TopicView | None:
        return self._data().topics.get(slug)

    def topics(self) -> list[TopicView]:
        return list(self._data().topics.values())

    def message(self, name: str) -> Any:
        """A message of ``kb/messages.yml`` (a string, a list or a mapping)."""
        return self._data().messages[name]

    def orientations(self) -> list[OrientationView]:
        """The questions for other bodies, in the order of kb/orientation.yml."""
        return list(self._data().orientations)

    # Communes ---------------------------------------------------------------------------
    def commune(self, insee: str) -> CommuneView | None:
        return self._data().communes.get(insee)

    def communes(self, *, members_only: bool = False) -> list[CommuneView]:
        return [commune for commune in self._data().communes.values() if commune.is_member or not members_only]

    def aliases(self) -> dict[str, str]:
        """Alias key → INSEE code of the member commune it names."""
        return dict(self._data().aliases)

    def french_words(self) -> frozenset[str]:
        """Everyday French words (folded), which are never taken for misspelt communes."""
        return self._data().french_words

    def is_member(self, insee: str) -> bool:
        commune = self.commune(insee)
        return commune is not None and commune.is_member

    def rules_for_commune(self, insee: str) -> list[RuleView]:
        return list(self._data().rules_by_commune.get(insee, []))

    def rules_for_topic(self, slug: str) -> list[RuleView]:
        return list(self._data().rules_by_topic.get(slug, []))

    # Search -----------------------------------------------------------------------------
    def relevant_facts(self, question: str, topic: TopicView, facts: Sequence[FactView]) -> list[FactView]:
        """The facts relevant to a question about the topic, most relevant first; the words that
        name the topic itself are left out, since every fact of the topic is about it."""
        data = self._data()
        ranked = data.fact_ranker.relevant(
            question, [fact.text for fact in facts], ignore=data.topic_stems.get(topic.slug, frozenset())
        )
        return [facts[index] for index in ranked]

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """Keyword search for agents across topics and facts, tolerant of accents and typos.

        Each query word scores its best fuzzy match in the entry; ties keep the knowledge-base
        order, so results are deterministic.
        """
        words = [word for word in fold(query).split() if len(word) > 2] or fold(query).split()
        if not words:
            return []
        hits: list[tuple[float, int, SearchHit]] = []
        for order, (topic, fact, text) in enumerate(self._data().search_index):
            entry_words = text.split()
            if not entry_words:
                continue
            score = sum(max(fuzz.ratio(word, candidate) for candidate in entry_words) for word in words) / len(words)
            if score >= 80:
                hits.append((-score, order, SearchHit(topic=topic, fact=fact, score=round(score, 1))))
        hits.sort(key=lambda item: (item[0], item[1]))
        return [hit for _, _, hit in hits[:limit]]
