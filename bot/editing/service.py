"""Change a topic file of ``kb/`` for an editor of the console: preview, publish, history, restore.

Plain Python (the web routes are in ``bot/web/editor.py``). A change is applied to the topic's
YAML with ruamel.yaml's round trip, so comments and key order stay as they were; it is
validated by the same rules as ``kb build`` (:func:`bot.kb.content.load_content`) on a copy of
``kb/``, committed in the content's git history with the editor as author and their note as
message, then the knowledge base is rebuilt atomically (:func:`bot.kb.build.build`).

Safety: file paths are built from validated slugs only; git runs with argument lists, never a
shell; a publication names the version of the file it was based on (its git blob hash) and is
refused, with nothing written, if the file changed since.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import fcntl
import io
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import FoldedScalarString
from sqlalchemy import create_engine

from bot.core.answers import agent_fiche, resident_answer
from bot.french.lexicon import stop_words
from bot.kb.build import build, write_content
from bot.kb.content import FIELDS, ContentError, load_content
from bot.kb.queries import KnowledgeBase
from bot.settings import Settings

SLUG = re.compile(r"[a-z0-9_]{1,64}")
FACT_ID = re.compile(r"[a-z0-9_]{1,96}")
COMMIT = re.compile(r"[0-9a-f]{40}")
# Commits made from the console: the editor's login name, at an address that cannot be mailed.
AUTHOR_EMAIL_DOMAIN = "console.invalid"
HISTORY_LIMIT = 50
MAX_NOTE_CHARS = 500
MAX_TEXT_CHARS = 4000
# Folded texts are wrapped like the hand-written ones (about 96 columns with the indent).
_WRAP_COLUMNS = 96
_GIT_TIMEOUT_SECONDS = 60
# Environment variables that would point git at another repository than kb/'s.
_GIT_LOCATION_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE")
CHANGE_KINDS = ("edit", "add", "retire")
DATE_FIELDS = ("valid_from", "valid_until")


class EditError(Exception):
    """A refused change. ``code`` says why (the console words it); nothing was written.

    Codes: ``not_in_git``, ``unknown_topic``, ``unknown_fact``, ``bad_field``, ``bad_dates``,
    ``unchanged``, ``no_note``, ``invalid_content`` (``problems``), ``conflict`` (``author``, None when the
    file was changed outside the history), ``uncommitted``, ``unknown_commit``, ``git_failed``,
    ``build_failed``.
    """

    def __init__(self, code: str, *, problems: tuple[str, ...] = (), author: str | None = None, detail: str = ""):
        super().__init__(f"{code}: {detail or '; '.join(problems) or author or ''}")
        self.code = code
        self.problems = problems
        self.author = author
        self.detail = detail


# What an editor submits ------------------------------------------------------------------------
@dataclass(frozen=True)
class FactFields:
    """The editable parts of a fact, as typed in the form (dates as YYYY-MM-DD text)."""

    text: str = ""
    applies_to: str = ""
    confidence: str = "high"
    source_title: str = ""
    source_url: str = ""
    verified_on: str = ""
    valid_from: str = ""
    valid_until: str = ""


@dataclass(frozen=True)
class Change:
    """One change to a topic file: ``edit`` a fact, ``add`` one to a field, or ``retire`` one."""

    kind: str
    fact_id: str = ""  # edit, retire
    field: str = ""  # add
    fact: FactFields = dataclass_field(default_factory=FactFields)
    # add: the field's « unknown » entries are dropped, since the field is now known.
    replace_unknown: bool = True
    # retire: an « unknown » entry to put in the fact's place (a headline aid's field needs one).
    unknown_text: str = ""


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "hunk", "context"
    text: str


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
class Revision:
    commit: str
    author: str
    date: dt.datetime
    subject: str
    diff: list[DiffLine]

    @property
    def short(self) -> str:
        return self.commit[:10]


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


# YAML round trip -------------------------------------------------------------------------------
class _Representer(RoundTripRepresenter):
    """ruamel's round trip, writing ``null`` as the content files do (not an empty value)."""


