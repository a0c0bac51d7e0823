"""Typed, read-only queries on the knowledge base.

Everything is read once into an immutable in-memory snapshot, so lookups cost no SQL. A build
(``make kb``) publishes a new version row with the content; a thread of every
:class:`KnowledgeBase` checks it once per :data:`REFRESH_SECONDS` (for SQLite, first the file's
identity: the build renames a new file over the old one), reads the new content while the old
snapshot keeps answering, then swaps it in one assignment. Several action servers each notice
on their own; nothing restarts, and answering a message never waits for a check.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar, cast

from rapidfuzz import fuzz
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.french.text import fold
from bot.kb.content import RESIDENT_CONFIDENCES
from bot.kb.models import (
    Commune,
    CommuneAlias,
    CommuneRule,
    Fact,
    FrenchWord,
    ImportedDataset,
    KbVersion,
    Message,
    Orientation,
    Source,
    Topic,
    TopicContact,
    Unknown,
    lexicon_key,
)
from bot.kb.ranking import FactRanker

logger = logging.getLogger(__name__)

# How often a running process looks for a new build, at most (seconds).
REFRESH_SECONDS = 1.0
_Derived = TypeVar("_Derived")


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
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    # Once ended, still told, as past (never as current).
    told_when_ended: bool = False
    # The case the fact is specific to (a bike type), when it is.
    variant: str | None = None
    # The official dataset it was imported from: read-only in the console's editor.
    imported_from: str | None = None
    # The questions it answers, in residents' words (kb/README.md).
    questions: tuple[str, ...] = ()

    @property
    def for_residents(self) -> bool:
        """High and medium facts may be told to residents; low ones only to agents."""
        return self.confidence in RESIDENT_CONFIDENCES

    def expired(self, today: dt.date) -> bool:
        """Its period has ended: never told as current."""
        return self.valid_until is not None and self.valid_until < today

    def not_yet_valid(self, today: dt.date) -> bool:
        """Its period has not started yet: told as what will apply from ``valid_from``."""
        return self.valid_from is not None and self.valid_from > today


@dataclass(frozen=True)
class ImportedDatasetView:
    """An official dataset imported at the build: which copy, and its date of last update."""

    dataset: str
    title: str
    topic: str
    origin: str
    last_update: dt.date


@dataclass(frozen=True)
class UnknownView:
    field: str
    text: str


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
        valid_from=fact.valid_from,
        valid_until=fact.valid_until,
        questions=tuple(line for line in (fact.questions or "").split("\n") if line),
        told_when_ended=bool(fact.told_when_ended),
        variant=fact.variant,
        imported_from=fact.imported_from,
    )


def searchable_text(fact: FactView) -> str:
    """What a question is compared with: the fact's text and the questions it answers."""
    return " ".join((fact.text, *fact.questions))


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

    def __init__(
        self, session: Session, identity: tuple[int, ...] | None = None, previous: _Snapshot | None = None
    ) -> None:
        # The version row is read in the same transaction as the content it names.
        version = session.execute(select(KbVersion.version, KbVersion.words_version, KbVersion.built_at)).first()
        self.version: str | None = version[0] if version else None
        self.words_version: str | None = version[1] if version else None
        self.built_at: dt.datetime | None = version[2] if version else None
        # SQLite: the database file's identity when it was opened (see KnowledgeBase).
        self.identity = identity
        # Objects built from this snapshot (the matchers of bot/core/services.py), swapped with it.
        self.derived: dict[str, Any] = {}
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
        self.french_words: frozenset[str]
        self.stop_words: frozenset[str]
        if previous is not None and self.words_version is not None and previous.words_version == self.words_version:
            # A quarter of a million words, unchanged: the swap need not read them again.
            self.french_words, self.stop_words = previous.french_words, previous.stop_words
        else:
            words = FrenchWord.__table__.c
            rows = session.connection().execute(select(words.word, words.stop_word)).all()
            self.french_words = frozenset(str(word) for word, _ in rows)
            self.stop_words = frozenset(str(word) for word, stop in rows if stop)
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
        self.topics: dict[str, TopicView] = {}
        for topic in session.execute(select(Topic).order_by(Topic.position)).scalars():
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
        self.imported_datasets = [
            ImportedDatasetView(
                dataset=row.dataset,
                title=row.title,
                topic=row.topic_slug,
                origin=row.origin,
                last_update=row.last_update,
            )
            for row in session.execute(select(ImportedDataset).order_by(ImportedDataset.dataset)).scalars()
        ]
        self.fact_ranker = FactRanker((searchable_text(fact) for fact in facts.values()), self.stop_words)
        # A topic's name, which every one of its facts is about (its keywords, which name its
        # aspects, do tell facts apart: "topo-guide", "prix de l'eau").
        self.topic_stems = {
            topic.slug: self.fact_ranker.stems(f"{topic.title} {topic.label}") for topic in self.topics.values()
        }
        self.topic_words = {
            topic.slug: self.fact_ranker.words(f"{topic.title} {topic.label}") for topic in self.topics.values()
        }
        self.search_index = [
            (topic, None, fold(" ".join([topic.title, topic.label, *topic.keywords, topic.intro or ""])))
            for topic in self.topics.values()
        ] + [(self.topics[fact.topic], fact, fold(fact.text)) for fact in facts.values()]


