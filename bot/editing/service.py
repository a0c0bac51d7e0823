"""The console's content editor: preview, publish, history and restore of a topic file of ``kb/``.

Plain Python (the web routes are in ``bot/web/editor.py``). A change is applied to the topic's
YAML (bot/editing/document.py), validated by the same rules as ``kb build``
(:func:`bot.kb.content.load_content`) on a copy of ``kb/``, committed in the content's git
history with the editor as author and their note as message (bot/editing/history.py), then the
knowledge base is rebuilt atomically (:func:`bot.kb.build.build`).

Safety: file paths are built from validated slugs only; a publication names the version of the
file it was based on (its git blob hash) and is refused, with nothing written, if the file
changed since.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml.comments import CommentedMap
from sqlalchemy import create_engine

from bot.core.answers import agent_fiche, resident_answer
from bot.core.emergencies import EMERGENCY_TOPIC, answers_showing, emergency_detector
from bot.editing.document import (
    SLUG,
    Change,
    DiffLine,
    apply_change,
    dump_document,
    line_diff,
    load_document,
)
from bot.editing.errors import EditError
from bot.editing.history import COMMIT, GIT_ERRORS, HISTORY_LIMIT, ContentHistory, Revision
from bot.french.lexicon import stop_words
from bot.kb.build import build, write_content
from bot.kb.content import ContentError, load_content
from bot.kb.queries import KnowledgeBase
from bot.settings import Settings

MAX_NOTE_CHARS = 500


@dataclass(frozen=True)
class Preview:
    """The topic as it will be once the change is published."""

    slug: str
    field: str
    diff: list[DiffLine]
    resident_overview: str
    resident_field: str
    agent: str


@dataclass(frozen=True)
class TopicFile:
    slug: str
    path: Path
    text: str
    # The git blob hash of the text: a form carries it, and a publication based on another
    # version of the file is refused.
    version: str


@dataclass(frozen=True)
class Publication:
    commit: str
    slug: str


class ContentEditor:
    """Edits the topic files of ``settings.kb_dir``, which must be in a git work tree."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kb_dir = settings.kb_dir
        self.git = ContentHistory(settings.kb_dir)
        self._lock = threading.Lock()

    def require_git(self) -> None:
        if not self.kb_dir.is_dir() or not self.git.in_git():
            raise EditError("not_in_git", detail=str(self.kb_dir))

    # Files ------------------------------------------------------------------------------------
    def _relative(self, slug: str) -> str:
        if not SLUG.fullmatch(slug):
            raise EditError("unknown_topic", detail=slug)
        return f"topics/{slug}.yml"

    def topic_file(self, slug: str) -> TopicFile:
        relative = self._relative(slug)
        path = self.kb_dir / relative
        if not path.is_file():
            raise EditError("unknown_topic", detail=slug)
        text = path.read_text(encoding="utf-8")
        return TopicFile(slug=slug, path=path, text=text, version=self.git.version(relative))

    def document(self, slug: str) -> tuple[TopicFile, CommentedMap]:
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

    def proposed_text(self, slug: str, change: Change) -> tuple[TopicFile, str, str]:
        """The file now, the file with ``change`` applied, and the field the change touches."""
        topic_file, document = self.document(slug)
        field_name = apply_change(document, slug, change, self._fact_ids())
        new_text = dump_document(document)
        if new_text == topic_file.text:
            raise EditError("unchanged")
        return topic_file, new_text, field_name

    # Validation and preview -------------------------------------------------------------------
    @contextmanager
    def _trial_copy(self, slug: str, new_text: str) -> Iterator[tuple[Path, Any]]:
        """A temporary copy of kb/ with the new file, validated like ``kb build``."""
        with tempfile.TemporaryDirectory(prefix="agglo-edit-") as temporary:
            copy = Path(temporary) / "kb"
            shutil.copytree(self.kb_dir, copy, ignore=shutil.ignore_patterns(".git"))
            (copy / self._relative(slug)).write_text(new_text, encoding="utf-8")
            try:
                content = load_content(copy, self.settings.french_communes_file)
            except ContentError as error:
                raise EditError("invalid_content", problems=tuple(error.problems)) from error
            yield Path(temporary), content

    def validate(self, slug: str, new_text: str) -> None:
        with self._trial_copy(slug, new_text):
            pass

    def preview(self, slug: str, change: Change) -> Preview:
        topic_file, new_text, field_name = self.proposed_text(slug, change)
        with self._trial_copy(slug, new_text) as (directory, content):
            url = f"sqlite:///{directory / 'preview.sqlite3'}"
            engine = create_engine(url, future=True)
            try:
                write_content(content, engine, frozenset(), stop_words())
            finally:
                engine.dispose()
            kb = KnowledgeBase(url)
            if slug == EMERGENCY_TOPIC:
                # Never an overview: each kind of distress or emergency whose answer shows the fact.
                overview, by_field = answers_showing(emergency_detector(kb), change.fact_id or None), ""
            else:
                overview = resident_answer(kb, slug).text
                by_field = resident_answer(kb, slug, field_name=field_name).text if field_name else ""
            agent = agent_fiche(kb, slug).text
        return Preview(
            slug=slug,
            field=field_name,
            diff=line_diff(topic_file.text, new_text),
            resident_overview=overview,
            resident_field=by_field,
            agent=agent,
        )

    # Publication ------------------------------------------------------------------------------
    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One publication at a time, in this process and across processes."""
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        with self._lock, (self.settings.var_dir / "content-edit.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def check_base(self, slug: str, base_version: str) -> None:
        """Refuse (``conflict``, ``uncommitted``) a change based on another version of the file."""
        self._check_base(self.topic_file(slug), base_version)

    def _check_base(self, topic_file: TopicFile, base_version: str) -> None:
        relative = self._relative(topic_file.slug)
        if topic_file.version != base_version:
            committed = not self.git.uncommitted(relative)
            author = self.git.last_author(relative) if committed else None
            raise EditError("conflict", author=author or None)
        if self.git.uncommitted(relative):
            # Changed by hand and not committed: publishing would credit the editor with it.
            raise EditError("uncommitted")

    def publish(self, slug: str, change: Change, *, base_version: str, author: str, note: str) -> Publication:
        """Validate, write, commit and rebuild; refused (nothing written) if the file changed
        since ``base_version`` or the content would not pass ``kb build``."""
        self.require_git()
        note = _note(note)
        with self._exclusive():
            topic_file = self.topic_file(slug)
            self._check_base(topic_file, base_version)
            _, new_text, _ = self.proposed_text(slug, change)
            return self._write_and_commit(topic_file, new_text, author=author, message=note)

    def _write_and_commit(self, topic_file: TopicFile, new_text: str, *, author: str, message: str) -> Publication:
        self.validate(topic_file.slug, new_text)
        relative = self._relative(topic_file.slug)
        _write_atomically(topic_file.path, new_text)
        try:
            commit = self.git.commit(relative, author=author, message=message)
        except GIT_ERRORS as error:
            # Nothing half-done: the previous file comes back, and the index with it.
            _write_atomically(topic_file.path, topic_file.text)
            with suppress(*GIT_ERRORS):
                self.git.unstage(relative)
            stderr = getattr(error, "stderr", "") or str(error)
            raise EditError("git_failed", detail=str(stderr).strip()) from error
        try:
            build(self.settings)
        except Exception as error:  # the commit stands; the next build publishes it
            raise EditError("build_failed", detail=str(error)) from error
        return Publication(commit=commit, slug=topic_file.slug)

    # History ----------------------------------------------------------------------------------
    def history(self, slug: str, limit: int = HISTORY_LIMIT) -> list[Revision]:
        """The topic file's commits, newest first, each with its diff."""
        relative = self._relative(slug)
        if not (self.kb_dir / relative).is_file():
            raise EditError("unknown_topic", detail=slug)
        return self.git.revisions(relative, limit)

    def restore(self, slug: str, commit: str, *, base_version: str, author: str, note: str) -> Publication:
        """Put the file back as it was at ``commit`` (one of its history), as a new commit."""
        self.require_git()
        note = _note(note)
        if not COMMIT.fullmatch(commit):
            raise EditError("unknown_commit", detail=commit)
        with self._exclusive():
            topic_file = self.topic_file(slug)
            self._check_base(topic_file, base_version)
            if commit not in {revision.commit for revision in self.history(slug, limit=10_000)}:
                raise EditError("unknown_commit", detail=commit)
            old_text = self.git.file_at(commit, self._relative(slug))
            if old_text == topic_file.text:
                raise EditError("unchanged")
            message = f"{note}\n\nRestored-from: {commit}"
            return self._write_and_commit(topic_file, old_text, author=author, message=message)


def _note(note: str) -> str:
    """The editor's note, the commit message: required, one paragraph, capped."""
    note = " ".join(note.split())[:MAX_NOTE_CHARS]
    if not note:
        raise EditError("no_note")
    return note


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".yml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