def _represent_none(representer: RoundTripRepresenter, data: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


_Representer.add_representer(type(None), _represent_none)


def _yaml() -> YAML:
    handler = YAML()
    handler.Representer = _Representer
    handler.preserve_quotes = True  # type: ignore[assignment]
    # Never re-wrap: long scalars stay on the line they were written on.
    handler.width = 4096  # type: ignore[assignment]
    handler.indent(mapping=2, sequence=4, offset=2)
    return handler


def _load_document(text: str) -> CommentedMap:
    document = _yaml().load(text)
    if not isinstance(document, CommentedMap):
        raise EditError("invalid_content", problems=("the topic file is not a mapping",))
    return document


def _dump_document(document: CommentedMap) -> str:
    stream = io.StringIO()
    _yaml().dump(document, stream)
    return stream.getvalue()


def _folded(text: str, indent: int) -> FoldedScalarString:
    """A ``>-`` block wrapped like the hand-written texts."""
    text = " ".join(text.split())
    folded: FoldedScalarString = FoldedScalarString(text)
    lines = textwrap.wrap(text, _WRAP_COLUMNS - indent, break_long_words=False, break_on_hyphens=False)
    positions, offset = [], 0
    for line in lines[:-1]:
        offset += len(line)
        positions.append(offset)
        offset += 1
    folded.fold_pos = positions  # type: ignore[attr-defined]
    return folded


def _date_or_text(value: str) -> dt.date | str:
    """A date when the text is one, else the text: the content rules then name the problem."""
    value = value.strip()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return value


def _sequence(document: CommentedMap, key: str) -> CommentedSeq:
    """The document's ``facts`` or ``unknown`` list, created when the file has none."""
    items = document.get(key)
    if not isinstance(items, CommentedSeq):
        items = CommentedSeq()
        document[key] = items
    return items


def _facts(document: CommentedMap) -> CommentedSeq:
    return _sequence(document, "facts")


def _last_key(mapping: CommentedMap) -> tuple[CommentedMap, Any]:
    """The innermost last key of an item, which holds the blank line written after it."""
    while True:
        key = list(mapping.keys())[-1]
        value = mapping[key]
        if not isinstance(value, CommentedMap) or not value:
            return mapping, key
        mapping = value


def _copy_trailing_lines(source: CommentedMap, target: CommentedMap) -> None:
    """Give ``target`` the blank line(s) that follow ``source``, so items stay spaced."""
    source_map, source_key = _last_key(source)
    comment = source_map.ca.items.get(source_key)
    if comment is not None:
        target_map, target_key = _last_key(target)
        target_map.ca.items[target_key] = copy.deepcopy(comment)


def find_fact(document: CommentedMap, fact_id: str) -> CommentedMap:
    for item in _facts(document):
        if isinstance(item, CommentedMap) and item.get("id") == fact_id:
            return item
    raise EditError("unknown_fact", detail=fact_id)


def _set_after(mapping: CommentedMap, key: str, value: Any, after: str) -> None:
    """Set ``key``, placing a new key just after ``after`` (never after a trailing comment)."""
    if key in mapping:
        mapping[key] = value
        return
    keys = list(mapping.keys())
    position = keys.index(after) + 1 if after in keys else len(keys)
    mapping.insert(position, key, value)


def _same(current: Any, new: Any) -> bool:
    if isinstance(current, dt.date) or isinstance(new, dt.date):
        return bool(current == new)
    return current is not None and " ".join(str(current).split()) == " ".join(str(new).split())


def _update(mapping: CommentedMap, key: str, value: Any, after: str) -> None:
    """Set ``key`` unless it already says the same (its wrapping and quotes are then kept)."""
    if not _same(mapping.get(key), value):
        _set_after(mapping, key, value, after)


def _fill_fact(item: CommentedMap, fields: FactFields) -> None:
    if not _same(item.get("text"), fields.text):
        _set_after(item, "text", _folded(fields.text, indent=6), "field")
    _update(item, "applies_to", " ".join(fields.applies_to.split()), "text")
    anchor = "applies_to"
    for name in DATE_FIELDS:
        raw = getattr(fields, name).strip()
        if raw:
            _update(item, name, _date_or_text(raw), anchor)
            anchor = name
        elif name in item:
            del item[name]
    _update(item, "confidence", fields.confidence.strip(), anchor)
    source = item.get("source")
    if not isinstance(source, CommentedMap):
        source = CommentedMap()
        _set_after(item, "source", source, "confidence")
    _update(source, "title", " ".join(fields.source_title.split()), "")
    _update(source, "url", fields.source_url.strip(), "title")
    _update(source, "verified_on", _date_or_text(fields.verified_on), "url")


def _check_dates(fields: FactFields) -> None:
    bad = [
        name
        for name in DATE_FIELDS
        if getattr(fields, name).strip() and isinstance(_date_or_text(getattr(fields, name)), str)
    ]
    if bad:
        raise EditError("bad_dates", problems=tuple(bad))
    start, end = _date_or_text(fields.valid_from), _date_or_text(fields.valid_until)
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        raise EditError("bad_dates", problems=DATE_FIELDS)


def _new_fact_id(slug: str, field_name: str, taken: set[str]) -> str:
    number = 1
    while f"{slug}_{field_name}_{number}" in taken:
        number += 1
    return f"{slug}_{field_name}_{number}"


def apply_change(document: CommentedMap, slug: str, change: Change, taken_ids: set[str]) -> str:
    """Apply ``change`` to the parsed topic file; return the field it touches."""
    if change.kind not in CHANGE_KINDS:
        raise EditError("bad_field", detail=change.kind)
    if change.kind in ("edit", "add"):
        _check_dates(change.fact)
    if change.kind == "edit":
        item = find_fact(document, change.fact_id)
        _fill_fact(item, change.fact)
        return str(item.get("field", ""))
    if change.kind == "retire":
        facts = _facts(document)
        item = find_fact(document, change.fact_id)
        field_name = str(item.get("field", ""))
        if item is facts[-1] and len(facts) > 1:
            _copy_trailing_lines(item, facts[-2])
        facts.remove(item)
        if change.unknown_text.strip():
            entry = CommentedMap()
            entry["field"] = field_name
            entry["text"] = _folded(change.unknown_text, indent=6)
            _sequence(document, "unknown").append(entry)
        return field_name
    if change.field not in FIELDS:
        raise EditError("bad_field", detail=change.field)
    item = CommentedMap()
    item["id"] = _new_fact_id(slug, change.field, taken_ids)
    item["field"] = change.field
    _fill_fact(item, change.fact)
    facts = _facts(document)
    if facts and isinstance(facts[-1], CommentedMap):
        _copy_trailing_lines(facts[-1], item)
    facts.append(item)
    if change.replace_unknown and isinstance(document.get("unknown"), CommentedSeq):
        unknown = document["unknown"]
        for stale in [entry for entry in unknown if isinstance(entry, dict) and entry.get("field") == change.field]:
            unknown.remove(stale)
        if not unknown:
            del document["unknown"]
    return change.field


def fact_fields(document: CommentedMap, fact_id: str) -> FactFields:
    """The form's initial values for a fact of the file."""
    item = find_fact(document, fact_id)
    raw_source = item.get("source")
    source: dict[str, Any] = raw_source if isinstance(raw_source, dict) else {}

    def text(value: Any) -> str:
        return "" if value is None else " ".join(str(value).split())

    return FactFields(
        text=text(item.get("text")),
        applies_to=text(item.get("applies_to")),
        confidence=str(item.get("confidence") or "high"),
        source_title=text(source.get("title")),
        source_url=text(source.get("url")),
        verified_on=text(source.get("verified_on")),
        valid_from=text(item.get("valid_from")),
        valid_until=text(item.get("valid_until")),
    )


def line_diff(before: str, after: str) -> list[DiffLine]:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2)
    return _diff_lines(list(lines))


