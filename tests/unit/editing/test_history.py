"""The content's git history, read in a repository of the test's own: revisions with their
parent, and a file's text before and after each one, in one git call."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.editing.errors import EditError
from bot.editing.history import ContentHistory
from bot.editing.repository import ContentRepository
from tests.conftest import make_settings

IDENTITY = ["-c", "user.name=Claire", "-c", "user.email=claire@example.invalid"]


def git(root: Path, *arguments: str) -> str:
    return subprocess.run(["git", "-C", str(root), *arguments], check=True, capture_output=True, text=True).stdout


@pytest.fixture()
def kb_dir(tmp_path: Path) -> Path:
    """kb/ inside a repository whose root is its parent (as on a server: kb/ in the project)."""
    git(tmp_path, "init", "--quiet")
    kb = tmp_path / "kb"
    kb.mkdir()
    (kb / "other.yml").write_text("a: 1\n", encoding="utf-8")
    git(tmp_path, *IDENTITY, "add", "--all")
    git(tmp_path, *IDENTITY, "commit", "--quiet", "-m", "Autre fichier")
    for number, note in enumerate(("Création", "Deuxième version", "Troisième version"), start=1):
        (kb / "lexicon.yml").write_text(f"version: {number}\n", encoding="utf-8")
        git(tmp_path, *IDENTITY, "add", "--all")
        git(tmp_path, *IDENTITY, "commit", "--quiet", "-m", note)
    return kb


def test_each_revision_comes_with_the_file_before_and_after_it(kb_dir: Path, tmp_path: Path) -> None:
    history = ContentRepository(make_settings(tmp_path, kb_dir)).history("lexicon.yml")
    assert [texts.revision.subject for texts in history] == ["Troisième version", "Deuxième version", "Création"]
    assert [(texts.before, texts.after) for texts in history] == [
        ("version: 2\n", "version: 3\n"),
        ("version: 1\n", "version: 2\n"),
        (None, "version: 1\n"),  # the file did not exist before its first commit
    ]
    assert all(texts.revision.parent is not None for texts in history)


def test_files_at_answers_in_order_with_none_for_what_is_missing(kb_dir: Path) -> None:
    head = git(kb_dir, "rev-parse", "HEAD").strip()
    first = git(kb_dir, "rev-list", "--max-parents=0", "HEAD").strip()
    texts = ContentHistory(kb_dir).files_at(
        [(head, "lexicon.yml"), (first, "lexicon.yml"), (None, "lexicon.yml"), (first, "other.yml")]
    )
    assert texts == ["version: 3\n", None, None, "a: 1\n"]
    assert ContentHistory(kb_dir).files_at([(None, "lexicon.yml")]) == [None]


def test_one_revision_is_found_only_in_the_files_history(kb_dir: Path, tmp_path: Path) -> None:
    repository = ContentRepository(make_settings(tmp_path, kb_dir))
    first = git(kb_dir, "rev-list", "--max-parents=0", "HEAD").strip()
    for commit in (first, "0" * 40, "not-a-commit"):  # the first commit did not touch the lexicon
        with pytest.raises(EditError) as refused:
            repository.revision("lexicon.yml", commit)
        assert refused.value.code == "unknown_commit"
    latest = repository.history("lexicon.yml")[0].revision
    assert repository.revision("lexicon.yml", latest.commit).after == "version: 3\n"
