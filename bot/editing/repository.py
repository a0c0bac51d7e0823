"""The files of ``kb/`` the console's editor writes, whatever their kind (a topic file, the
lexicon): read with the version a form is based on, tried on a copy of ``kb/`` validated like
``kb build``, written and committed as the editor, rebuilt; their history and restores.

Safety: a publication names the version of the file it was based on (its git blob hash) and is
refused, with nothing written, if the file changed since; one publication at a time.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import create_engine

from bot.editing.errors import EditError
from bot.editing.history import COMMIT, GIT_ERRORS, HISTORY_LIMIT, ContentHistory, Revision
from bot.editing.roundtrip import DiffLine, line_diff
from bot.french.lexicon import inflections, stop_words
from bot.kb.build import build, write_content
from bot.kb.content import ContentError, load_content
from bot.kb.queries import KnowledgeBase
from bot.settings import Settings

MAX_NOTE_CHARS = 500
# What a comparison of two versions of a file gives (bot/editing/changes.py).
Changes = TypeVar("Changes")


@dataclass(frozen=True)
class ContentFile:
    relative: str  # its path in kb/, built from validated names only
    path: Path
    text: str
    # The git blob hash of the text: a form carries it, and a publication based on another
    # version of the file is refused.
    version: str


@dataclass(frozen=True)
class Publication:
    commit: str
    relative: str


@dataclass(frozen=True)
class RevisionTexts:
    """A revision of a file, with the file's text before and after it (None: no file)."""

    revision: Revision
    before: str | None
    after: str | None


@dataclass(frozen=True)
class RevisionChanges(Generic[Changes]):
    """A revision of a file and what it changed, in the editors' terms."""

    revision: Revision
    changes: Changes


@dataclass(frozen=True)
class RestorePreview(Generic[Changes]):
    """What restoring a revision would do: the file as it is now, compared with that version."""

    revision: Revision
    changes: Changes
    diff: list[DiffLine]


