"""The console's editor of the synonyms (``kb/lexicon.yml``), for agents with the ``editor`` role:
the words residents use for a word of the knowledge base (« dépotoir » for « déchetterie »). The
same flow as the facts: form, preview (sample messages read before and after the change),
publish, history with restore. The YAML and git work is :mod:`bot.editing.lexicon_service`'s.

Routes (under ``/console/edit/``, like the facts' editor, with the same checks)
  GET  /console/edit/synonyms                           the synonyms, with their links
  GET  /console/edit/synonyms/add                       form to add an entry
  GET  /console/edit/synonyms/edit?meaning=MEANING      form to change an entry
  GET  /console/edit/synonyms/remove?meaning=MEANING    form to remove an entry
  POST /console/edit/synonyms/preview                   what the change does, and the publish form
  POST /console/edit/synonyms/publish                   validate, write, commit, rebuild, then the history
  GET  /console/edit/synonyms/history                   the lexicon's revisions, entry by entry
  GET  /console/edit/synonyms/restore/{commit}          what restoring that version changes: confirm
  POST /console/edit/synonyms/restore                   put back an earlier version (a new commit)
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.editing.errors import EditError
from bot.editing.lexicon import MAX_WORD_CHARS, MAX_WORDS, SynonymChange, words_from_text
from bot.editing.lexicon_service import MAX_SAMPLE_CHARS, MAX_SAMPLES, LexiconEditor, samples_from_lines
from bot.web.common import SERVICES, off_loop, page, redirect
from bot.web.editor_access import (
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

BASE = f"{PREFIX}/synonyms"
_MEANING_CHARS = 200
_WORDS_CHARS = (MAX_WORDS + 1) * (MAX_WORD_CHARS + 2)
_SAMPLES_CHARS = (MAX_SAMPLES + 1) * (MAX_SAMPLE_CHARS + 2)


def _editor(access: EditorAccess) -> LexiconEditor:
    return access.request.app[LEXICON_EDITOR]


def _subject(access: EditorAccess) -> Subject:
    editor = _editor(access)
    return Subject(
        title="Synonymes",
        url=BASE,
        base=BASE,
        changes_template="_lexicon_changes.html",
        history=editor.history,
        version=lambda: editor.lexicon_file().version,
        restore_preview=editor.restore_preview,
        restore=editor.restore,
    )


def _change(access: EditorAccess) -> SynonymChange:
    return SynonymChange(
        kind=access.text("kind", 16),
        meaning=access.text("meaning", _MEANING_CHARS),
        new_meaning=" ".join(access.text("new_meaning", _MEANING_CHARS).split()),
        words=words_from_text("\n".join(access.lines("words", _WORDS_CHARS))),
    )


def _samples(access: EditorAccess) -> tuple[str, ...]:
    return samples_from_lines(access.lines("samples", _SAMPLES_CHARS))


def _form_context(access: EditorAccess, change: SynonymChange, version: str, **context: Any) -> dict[str, Any]:
    return access.context(
        change=change,
        version=version,
        max_words=MAX_WORDS,
        max_word_chars=MAX_WORD_CHARS,
        max_samples=MAX_SAMPLES,
        **{"error": None, "preview": None, "note": "", "samples": (), **context},
    )


# Pages ----------------------------------------------------------------------------------------
@editor_only
async def synonyms(access: EditorAccess) -> web.StreamResponse:
    entries = await off_loop(_editor(access).entries)
    return page(access.request, "synonyms.html", **access.context(entries=entries))


async def _form(access: EditorAccess, kind: str) -> web.StreamResponse:
    editor = _editor(access)
    change = SynonymChange(kind=kind)
    if kind != "add":
        meaning = access.request.query.get("meaning", "")[:_MEANING_CHARS]
        try:
            entry = await off_loop(editor.entry, meaning)
        except EditError as error:
            return page(access.request, "not_found.html", status=status_of(error), **access.context())
        change = SynonymChange(kind=kind, meaning=entry.meaning, new_meaning=entry.meaning, words=entry.words)
    version = (await off_loop(editor.lexicon_file)).version
    return page(access.request, "synonym_edit.html", **_form_context(access, change, version))


@editor_only
async def add_synonym(access: EditorAccess) -> web.StreamResponse:
    return await _form(access, "add")


@editor_only
async def edit_synonym(access: EditorAccess) -> web.StreamResponse:
    return await _form(access, "edit")


@editor_only
async def remove_synonym(access: EditorAccess) -> web.StreamResponse:
    return await _form(access, "remove")


@editor_only
async def preview(access: EditorAccess) -> web.StreamResponse:
    editor, change, samples = _editor(access), _change(access), _samples(access)
    # Set when a publication failed: the next preview's publish form gets it back.
    version, note = access.text("version", 64), access.text("note", access.context()["max_note"])
    current = access.request.app[SERVICES].kb
    try:
        await off_loop(editor.check_base, version)
        shown = await off_loop(editor.preview, change, samples, current)
    except EditError as error:
        log_failure(error)
        context = _form_context(access, change, version, error=error, samples=samples, note=note)
        return page(access.request, "synonym_edit.html", status=status_of(error), **context)
    context = _form_context(access, change, version, preview=shown, samples=samples, note=note)
    return page(access.request, "synonym_edit.html", **context)


@editor_only
async def publish(access: EditorAccess) -> web.StreamResponse:
    editor, change, samples = _editor(access), _change(access), _samples(access)
    version, note = access.text("version", 64), access.text("note", access.context()["max_note"])
    try:
        publication = await off_loop(
            editor.publish, change, base_version=version, author=access.session.agent, note=note
        )
    except EditError as error:
        log_failure(error)
        context = _form_context(access, change, version, error=error, note=note, samples=samples)
        return page(access.request, "synonym_edit.html", status=status_of(error), **context)
    published(access, "synonyms", publication.commit)
    return redirect(f"{BASE}/history?publie={publication.commit}")


@editor_only
async def history(access: EditorAccess) -> web.StreamResponse:
    return await history_page(access, _subject(access))


@editor_only
async def confirm_restore(access: EditorAccess) -> web.StreamResponse:
    return await restore_confirmation(access, _subject(access), access.request.match_info["commit"])


@editor_only
async def restore(access: EditorAccess) -> web.StreamResponse:
    return await restore_version(access, _subject(access))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get(BASE, synonyms)
    router.add_get(BASE + "/add", add_synonym)
    router.add_get(BASE + "/edit", edit_synonym)
    router.add_get(BASE + "/remove", remove_synonym)
    router.add_post(BASE + "/preview", preview)
    router.add_post(BASE + "/publish", publish)
    router.add_get(BASE + "/history", history)
    router.add_get(BASE + "/restore/{commit}", confirm_restore)
    router.add_post(BASE + "/restore", restore)
