"""Write validated content to the database, leaving the previous one intact on failure.

A build is published whole or not at all, and the running servers pick it up by themselves
(bot/kb/queries.py polls the ``kb_version`` row written in the same transaction): SQLite gets a
new file renamed over the old one; other engines (PostgreSQL) get every row replaced in one
transaction, with no DDL once the tables exist, so readers see the old content or the new,
never half, and an application role without CREATE or DROP rights can publish.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.french.lexicon import french_words, inflections, stop_words
from bot.kb.content import Content, load_content
from bot.kb.models import (
    Base,
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
from bot.kb.question_words import with_inflections
from bot.kb.sources import RecordChange, record_changes
from bot.settings import Settings


@dataclass(frozen=True)
class ImportReport:
    """One imported official dataset, as the build tells it: the copy used and why, its date
    of last update, and what changed since the previous build (``first``: nothing to compare)."""

    dataset: str
    title: str
    origin: str
    notes: tuple[str, ...]
    last_update: dt.date
    facts: int
    first: bool
    changes: tuple[RecordChange, ...]


@dataclass(frozen=True)
class BuildReport:
    database_url: str
    topics: int
    facts: int
    communes: int
    members: int
    rules: int
    version: str
    imports: tuple[ImportReport, ...] = ()


def words_version(words: frozenset[str], stop_words: frozenset[str]) -> str:
    """A digest of the French word list (it only changes with the spaCy model)."""
    digest = hashlib.sha256()
    digest.update("\n".join(sorted(words)).encode())
    digest.update(b"\0")
    digest.update("\n".join(sorted(stop_words)).encode())
    return digest.hexdigest()


def content_version(content: Content, words: frozenset[str], stop_words: frozenset[str]) -> str:
    """A digest of everything written: the same content gives the same version."""
    digest = hashlib.sha256()
    digest.update(json.dumps(dataclasses.asdict(content), sort_keys=True, default=str, ensure_ascii=False).encode())
    digest.update(words_version(words, stop_words).encode())
    return digest.hexdigest()


def write_content(
    content: Content,
    engine: Engine,
    words: frozenset[str] = frozenset(),
    stop_words: frozenset[str] = frozenset(),
    inflect: Callable[[str], tuple[str, ...]] | None = None,
) -> str:
    """Replace everything in the database with ``content`` in one transaction; return the version.

    The tables are created only when missing; existing ones are emptied and refilled (DELETE and
    INSERT), so publishing needs no schema rights and readers never see a half-written state.
    """
    Base.metadata.create_all(engine)
    version = content_version(content, words, stop_words)
    with Session(engine) as session, session.begin():
        if engine.dialect.name == "postgresql":
            # Two builds at once would interleave their DELETEs and INSERTs: one waits.
            session.execute(text("LOCK TABLE kb_version IN SHARE ROW EXCLUSIVE MODE"))
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.execute(
            FrenchWord.__table__.insert(),
            [{"word": word, "stop_word": word in stop_words} for word in sorted(words | stop_words)],
        )
        sources: dict[tuple[str, str], Source] = {}
        for insee, commune in sorted(content.communes.items()):
            session.add(
                Commune(
                    insee=insee,
                    name=commune.name,
                    postal_code=commune.postal_code,
                    department=commune.department,
                    is_member=commune.is_member,
                )
            )
        for alias_key, insee in sorted(content.aliases.items()):
            session.add(CommuneAlias(insee=insee, alias=alias_key, alias_key=alias_key))
        for name, value in sorted(content.messages.items()):
            if name == "lexicon" and inflect is not None:
                value = with_inflections(value, inflect)
            session.add(Message(key=name, value=json.dumps(value, ensure_ascii=False)))
        for name, lexicon in sorted(content.lexicons.items()):
            session.add(Message(key=lexicon_key(name), value=json.dumps(lexicon, ensure_ascii=False)))
        session.flush()
        for topic in content.topics.values():
            session.add(
                Topic(
                    slug=topic.slug,
                    family=topic.family,
                    label=topic.label,
                    plan_section=topic.plan_section,
                    title=topic.title,
                    intro=topic.intro,
                    keywords="\n".join(topic.keywords),
                    position=topic.position,
                )
            )
        session.flush()
        for topic in content.topics.values():
            for position, fact in enumerate(topic.facts):
                source_key = (fact.source.url, fact.source.title)
                source = sources.get(source_key)
                if source is None:
                    source = Source(url=fact.source.url, title=fact.source.title, verified_on=fact.source.verified_on)
                    sources[source_key] = source
                    session.add(source)
                    session.flush()
                session.add(
                    Fact(
                        id=fact.id,
                        topic_slug=topic.slug,
                        field=fact.field,
                        text=fact.text,
                        applies_to=fact.applies_to,
                        confidence=fact.confidence,
                        source_id=source.id,
                        commune_insee=fact.commune,
                        valid_from=fact.valid_from,
                        valid_until=fact.valid_until,
                        told_when_ended=fact.told_when_ended,
                        variant=fact.variant,
                        imported_from=fact.imported_from,
                        position=position,
                        questions="\n".join(fact.questions) or None,
                    )
                )
            for position, unknown in enumerate(topic.unknowns):
                session.add(Unknown(topic_slug=topic.slug, field=unknown.field, text=unknown.text, position=position))
        session.flush()
        for dataset in content.imports:
            session.add(
                ImportedDataset(
                    dataset=dataset.dataset,
                    title=dataset.title,
                    topic_slug=dataset.topic,
                    origin=dataset.origin,
                    last_update=dataset.last_update,
                    record=json.dumps(dict(dataset.record), ensure_ascii=False),
                )
            )
        for position, orientation in enumerate(content.orientations):
            session.add(
                Orientation(fact_id=orientation.fact, keywords="\n".join(orientation.keywords), position=position)
            )
        for topic in content.topics.values():
            for position, fact_id in enumerate(topic.contacts):
                session.add(TopicContact(topic_slug=topic.slug, fact_id=fact_id, position=position))
            for rule in topic.rules:
                for insee in rule.communes:
                    session.add(
                        CommuneRule(
                            rule=rule.rule,
                            topic_slug=topic.slug,
                            insee=insee,
                            status=rule.status,
                            since=rule.since,
                            perimeter=rule.perimeter,
                            fact_id=rule.fact,
                        )
                    )
        built_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        session.add(KbVersion(id=1, version=version, words_version=words_version(words, stop_words), built_at=built_at))
    return version


def previous_records(engine: Engine) -> dict[str, dict[str, str]]:
    """What the published build imported, by dataset: nothing for a new database, or one built
    before imports existed."""
    try:
        if not inspect(engine).has_table(ImportedDataset.__tablename__):
            return {}
        with Session(engine) as session:
            rows = session.execute(select(ImportedDataset.dataset, ImportedDataset.record)).all()
    except SQLAlchemyError:
        return {}
    return {str(dataset): dict(json.loads(record)) for dataset, record in rows}


def _previous_records_at(settings: Settings) -> dict[str, dict[str, str]]:
    target = settings.sqlite_path
    if target is not None and not target.exists():
        return {}
    engine = create_engine(settings.database_url, future=True)
    try:
        return previous_records(engine)
    finally:
        engine.dispose()


def _import_reports(content: Content, previous: dict[str, dict[str, str]]) -> tuple[ImportReport, ...]:
    return tuple(
        ImportReport(
            dataset=dataset.dataset,
            title=dataset.title,
            origin=dataset.origin,
            notes=dataset.notes,
            last_update=dataset.last_update,
            facts=len(dataset.facts),
            first=dataset.dataset not in previous,
            changes=tuple(record_changes(previous.get(dataset.dataset), dataset.record)),
        )
        for dataset in content.imports
    )


def build(settings: Settings) -> BuildReport:
    """Validate ``kb/`` and the official datasets it imports, and write the database.

    For SQLite the database is written to a temporary file beside the target, then moved over
    it in one atomic rename, so a failed build leaves the previous database untouched. Other
    engines get the whole rewrite in one transaction (see :func:`write_content`).
    """
    content = load_content(settings.kb_dir, settings.french_communes_file, settings.data_packages_dir)
    previous = _previous_records_at(settings)
    words = french_words()
    stops = stop_words()
    target = settings.sqlite_path
    if target is None:
        engine = create_engine(settings.database_url, future=True)
        try:
            version = write_content(content, engine, words, stops, inflections)
        finally:
            engine.dispose()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary_name = tempfile.mkstemp(prefix=".kb-", suffix=".sqlite3", dir=target.parent)
        os.close(handle)
        temporary = Path(temporary_name)
        try:
            engine = create_engine(f"sqlite:///{temporary}", future=True)
            try:
                version = write_content(content, engine, words, stops, inflections)
            finally:
                engine.dispose()
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
    return BuildReport(
        database_url=settings.database_url,
        topics=len(content.topics),
        facts=len(content.facts),
        communes=len(content.communes),
        members=sum(1 for commune in content.communes.values() if commune.is_member),
        rules=sum(len(rule.communes) for topic in content.topics.values() for rule in topic.rules),
        version=version,
        imports=_import_reports(content, previous),
    )
