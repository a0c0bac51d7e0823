"""The content's git history: the editor's commits, the file versions a publication is
checked against, and what a topic file looked like at a commit.

git runs with argument lists, never a shell, with the environment variables that would point it
at another repository removed; commits carry the editor's login name as author.
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bot.editing.roundtrip import DiffLine, diff_lines
from bot.settings import child_environment

COMMIT = re.compile(r"[0-9a-f]{40}")
# Commits made from the console: the editor's login name, at an address that cannot be mailed.
AUTHOR_EMAIL_DOMAIN = "console.invalid"
HISTORY_LIMIT = 50
_GIT_TIMEOUT_SECONDS = 60
# Environment variables that would point git at another repository than kb/'s.
_GIT_LOCATION_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE")
GIT_ERRORS = (subprocess.CalledProcessError, OSError, subprocess.TimeoutExpired)


@dataclass(frozen=True)
class Revision:
    commit: str
    author: str
    date: dt.datetime
    subject: str
    diff: list[DiffLine]
    # The commit before it (its first parent), None for the repository's first commit.
    parent: str | None = None

    @property
    def short(self) -> str:
        return self.commit[:10]


class ContentHistory:
    """git, run in the work tree that holds ``kb_dir``."""

    def __init__(self, kb_dir: Path) -> None:
        self.kb_dir = kb_dir

    @staticmethod
    def _environment() -> dict[str, str]:
        environment = {
            name: value for name, value in child_environment().items() if name not in _GIT_LOCATION_VARIABLES
        }
        environment["LC_ALL"] = "C"
        return environment

    def git(self, *arguments: str, author: str | None = None) -> str:
        environment = self._environment()
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
            return self.git("rev-parse", "--is-inside-work-tree").strip() == "true"
        except GIT_ERRORS:
            return False

    def version(self, relative: str) -> str:
        """The git blob hash of the file as it is on disk."""
        return self.git("hash-object", "--", relative).strip()

    def uncommitted(self, relative: str) -> bool:
        return self.git("status", "--porcelain", "--", relative).strip() != ""

    def last_author(self, relative: str) -> str:
        return self.git("log", "-1", "--format=%an", "--", relative).strip()

    def commit(self, relative: str, *, author: str, message: str) -> str:
        """Commit the file as ``author``; the new commit's hash."""
        self.git("add", "--", relative)
        self.git(
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
        return self.git("rev-parse", "HEAD").strip()

    def unstage(self, relative: str) -> None:
        self.git("reset", "--quiet", "--", relative)

    def revisions(self, relative: str, limit: int = HISTORY_LIMIT) -> list[Revision]:
        """The file's commits, newest first, each with its diff."""
        output = self.git(
            "log",
            f"--max-count={limit}",
            "--no-color",
            "--no-ext-diff",
            "--patch",
            "--format=%x1e%H%x1f%P%x1f%an%x1f%aI%x1f%s%x1f",
            "--",
            relative,
        )
        revisions = []
        for record in output.split("\x1e")[1:]:
            commit, parents, author, date, subject, patch = record.split("\x1f", 5)
            revisions.append(
                Revision(
                    commit=commit,
                    author=author,
                    date=dt.datetime.fromisoformat(date),
                    subject=subject,
                    diff=diff_lines(patch.strip("\n").splitlines()),
                    parent=parents.split()[0] if parents.split() else None,
                )
            )
        return revisions

    def files_at(self, versions: list[tuple[str | None, str]]) -> list[str | None]:
        """The text of each ``(commit, relative path)`` in one git call (``git cat-file
        --batch``); None where the file did not exist at that commit, or the commit is None."""
        wanted = [(commit, relative) for commit, relative in versions if commit is not None]
        request = "".join(f"{commit}:./{relative}\n" for commit, relative in wanted).encode()
        if not wanted:
            return [None] * len(versions)
        completed = subprocess.run(  # noqa: S603 - fixed program, argument list, no shell
            ["git", "-C", str(self.kb_dir), "cat-file", "--batch"],  # noqa: S607 - git from the PATH
            input=request,
            check=True,
            capture_output=True,
            env=self._environment(),
            timeout=_GIT_TIMEOUT_SECONDS,
        )
        output, position = completed.stdout, 0
        texts: list[str | None] = []
        for _ in wanted:
            end = output.index(b"\n", position)
            header = output[position:end].split()
            position = end + 1
            if len(header) != 3 or header[1] != b"blob":
                texts.append(None)  # "<name> missing": no such file at that commit
                continue
            size = int(header[2])
            texts.append(output[position : position + size].decode("utf-8", "replace"))
            position += size + 1
        found = iter(texts)
        return [next(found) if commit is not None else None for commit, _ in versions]
