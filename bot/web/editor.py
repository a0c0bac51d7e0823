"""The console's content editor, for agents with the ``editor`` role: change, add or retire a
fact from a topic's fiche, preview the answers, publish, see the history and restore a version.
The YAML and git work is :mod:`bot.editing.service`'s; this module is the pages around it.

Routes (all under ``/console/edit/``, which nginx sends to the one designated front, the one
started with ``AGGLO_CONTENT_EDITOR=1``; elsewhere they say editing happens there)
  GET  /console/edit/{slug}/fact/{fact_id}     form to change a fact
  GET  /console/edit/{slug}/add?field=NAME     form to add a fact to a field (one still unknown)
  GET  /console/edit/{slug}/retire/{fact_id}   form to retire a fact
  POST /console/edit/{slug}/preview            the answers as they will be, and the publish form
  POST /console/edit/{slug}/publish            validate, write, commit, rebuild, then the history
  GET  /console/edit/{slug}/history            the topic file's commits with their diffs
  POST /console/edit/{slug}/restore            put back an earlier version (itself a new commit)

Every route needs a console session of an editor (agents get 403, anonymous visitors the
login wall), and every POST the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.editing.document import DATE_FIELDS, FACT_ID, MAX_TEXT_CHARS, Change, FactFields, fact_fields, find_fact
from bot.editing.errors import EditError
from bot.editing.history import COMMIT
from bot.editing.service import MAX_NOTE_CHARS, ContentEditor
from bot.kb.content import CONFIDENCES, FIELDS
from bot.kb.queries import FactView, KnowledgeBaseUnavailable, TopicView
from bot.stores.sessions import AgentSession, same_token
from bot.web.auth import console_context, current_session, form_text, is_editor, login_wall
from bot.web.common import SERVICES, SETTINGS, json_error, off_loop, page, redirect
from bot.web.console import TOPIC_SLUG

logger = logging.getLogger(__name__)

PREFIX = "/console/edit"
CONTENT_EDITOR = web.AppKey("content_editor", ContentEditor)
# Refusals the editor can fix in the form, and those that come from someone else's change.
_FORM_ERRORS = ("bad_dates", "bad_field", "unchanged", "no_note", "invalid_content")
_CONFLICT_ERRORS = ("conflict", "uncommitted", "unknown_commit")


@dataclass
class EditRequest:
    request: web.Request
    session: AgentSession
    editor: ContentEditor
    slug: str
    topic: TopicView
    form: MultiDictProxy[Any] | None

    def context(self, **context: Any) -> dict[str, Any]:
        kb = self.request.app[SERVICES].kb
        return console_context(
            self.session,
            slug=self.slug,
            topic=self.topic,
            headings=kb.message("agent_headings"),
            confidences=CONFIDENCES,
            **context,
        )


EditHandler = Callable[[EditRequest], Awaitable[web.StreamResponse]]


def _unavailable(request: web.Request, session: AgentSession, reason: str, status: int) -> web.Response:
    return page(request, "edit_unavailable.html", status=status, **console_context(session, reason=reason))


def editor_page(handler: EditHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Login wall, editor role, CSRF on POST, then the designated front and git checks."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        session = current_session(request)
        if session is None:
            return login_wall(request)
        if not is_editor(request):
            return _unavailable(request, session, "forbidden", 403)
        form = None
        if request.method == "POST":
            form = await request.post()
            if not same_token(form_text(form, "csrf") or None, session.csrf_token):
                return json_error(403, "bad_csrf_token")
        # Not a server error: a GET is answered with where to go, a POST is refused.
        refused_status = 200 if request.method == "GET" else 409
        if not request.app[SETTINGS].content_editor:
            return _unavailable(request, session, "not_designated", refused_status)
        editor = request.app[CONTENT_EDITOR]
        if not await off_loop(editor.git.in_git):
            return _unavailable(request, session, "not_in_git", refused_status)
        slug = request.match_info["slug"]
        try:
            topic = request.app[SERVICES].kb.topic(slug) if TOPIC_SLUG.fullmatch(slug) else None
            if topic is None or not (editor.kb_dir / "topics" / f"{slug}.yml").is_file():
                return page(request, "not_found.html", status=404, **console_context(session))
            return await handler(EditRequest(request, session, editor, slug, topic, form))
        except KnowledgeBaseUnavailable as error:
            logger.error("knowledge base unavailable: %s", error)
            return page(request, "error.html", status=503, **console_context(session))

    return guarded


def _status(error: EditError) -> int:
    if error.code in ("unknown_fact", "unknown_topic"):
        return 404
    if error.code in _CONFLICT_ERRORS:
        return 409
    if error.code in _FORM_ERRORS:
        return 422
    return 500


def _log_failure(error: EditError) -> None:
    if _status(error) == 500:
        logger.error("content edit failed: %s", error)


# Forms ----------------------------------------------------------------------------------------
def _change(form: MultiDictProxy[Any]) -> Change:
    def text(name: str, limit: int = MAX_TEXT_CHARS) -> str:
        return form_text(form, name)[:limit]

    return Change(
        kind=text("kind", 16),
        fact_id=text("fact_id", 96),
        field=text("field", 32),
        fact=FactFields(
            text=text("text"),
            applies_to=text("applies_to", 500),
            confidence=text("confidence", 16),
            source_title=text("source_title", 500),
            source_url=text("source_url", 2000),
            verified_on=text("verified_on", 32),
            valid_from=text("valid_from", 32),
            valid_until=text("valid_until", 32),
        ),
        replace_unknown=form_text(form, "replace_unknown") == "1",
        unknown_text=text("unknown_text"),
    )


def _form_page(edit: EditRequest, change: Change, version: str, **context: Any) -> dict[str, Any]:
    current_text = ""
    if change.kind == "retire":
        try:
            _, document = edit.editor.document(edit.slug)
            current_text = fact_fields(document, change.fact_id).text
        except EditError:
            current_text = ""
    return edit.context(
        change=change,
        version=version,
        retired_text=current_text,
        field_heading=edit.context()["headings"].get(change.field, change.field),
        date_fields=DATE_FIELDS,
        max_note=MAX_NOTE_CHARS,
        **{"error": None, "preview": None, "note": "", **context},
    )


async def _form(edit: EditRequest, change: Change) -> web.StreamResponse:
    topic_file = await off_loop(edit.editor.topic_file, edit.slug)
    return page(edit.request, "edit.html", **_form_page(edit, change, topic_file.version))


def _imported(edit: EditRequest, fact_id: str) -> FactView | None:
    """The topic's fact ``fact_id`` if it was imported from an official dataset."""
    return next((fact for fact in edit.topic.facts if fact.id == fact_id and fact.imported_from), None)


