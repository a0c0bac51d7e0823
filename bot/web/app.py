"""The aiohttp application: demo page, chat widget, chat proxy, feedback and the agents' console.

Routes
  GET  /                      demo page: an Agglo-like page with the widget on it
  GET  /widget.js, /widget.css the widget (embed: ``<script src="…/widget.js" defer></script>``)
  POST /api/chat              proxy to Rasa's REST channel (length cap, agent mode for agents only)
  POST /api/feedback          👍 / 👎 on an answer
  GET  /console…              the agents' console, behind a login
  GET  /healthz               readiness
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import jinja2
from aiohttp import web

from bot.kb.queries import KnowledgeBaseUnavailable
from bot.services import Services
from bot.web import views
from bot.web.agents import AgentError, AgentStore, normalise_name
from bot.web.feedback import RATINGS, FeedbackStore
from bot.web.rendering import STATIC_DIR, make_environment, render
from bot.web.sessions import AgentSession, SessionStore, same_token
from bot.web.settings import WebSettings, normalise_origin

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
AgentHandler = Callable[[web.Request, AgentSession], Awaitable[web.StreamResponse]]

SETTINGS = web.AppKey("settings", WebSettings)
SERVICES = web.AppKey("services", Services)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
SESSIONS = web.AppKey("sessions", SessionStore)
AGENTS = web.AppKey("agents", AgentStore)
FEEDBACK = web.AppKey("feedback", FeedbackStore)
HTTP = web.AppKey("http", aiohttp.ClientSession)

SESSION_COOKIE = "agglo_session"
LOGIN_CSRF_COOKIE = "agglo_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
SENDER = re.compile(r"[A-Za-z0-9_-]{8,80}")
TOPIC_SLUG = re.compile(r"[a-z0-9_]{1,64}")
INSEE = re.compile(r"[0-9][0-9AB][0-9]{3}")
SAFE_NEXT = re.compile(r"/console(?:[/?][^\\]*)?")
MAX_BODY_BYTES = 64 * 1024
MAX_QUERY_CHARS = 200
SEARCH_RESULTS = 20

# Everything the pages load comes from this server: no inline script or style, no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)


# Responses ------------------------------------------------------------------------------------
def _json_error(status: int, code: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, **extra}, status=status)


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def _page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    html = render(request.app[TEMPLATES], template, **context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith("/console"):
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cache-Control", "no-store")


# CORS -----------------------------------------------------------------------------------------
def _origin_allowed(request: web.Request, origin: str) -> bool:
    origin = normalise_origin(origin)
    # A page of this server is not a cross-origin caller.
    return origin in request.app[SETTINGS].allowed_origins or origin == f"{request.scheme}://{request.host}".lower()


@web.middleware
async def _cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Only the configured origins may call the API or fetch the widget from their pages."""
    if not request.path.startswith(("/api/", "/widget.")):
        return await handler(request)
    origin = request.headers.get("Origin")
    allowed = origin is not None and _origin_allowed(request, origin)
    response: web.StreamResponse
    if request.method == "OPTIONS":
        if not allowed:
            return _json_error(403, "origin_not_allowed")
        response = web.Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    elif origin is not None and not allowed and request.path.startswith("/api/"):
        return _json_error(403, "origin_not_allowed")
    else:
        response = await handler(request)
    if allowed and origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    return response


# Agents' sessions -----------------------------------------------------------------------------
def _current_session(request: web.Request) -> AgentSession | None:
    sessions = request.app[SESSIONS]
    session = sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    try:
        still_an_agent = request.app[AGENTS].exists(session.agent)
    except AgentError as error:
        logger.error("agents file unreadable: %s", error)
        still_an_agent = False
    if not still_an_agent:
        sessions.drop(session.token)
        return None
    return session


def _agent_page(handler: AgentHandler) -> Handler:
    """Console pages: anonymous visitors are sent to the login page."""

    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        session = _current_session(request)
        if session is None:
            if request.method == "GET":
                return _redirect(f"/console/login?next={quote(request.path_qs, safe='')}")
            return _json_error(401, "login_required")
        try:
            return await handler(request, session)
        except KnowledgeBaseUnavailable as error:
            logger.error("knowledge base unavailable: %s", error)
            return _page(request, "error.html", status=503, **_console_context(session))

    return guarded


def _console_context(session: AgentSession, **context: Any) -> dict[str, Any]:
    return {"agent": session.agent, "csrf": session.csrf_token, "query": "", **context}


def _query(request: web.Request, name: str = "q") -> str:
    return request.query.get(name, "").strip()[:MAX_QUERY_CHARS]


def _form_text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def _off_loop(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking call (bcrypt, SQL) in a worker thread, not on the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args, **kwargs))