def _diff_lines(lines: list[str]) -> list[DiffLine]:
    result = []
    for line in lines:
        if line.startswith(("+++", "---", "diff ", "index ", "new file", "deleted file", "similarity", "rename ")):
            continue
        if line.startswith("@@"):
            result.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            result.append(DiffLine("added", line))
        elif line.startswith("-"):
            result.append(DiffLine("removed", line))
        elif line.startswith("\\"):
            continue
        else:
            result.append(DiffLine("context", line))
    return result


# The editor ------------------------------------------------------------------------------------
class ContentEditor:
    """Edits the topic files of ``settings.kb_dir``, which must be in a git work tree."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.kb_dir = settings.kb_dir
        self._lock = threading.Lock()

    # git --------------------------------------------------------------------------------------
    def _git(self, *arguments: str, author: str | None = None) -> str:
        environment = {name: value for name, value in os.environ.items() if name not in _GIT_LOCATION_VARIABLES}
        environment["LC_ALL"] = "C"
        if author is not None:
            environment["GIT_COMMITTER_NAME"] = author
            environment["GIT_COMMITTER_EMAIL"] = f"{author}@{AUTHOR_EMAIL_DOMAIN}"
        completed = subprocess.run(  # noqa: S603 - fixed program, argument list, no shell
            ["git", "-C", str(self.kb_dir), *arguments],  # noqa: S607 - git from the PATH
            check=True,
            capture_output=True,
            text=True,
            env=environment,
            timeout=_GIT_TIMEOUT_SECONDS,
        )
        return completed.stdout

    def in_git(self) -> bool:
        """Whether ``kb/`` is inside a git work tree (else editing is refused: no history)."""
        try:
            return self._git("rev-parse", "--is-inside-work-tree").strip() == "true"
        except (subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired):
            return False

    def require_git(self) -> None:
        if not self.kb_dir.is_dir() or not self.in_git():
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
        return TopicFile(slug=slug, path=path, text=text, version=self._git("hash-object", "--", relative).strip())

    def document(self, slug: str) -> tuple[TopicFile, CommentedMap]:
        topic_file = self.topic_file(slug)
        return topic_file, _load_document(topic_file.text)

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
        new_text = _dump_document(document)
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
            committed = self._git("status", "--porcelain", "--", relative).strip() == ""
            author = self._git("log", "-1", "--format=%an", "--", relative).strip() if committed else None
            raise EditError("conflict", author=author or None)
        if self._git("status", "--porcelain", "--", relative).strip():
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
            self._git("add", "--", relative)
            self._git(
                "-c",
                "commit.gpgsign=false",
                "commit",
                "--quiet",
                f"--author={author} <{author}@{AUTHOR_EMAIL_DOMAIN}>",
                f"--message={message}",
                "--",
                relative,
                author=author,
            )
        except (subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired) as error:
            # Nothing half-done: the previous file comes back, and the index with it.
            _write_atomically(topic_file.path, topic_file.text)
            with suppress(subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired):
                self._git("reset", "--quiet", "--", relative)
            stderr = getattr(error, "stderr", "") or str(error)
            raise EditError("git_failed", detail=str(stderr).strip()) from error
        commit = self._git("rev-parse", "HEAD").strip()
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
        output = self._git(
            "log",
            f"--max-count={limit}",
            "--no-color",
            "--no-ext-diff",
            "--patch",
            "--format=%x1e%H%x1f%an%x1f%aI%x1f%s%x1f",
            "--",
            relative,
        )
        revisions = []
        for record in output.split("\x1e")[1:]:
            commit, author, date, subject, patch = record.split("\x1f", 4)
            revisions.append(
                Revision(
                    commit=commit,
                    author=author,
                    date=dt.datetime.fromisoformat(date),
                    subject=subject,
                    diff=_diff_lines(patch.strip("\n").splitlines()),
                )
            )
        return revisions

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
            old_text = self._git("show", f"{commit}:./{self._relative(slug)}")
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
