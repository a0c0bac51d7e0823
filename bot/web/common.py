"""What every part of the web front shares: the application's keys and small response helpers."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import jinja2
from aiohttp import web

from bot.core.services import Services
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


def json_error(status: int, code: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, **extra}, status=status)


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """A page of ``templates/``; console pages also learn what the agent's role allows (menus)."""
    role = request.get(ROLE)
    context.setdefault("can_edit", can_edit(role))
    context.setdefault("can_administer", can_administer(role))
    html = render(request.app[TEMPLATES], template, **context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


async def json_object(request: web.Request) -> dict[str, Any] | web.Response:
    """The request's JSON object, or the 4xx response that says why there is none."""
    if request.content_type != "application/json":
        return json_error(415, "json_expected")
    try:
        data = await request.json()
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
