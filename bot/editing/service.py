"""The console's content editor for the topic files of ``kb/``: preview, publish, history and
restore of a fact's change.

Plain Python (the web routes are in ``bot/web/editor.py``). A change is applied to the topic's
YAML (bot/editing/document.py), validated by the same rules as ``kb build``
(:func:`bot.kb.content.load_content`) on a copy of ``kb/``, committed in the content's git
history with the editor as author and their note as message, then the knowledge base is rebuilt
atomically (bot/editing/repository.py). The synonyms of the lexicon have their own editor
(bot/editing/lexicon_service.py), on the same repository.

Every answer a preview shows is computed by :func:`preview_answer`, and only there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import yaml
from ruamel.yaml.comments import CommentedMap

from bot.core.answers import Answer, agent_fiche, resident_answer
from bot.core.emergencies import EMERGENCY_TOPIC, answers_showing, emergency_detector
from bot.core.services import Services
from bot.core.topics import FALLBACK_INTENT
from bot.core.turns import Nlu, first_turn_answers
from bot.editing.changes import TopicChanges, compare_topic
from bot.editing.document import SLUG, Change, apply_change
from bot.editing.errors import EditError
from bot.editing.history import HISTORY_LIMIT
from bot.editing.repository import (
    MAX_NOTE_CHARS,
    ContentFile,
    ContentRepository,
    Publication,
    RestorePreview,
    RevisionChanges,
)
from bot.editing.roundtrip import DiffLine, dump_document, line_diff, load_document
from bot.kb.queries import KnowledgeBase
from bot.settings import Settings

__all__ = ["MAX_NOTE_CHARS", "ContentEditor", "Preview", "preview_answer"]

# The fact's questions whose answers a preview shows (each is composed on the trial copy).
PREVIEWED_QUESTIONS = 5


def preview_answer(
    kb: KnowledgeBase,
    *,
    topic: str | None = None,
    message: str = "",
    field_name: str | None = None,
    nlu: Nlu | None = None,
) -> Answer | None:
    """The resident answer a preview shows: the one place where the editor composes one.

    A ``message`` is answered as the first message of a conversation is (the actions' one path,
    bot/core/turns.py), with what the language model made of it (``nlu``: the web front asks a
    Rasa instance); without it, as if it had recognised ``topic`` (none: the words alone decide,
    as they do when the model recognises no topic). None when the message is about no topic of
    the knowledge base. Without a message: the overview of ``topic``, or its answer to a quick
    reply on ``field_name``. Two answers (two questions) are shown one after the other."""
    if not message:
        return resident_answer(kb, topic, field_name=field_name) if topic is not None else None
    # Only the database is read from the settings of a trial copy.
    services = Services.over(kb, Settings.construct(database_url=kb.database_url))
    if nlu is None:
        # No language model to ask: it is taken to recognise the topic given, or the one the
        # words name, as it does on the phrasings it was trained on.
        nlu = Nlu(intent=topic or services.topics.find(message) or FALLBACK_INTENT)
    # A turn about no topic (small talk, out of scope) has its own answer in domain.yml.
    answers = [answer for answer in first_turn_answers(services, message, nlu) or [] if answer.text]
    if not answers:
        return None
    if len(answers) == 1:
        return answers[0]
    first = answers[0]
    return replace(
        first,
        text="\n\n".join(answer.text for answer in answers),
        facts=[fact for answer in answers for fact in answer.facts],
    )


@dataclass(frozen=True)
class QuestionPreview:
    """A question the fact answers, and the answer a resident asking it about the topic gets."""

    question: str
    answer: str
    # The fact's text comes first in the answer.
    fact_first: bool


@dataclass(frozen=True)
class Preview:
    """The topic as it will be once the change is published."""

    slug: str
    field: str
    diff: list[DiffLine]
    changes: TopicChanges
    resident_overview: str
    resident_field: str
    agent: str
    questions: tuple[QuestionPreview, ...] = ()


class ContentEditor:
    """Edits the topic files of ``settings.kb_dir``, which must be in a git work tree."""

    def __init__(self, settings: Settings, repository: ContentRepository | None = None) -> None:
        self.settings = settings
        self.repository = repository or ContentRepository(settings)
        self.kb_dir = settings.kb_dir
        self.git = self.repository.git

    def require_git(self) -> None:
        self.repository.require_git()

    # Files ------------------------------------------------------------------------------------
    def _relative(self, slug: str) -> str:
        if not SLUG.fullmatch(slug):
            raise EditError("unknown_topic", detail=slug)
        return f"topics/{slug}.yml"

    def topic_file(self, slug: str) -> ContentFile:
        return self.repository.read(self._relative(slug), EditError("unknown_topic", detail=slug))

    def document(self, slug: str) -> tuple[ContentFile, CommentedMap]:
        topic_file = self.topic_file(slug)
        return topic_file, load_document(topic_file.text)

    def _fact_ids(self) -> set[str]:
        ids: set[str] = set()
        for path in (self.kb_dir / "topics").glob("*.yml"):
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError:
                continue
            for raw in data.get("facts") or [] if isinstance(data, dict) else []:
                if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                    ids.add(raw["id"])
        return ids

    def _changed_text(self, topic_file: ContentFile, slug: str, change: Change) -> tuple[str, str]:
        """The file's text with ``change`` applied, and the field the change touches."""
        document = load_document(topic_file.text)
        field_name = apply_change(document, slug, change, self._fact_ids())
        new_text = dump_document(document)
        if new_text == topic_file.text:
            raise EditError("unchanged")
        return new_text, field_name

    def proposed_text(self, slug: str, change: Change) -> tuple[ContentFile, str, str]:
        """The file now, the file with ``change`` applied, and the field the change touches."""
        topic_file = self.topic_file(slug)
        new_text, field_name = self._changed_text(topic_file, slug, change)
        return topic_file, new_text, field_name

    # Validation and preview -------------------------------------------------------------------
    def validate(self, slug: str, new_text: str) -> None:
        self.repository.validate(self._relative(slug), new_text)

    def preview(self, slug: str, change: Change, parsed: Mapping[str, Nlu] | None = None) -> Preview:
        """``parsed``: what the language model made of the fact's questions (none when no Rasa
        instance answered: the words alone then decide, about this topic)."""
        topic_file, new_text, field_name = self.proposed_text(slug, change)
        # An added fact is the last one of the file.
        fact_id = _last_fact_id(new_text) if change.kind == "add" else change.fact_id
        with self.repository.trial_kb(self._relative(slug), new_text) as kb:
            if slug == EMERGENCY_TOPIC:
                # Never an overview: each kind of distress or emergency whose answer shows the fact.
                overview_text, field_text = answers_showing(emergency_detector(kb), change.fact_id or None), ""
            else:
                overview = preview_answer(kb, topic=slug)
                by_field = preview_answer(kb, topic=slug, field_name=field_name) if field_name else None
                overview_text = overview.text if overview else ""
                field_text = by_field.text if by_field else ""
            agent = agent_fiche(kb, slug).text
            questions = tuple(
                _question_preview(kb, slug, question, fact_id, (parsed or {}).get(question))
                for question in change.fact.questions[:PREVIEWED_QUESTIONS]
                if change.kind != "retire"
            )
        return Preview(
            slug=slug,
            field=field_name,
            diff=line_diff(topic_file.text, new_text),
            changes=compare_topic(topic_file.text, new_text),
            resident_overview=overview_text,
            resident_field=field_text,
            agent=agent,
            questions=questions,
        )

    # Publication ------------------------------------------------------------------------------
    def check_base(self, slug: str, base_version: str) -> None:
        """Refuse (``conflict``, ``uncommitted``) a change based on another version of the file."""
        self.repository.check_base(self.topic_file(slug), base_version)

    def publish(self, slug: str, change: Change, *, base_version: str, author: str, note: str) -> Publication:
        """Validate, write, commit and rebuild; refused (nothing written) if the file changed
        since ``base_version`` or the content would not pass ``kb build``."""
        return self.repository.publish(
            lambda: self.topic_file(slug),
            lambda topic_file: self._changed_text(topic_file, slug, change)[0],
            base_version=base_version,
            author=author,
            note=note,
        )

    # History ----------------------------------------------------------------------------------
    def history(self, slug: str, limit: int = HISTORY_LIMIT) -> list[RevisionChanges[TopicChanges]]:
        """The topic file's commits, newest first, each with what it changed."""
        return self.repository.described_history(self.topic_file(slug).relative, compare_topic, limit)

    def restore_preview(self, slug: str, commit: str) -> RestorePreview[TopicChanges]:
        """What restoring ``commit``'s version would change in the file as it is now."""
        return self.repository.restore_preview(self.topic_file(slug), commit, compare_topic)

    def restore(self, slug: str, commit: str, *, base_version: str, author: str, note: str) -> Publication:
        """Put the file back as it was at ``commit`` (one of its history), as a new commit."""
        self.topic_file(slug)  # an unknown topic is refused before any git work
        return self.repository.restore(
            lambda: self.topic_file(slug), commit, base_version=base_version, author=author, note=note
        )


def _question_preview(kb: KnowledgeBase, slug: str, question: str, fact_id: str, nlu: Nlu | None) -> QuestionPreview:
    answer = preview_answer(kb, topic=slug, message=question, nlu=nlu)
    facts = answer.facts if answer else []
    return QuestionPreview(question=question, answer=answer.text if answer else "", fact_first=facts[:1] == [fact_id])


def _last_fact_id(text: str) -> str:
    facts = yaml.safe_load(text).get("facts") or []
    return str(facts[-1].get("id", "")) if facts and isinstance(facts[-1], dict) else ""