# Console --------------------------------------------------------------------------------------
def _login_page(request: web.Request, status: int = 200, error: str | None = None) -> web.Response:
    token = secrets.token_urlsafe(32)
    next_path = request.query.get("next", "/console")
    if request.method == "POST":
        next_path = request.get("login_next", "/console")
    response = _page(
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
    if _current_session(request) is not None:
        return _redirect("/console")
    return _login_page(request)


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    next_path = _form_text(form, "next")
    request["login_next"] = next_path
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not same_token(_form_text(form, "csrf"), expected):
        return _login_page(request, status=400, error="expired")
    name, password = normalise_name(_form_text(form, "name")), _form_text(form, "password")
    try:
        valid = bool(name) and bool(await _off_loop(request.app[AGENTS].verify, name, password))
    except AgentError as error:
        logger.error("agents file unreadable: %s", error)
        valid = False
    if not valid:
        logger.warning("console login refused")
        return _login_page(request, status=401, error="invalid")
    session = request.app[SESSIONS].create(name)
    response = _redirect(next_path if SAFE_NEXT.fullmatch(next_path) else "/console")
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS].secure_cookies,
        max_age=int(request.app[SETTINGS].session_seconds),
    )
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/console/login")
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    session = _current_session(request)
    if session is not None:
        form = await request.post()
        if not same_token(_form_text(form, "csrf") or None, session.csrf_token):
            return _json_error(403, "bad_csrf_token")
        request.app[SESSIONS].drop(session.token)
    response = _redirect("/console/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


@_agent_page
async def console_home(request: web.Request, session: AgentSession) -> web.StreamResponse:
    topics = views.listed_topics(request.app[SERVICES].kb)
    return _page(request, "console_home.html", **_console_context(session, topics=topics))


@_agent_page
async def console_search(request: web.Request, session: AgentSession) -> web.StreamResponse:
    query = _query(request)
    hits = request.app[SERVICES].kb.search(query, limit=SEARCH_RESULTS) if query else []
    return _page(request, "search.html", **_console_context(session, query=query, hits=hits))


@_agent_page
async def console_topic(request: web.Request, session: AgentSession) -> web.StreamResponse:
    slug = request.match_info["slug"]
    fiche = views.fiche(request.app[SERVICES].kb, slug) if TOPIC_SLUG.fullmatch(slug) else None
    if fiche is None:
        return _page(request, "not_found.html", status=404, **_console_context(session))
    return _page(request, "topic.html", **_console_context(session, fiche=fiche))


@_agent_page
async def console_commune(request: web.Request, session: AgentSession) -> web.StreamResponse:
    services = request.app[SERVICES]
    query, insee = _query(request), request.query.get("insee", "")
    commune = services.kb.commune(insee) if INSEE.fullmatch(insee) else None
    candidates: list[Any] = []
    if commune is None and query:
        match = services.communes.find(query)
        if match is not None:
            commune = match.commune
            candidates = list(match.candidates) if commune is None else []
    page = views.commune_page(services.kb, commune) if commune is not None else None
    return _page(
        request,
        "commune.html",
        **_console_context(session, commune_query=query, page=page, candidates=candidates),
    )


# Chat and feedback ----------------------------------------------------------------------------
async def _json_object(request: web.Request) -> dict[str, Any] | web.Response:
    if request.content_type != "application/json":
        return _json_error(415, "json_expected")
    try:
        data = await request.json()
    except web.HTTPRequestEntityTooLarge:
        return _json_error(413, "body_too_large")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _json_error(400, "invalid_json")
    if not isinstance(data, dict):
        return _json_error(400, "invalid_json")
    return data


def _is_agent_request(request: web.Request) -> bool:
    """Agent mode needs a console session and its CSRF token: another site's page has neither."""
    session = _current_session(request)
    return session is not None and same_token(request.headers.get(CSRF_HEADER), session.csrf_token)


async def chat(request: web.Request) -> web.StreamResponse:
    data = await _json_object(request)
    if isinstance(data, web.Response):
        return data
    settings = request.app[SETTINGS]
    sender, message = data.get("sender"), data.get("message")
    if not isinstance(sender, str) or not SENDER.fullmatch(sender):
        return _json_error(400, "invalid_sender")
    if not isinstance(message, str) or not message.strip():
        return _json_error(400, "empty_message")
    if len(message) > settings.max_message_chars:
        return _json_error(413, "message_too_long", limit=settings.max_message_chars)
    agent = _is_agent_request(request)
    body = {
        # Separate conversations: a resident's sender id never continues an agent's.
        "sender": f"{'agent' if agent else 'web'}-{sender}",
        "message": message.strip(),
        "metadata": {"agent": True} if agent else {},
    }
    try:
        async with request.app[HTTP].post(
            f"{settings.rasa_url}/webhooks/rest/webhook",
            json=body,
            timeout=aiohttp.ClientTimeout(total=settings.rasa_timeout_seconds),
        ) as response:
            if response.status != 200:
                logger.error("Rasa answered HTTP %s", response.status)
                return _json_error(502, "rasa_error")
            replies = await response.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError) as error:
        logger.error("Rasa unreachable at %s: %r", settings.rasa_url, error)
        return _json_error(503, "rasa_unreachable")
    except ValueError:
        return _json_error(502, "rasa_error")
    if not isinstance(replies, list):
        return _json_error(502, "rasa_error")
    return web.json_response(replies)


