"""The aiohttp application: assembles the demo page, the widget, the chat proxy (chat.py), the
feedback endpoint (feedback_api.py) and the agents' console (console.py), with the security
headers and CORS rules they share.

Routes
  GET  /                      demo page: an Agglo-like page with the widget on it
  GET  /widget.js, /widget.css the widget (embed: ``<script src="…/widget.js" defer></script>``)
  POST /api/chat              proxy to Rasa's REST channel (length cap, agent mode for agents only)
  POST /api/feedback          👍 / 👎 on an answer, a 👎 with its reason
  POST /api/callback          a resident asks to be called back (callbacks_api.py); GET /api/communes
  GET  /api/status            whether the assistant is paused (maintenance.py)
  GET  /console…              the agents' console, behind a login; the callback queue (queue.py)
  …    /console/sw.js, /console/api/offline/…  the console offline on a tablet (offline.py)
  …    /console/maintenance   the maintenance switch (administrators)
  …    /console/edit/…        the content editor (editors only; served by the AGGLO_CONTENT_EDITOR front)
  GET  /healthz               readiness
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import uvloop
from aiohttp import web

from bot.core.services import Services
from bot.kb.queries import KnowledgeBaseUnavailable
from bot.rendering import make_environment
from bot.settings import Settings, normalise_origin, own_origins
from bot.stores.agents import AgentStore
from bot.stores.callbacks import CallbackStore
from bot.stores.feedback import FeedbackStore
from bot.stores.maintenance import MaintenanceStore
from bot.stores.privacy import masker
from bot.stores.sessions import SessionStore
from bot.web import callbacks_api, console, editor, maintenance, offline, queue
from bot.web.chat import chat
from bot.web.common import (
    AGENTS,
    BUTTON_KEY,
    CALLBACKS,
    FEEDBACK,
    HTTP,
    MAINTENANCE,
    ORIGINS,
    RASA,
    RASA_HTTP,
    SERVICES,
    SESSION_SECONDS,
    SESSIONS,
    SETTINGS,
    TEMPLATES,
    Handler,
    json_error,
    off_loop,
    page,
)
from bot.web.feedback_api import feedback
from bot.web.routing import RasaInstances, rasa_session

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"

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
    return origin in request.app[ORIGINS] or origin == f"{request.scheme}://{request.host}".lower()


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
            return json_error(403, "origin_not_allowed")
        response = web.Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    elif origin is not None and not allowed and request.path.startswith("/api/"):
        return json_error(403, "origin_not_allowed")
    else:
        response = await handler(request)
    if allowed and origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"
    return response


# Public pages ---------------------------------------------------------------------------------
async def demo(request: web.Request) -> web.StreamResponse:
    # Not request.url: with the installed yarl it fails on a Host header that has a port.
    embed = f'<script src="{request.scheme}://{request.host}/widget.js" defer></script>'
    return page(request, "demo.html", embed=embed)


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


async def _rasa_client(app: web.Application) -> AsyncIterator[None]:
    async with rasa_session(app[RASA]) as session:
        app[RASA_HTTP] = session
        yield


async def _prepare(app: web.Application) -> None:
    await off_loop(app[FEEDBACK].ensure_schema)
    try:
        await off_loop(app[SERVICES].kb.check)
    except KnowledgeBaseUnavailable as error:
        # The chat still works through Rasa; the console says the knowledge base is missing.
        logger.error("%s", error)


def web_url(settings: Settings) -> str:
    """Where this web front answers (loopback when it listens on every address)."""
    host = "127.0.0.1" if settings.bind_host in ("0.0.0.0", "::", "") else settings.bind_host  # noqa: S104
    return f"http://{host}:{settings.web_port}"


def create_app(
    settings: Settings,
    services: Services,
    *,
    agents: AgentStore | None = None,
    feedback_store: FeedbackStore | None = None,
) -> web.Application:
    app = web.Application(middlewares=[_cors], client_max_size=MAX_BODY_BYTES)
    app[SETTINGS] = settings
    app[ORIGINS] = settings.origins or own_origins(settings.bind_host, settings.web_port)
    app[BUTTON_KEY] = settings.button_key or secrets.token_bytes(32)
    app[SERVICES] = services
    app[TEMPLATES] = make_environment(TEMPLATES_DIR)
    app[SESSIONS] = SessionStore(SESSION_SECONDS, settings.sessions_database_url)
    app[AGENTS] = agents or AgentStore(settings.agents_file)
    mask = masker(settings.kb_dir).mask
    app[FEEDBACK] = feedback_store or FeedbackStore(settings.feedback_database_url, mask)
    app[CALLBACKS] = CallbackStore(settings.feedback_database_url, mask)
    app[MAINTENANCE] = MaintenanceStore(settings.sessions_database_url)
    app.cleanup_ctx.append(_http_client)
    app[RASA] = RasaInstances(settings.rasa_instances)
    app.cleanup_ctx.append(_rasa_client)
    # aiohttp 3.9's signal annotations predate the installed aiosignal 1.4's generics.
    app.on_startup.append(_prepare)  # type: ignore[arg-type]
    app.on_response_prepare.append(_security_headers)  # type: ignore[arg-type]
    app.router.add_get("/", demo)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/widget.js", _static_file("widget.js", "text/javascript; charset=utf-8"))
    app.router.add_get("/widget.css", _static_file("widget.css", "text/css; charset=utf-8"))
    app.router.add_post("/api/chat", chat)
    app.router.add_post("/api/feedback", feedback)
    callbacks_api.setup(app)
    maintenance.setup(app)
    console.add_routes(app.router)
    queue.setup(app)
    offline.setup(app)
    editor.setup(app)
    app.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    return app


def run(settings: Settings, services: Services) -> None:
    """Serve until interrupted (``python -m bot web``)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    url = web_url(settings)
    print(f"Web front on {url}/ (console: {url}/console)", flush=True)
    # No access log: it would keep the residents' IP addresses. uvloop's event loop (the one
    # Rasa's and the action server's Sanic run on): the web front's work per chat message is
    # mostly the event loop's (two HTTP hops), which asyncio's own does in Python.
    web.run_app(
        create_app(settings, services),
        host=settings.bind_host,
        port=settings.web_port,
        print=None,
        access_log=None,
        handle_signals=True,
        loop=uvloop.new_event_loop(),
    )
