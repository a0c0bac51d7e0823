"""Why the console's editor refused a change (the console words each code)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One thing to fix in a form: what is wrong (``code``), with which word or entry
    (``subject``), and the other entry involved (``other``), if any."""

    code: str
    subject: str = ""
    other: str = ""


class EditError(Exception):
    """A refused change. ``code`` says why (the console words it); nothing was written.

    Codes: ``not_in_git``, ``unknown_topic``, ``unknown_fact``, ``unknown_synonym``, ``bad_field``,
    ``bad_dates``, ``bad_questions`` (``problems``: ``too_many``, ``too_long``), ``bad_synonym``
    (``issues``), ``unchanged``, ``no_note``, ``invalid_content`` (``problems``), ``conflict``
    (``author``, None when the file was changed outside the history), ``uncommitted``,
    ``unknown_commit``, ``git_failed``, ``build_failed``.
    """

    def __init__(
        self,
        code: str,
        *,
        problems: tuple[str, ...] = (),
        issues: tuple[Issue, ...] = (),
        author: str | None = None,
        detail: str = "",
    ):
        super().__init__(f"{code}: {detail or '; '.join(problems) or author or ''}")
        self.code = code
        self.problems = problems
        self.issues = issues
        self.author = author
        self.detail = detail
