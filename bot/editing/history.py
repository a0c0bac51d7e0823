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

from bot.editing.document import DiffLine, diff_lines
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

    @property
    def short(self) -> str:
        return self.commit[:10]


class ContentHistory:
    """git, run in the work tree that holds ``kb_dir``."""

    def __init__(self, kb_dir: Path) -> None:
        self.kb_dir = kb_dir

    def git(self, *arguments: str, author: str | None = None) -> str:
        environment = {
            name: value for name, value in child_environment().items() if name not in _GIT_LOCATION_VARIABLES
        }
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

    def file_at(self, commit: str, relative: str) -> str:
        return self.git("show", f"{commit}:./{relative}")

    def revisions(self, relative: str, limit: int = HISTORY_LIMIT) -> list[Revision]:
        """The file's commits, newest first, each with its diff."""
        output = self.git(
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
                    diff=diff_lines(patch.strip("\n").splitlines()),
                )
            )
        return revisions