async def feedback(request: web.Request) -> web.StreamResponse:
    data = await _json_object(request)
    if isinstance(data, web.Response):
        return data
    settings = request.app[SETTINGS]
    rating, message, answer = data.get("rating"), data.get("message"), data.get("answer")
    comment, topic = data.get("comment"), data.get("topic")
    if rating not in RATINGS:
        return _json_error(400, "invalid_rating")
    if not isinstance(message, str) or not isinstance(answer, str) or not answer.strip():
        return _json_error(400, "invalid_feedback")
    if comment is not None and not isinstance(comment, str):
        return _json_error(400, "invalid_feedback")
    if comment is not None and len(comment) > settings.max_comment_chars:
        return _json_error(413, "comment_too_long", limit=settings.max_comment_chars)
    await _off_loop(
        request.app[FEEDBACK].add,
        rating=str(rating),
        message=message[: settings.max_message_chars],
        answer=answer,
        topic=topic if isinstance(topic, str) and TOPIC_SLUG.fullmatch(topic) else None,
        comment=comment.strip() if comment else None,
    )
    return web.json_response({"status": "stored"}, status=201)


# Public pages ---------------------------------------------------------------------------------
async def demo(request: web.Request) -> web.StreamResponse:
    # Not request.url: with the installed yarl it fails on a Host header that has a port.
    embed = f'<script src="{request.scheme}://{request.host}/widget.js" defer></script>'
    return _page(request, "demo.html", embed=embed)


def _static_file(name: str, content_type: str) -> Handler:
    async def serve(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC_DIR / name, headers={"Content-Type": content_type, "Cache-Control": "no-cache"})

    return serve


async def healthz(request: web.Request) -> web.StreamResponse:
    return web.json_response({"status": "ok"})


# Application ----------------------------------------------------------------------------------
async def _http_client(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as client:
        app[HTTP] = client
        yield


async def _prepare(app: web.Application) -> None:
    await _off_loop(app[FEEDBACK].ensure_schema)
    try:
        await _off_loop(app[SERVICES].kb.check)
    except KnowledgeBaseUnavailable as error:
        # The chat still works through Rasa; the console says the knowledge base is missing.
        logger.error("%s", error)


def create_app(
    settings: WebSettings,
    services: Services,
    *,
    agents: AgentStore | None = None,
    feedback_store: FeedbackStore | None = None,
) -> web.Application:
    app = web.Application(middlewares=[_cors], client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[SERVICES] = services
    app[TEMPLATES] = make_environment()
    app[SESSIONS] = SessionStore(settings.session_seconds, settings.sessions_database_url)
    app[AGENTS] = agents or AgentStore(settings.agents_file)
    app[FEEDBACK] = feedback_store or FeedbackStore(settings.feedback_database_url)
    app.cleanup_ctx.append(_http_client)
    # aiohttp 3.9's signal annotations predate the installed aiosignal 1.4's generics.
    app.on_startup.append(_prepare)  # type: ignore[arg-type]
    app.on_response_prepare.append(_security_headers)  # type: ignore[arg-type]
    app.router.add_get("/", demo)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/widget.js", _static_file("widget.js", "text/javascript; charset=utf-8"))
    app.router.add_get("/widget.css", _static_file("widget.css", "text/css; charset=utf-8"))
    app.router.add_post("/api/chat", chat)
    app.router.add_post("/api/feedback", feedback)
    app.router.add_get("/console", console_home)
    app.router.add_get("/console/login", login_form)
    app.router.add_post("/console/login", login)
    app.router.add_post("/console/logout", logout)
    app.router.add_get("/console/search", console_search)
    app.router.add_get("/console/topic/{slug}", console_topic)
    app.router.add_get("/console/commune", console_commune)
    app.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    return app


def run(settings: WebSettings, services: Services) -> None:
    """Serve until interrupted (``python -m bot web``)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(f"Web front on {settings.url}/ (console: {settings.url}/console)", flush=True)
    # No access log: it would keep the residents' IP addresses.
    web.run_app(
        create_app(settings, services),
        host=settings.host,
        port=settings.port,
        print=None,
        access_log=None,
        handle_signals=True,
    )
