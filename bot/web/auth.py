"""Who is asking: the console's login, logout and sessions, and the checks every agent-only
route makes (a valid session cookie, the agent's current role, the CSRF token)."""

from __future__ import annotations

import functools
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.kb.queries import KnowledgeBaseUnavailable
from bot.stores.agents import AgentError, can_administer, can_edit, normalise_name
from bot.stores.sessions import AgentSession, same_token
from bot.web.common import (
    AGENTS,
    ROLE,
    SESSION_SECONDS,
    SESSIONS,
    SETTINGS,
    Handler,
    json_error,
    off_loop,
    page,
    redirect,
)

logger = logging.getLogger(__name__)

AgentHandler = Callable[[web.Request, AgentSession], Awaitable[web.StreamResponse]]

SESSION_COOKIE = "agglo_session"
LOGIN_CSRF_COOKIE = "agglo_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_NEXT = re.compile(r"/console(?:[/?][^\\]*)?")


# Sessions -------------------------------------------------------------------------------------
def current_session(request: web.Request) -> AgentSession | None:
    """The console session of the request's cookie, if it is valid and its agent still exists;
    the agent's current role is kept in ``request[ROLE]``."""
    sessions = request.app[SESSIONS]
    session = sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    try:
        role = request.app[AGENTS].role(session.agent)
    except AgentError as error:
        logger.error("agents file unreadable: %s", error)
        role = None
    if role is None:
        sessions.drop(session.token)
        return None
    request[ROLE] = role
    return session


def is_editor(request: web.Request) -> bool:
    """Whether the request's agent may edit the content: an editor or an administrator (after
    :func:`current_session`)."""
    return can_edit(request.get(ROLE))


def is_admin(request: web.Request) -> bool:
    """Whether the request's agent is an administrator (after :func:`current_session`)."""
    return can_administer(request.get(ROLE))


def has_csrf_header(request: web.Request, session: AgentSession) -> bool:
    """A console script's request (JSON) proves it comes from a console page: the session's
    CSRF token in the header."""
    return same_token(request.headers.get(CSRF_HEADER), session.csrf_token)


def is_agent_request(request: web.Request) -> bool:
    """Agent mode needs a console session and its CSRF token: another site's page has neither."""
    session = current_session(request)
    return session is not None and has_csrf_header(request, session)


def login_wall(request: web.Request) -> web.Response:
    """Anonymous visitors of a page are sent to the login page; other requests get 401."""
    if request.method == "GET" and not request.path.startswith("/console/api/"):
        return redirect(f"/console/login?next={quote(request.path_qs, safe='')}")
    return json_error(401, "login_required")


def agent_page(handler: AgentHandler) -> Handler:
    """Console pages: anonymous visitors are sent to the login page."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        session = current_session(request)
        if session is None:
            return login_wall(request)
        try:
            return await handler(request, session)
        except KnowledgeBaseUnavailable as error:
            logger.error("knowledge base unavailable: %s", error)
            return page(request, "error.html", status=503, **console_context(session))

    return guarded


def console_context(session: AgentSession, **context: Any) -> dict[str, Any]:
    return {"agent": session.agent, "csrf": session.csrf_token, "query": "", **context}


def form_text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# Login and logout -----------------------------------------------------------------------------
def _login_page(request: web.Request, status: int = 200, error: str | None = None) -> web.Response:
    token = secrets.token_urlsafe(32)
    next_path = request.query.get("next", "/console")
    if request.method == "POST":
        next_path = request.get("login_next", "/console")
    response = page(
        request,
        "login.html",
        status=status,
        csrf=token,
        error=error,
        next=next_path if SAFE_NEXT.fullmatch(next_path) else "/console",
    )
    # Double-submit token: the form's copy must match the cookie's before a password is checked.
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path="/console/login",
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS].secure_cookies,
        max_age=3600,
    )
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    if current_session(request) is not None:
        return redirect("/console")
    return _login_page(request)


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    next_path = form_text(form, "next")
    request["login_next"] = next_path
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not same_token(form_text(form, "csrf"), expected):
        return _login_page(request, status=400, error="expired")
    name, password = normalise_name(form_text(form, "name")), form_text(form, "password")
    try:
        valid = bool(name) and bool(await off_loop(request.app[AGENTS].verify, name, password))
    except AgentError as error:
        logger.error("agents file unreadable: %s", error)
        valid = False
    if not valid:
        logger.warning("console login refused")
        return _login_page(request, status=401, error="invalid")
    session = request.app[SESSIONS].create(name)
    response = redirect(next_path if SAFE_NEXT.fullmatch(next_path) else "/console")
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS].secure_cookies,
        max_age=SESSION_SECONDS,
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/console/login")
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    session = current_session(request)
    if session is not None:
        form = await request.post()
        if not same_token(form_text(form, "csrf") or None, session.csrf_token):
            return json_error(403, "bad_csrf_token")
        request.app[SESSIONS].drop(session.token)
    response = redirect("/console/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
