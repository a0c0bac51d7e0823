"""The console's editor for the synonyms of ``kb/lexicon.yml``: preview, publish, history and
restore, on the same repository as the topic files (bot/editing/repository.py).

A preview reads sample messages the editor types twice, as the assistant does now (the running
knowledge base) and as it will after publication (a trial copy of ``kb/`` with the new lexicon):
the topic found, the kind of question, the synonyms that apply, and the first fact of the
answer, each answer from :func:`bot.editing.service.preview_answer`.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.reading import keywords_of
from bot.core.relevance import question_words_of
from bot.editing.changes import LexiconChanges, compare_lexicon
from bot.editing.errors import EditError
from bot.editing.history import HISTORY_LIMIT
from bot.editing.lexicon import SynonymChange, SynonymEntry, apply_synonym_change, find_entry, synonym_entries
from bot.editing.repository import ContentFile, ContentRepository, Publication, RestorePreview, RevisionChanges
from bot.editing.roundtrip import DiffLine, line_diff
from bot.editing.service import preview_answer
from bot.kb.queries import KnowledgeBase
from bot.kb.question_words import LEXICON_FILE

MAX_SAMPLES = 5
MAX_SAMPLE_CHARS = 300
# Without sample messages, the preview tries the change's words themselves, this many.
_WORDS_AS_SAMPLES = 3


@dataclass(frozen=True)
class SampleReading:
    """How the assistant reads a message: its topic, kind of question, the meanings its words
    get from the synonyms, and what the answer starts with."""

    topic: str | None = None
    topic_title: str = ""
    kind: str | None = None
    meanings: tuple[str, ...] = ()
    # The first fact of the answer (or its first line when it starts with no fact).
    first: str = ""
    first_fact: str = ""


@dataclass(frozen=True)
class Sample:
    message: str
    before: SampleReading
    after: SampleReading

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass(frozen=True)
class SynonymPreview:
    changes: LexiconChanges
    diff: list[DiffLine]
    samples: tuple[Sample, ...]


def samples_from_lines(lines: list[str]) -> tuple[str, ...]:
    """Sample messages as typed: one per line, trimmed, empty ones and repeats dropped, capped."""
    messages = (" ".join(line.split())[:MAX_SAMPLE_CHARS] for value in lines for line in value.splitlines())
    return tuple(dict.fromkeys(message for message in messages if message))[:MAX_SAMPLES]


def read_sample(kb: KnowledgeBase, message: str) -> SampleReading:
    """How the knowledge base ``kb`` (its lexicon and topics) reads ``message``."""
    lexicon = question_words_of(kb)
    meanings = tuple(dict.fromkeys(hit.label for hit in lexicon.synonyms.find_all(keywords_of(message))))
    answer = preview_answer(kb, message=message)
    if answer is None:
        return SampleReading(meanings=meanings)
    topic = kb.topic(answer.topic)
    facts = {fact.id: fact for view in kb.topics() for fact in (*view.facts, *view.contacts)}
    first_fact = answer.facts[0] if answer.facts else ""
    first_line = next((line for line in answer.text.splitlines() if line.strip()), "")
    return SampleReading(
        topic=answer.topic,
        topic_title=topic.title if topic else answer.topic,
        kind=answer.kind,
        meanings=meanings,
        first=facts[first_fact].text if first_fact in facts else first_line,
        first_fact=first_fact,
    )


def _words_changed(changes: LexiconChanges) -> tuple[str, ...]:
    """The words a change adds, else those it removes."""
    added = [piece.text for diff in changes.synonyms for piece in diff.words.after if piece.kind == "added"]
    removed = [piece.text for diff in changes.synonyms for piece in diff.words.before if piece.kind == "removed"]
    return tuple(dict.fromkeys(added or removed))


class LexiconEditor:
    """Edits the synonyms of ``kb/lexicon.yml``."""

    def __init__(self, repository: ContentRepository) -> None:
        self.repository = repository

    def lexicon_file(self) -> ContentFile:
        return self.repository.read(LEXICON_FILE, EditError("invalid_content", problems=("kb/lexicon.yml is missing",)))

    def entries(self) -> list[SynonymEntry]:
        return synonym_entries(self.lexicon_file().text)

    def entry(self, meaning: str) -> SynonymEntry:
        return find_entry(self.entries(), meaning)

    def proposed_text(self, change: SynonymChange) -> tuple[ContentFile, str]:
        lexicon_file = self.lexicon_file()
        new_text = apply_synonym_change(lexicon_file.text, change)
        if new_text == lexicon_file.text:
            raise EditError("unchanged")
        return lexicon_file, new_text

    def check_base(self, base_version: str) -> None:
        self.repository.check_base(self.lexicon_file(), base_version)

    def preview(self, change: SynonymChange, samples: tuple[str, ...], current: KnowledgeBase) -> SynonymPreview:
        """The change, and how each sample message is read now (``current``, the running
        knowledge base) and after publication. Without samples, the change's words are tried."""
        lexicon_file, new_text = self.proposed_text(change)
        changes = compare_lexicon(lexicon_file.text, new_text)
        if not samples:
            samples = _words_changed(changes)[:_WORDS_AS_SAMPLES]
        before = [read_sample(current, message) for message in samples]
        with self.repository.trial_kb(LEXICON_FILE, new_text) as trial:
            after = [read_sample(trial, message) for message in samples]
        return SynonymPreview(
            changes=changes,
            diff=line_diff(lexicon_file.text, new_text),
            samples=tuple(Sample(message, old, new) for message, old, new in zip(samples, before, after, strict=True)),
        )

    def publish(self, change: SynonymChange, *, base_version: str, author: str, note: str) -> Publication:
        """Validate (the words, then the whole content like ``kb build``), write, commit, rebuild."""
        return self.repository.publish(
            self.lexicon_file,
            lambda lexicon_file: apply_synonym_change(lexicon_file.text, change),
            base_version=base_version,
            author=author,
            note=note,
        )

    def history(self, limit: int = HISTORY_LIMIT) -> list[RevisionChanges[LexiconChanges]]:
        return self.repository.described_history(LEXICON_FILE, compare_lexicon, limit)

    def restore_preview(self, commit: str) -> RestorePreview[LexiconChanges]:
        return self.repository.restore_preview(self.lexicon_file(), commit, compare_lexicon)

    def restore(self, commit: str, *, base_version: str, author: str, note: str) -> Publication:
        return self.repository.restore(self.lexicon_file, commit, base_version=base_version, author=author, note=note)