class KnowledgeBase:
    """Read access to the knowledge base: one engine, one snapshot, reused by every call and
    replaced when a new build is published (``refresh_seconds`` < 0: never; tests)."""

    def __init__(self, database_url: str, *, refresh_seconds: float = REFRESH_SECONDS) -> None:
        self.database_url = database_url
        self.refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._checking = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._watching = False

    @cached_property
    def _engine(self) -> Engine:
        return create_engine(self.database_url, future=True)

    @property
    def _sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        return Path(self.database_url[len(prefix) :]) if self.database_url.startswith(prefix) else None

    def _file_identity(self) -> tuple[int, ...] | None:
        path = self._sqlite_path
        if path is None:
            return None
        try:
            status = path.stat()
        except OSError:
            return None
        return (status.st_dev, status.st_ino, status.st_mtime_ns, status.st_size)

    def _read(self, previous: _Snapshot | None = None) -> _Snapshot:
        """A new snapshot of the database as it is now, in one read transaction (sharing what
        did not change with ``previous``)."""
        missing = self._missing_sqlite_file()
        if missing:
            raise KnowledgeBaseUnavailable(f"knowledge base not built ({missing} is missing): run `make kb`")
        identity = self._file_identity()
        try:
            with self._engine.connect() as connection:
                if connection.dialect.name != "sqlite":
                    # Every SELECT of the snapshot sees the same committed build.
                    connection = connection.execution_options(isolation_level="REPEATABLE READ")
                with Session(bind=connection) as session:
                    snapshot = _Snapshot(session, identity, previous)
        except SQLAlchemyError as error:
            raise KnowledgeBaseUnavailable(
                f"knowledge base unreadable at {self.database_url}: run `python -m bot kb build`"
            ) from error
        if not snapshot.topics:
            raise KnowledgeBaseUnavailable(f"knowledge base at {self.database_url} is empty")
        return snapshot

    def _data(self) -> _Snapshot:
        snapshot = self._snapshot
        if snapshot is not None:
            return snapshot
        with self._lock:
            if self._snapshot is None:
                self._snapshot = self._read()
                self._watch()
            return self._snapshot

    def _watch(self) -> None:
        """Look for new builds every ``refresh_seconds`` in a thread of its own, so that even the
        first message after a quiet spell gets the new content; it ends with this object."""
        if self.refresh_seconds < 0 or self._watching:
            return
        self._watching = True
        threading.Thread(
            target=_watch_builds, args=(weakref.ref(self), self.refresh_seconds), name="kb-watch", daemon=True
        ).start()

    def _published_version(self, snapshot: _Snapshot) -> bool:
        """Whether a build other than ``snapshot``'s has been published since it was read."""
        identity = self._file_identity()
        if self._sqlite_path is not None:
            if identity is None or identity == snapshot.identity:
                return False  # same file (a missing one leaves the snapshot answering)
            # A new file: pooled connections would still read the old one.
            self._engine.dispose()
        try:
            with self._engine.connect() as connection:
                version = connection.execute(select(KbVersion.version)).scalar()
        except SQLAlchemyError as error:
            logger.warning("knowledge-base version unreadable, keeping the current content: %s", error)
            return False
        if version == snapshot.version:
            snapshot.identity = identity  # the same content written again
            return False
        return True

    def _refresh(self) -> bool:
        """Swap in a new build if one was published; the old snapshot answers meanwhile."""
        with self._checking:  # one check at a time (the watcher, refresh())
            previous = self._snapshot
            if previous is None or not self._published_version(previous):
                return False
            fresh = self._read(previous)
            with self._lock:
                if self._snapshot is not previous:
                    return False
                self._snapshot = fresh
        logger.info("knowledge base now at version %s", fresh.version)
        return True

    def refresh(self) -> bool:
        """Look for a new build now and, if there is one, read and swap it before returning
        (the command line and tests; servers rely on the watcher thread)."""
        self._data()
        return self._refresh()

    @property
    def version(self) -> str | None:
        """The version of the content being served (SHA-256 of the build)."""
        return self._data().version

    @property
    def built_at(self) -> dt.datetime | None:
        """When the content being served was built (UTC, naive)."""
        return self._data().built_at

    def derived(self, name: str, build: Callable[[KnowledgeBase], _Derived]) -> _Derived:
        """An object built from the current snapshot (a matcher), rebuilt with each new snapshot.

        ``build`` gets a knowledge base fixed on that snapshot, so the object never mixes two
        versions."""
        snapshot = self._data()
        if name not in snapshot.derived:
            snapshot.derived[name] = build(_FixedKnowledgeBase(self.database_url, snapshot))
        return cast(_Derived, snapshot.derived[name])

    def _missing_sqlite_file(self) -> str | None:
        # Connecting to a missing SQLite file would create an empty one: check first.
        path = self._sqlite_path
        if path is not None and not path.exists():
            return str(path)
        return None

    def reload(self) -> None:
        """Forget the snapshot so the next call reads the database again."""
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

    def lexicon(self, name: str) -> dict[str, Any]:
        """A phrase lexicon of ``kb/`` (``emergencies``, ``people``), as validated by the build;
        empty if the published build has none."""
        value = self._data().messages.get(lexicon_key(name))
        return value if isinstance(value, dict) else {}

    def imported_datasets(self) -> list[ImportedDatasetView]:
        """The official datasets the published build imported (bot/kb/sources/)."""
        return list(self._data().imported_datasets)

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

    def stop_words(self) -> frozenset[str]:
        """French stop words (folded): "de", "est", "par"."""
        return self._data().stop_words

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
            question, [searchable_text(fact) for fact in facts], ignore=data.topic_stems.get(topic.slug, frozenset())
        )
        return [facts[index] for index in ranked]

    def fact_scores(self, question: str, topic_slug: str | None, facts: Sequence[FactView]) -> list[float]:
        """How much each fact shares with the question: the idf weights of the word stems they
        have in common (the words naming the topic itself left out)."""
        return self.text_scores(question, topic_slug, [searchable_text(fact) for fact in facts])

    def text_scores(self, question: str, topic_slug: str | None, texts: Sequence[str]) -> list[float]:
        """:meth:`fact_scores` for any texts of a topic (its facts' searchable texts, its unknowns)."""
        data = self._data()
        ranker = data.fact_ranker
        stems = ranker.stems(question) - data.topic_stems.get(topic_slug or "", frozenset())
        # « déchetterie » is no name of the topic « Déchets et tri », though it shares its stem.
        apart = ranker.apart(question, data.topic_words.get(topic_slug or "", frozenset()))
        return [ranker.score(stems, text, apart) if stems or apart else 0.0 for text in texts]

    def search_entries(self) -> list[tuple[TopicView, FactView | None, str]]:
        """What :meth:`search` looks through, in its order: each topic (its title, keywords and
        introduction) and each fact, with its folded text (the offline console's index)."""
        return list(self._data().search_index)

    def search(self, query: str, limit: int = 10) -> list[SearchHit]:
        """Keyword search for agents across topics and facts, tolerant of accents and typos.

        Each query word scores its best fuzzy match in the entry; ties keep the knowledge-base
        order, so results are deterministic.
        """
        words = search_words(query)
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


def search_words(query: str) -> list[str]:
    """The words of a search query that count: folded, those of three letters or more (all of
    them when none is that long)."""
    return [word for word in fold(query).split() if len(word) > 2] or fold(query).split()


def _watch_builds(knowledge_base: weakref.ref[KnowledgeBase], interval: float) -> None:
    while True:
        time.sleep(interval)
        kb = knowledge_base()
        if kb is None:
            return
        try:
            kb._refresh()
        except KnowledgeBaseUnavailable as error:
            logger.warning("new knowledge-base build unreadable, keeping the current content: %s", error)
        except Exception:  # the watcher must outlive any surprise; the old content keeps answering
            logger.exception("knowledge-base watcher")
        del kb


class _FixedKnowledgeBase(KnowledgeBase):
    """A knowledge base that answers from one snapshot and never refreshes."""

    def __init__(self, database_url: str, snapshot: _Snapshot) -> None:
        super().__init__(database_url, refresh_seconds=-1)
        self._snapshot = snapshot
