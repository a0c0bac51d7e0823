"""What every page of the console's editor shares, whatever it edits (a topic's facts:
bot/web/editor.py; the synonyms: bot/web/synonyms_editor.py): who may use it (an editor's console
session, the CSRF token on every POST, the designated front, ``kb/`` in git), the status of each
refusal, and the history and restore pages.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.editing.errors import EditError
from bot.editing.history import COMMIT
from bot.editing.lexicon_service import LexiconEditor
from bot.editing.repository import MAX_NOTE_CHARS, Publication, RestorePreview, RevisionChanges
from bot.editing.service import ContentEditor
from bot.kb.queries import KnowledgeBaseUnavailable
from bot.stores.sessions import AgentSession, same_token
from bot.web.auth import console_context, current_session, form_text, is_editor, login_wall
from bot.web.common import SERVICES, SETTINGS, json_error, off_loop, page, redirect

logger = logging.getLogger(__name__)

PREFIX = "/console/edit"
CONTENT_EDITOR = web.AppKey("content_editor", ContentEditor)
LEXICON_EDITOR = web.AppKey("lexicon_editor", LexiconEditor)
# Refusals the editor can fix in the form, and those that come from someone else's change.
_FORM_ERRORS = ("bad_dates", "bad_field", "bad_questions", "bad_synonym", "unchanged", "no_note", "invalid_content")
_CONFLICT_ERRORS = ("conflict", "uncommitted", "unknown_commit")
_NOT_FOUND_ERRORS = ("unknown_fact", "unknown_topic", "unknown_synonym")
# The content's repository could not take the change (git refused it, nothing was written; or the
# commit stands and the rebuild failed): the form and its text stay on the page, with what to do.
_REPOSITORY_ERRORS = ("not_in_git", "git_failed", "build_failed")


@dataclass
class EditorAccess:
    """A request an editor may make here: their session, and the form of a POST."""

    request: web.Request
    session: AgentSession
    form: MultiDictProxy[Any] | None

    def context(self, **context: Any) -> dict[str, Any]:
        kb = self.request.app[SERVICES].kb
        return console_context(self.session, headings=kb.message("agent_headings"), max_note=MAX_NOTE_CHARS, **context)

    def text(self, name: str, limit: int) -> str:
        return form_text(self.form, name)[:limit] if self.form is not None else ""

    def lines(self, name: str, limit: int) -> list[str]:
        """Every value of a form field (a textarea, or one hidden field per line), capped."""
        if self.form is None:
            return []
        return [value[:limit] for value in self.form.getall(name, []) if isinstance(value, str)]


def unavailable(request: web.Request, session: AgentSession, reason: str, status: int) -> web.Response:
    return page(request, "edit_unavailable.html", status=status, **console_context(session, reason=reason))


def editor_only(
    handler: Callable[[EditorAccess], Awaitable[web.StreamResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Login wall, editor role, CSRF on POST, then the designated front and git checks."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        session = current_session(request)
        if session is None:
            return login_wall(request)
        if not is_editor(request):
            return unavailable(request, session, "forbidden", 403)
        form = None
        if request.method == "POST":
            form = await request.post()
            if not same_token(form_text(form, "csrf") or None, session.csrf_token):
                return json_error(403, "bad_csrf_token")
        # Not a server error: a GET is answered with where to go, a POST is refused.
        refused_status = 200 if request.method == "GET" else 409
        if not request.app[SETTINGS].content_editor:
            return unavailable(request, session, "not_designated", refused_status)
        if not await off_loop(request.app[CONTENT_EDITOR].git.in_git):
            return unavailable(request, session, "not_in_git", refused_status)
        try:
            return await handler(EditorAccess(request, session, form))
        except KnowledgeBaseUnavailable as error:
            logger.error("knowledge base unavailable: %s", error)
            return page(request, "error.html", status=503, **console_context(session))

    return guarded


def status_of(error: EditError) -> int:
    """Every refusal is the editor's to read (a 4xx with its French message), never a 500."""
    if error.code in _NOT_FOUND_ERRORS:
        return 404
    if error.code in _FORM_ERRORS:
        return 422
    return 409  # _CONFLICT_ERRORS, _REPOSITORY_ERRORS, and any other refusal


def log_failure(error: EditError) -> None:
    """Failures of the repository reach the logs too: an administrator has to act."""
    if error.code in _REPOSITORY_ERRORS or error.code not in _NOT_FOUND_ERRORS + _FORM_ERRORS + _CONFLICT_ERRORS:
        logger.error("content edit failed: %s", error)


def published(access: EditorAccess, what: str, commit: str) -> None:
    # This front shows the new content at once; the others pick up the rebuilt database.
    access.request.app[SERVICES].kb.reload()
    logger.info("content published: %s %s by %s", what, commit[:10], access.session.agent)


# History and restore ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Subject:
    """What an editor's history is about: a topic's fiche, or the synonyms."""

    title: str
    # Where it is read (the fiche, the list of synonyms) and where its editor's routes start.
    url: str
    base: str
    # The template that shows what a revision changed (facts, or synonyms).
    changes_template: str
    # What its restore pages need of the editor.
    history: Callable[[], list[RevisionChanges[Any]]]
    version: Callable[[], str]
    restore_preview: Callable[[str], RestorePreview[Any]]
    restore: Callable[..., Publication]


async def history_page(access: EditorAccess, subject: Subject, status: int = 200, **context: Any) -> web.Response:
    revisions = await off_loop(subject.history)
    version = await off_loop(subject.version)
    done = {name: access.request.query.get(name, "") for name in ("publie", "restaure")}
    done = {name: commit for name, commit in done.items() if COMMIT.fullmatch(commit)}
    return page(
        access.request,
        "edit_history.html",
        status=status,
        **access.context(
            subject=subject, revisions=revisions, version=version, done=done, **{"error": None, **context}
        ),
    )


async def restore_confirmation(
    access: EditorAccess, subject: Subject, commit: str, status: int = 200, **context: Any
) -> web.Response:
    """The page that asks to confirm a restore: what it would change, and a note."""
    try:
        preview = await off_loop(subject.restore_preview, commit)
    except EditError as error:
        return await history_page(access, subject, status=status_of(error), error=error)
    version = await off_loop(subject.version)
    # No note yet: the page offers « Restauration de la version du … ».
    return page(
        access.request,
        "edit_restore.html",
        status=status,
        **access.context(subject=subject, preview=preview, version=version, **{"error": None, "note": None, **context}),
    )


async def restore(access: EditorAccess, subject: Subject) -> web.StreamResponse:
    commit, version = access.text("commit", 64), access.text("version", 64)
    note = access.text("note", MAX_NOTE_CHARS)
    try:
        publication = await off_loop(
            subject.restore, commit, base_version=version, author=access.session.agent, note=note
        )
    except EditError as error:
        log_failure(error)
        if error.code in _CONFLICT_ERRORS:
            return await history_page(access, subject, status=status_of(error), error=error)
        return await restore_confirmation(access, subject, commit, status=status_of(error), error=error, note=note)
    published(access, subject.base, publication.commit)
    return redirect(f"{subject.base}/history?restaure={publication.commit}")
