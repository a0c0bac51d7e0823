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
from bot.stores.agents import AgentStore
from bot.stores.feedback import FeedbackStore
from bot.stores.sessions import SessionStore
from bot.web.rendering import render
from bot.web.settings import WebSettings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

SETTINGS = web.AppKey("settings", WebSettings)
SERVICES = web.AppKey("services", Services)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
SESSIONS = web.AppKey("sessions", SessionStore)
AGENTS = web.AppKey("agents", AgentStore)
FEEDBACK = web.AppKey("feedback", FeedbackStore)
HTTP = web.AppKey("http", aiohttp.ClientSession)


def json_error(status: int, code: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, **extra}, status=status)


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
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
