"""The maintenance switch in the web front: what residents get while it is on, and the console's
page where administrators switch it (the state and its record: bot/stores/maintenance.py).

While it is on, ``POST /api/chat`` does not call Rasa: it answers, like the assistant would, with
the message of ``kb/messages.yml`` (``maintenance``) and the Agglo's contact, offering the
callback form (``"offer_callback": true``); ``GET /api/status`` says so to a widget that opens.

Routes
  GET  /api/status            {"maintenance": false} or {"maintenance": true, "replies": [...]}
  GET  /console/maintenance   the state, the switch and its history (administrators)
  POST /console/maintenance   switch on (a reason is required) or off
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.core.answers import contact_answer
from bot.core.people import OFFER_CALLBACK, with_callback_offer
from bot.kb.queries import KnowledgeBase, KnowledgeBaseUnavailable
from bot.stores.maintenance import CONSOLE, MAX_REASON_CHARS
from bot.stores.sessions import AgentSession, same_token
from bot.web.auth import agent_page, console_context, form_text, is_admin
from bot.web.common import MAINTENANCE, SERVICES, off_loop, page, redirect

logger = logging.getLogger(__name__)

# The topic of the maintenance answer's payload: no 👍/👎 under it, no Rasa behind it.
TOPIC = "maintenance"


def replies(kb: KnowledgeBase) -> list[dict[str, Any]]:
    """What a resident gets instead of an answer, shaped like Rasa's replies."""
    message = ""
    try:
        message = str(kb.message("maintenance")["message"])
        answer = contact_answer(kb, TOPIC)
    except (KnowledgeBaseUnavailable, KeyError) as error:
        logger.error("maintenance message without the contact: %s", error)
        return [{"text": message, "custom": {"topic": TOPIC, "sources": [], OFFER_CALLBACK: True}}]
    payload = {**with_callback_offer(answer.payload()), "maintenance": True}
    return [{"text": f"{message}\n{answer.text}", "custom": payload}]


async def maintenance_replies(request: web.Request) -> list[dict[str, Any]] | None:
    """The maintenance replies if the switch is on (read through the store's short cache; a
    worker thread only when the cache is stale: handing every message to one cost a seventh
    of the web front's CPU)."""
    store = request.app[MAINTENANCE]
    state = store.fresh_state() or await off_loop(store.state)
    return replies(request.app[SERVICES].kb) if state.on else None


async def status(request: web.Request) -> web.StreamResponse:
    found = await maintenance_replies(request)
    body: dict[str, Any] = {"maintenance": found is not None}
    if found is not None:
        body["replies"] = found
    return web.json_response(body, headers={"Cache-Control": "no-store"})


def _forbidden(request: web.Request, session: AgentSession) -> web.Response:
    return page(request, "maintenance.html", status=403, **console_context(session, forbidden=True))


async def _page(
    request: web.Request, session: AgentSession, status: int = 200, error: str | None = None
) -> web.Response:
    store = request.app[MAINTENANCE]
    state, history = await off_loop(store.read), await off_loop(store.history)
    context = console_context(session, forbidden=False, state=state, history=history, error=error)
    return page(request, "maintenance.html", status=status, max_reason=MAX_REASON_CHARS, **context)


@agent_page
async def console_page(request: web.Request, session: AgentSession) -> web.StreamResponse:
    if not is_admin(request):
        return _forbidden(request, session)
    return await _page(request, session)


@agent_page
async def switch(request: web.Request, session: AgentSession) -> web.StreamResponse:
    if not is_admin(request):
        return _forbidden(request, session)
    form = await request.post()
    if not same_token(form_text(form, "csrf") or None, session.csrf_token):
        return await _page(request, session, status=403, error="csrf")
    action, reason = form_text(form, "action"), form_text(form, "reason").strip()
    if action not in ("on", "off"):
        return await _page(request, session, status=400, error="action")
    if action == "on" and not reason:
        return await _page(request, session, status=400, error="reason")
    if len(reason) > MAX_REASON_CHARS:
        return await _page(request, session, status=400, error="reason_too_long")
    await off_loop(request.app[MAINTENANCE].switch, action == "on", by=session.agent, source=CONSOLE, reason=reason)
    logger.warning("maintenance switched %s from the console by %s", action, session.agent)
    return redirect("/console/maintenance")


def setup(app: web.Application) -> None:
    app.router.add_get("/api/status", status)
    app.router.add_get("/console/maintenance", console_page)
    app.router.add_post("/console/maintenance", switch)
