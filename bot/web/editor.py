"""The console's content editor, for agents with the ``editor`` role: change, add or retire a
fact from a topic's fiche (its text, the questions it answers, its source…), preview the answers,
publish, see the history and restore a version. The YAML and git work is
:mod:`bot.editing.service`'s; this module is the pages around it. The synonyms have their own
pages (bot/web/synonyms_editor.py); what both share is in bot/web/editor_access.py.

Routes (all under ``/console/edit/``, which nginx sends to the one designated front, the one
started with ``AGGLO_CONTENT_EDITOR=1``; elsewhere they say editing happens there)
  GET  /console/edit/{slug}/fact/{fact_id}      form to change a fact
  GET  /console/edit/{slug}/add?field=NAME      form to add a fact to a field (one still unknown)
  GET  /console/edit/{slug}/retire/{fact_id}    form to retire a fact
  POST /console/edit/{slug}/preview             the answers as they will be, and the publish form
  POST /console/edit/{slug}/publish             validate, write, commit, rebuild, then the history
  GET  /console/edit/{slug}/history             the topic file's revisions, fact by fact
  GET  /console/edit/{slug}/restore/{commit}    what restoring that version changes: confirm
  POST /console/edit/{slug}/restore             put back an earlier version (itself a new commit)

Every route needs a console session of an editor (agents get 403, anonymous visitors the
login wall), and every POST the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.editing.document import (
    DATE_FIELDS,
    FACT_ID,
    MAX_QUESTION_CHARS,
    MAX_QUESTIONS,
    MAX_TEXT_CHARS,
    Change,
    FactFields,
    fact_fields,
    find_fact,
    questions_from_lines,
)
from bot.editing.errors import EditError
from bot.editing.lexicon_service import LexiconEditor
from bot.editing.service import PREVIEWED_QUESTIONS, ContentEditor
from bot.kb.content import CONFIDENCES, FIELDS
from bot.kb.queries import FactView, TopicView
from bot.web import synonyms_editor
from bot.web.common import SERVICES, off_loop, page, redirect
from bot.web.console import TOPIC_SLUG
from bot.web.editor_access import (
    CONTENT_EDITOR,
    LEXICON_EDITOR,
    PREFIX,
    EditorAccess,
    Subject,
    editor_only,
    history_page,
    log_failure,
    published,
    restore_confirmation,
    status_of,
)
from bot.web.editor_access import restore as restore_version
from bot.web.language_model import parsed_messages


@dataclass
class EditRequest:
    access: EditorAccess
    editor: ContentEditor
    slug: str
    topic: TopicView

    @property
    def request(self) -> web.Request:
        return self.access.request

    def context(self, **context: Any) -> dict[str, Any]:
        return self.access.context(slug=self.slug, topic=self.topic, confidences=CONFIDENCES, **context)

    def subject(self) -> Subject:
        editor, slug = self.editor, self.slug
        return Subject(
            title=self.topic.title,
            url=f"/console/topic/{slug}",
            base=f"{PREFIX}/{slug}",
            changes_template="_topic_changes.html",
            history=lambda: editor.history(slug),
            version=lambda: editor.topic_file(slug).version,
            restore_preview=lambda commit: editor.restore_preview(slug, commit),
            restore=lambda commit, **kwargs: editor.restore(slug, commit, **kwargs),
        )


EditHandler = Callable[[EditRequest], Awaitable[web.StreamResponse]]


def editor_page(handler: EditHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """An editor's page about the topic of the route's ``slug`` (404 when there is none)."""

    async def topic_page(access: EditorAccess) -> web.StreamResponse:
        editor = access.request.app[CONTENT_EDITOR]
        slug = access.request.match_info["slug"]
        topic = access.request.app[SERVICES].kb.topic(slug) if TOPIC_SLUG.fullmatch(slug) else None
        if topic is None or not (editor.kb_dir / "topics" / f"{slug}.yml").is_file():
            return page(access.request, "not_found.html", status=404, **access.context())
        return await handler(EditRequest(access, editor, slug, topic))

    topic_page.__name__ = handler.__name__
    return editor_only(topic_page)


# Forms ----------------------------------------------------------------------------------------
def _change(access: EditorAccess) -> Change:
    def text(name: str, limit: int = MAX_TEXT_CHARS) -> str:
        return access.text(name, limit)

    # Long enough to tell a question too long, not more (the questions' limits are the editor's).
    questions_limit = (MAX_QUESTIONS + 1) * (MAX_QUESTION_CHARS + 2)
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
            questions=questions_from_lines(access.lines("questions", questions_limit)),
        ),
        replace_unknown=text("replace_unknown", 4) == "1",
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
        max_questions=MAX_QUESTIONS,
        max_question_chars=MAX_QUESTION_CHARS,
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
        return page(edit.request, "not_found.html", status=status_of(error), **edit.context())
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
    change, version = _change(edit.access), edit.access.text("version", 64)
    # Set when a publication failed: the next preview's publish form gets it back.
    note = edit.access.text("note", edit.context()["max_note"])
    imported = _imported(edit, change.fact_id)
    if imported is not None:
        return _read_only(edit, imported, 409)
    try:
        await off_loop(edit.editor.check_base, edit.slug, version)
        # The fact's questions as the language model reads them: the preview answers them as
        # the live chat will.
        questions = change.fact.questions[:PREVIEWED_QUESTIONS] if change.kind != "retire" else ()
        parsed = await parsed_messages(edit.request.app, questions)
        shown = await off_loop(edit.editor.preview, edit.slug, change, parsed)
    except EditError as error:
        log_failure(error)
        context = _form_page(edit, change, version, error=error, note=note)
        return page(edit.request, "edit.html", status=status_of(error), **context)
    return page(edit.request, "edit.html", **_form_page(edit, change, version, preview=shown, note=note))


@editor_page
async def publish(edit: EditRequest) -> web.StreamResponse:
    change, version = _change(edit.access), edit.access.text("version", 64)
    note = edit.access.text("note", edit.context()["max_note"])
    imported = _imported(edit, change.fact_id)
    if imported is not None:
        return _read_only(edit, imported, 409)
    try:
        publication = await off_loop(
            edit.editor.publish, edit.slug, change, base_version=version, author=edit.access.session.agent, note=note
        )
    except EditError as error:
        log_failure(error)
        context = _form_page(edit, change, version, error=error, note=note)
        return page(edit.request, "edit.html", status=status_of(error), **context)
    published(edit.access, edit.slug, publication.commit)
    return redirect(f"{PREFIX}/{edit.slug}/history?publie={publication.commit}")


# History --------------------------------------------------------------------------------------
@editor_page
async def history(edit: EditRequest) -> web.StreamResponse:
    return await history_page(edit.access, edit.subject(), slug=edit.slug, topic=edit.topic)


@editor_page
async def confirm_restore(edit: EditRequest) -> web.StreamResponse:
    commit = edit.request.match_info["commit"]
    return await restore_confirmation(edit.access, edit.subject(), commit, slug=edit.slug, topic=edit.topic)


@editor_page
async def restore(edit: EditRequest) -> web.StreamResponse:
    return await restore_version(edit.access, edit.subject())


def setup(app: web.Application) -> None:
    """The editor's routes (the synonyms' first: their path would match a topic's), and the
    editors of the knowledge base's content."""
    editor = ContentEditor(app[SERVICES].settings)
    app[CONTENT_EDITOR] = editor
    app[LEXICON_EDITOR] = LexiconEditor(editor.repository)
    synonyms_editor.add_routes(app.router)
    router = app.router
    router.add_get(PREFIX + "/{slug}/fact/{fact_id}", edit_fact)
    router.add_get(PREFIX + "/{slug}/add", add_fact)
    router.add_get(PREFIX + "/{slug}/retire/{fact_id}", retire_fact)
    router.add_post(PREFIX + "/{slug}/preview", preview)
    router.add_post(PREFIX + "/{slug}/publish", publish)
    router.add_get(PREFIX + "/{slug}/history", history)
    router.add_get(PREFIX + "/{slug}/restore/{commit}", confirm_restore)
    router.add_post(PREFIX + "/{slug}/restore", restore)
