"""SQLAlchemy models of the knowledge base.

Written in the 2.0 style (``Mapped`` annotations, ``select()``, ``Session``) on SQLAlchemy 1.4,
which Rasa 3.6 pins, so that moving to 2.x is a version bump.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, registry, relationship
from sqlalchemy.orm.decl_api import DeclarativeMeta

mapper_registry = registry()


class Base(metaclass=DeclarativeMeta):  # type: ignore[metaclass]  # SQLAlchemy 1.4 ships no types
    """Declarative base written out, so type checkers see a real class."""

    __abstract__ = True
    registry = mapper_registry
    metadata = mapper_registry.metadata
    __init__ = mapper_registry.constructor


class Source(Base):
    """A public page or document a fact comes from."""

    __tablename__ = "sources"
    # One site can hold several documents cited under their own titles.
    __table_args__ = (UniqueConstraint("url", "title"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    url: Mapped[str] = Column(String(500), nullable=False)
    title: Mapped[str] = Column(String(300), nullable=False)
    verified_on: Mapped[dt.date] = Column(Date, nullable=False)


class Topic(Base):
    """A canonical topic slug and its resident-facing presentation."""

    __tablename__ = "topics"

    slug: Mapped[str] = Column(String(64), primary_key=True)
    family: Mapped[str] = Column(String(32), nullable=False)
    label: Mapped[str] = Column(String(200), nullable=False)
    plan_section: Mapped[str | None] = Column(String(200))
    title: Mapped[str | None] = Column(String(200))
    intro: Mapped[str | None] = Column(Text)
    keywords: Mapped[str] = Column(Text, nullable=False, default="")  # one per line
    position: Mapped[int] = Column(Integer, nullable=False)

    facts = relationship("Fact", back_populates="topic", order_by="Fact.position")


class Fact(Base):
    """One sourced statement, tagged with the field it answers and its confidence."""

    __tablename__ = "facts"

    id: Mapped[str] = Column(String(80), primary_key=True)
    topic_slug: Mapped[str] = Column(ForeignKey("topics.slug"), nullable=False, index=True)
    field: Mapped[str] = Column(String(32), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    applies_to: Mapped[str] = Column(String(300), nullable=False)
    confidence: Mapped[str] = Column(String(8), nullable=False)
    source_id: Mapped[int] = Column(ForeignKey("sources.id"), nullable=False)
    # Set when the fact is a commune's own scheme: told only to that commune's residents.
    commune_insee: Mapped[str | None] = Column(ForeignKey("communes.insee"))
    # The period the fact holds for, when its text gives dates: an ended period is never told
    # as current (bot/core/answers.py).
    valid_from: Mapped[dt.date | None] = Column(Date)
    valid_until: Mapped[dt.date | None] = Column(Date)
    # Told once ended, as past (« période terminée le … »), never as current.
    told_when_ended: Mapped[bool] = Column(Boolean, nullable=False, default=False)
    # The case the fact is specific to (a bike type): an answer about that case picks it.
    variant: Mapped[str | None] = Column(String(32))
    # The official dataset and copy it was imported from (bot/kb/sources/): read-only in the editor.
    imported_from: Mapped[str | None] = Column(String(300))
    position: Mapped[int] = Column(Integer, nullable=False)
    # The questions the fact answers, in residents' words, one per line (kb/README.md).
    questions: Mapped[str | None] = Column(Text)

    topic = relationship("Topic", back_populates="facts")
    source = relationship("Source")


class Unknown(Base):
    """A point on which nothing verified is known: said plainly, never guessed."""

    __tablename__ = "unknowns"

    id: Mapped[int] = Column(Integer, primary_key=True)
    topic_slug: Mapped[str] = Column(ForeignKey("topics.slug"), nullable=False, index=True)
    field: Mapped[str] = Column(String(32), nullable=False)
    text: Mapped[str] = Column(Text, nullable=False)
    position: Mapped[int] = Column(Integer, nullable=False)


class TopicContact(Base):
    """The contact facts to give for a topic, in order."""

    __tablename__ = "topic_contacts"

    topic_slug: Mapped[str] = Column(ForeignKey("topics.slug"), primary_key=True)
    fact_id: Mapped[str] = Column(ForeignKey("facts.id"), primary_key=True)
    position: Mapped[int] = Column(Integer, nullable=False)


class Commune(Base):
    """A commune of the Pas-de-Calais or the Nord; ``is_member`` for the Agglo's 100."""

    __tablename__ = "communes"

    insee: Mapped[str] = Column(String(5), primary_key=True)
    name: Mapped[str] = Column(String(120), nullable=False)
    postal_code: Mapped[str | None] = Column(String(5))
    department: Mapped[str] = Column(String(3), nullable=False)
    is_member: Mapped[bool] = Column(Boolean, nullable=False, index=True)

    aliases = relationship("CommuneAlias", order_by="CommuneAlias.alias")


