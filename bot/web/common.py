"""What every part of the web front shares: the application's keys and small response helpers."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.parser import HeaderParser
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import jinja2
from aiohttp import hdrs, web

from bot.core.services import Services
from bot.kb.queries import KnowledgeBaseUnavailable
from bot.rendering import render
from bot.settings import Settings
from bot.stores.agents import AgentStore, can_administer, can_edit
from bot.stores.callbacks import CallbackStore
from bot.stores.feedback import FeedbackStore
from bot.stores.maintenance import MaintenanceStore
from bot.stores.sessions import SessionStore
from bot.web.routing import RasaInstances

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Longer messages are refused politely: the assistant answers short questions.
MAX_MESSAGE_CHARS = 500
MAX_COMMENT_CHARS = 1000
SESSION_SECONDS = 8 * 3600
# Rasa answers in a few seconds, but the first turn after startup can be slow on 2 cores.
RASA_TIMEOUT_SECONDS = 90

SETTINGS = web.AppKey("settings", Settings)
# The origins whose pages may call the API (the configured ones, else the front's own).
ORIGINS = web.AppKey("origins", frozenset)
# Signs the buttons offered to a conversation (bot/core/payloads.py): derived from the channel
# secret, so that every web front shares it, else this process's own.
BUTTON_KEY = web.AppKey("button_key", bytes)
SERVICES = web.AppKey("services", Services)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
SESSIONS = web.AppKey("sessions", SessionStore)
AGENTS = web.AppKey("agents", AgentStore)
FEEDBACK = web.AppKey("feedback", FeedbackStore)
CALLBACKS = web.AppKey("callbacks", CallbackStore)
MAINTENANCE = web.AppKey("maintenance", MaintenanceStore)
HTTP = web.AppKey("http", aiohttp.ClientSession)
# The role of the request's console agent, read from the agents file on every request (bot/web/auth.py).
ROLE = "agglo_agent_role"
# The Rasa instances (routing.py) and the HTTP session to them.
RASA = web.AppKey("rasa", RasaInstances)
RASA_HTTP = web.AppKey("rasa_http", aiohttp.ClientSession)
# Set while the offline console's sync renders pages (bot/web/offline.py): they say they are copies.
OFFLINE_COPY = "agglo_offline_copy"
LOCAL_TIME = ZoneInfo("Europe/Paris")


@dataclass(frozen=True)
class KbStamp:
    """The knowledge base a console page was made from: every page carries it, and the offline
    console compares it with the live one."""

    version: str
    built_at: dt.datetime  # local time

    @property
    def label(self) -> str:
        return self.built_at.strftime("%d/%m/%Y à %H:%M")


def kb_stamp(services: Services) -> KbStamp | None:
    try:
        version, built_at = services.kb.version, services.kb.built_at
    except KnowledgeBaseUnavailable:
        return None
    if version is None or built_at is None:
        return None
    return KbStamp(version, built_at.replace(tzinfo=dt.timezone.utc).astimezone(LOCAL_TIME))


def json_error(status: int, code: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, **extra}, status=status)


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """A page of ``templates/``; console pages also learn what the agent's role allows (menus)."""
    role = request.get(ROLE)
    context.setdefault("can_edit", can_edit(role))
    context.setdefault("can_administer", can_administer(role))
    context.setdefault("offline_copy", bool(request.get(OFFLINE_COPY)))
    if "agent" in context:  # a console page
        # A copy for the offline console is not stamped: the copy as a whole is (its meta, in
        # the browser), so that a page whose content did not change keeps its hash.
        context.setdefault("kb_stamp", None if context["offline_copy"] else kb_stamp(request.app[SERVICES]))
    html = render(request.app[TEMPLATES], template, **context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


@functools.lru_cache(maxsize=64)
def media_type(raw: str | None) -> tuple[str, str | None]:
    """The media type and charset of a ``Content-Type`` header, read as aiohttp reads them
    (``request.content_type``, ``request.charset``), but once per distinct header: aiohttp runs
    the e-mail package's header parser on every request, a tenth of the web front's CPU per
    chat message, and clients send the same few values."""
    if raw is None:
        return "application/octet-stream", None  # RFC 2616's default, as aiohttp says
    message = HeaderParser().parsestr("Content-Type: " + raw)
    return message.get_content_type(), dict(message.get_params(())[1:]).get("charset")


async def json_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The request's JSON object, or the 4xx response that says why there is none."""
    content_type, charset = media_type(request.headers.get(hdrs.CONTENT_TYPE))
    if content_type != "application/json":
        return json_error(415, "json_expected")
    try:
        data = json.loads((await request.read()).decode(charset or "utf-8"))
    except web.HTTPRequestEntityTooLarge:
        return json_error(413, "body_too_large")
    except (json.JSONDecodeError, UnicodeDecodeError, LookupError):
        # LookupError: a charset Python does not know ("application/json; charset=nope").
        return json_error(400, "invalid_json")
    if not isinstance(data, dict):
        return json_error(400, "invalid_json")
    return data


async def off_loop(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking call (bcrypt, SQL) in a worker thread, not on the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args, **kwargs))
