"""The agents' console: login, logout and the pages behind the login wall."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.core.services import Services
from bot.kb.queries import KnowledgeBaseUnavailable
from bot.settings import Settings
from bot.stores.agents import EDITOR, AgentError, normalise_name
from bot.stores.sessions import AgentSession, same_token
from bot.web import views
from bot.web.common import (
    AGENTS,
    SERVICES,
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

# The role of the request's agent, read from the agents file on every request.
ROLE = "agglo_agent_role"
SESSION_COOKIE = "agglo_session"
LOGIN_CSRF_COOKIE = "agglo_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
TOPIC_SLUG = re.compile(r"[a-z0-9_]{1,64}")
INSEE = re.compile(r"[0-9][0-9AB][0-9]{3}")
SAFE_NEXT = re.compile(r"/console(?:[/?][^\\]*)?")
MAX_QUERY_CHARS = 200
REPORT_DAYS = 30
REPORT_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"
)
SEARCH_RESULTS = 20


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
    """Whether the request's agent is an editor (after :func:`current_session`)."""
    return request.get(ROLE) == EDITOR


def is_agent_request(request: web.Request) -> bool:
    """Agent mode needs a console session and its CSRF token: another site's page has neither."""
    session = current_session(request)
    return session is not None and same_token(request.headers.get(CSRF_HEADER), session.csrf_token)


def login_wall(request: web.Request) -> web.Response:
    """Anonymous visitors of a page are sent to the login page; other requests get 401."""
    if request.method == "GET":
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


def _query(request: web.Request, name: str = "q") -> str:
    return request.query.get(name, "").strip()[:MAX_QUERY_CHARS]


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


# Pages ----------------------------------------------------------------------------------------
@agent_page
async def home(request: web.Request, session: AgentSession) -> web.StreamResponse:
    kb = request.app[SERVICES].kb
    topics = views.listed_topics(kb)
    # Editors see what to check again: the same list as `python -m bot kb check --stale`.
    max_age = request.app[SETTINGS].headline_max_age_days
    freshness = views.freshness(kb, dt.date.today(), max_age) if is_editor(request) else None
    return page(request, "console_home.html", **console_context(session, topics=topics, freshness=freshness))


@agent_page
async def report(request: web.Request, session: AgentSession) -> web.StreamResponse:
    """The staff report (``python -m bot report``) of the last 30 days, for editors."""
    if not is_editor(request):
        return page(request, "edit_unavailable.html", status=403, **console_context(session, reason="forbidden"))
    from bot.report.data import ReportError  # imported here, like the report itself

    try:
        html = await off_loop(_report_page, request.app[SERVICES], request.app[SETTINGS])
    except ReportError as error:
        return page(request, "report_unavailable.html", status=503, **console_context(session, reason=str(error)))
    response = web.Response(text=html, content_type="text/html", charset="utf-8")
    # A self-contained page: its own inline styles and embedded images, and nothing else.
    response.headers["Content-Security-Policy"] = REPORT_CONTENT_SECURITY_POLICY
    return response


def _report_page(services: Services, settings: Settings) -> str:
    # Imported here: matplotlib and the report's modules are only needed for a report.
    from bot.report import data as report_data
    from bot.report.render import draw_plots, render_html
    from bot.stores.privacy import masker

    until = dt.date.today()
    period = report_data.Period(since=until - dt.timedelta(days=REPORT_DAYS - 1), until=until)
    data = report_data.collect(
        services.kb,
        period,
        tracker_url=settings.tracker_database_url,
        feedback_url=settings.feedback_database_url,
        mask_text=masker(settings.kb_dir).mask,
        console_url="",
    )
    return render_html(data, draw_plots(data))


@agent_page
async def search(request: web.Request, session: AgentSession) -> web.StreamResponse:
    query = _query(request)
    hits = request.app[SERVICES].kb.search(query, limit=SEARCH_RESULTS) if query else []
    return page(request, "search.html", **console_context(session, query=query, hits=hits))


@agent_page
async def topic(request: web.Request, session: AgentSession) -> web.StreamResponse:
    slug = request.match_info["slug"]
    fiche = views.fiche(request.app[SERVICES].kb, slug) if TOPIC_SLUG.fullmatch(slug) else None
    if fiche is None:
        return page(request, "not_found.html", status=404, **console_context(session))
    return page(request, "topic.html", **console_context(session, fiche=fiche, can_edit=is_editor(request)))


@agent_page
async def commune(request: web.Request, session: AgentSession) -> web.StreamResponse:
    services = request.app[SERVICES]
    query, insee = _query(request), request.query.get("insee", "")
    found = services.kb.commune(insee) if INSEE.fullmatch(insee) else None
    candidates: list[Any] = []
    if found is None and query:
        match = services.communes.find(query)
        if match is not None:
            found = match.commune
            candidates = list(match.candidates) if found is None else []
    commune_page = views.commune_page(services.kb, found) if found is not None else None
    return page(
        request,
        "commune.html",
        **console_context(session, commune_query=query, page=commune_page, candidates=candidates),
    )


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/console", home)
    router.add_get("/console/login", login_form)
    router.add_post("/console/login", login)
    router.add_post("/console/logout", logout)
    router.add_get("/console/search", search)
    router.add_get("/console/topic/{slug}", topic)
    router.add_get("/console/commune", commune)
    router.add_get("/console/report", report)