def _read_only(edit: EditRequest, fact: FactView, status: int) -> web.Response:
    """An imported fact is not edited here: the page says where it comes from and why."""
    return page(edit.request, "edit_unavailable.html", status=status, **edit.context(reason="imported", fact=fact))


async def _fact_form(edit: EditRequest, kind: str) -> web.StreamResponse:
    """The form for one fact of the file: pre-filled to ``edit`` it, or to ``retire`` it."""
    fact_id = edit.request.match_info["fact_id"]
    if not FACT_ID.fullmatch(fact_id):
        return page(edit.request, "not_found.html", status=404, **edit.context())
    imported = _imported(edit, fact_id)
    if imported is not None:
        return _read_only(edit, imported, 200)
    try:
        _, document = await off_loop(edit.editor.document, edit.slug)
        values, field_name = fact_fields(document, fact_id), str(find_fact(document, fact_id).get("field", ""))
    except EditError as error:
        return page(edit.request, "not_found.html", status=_status(error), **edit.context())
    fact = values if kind == "edit" else FactFields()
    return await _form(edit, Change(kind=kind, fact_id=fact_id, field=field_name, fact=fact))


@editor_page
async def edit_fact(edit: EditRequest) -> web.StreamResponse:
    return await _fact_form(edit, "edit")


@editor_page
async def add_fact(edit: EditRequest) -> web.StreamResponse:
    field_name = edit.request.query.get("field", "")
    if field_name not in FIELDS:
        return page(edit.request, "not_found.html", status=404, **edit.context())
    today = dt.date.today().isoformat()
    return await _form(edit, Change(kind="add", field=field_name, fact=FactFields(verified_on=today)))