class CommuneAlias(Base):
    """Another spelling residents use for a member commune ("Bruay", "Noeux")."""

    __tablename__ = "commune_aliases"
    __table_args__ = (UniqueConstraint("alias_key"),)

    id: Mapped[int] = Column(Integer, primary_key=True)
    insee: Mapped[str] = Column(ForeignKey("communes.insee"), nullable=False)
    alias: Mapped[str] = Column(String(120), nullable=False)
    alias_key: Mapped[str] = Column(String(120), nullable=False)


class CommuneRule(Base):
    """A rule that applies commune by commune (for example the permis de louer)."""

    __tablename__ = "commune_rules"

    id: Mapped[int] = Column(Integer, primary_key=True)
    rule: Mapped[str] = Column(String(64), nullable=False)
    topic_slug: Mapped[str] = Column(ForeignKey("topics.slug"), nullable=False)
    insee: Mapped[str] = Column(ForeignKey("communes.insee"), nullable=False, index=True)
    status: Mapped[str] = Column(String(16), nullable=False)
    since: Mapped[dt.date | None] = Column(Date)
    perimeter: Mapped[str] = Column(String(16), nullable=False)
    fact_id: Mapped[str] = Column(ForeignKey("facts.id"), nullable=False)


class Orientation(Base):
    """A question for another body (kb/orientation.yml): its keywords, one per line, and the
    fact that says who handles it."""

    __tablename__ = "orientations"

    fact_id: Mapped[str] = Column(ForeignKey("facts.id"), primary_key=True)
    keywords: Mapped[str] = Column(Text, nullable=False)
    position: Mapped[int] = Column(Integer, nullable=False)


class ImportedDataset(Base):
    """An official dataset imported at the build (bot/kb/sources/): which copy, its date of last
    update, and what was read (JSON), which the next build compares to show what changed."""

    __tablename__ = "imported_datasets"

    dataset: Mapped[str] = Column(String(64), primary_key=True)
    title: Mapped[str] = Column(String(200), nullable=False)
    topic_slug: Mapped[str] = Column(ForeignKey("topics.slug"), nullable=False)
    origin: Mapped[str] = Column(Text, nullable=False)
    last_update: Mapped[dt.date] = Column(Date, nullable=False)
    record: Mapped[str] = Column(Text, nullable=False)


class Message(Base):
    """A sentence used to assemble answers, from ``kb/messages.yml`` (JSON-encoded value)."""

    __tablename__ = "messages"

    key: Mapped[str] = Column(String(120), primary_key=True)
    value: Mapped[str] = Column(Text, nullable=False)


class FrenchWord(Base):
    """An everyday French word (folded): never taken for a misspelt commune name. Stop words
    ("de", "est", "par") do not count when facts are matched against a question."""

    __tablename__ = "french_words"

    word: Mapped[str] = Column(String(80), primary_key=True)
    stop_word: Mapped[bool] = Column(Boolean, nullable=False, default=False)


class KbVersion(Base):
    """The one row naming the published content, written in the build's own transaction: the
    running servers poll it to notice a new build (bot/kb/queries.py)."""

    __tablename__ = "kb_version"

    id: Mapped[int] = Column(Integer, primary_key=True)  # always 1
    version: Mapped[str] = Column(String(64), nullable=False)  # SHA-256 of the content written
    # SHA-256 of the French word list alone: a reader keeps its copy when only the content changed.
    words_version: Mapped[str] = Column(String(64), nullable=False)
    built_at: Mapped[dt.datetime] = Column(DateTime, nullable=False)  # UTC
