"""The console's queue of callback requests: residents who asked to be called back (the widget's
form, bot/web/callbacks_api.py), taken and closed by agents, with notes (bot/stores/callbacks.py).

Pages (forms, no script needed)
  GET  /console/callbacks?status=open|new|in_progress|done|all&commune=INSEE   the queue
  GET  /console/callbacks/{ref}                  a request, its history, its forms
  GET  /console/callbacks/{ref}/conversation     its conversation with the assistant, masked
  POST /console/callbacks/{ref}/status           form: csrf, version, status
  POST /console/callbacks/{ref}/notes            form: csrf, version, text

JSON API (the same, for scripts: the offline console of issue 17); each POST needs the session's
``X-CSRF-Token`` header and carries the ``version`` it was based on, and optionally a
``change_id`` (the same change sent twice is applied once)
  GET  /console/api/callbacks?status=…&commune=INSEE    {"callbacks": [state, …], "counts": {…}}
  GET  /console/api/callbacks/{ref}                      {"callback": state}
  POST /console/api/callbacks/{ref}/status  {"status", "version", "change_id"?}   200 {"callback": state}
  POST /console/api/callbacks/{ref}/notes   {"text", "version", "change_id"?}     200 {"callback": state}
A change based on an older version (someone else changed the request meanwhile) is refused with
409 ``{"error": "conflict", "current": state}``; bad input is a 400, an unknown reference a 404.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.stores.callbacks import MAX_NOTE_CHARS, STATUSES, CallbackNotFound, CallbackView, Conflict
from bot.stores.events import conversation_turns
from bot.stores.privacy import masker
from bot.stores.sessions import AgentSession, same_token
from bot.web.auth import agent_page, console_context, form_text, has_csrf_header
from bot.web.common import CALLBACKS, SERVICES, SETTINGS, json_error, json_object, off_loop, page, redirect

logger = logging.getLogger(__name__)

PREFIX = "/console/callbacks"
API = "/console/api/callbacks"
# What the queue shows unless told: the requests still waiting for an agent.
OPEN = "open"
FILTERS = (OPEN, *STATUSES, "all")
INSEE = re.compile(r"[0-9][0-9AB][0-9]{3}")
CHANGE_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
LOCAL_TIME = ZoneInfo("Europe/Paris")


def local(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time (naive UTC) in the Agglo's time, for the agents."""
    return value.replace(tzinfo=dt.timezone.utc).astimezone(LOCAL_TIME) if value else None


def _filters(request: web.Request) -> tuple[str, str | None]:
    status = request.query.get("status", OPEN)
    commune = request.query.get("commune", "")
    return (status if status in FILTERS else OPEN), (commune if INSEE.fullmatch(commune) else None)


def _queue(request: web.Request, status: str, commune: str | None) -> list[CallbackView]:
    store = request.app[CALLBACKS]
    if status == OPEN:
        views = store.queue(commune_insee=commune)
        return [view for view in views if view.status != "done"]
    return store.queue(status=None if status == "all" else status, commune_insee=commune)


def _commune_names(request: web.Request) -> dict[str, str]:
    return {commune.insee: commune.name for commune in request.app[SERVICES].kb.communes(members_only=True)}


# Pages ----------------------------------------------------------------------------------------
@agent_page
async def queue_page(request: web.Request, session: AgentSession) -> web.StreamResponse:
    status, commune = _filters(request)
    views = await off_loop(_queue, request, status, commune)
    counts = await off_loop(request.app[CALLBACKS].counts)
    names = _commune_names(request)
    communes = sorted(names.items(), key=lambda item: item[1])
    context = console_context(
        session, requests=views, counts=counts, shown=status, commune=commune, communes=communes, names=names
    )
    return page(request, "callbacks.html", local=local, **context)


async def _detail(
    request: web.Request, session: AgentSession, view: CallbackView, status: int = 200, **extra: Any
) -> web.Response:
    context = console_context(
        session, callback=view, names=_commune_names(request), max_note=MAX_NOTE_CHARS, error=None
    )
    return page(request, "callback.html", status=status, local=local, **{**context, **extra})


def _reference(request: web.Request) -> str:
    return request.match_info["ref"]


async def _found(request: web.Request, session: AgentSession) -> CallbackView | web.Response:
    """The request of the route's reference, or the « not found » page."""
    try:
        view: CallbackView = await off_loop(request.app[CALLBACKS].get, _reference(request))
        return view
    except CallbackNotFound:
        return page(request, "not_found.html", status=404, **console_context(session))


@agent_page
async def detail_page(request: web.Request, session: AgentSession) -> web.StreamResponse:
    view = await _found(request, session)
    return view if isinstance(view, web.Response) else await _detail(request, session, view)