class ContentRepository:
    """The files of ``settings.kb_dir``, which must be in a git work tree."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kb_dir = settings.kb_dir
        self.git = ContentHistory(settings.kb_dir)
        self._lock = threading.Lock()

    def require_git(self) -> None:
        if not self.kb_dir.is_dir() or not self.git.in_git():
            raise EditError("not_in_git", detail=str(self.kb_dir))

    def read(self, relative: str, missing: EditError) -> ContentFile:
        path = self.kb_dir / relative
        if not path.is_file():
            raise missing
        text = path.read_text(encoding="utf-8")
        return ContentFile(relative=relative, path=path, text=text, version=self.git.version(relative))

    # Trial --------------------------------------------------------------------------------------
    @contextmanager
    def trial_copy(self, relative: str, new_text: str) -> Iterator[tuple[Path, Any]]:
        """A temporary copy of kb/ with the new file, validated like ``kb build``."""
        with tempfile.TemporaryDirectory(prefix="agglo-edit-") as temporary:
            copy = Path(temporary) / "kb"
            shutil.copytree(self.kb_dir, copy, ignore=shutil.ignore_patterns(".git"))
            (copy / relative).write_text(new_text, encoding="utf-8")
            try:
                content = load_content(copy, self.settings.french_communes_file)
            except ContentError as error:
                raise EditError("invalid_content", problems=tuple(error.problems)) from error
            yield Path(temporary), content

    @contextmanager
    def trial_kb(self, relative: str, new_text: str) -> Iterator[KnowledgeBase]:
        """The knowledge base as it will be with the new file, built in a temporary database."""
        with self.trial_copy(relative, new_text) as (directory, content):
            url = f"sqlite:///{directory / 'preview.sqlite3'}"
            engine = create_engine(url, future=True)
            try:
                write_content(content, engine, frozenset(), stop_words(), inflections)
            finally:
                engine.dispose()
            yield KnowledgeBase(url)

    def validate(self, relative: str, new_text: str) -> None:
        with self.trial_copy(relative, new_text):
            pass

    # Publication --------------------------------------------------------------------------------
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

    def check_base(self, content_file: ContentFile, base_version: str) -> None:
        """Refuse (``conflict``, ``uncommitted``) a change based on another version of the file."""
        if content_file.version != base_version:
            committed = not self.git.uncommitted(content_file.relative)
            author = self.git.last_author(content_file.relative) if committed else None
            raise EditError("conflict", author=author or None)
        if self.git.uncommitted(content_file.relative):
            # Changed by hand and not committed: publishing would credit the editor with it.
            raise EditError("uncommitted")

    def publish(
        self,
        read: Callable[[], ContentFile],
        change: Callable[[ContentFile], str],
        *,
        base_version: str,
        author: str,
        note: str,
    ) -> Publication:
        """Validate, write, commit and rebuild the file ``read`` gives, changed by ``change``
        (its new text); refused, nothing written, if the file changed since ``base_version`` or
        the content would not pass ``kb build``."""
        self.require_git()
        note = _note(note)
        with self._exclusive():
            content_file = read()
            self.check_base(content_file, base_version)
            return self._write_and_commit(content_file, change(content_file), author=author, message=note)

    def _write_and_commit(self, content_file: ContentFile, new_text: str, *, author: str, message: str) -> Publication:
        self.validate(content_file.relative, new_text)
        _write_atomically(content_file.path, new_text)
        try:
            commit = self.git.commit(content_file.relative, author=author, message=message)
        except GIT_ERRORS as error:
            # Nothing half-done: the previous file comes back, and the index with it.
            _write_atomically(content_file.path, content_file.text)
            with suppress(*GIT_ERRORS):
                self.git.unstage(content_file.relative)
            stderr = getattr(error, "stderr", "") or str(error)
            raise EditError("git_failed", detail=str(stderr).strip()) from error
        try:
            build(self.settings)
        except Exception as error:  # the commit stands; the next build publishes it
            raise EditError("build_failed", detail=str(error)) from error
        return Publication(commit=commit, relative=content_file.relative)

    # History ------------------------------------------------------------------------------------
    def history(self, relative: str, limit: int = HISTORY_LIMIT) -> list[RevisionTexts]:
        """The file's commits, newest first, each with the file's text before and after it."""
        revisions = self.git.revisions(relative, limit)
        texts = self.git.files_at(
            [(revision.commit, relative) for revision in revisions]
            + [(revision.parent, relative) for revision in revisions]
        )
        after, before = texts[: len(revisions)], texts[len(revisions) :]
        return [RevisionTexts(revision, old, new) for revision, old, new in zip(revisions, before, after, strict=True)]

    def described_history(
        self, relative: str, compare: Callable[[str | None, str | None], Changes], limit: int = HISTORY_LIMIT
    ) -> list[RevisionChanges[Changes]]:
        """The file's commits, newest first, each with what it changed (``compare`` of the
        file's text before and after it)."""
        return [
            RevisionChanges(texts.revision, compare(texts.before, texts.after))
            for texts in self.history(relative, limit)
        ]

    def restore_preview(
        self, content_file: ContentFile, commit: str, compare: Callable[[str | None, str | None], Changes]
    ) -> RestorePreview[Changes]:
        """What putting back ``commit``'s version would change in the file as it is now."""
        texts = self.revision(content_file.relative, commit)
        return RestorePreview(
            revision=texts.revision,
            changes=compare(content_file.text, texts.after),
            diff=line_diff(content_file.text, texts.after or ""),
        )

    def revision(self, relative: str, commit: str) -> RevisionTexts:
        """One revision of the file's history (``unknown_commit`` if it is not one)."""
        if not COMMIT.fullmatch(commit):
            raise EditError("unknown_commit", detail=commit)
        for revision in self.git.revisions(relative, limit=10_000):
            if revision.commit == commit:
                before, after = self.git.files_at([(revision.parent, relative), (commit, relative)])
                return RevisionTexts(revision, before, after)
        raise EditError("unknown_commit", detail=commit)

    def restore(
        self, read: Callable[[], ContentFile], commit: str, *, base_version: str, author: str, note: str
    ) -> Publication:
        """Put the file back as it was at ``commit`` (one of its history), as a new commit."""
        self.require_git()
        note = _note(note)
        with self._exclusive():
            content_file = read()
            self.check_base(content_file, base_version)
            old_text = self.revision(content_file.relative, commit).after
            if old_text is None:
                raise EditError("unknown_commit", detail=commit)
            if old_text == content_file.text:
                raise EditError("unchanged")
            message = f"{note}\n\nRestored-from: {commit}"
            return self._write_and_commit(content_file, old_text, author=author, message=message)


def _note(note: str) -> str:
    """The editor's note, the commit message: required, one paragraph, capped."""
    note = " ".join(note.split())[:MAX_NOTE_CHARS]
    if not note:
        raise EditError("no_note")
    return note


def _write_atomically(path: Path, text: str) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