@editor_page
async def retire_fact(edit: EditRequest) -> web.StreamResponse:
    return await _fact_form(edit, "retire")


@editor_page
async def preview(edit: EditRequest) -> web.StreamResponse:
    assert edit.form is not None  # noqa: S101 - POST only
    change, version = _change(edit.form), form_text(edit.form, "version")
    imported = _imported(edit, change.fact_id)
    if imported is not None:
        return _read_only(edit, imported, 409)
    try:
        await off_loop(edit.editor.check_base, edit.slug, version)
        shown = await off_loop(edit.editor.preview, edit.slug, change)
    except EditError as error:
        _log_failure(error)
        return page(edit.request, "edit.html", status=_status(error), **_form_page(edit, change, version, error=error))
    return page(edit.request, "edit.html", **_form_page(edit, change, version, preview=shown))


@editor_page
async def publish(edit: EditRequest) -> web.StreamResponse:
    assert edit.form is not None  # noqa: S101 - POST only
    change, version = _change(edit.form), form_text(edit.form, "version")
    note = form_text(edit.form, "note")[:MAX_NOTE_CHARS]
    imported = _imported(edit, change.fact_id)
    if imported is not None:
        return _read_only(edit, imported, 409)
    try:
        publication = await off_loop(
            edit.editor.publish, edit.slug, change, base_version=version, author=edit.session.agent, note=note
        )
    except EditError as error:
        _log_failure(error)
        context = _form_page(edit, change, version, error=error, note=note)
        return page(edit.request, "edit.html", status=_status(error), **context)
    _published(edit, publication.commit)
    return redirect(f"{PREFIX}/{edit.slug}/history?publie={publication.commit}")


def _published(edit: EditRequest, commit: str) -> None:
    # This front shows the new content at once; the others pick up the rebuilt database.
    edit.request.app[SERVICES].kb.reload()
    logger.info("content published: %s %s by %s", edit.slug, commit[:10], edit.session.agent)


# History --------------------------------------------------------------------------------------
async def _history_page(edit: EditRequest, status: int = 200, **context: Any) -> web.StreamResponse:
    topic_file = await off_loop(edit.editor.topic_file, edit.slug)
    revisions = await off_loop(edit.editor.history, edit.slug)
    done = {name: edit.request.query.get(name, "") for name in ("publie", "restaure")}
    done = {name: commit for name, commit in done.items() if COMMIT.fullmatch(commit)}
    return page(
        edit.request,
        "edit_history.html",
        status=status,
        **edit.context(
            revisions=revisions,
            version=topic_file.version,
            done=done,
            max_note=MAX_NOTE_CHARS,
            **{"error": None, **context},
        ),
    )


@editor_page
async def history(edit: EditRequest) -> web.StreamResponse:
    return await _history_page(edit)


@editor_page
async def restore(edit: EditRequest) -> web.StreamResponse:
    assert edit.form is not None  # noqa: S101 - POST only
    commit, version = form_text(edit.form, "commit"), form_text(edit.form, "version")
    note = form_text(edit.form, "note")[:MAX_NOTE_CHARS]
    try:
        publication = await off_loop(
            edit.editor.restore, edit.slug, commit, base_version=version, author=edit.session.agent, note=note
        )
    except EditError as error:
        _log_failure(error)
        return await _history_page(edit, status=_status(error), error=error)
    _published(edit, publication.commit)
    return redirect(f"{PREFIX}/{edit.slug}/history?restaure={publication.commit}")


def setup(app: web.Application) -> None:
    """The editor's routes, and its :class:`ContentEditor` on the knowledge base's content."""
    app[CONTENT_EDITOR] = ContentEditor(app[SERVICES].settings)
    router = app.router
    router.add_get(PREFIX + "/{slug}/fact/{fact_id}", edit_fact)
    router.add_get(PREFIX + "/{slug}/add", add_fact)
    router.add_get(PREFIX + "/{slug}/retire/{fact_id}", retire_fact)
    router.add_post(PREFIX + "/{slug}/preview", preview)
    router.add_post(PREFIX + "/{slug}/publish", publish)
    router.add_get(PREFIX + "/{slug}/history", history)
    router.add_post(PREFIX + "/{slug}/restore", restore)