@agent_page
async def conversation_page(request: web.Request, session: AgentSession) -> web.StreamResponse:
    view = await _found(request, session)
    if isinstance(view, web.Response):
        return view
    settings = request.app[SETTINGS]
    turns = []
    if view.conversation:
        mask = masker(settings.kb_dir).mask
        turns = await off_loop(conversation_turns, settings.tracker_database_url, view.conversation, mask)
    times = {
        turn.timestamp: dt.datetime.fromtimestamp(turn.timestamp, dt.timezone.utc).astimezone(LOCAL_TIME)
        for turn in turns
    }
    context = console_context(session, callback=view, turns=turns, times=times)
    return page(request, "callback_conversation.html", **context)


# Changes (shared by the forms and the JSON API) -----------------------------------------------
Change = Callable[[str, str, int, str | None], CallbackView]


def _status_change(request: web.Request, status: str) -> Change | None:
    if status not in STATUSES:
        return None
    store = request.app[CALLBACKS]
    return lambda ref, agent, version, change_id: store.set_status(
        ref, status, agent=agent, version=version, change_id=change_id
    )


def _note_change(request: web.Request, text: str) -> Change | None:
    note = text.strip()
    if not note or len(note) > MAX_NOTE_CHARS:
        return None
    store = request.app[CALLBACKS]
    return lambda ref, agent, version, change_id: store.add_note(
        ref, note, agent=agent, version=version, change_id=change_id
    )


def _version(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


async def _form_change(request: web.Request, session: AgentSession, kind: str) -> web.StreamResponse:
    form = await request.post()
    if not same_token(form_text(form, "csrf") or None, session.csrf_token):
        return json_error(403, "bad_csrf_token")
    reference, version = _reference(request), _version(form_text(form, "version"))
    change = (
        _status_change(request, form_text(form, "status"))
        if kind == "status"
        else _note_change(request, form_text(form, "text"))
    )
    try:
        if change is None or version is None:
            view = await off_loop(request.app[CALLBACKS].get, reference)
            return await _detail(request, session, view, status=400, error="invalid_" + kind)
        await off_loop(change, reference, session.agent, version, None)
    except CallbackNotFound:
        return page(request, "not_found.html", status=404, **console_context(session))
    except Conflict as conflict:
        return await _detail(request, session, conflict.current, status=409, error="conflict")
    logger.info("callback request %s: %s by %s", reference.upper(), kind, session.agent)
    return redirect(f"{PREFIX}/{reference.upper()}")


@agent_page
async def status_form(request: web.Request, session: AgentSession) -> web.StreamResponse:
    return await _form_change(request, session, "status")


@agent_page
async def note_form(request: web.Request, session: AgentSession) -> web.StreamResponse:
    return await _form_change(request, session, "note")


# JSON API -------------------------------------------------------------------------------------
def _api(kind: str) -> Callable[[web.Request], Any]:
    """A POST of the JSON API: CSRF header, version, optional change id, conflict as 409."""

    @agent_page
    async def handle(request: web.Request, session: AgentSession) -> web.StreamResponse:
        if not has_csrf_header(request, session):
            return json_error(403, "bad_csrf_token")
        data = await json_object(request)
        if isinstance(data, web.Response):
            return data
        version, change_id = _version(data.get("version")), data.get("change_id")
        if change_id is not None and not (isinstance(change_id, str) and CHANGE_ID.fullmatch(change_id)):
            return json_error(400, "invalid_change_id")
        value = data.get("status" if kind == "status" else "text")
        value = value if isinstance(value, str) else ""
        change = _status_change(request, value) if kind == "status" else _note_change(request, value)
        if change is None:
            return json_error(400, f"invalid_{kind}", **({"allowed": list(STATUSES)} if kind == "status" else {}))
        if version is None:
            return json_error(400, "invalid_version")
        try:
            view = await off_loop(change, _reference(request), session.agent, version, change_id)
        except CallbackNotFound:
            return json_error(404, "unknown_callback")
        except Conflict as conflict:
            return json_error(409, "conflict", current=conflict.current.as_state())
        return web.json_response({"callback": view.as_state()})

    return handle


@agent_page
async def api_queue(request: web.Request, session: AgentSession) -> web.StreamResponse:
    status, commune = _filters(request)
    views = await off_loop(_queue, request, status, commune)
    counts = await off_loop(request.app[CALLBACKS].counts)
    return web.json_response({"callbacks": [view.as_state() for view in views], "counts": counts})


@agent_page
async def api_detail(request: web.Request, session: AgentSession) -> web.StreamResponse:
    try:
        view = await off_loop(request.app[CALLBACKS].get, _reference(request))
    except CallbackNotFound:
        return json_error(404, "unknown_callback")
    return web.json_response({"callback": view.as_state()})


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get(PREFIX, queue_page)
    router.add_get(PREFIX + "/{ref}", detail_page)
    router.add_get(PREFIX + "/{ref}/conversation", conversation_page)
    router.add_post(PREFIX + "/{ref}/status", status_form)
    router.add_post(PREFIX + "/{ref}/notes", note_form)
    router.add_get(API, api_queue)
    router.add_get(API + "/{ref}", api_detail)
    router.add_post(API + "/{ref}/status", _api("status"))
    router.add_post(API + "/{ref}/notes", _api("note"))
