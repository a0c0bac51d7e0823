"""Why the console's editor refused a change (the console words each code)."""

from __future__ import annotations


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
