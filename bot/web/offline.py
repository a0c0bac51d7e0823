"""The Agglomobile: the agents' console offline, installed on a tablet (issue 17).

A service worker (``static/sw.js``, served as ``/console/sw.js`` for the scope ``/console``)
keeps a copy of the console's pages after login, and serves it when the network fails. This
module gives it what to keep, through a small sync protocol:

  GET  /console/api/offline/state     the live versions: {"kb_version", "built_at",
                                      "queue_version", "session_expires_at", "agent", "csrf"}
  POST /console/api/offline/sync      {"kb_version", "pages": {url: hash}} (X-CSRF-Token):
                                      the pages whose hash changed (or every page: "full"),
                                      those to drop, and the search index when the knowledge
                                      base changed
  GET  /console/api/offline/index     the search index, communes and street lists (JSON)
  GET  /console/sw.js, /console/manifest.webmanifest, /console/offline   public, no agent data

The pages kept are exactly the console's own pages, rendered by its own functions
(bot/web/console.py, bot/web/queue.py) and marked as copies: every fiche, the commune page of
each member commune, the search and commune-lookup pages (which answer offline from the index,
static/agglomobile.js), the queue of open callback requests and each of them. Nothing else of
the residents' data is kept: no closed request, no conversation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.core.streets import street_matcher
from bot.kb.queries import KnowledgeBase
from bot.rendering import french_date
from bot.stores.callbacks import CallbackView
from bot.stores.sessions import AgentSession
from bot.web import console, queue
from bot.web.auth import agent_page, has_csrf_header
from bot.web.common import OFFLINE_COPY, SERVICES, json_error, json_object, off_loop, page

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
SCOPE = "/console"
INDEX_URL = "/console/api/offline/index"
# A page's hash: enough to tell two versions apart.
HASH_CHARS = 16
# Answers larger than this are compressed in a worker thread.
ZLIB_EXECUTOR_BYTES = 64 * 1024
MANIFEST = {
    "name": "Agglomobile – console des agents",
    "short_name": "Agglomobile",
    "description": "Les fiches, les règles des communes et les demandes de rappel, même sans réseau.",
    "lang": "fr",
    "start_url": "/console",
    "scope": SCOPE,
    "display": "standalone",
    "orientation": "any",
    "background_color": "#eef2f6",
    "theme_color": "#003a63",
    "icons": [
        {"src": "/static/icons/agglomobile-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": "/static/icons/agglomobile-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {
            "src": "/static/icons/agglomobile-maskable-512.png",
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        },
    ],
}

Render = Callable[[], Awaitable[web.Response]]


# What is kept ---------------------------------------------------------------------------------
def _sync(function: Callable[..., web.Response], *args: Any, **kwargs: Any) -> Render:
    async def render() -> web.Response:
        # Rendering (Jinja2) in a worker thread: a full sync renders every page.
        response: web.Response = await off_loop(function, *args, **kwargs)
        return response

    return render


def _compressed_json(body: dict[str, Any]) -> web.Response:
    """JSON compressed (gzip or deflate, as the client accepts) off the event loop: many pages
    share most of their text, so the first full sync stays small."""
    response = web.Response(
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
        zlib_executor_size=ZLIB_EXECUTOR_BYTES,
    )
    response.enable_compression()
    return response


def offline_pages(request: web.Request, session: AgentSession) -> dict[str, Render]:
    """Every page the offline console keeps, by address, and how to render it."""
    kb = request.app[SERVICES].kb
    pages: dict[str, Render] = {
        "/console": _sync(console.home_page, request, session),
        "/console/search": _sync(console.search_page, request, session, ""),
        "/console/commune": _sync(console.commune_page, request, session),
        "/console/callbacks": lambda: queue.render_queue(request, session, queue.OPEN, None),
    }
    for topic in kb.topics():
        pages[f"/console/topic/{topic.slug}"] = _sync(console.topic_page, request, session, topic.slug)
    for commune in kb.communes(members_only=True):
        pages[f"/console/commune?insee={commune.insee}"] = _sync(
            console.commune_page, request, session, insee=commune.insee
        )
    return pages


async def _callback_pages(request: web.Request, session: AgentSession) -> tuple[dict[str, Render], str]:
    """The open callback requests' pages, and a version of the open queue (it changes when a
    request is added, changed or closed)."""
    views = await off_loop(queue.open_requests, request)
    pages: dict[str, Render] = {}
    for view in views:
        pages[f"/console/callbacks/{view.reference}"] = _detail_render(request, session, view)
    digest = hashlib.sha256(json.dumps([[view.reference, view.version] for view in views]).encode())
    return pages, digest.hexdigest()[:HASH_CHARS]


def _detail_render(request: web.Request, session: AgentSession, view: CallbackView) -> Render:
    return lambda: queue.render_detail(request, session, view)


def page_hash(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:HASH_CHARS]


def search_index(kb: KnowledgeBase) -> dict[str, Any]:
    """What the offline console searches and looks up, built from the same snapshot as the
    server's search: the entries in the server's order, already folded the server's way."""
    topics = {topic.slug: topic.title for topic in kb.topics()}
    entries = []
    for topic, fact, folded in kb.search_entries():
        if fact is None:
            entries.append([topic.slug, "", folded, topic.intro or "", False, "", ""])
        else:
            entries.append(
                [
                    topic.slug,
                    fact.id,
                    folded,
                    fact.text,
                    not fact.for_residents,
                    fact.source.title,
                    french_date(fact.source.verified_on),
                ]
            )
    matcher = street_matcher(kb)
    return {
        "kb_version": kb.version,
        "topics": topics,
        "search": entries,
        "communes": [[c.insee, c.name, c.postal_code or "", c.is_member] for c in kb.communes()],
        "aliases": kb.aliases(),
        "streets": {
            **matcher.as_data(),
            "lists": [
                {
                    "rule": item.rule,
                    "commune": item.commune,
                    "applies_to": item.applies_to,
                    "complete": item.complete,
                    "superseded": item.superseded,
                    "current": item.current(dt.date.today()),
                    "valid_from": item.valid_from.isoformat() if item.valid_from else None,
                    "streets": [{"name": street.name, "also": list(street.also)} for street in item.streets],
                }
                for item in matcher.lists
            ],
        },
    }


def _state(request: web.Request, session: AgentSession, queue_version: str) -> dict[str, Any]:
    kb = request.app[SERVICES].kb
    built_at = kb.built_at
    return {
        "kb_version": kb.version,
        "built_at": built_at.replace(tzinfo=dt.timezone.utc).isoformat() if built_at else None,
        "queue_version": queue_version,
        # Milliseconds, as the browser counts: the copy is dropped when the session ends.
        "session_expires_at": int(session.expires_at * 1000),
        "agent": session.agent,
        "csrf": session.csrf_token,
    }


# Routes ---------------------------------------------------------------------------------------
@agent_page
async def state(request: web.Request, session: AgentSession) -> web.StreamResponse:
    _, queue_version = await _callback_pages(request, session)
    return web.json_response(_state(request, session, queue_version))


@agent_page
async def sync(request: web.Request, session: AgentSession) -> web.StreamResponse:
    """The pages the client lacks or holds in another version (``full`` when it holds none, or
    a copy of another knowledge base), those it must drop, and the search index when the
    knowledge base is not the one its copy was made from."""
    if not has_csrf_header(request, session):
        return json_error(403, "bad_csrf_token", message="Jeton de sécurité manquant ou périmé : rechargez la page.")
    data = await json_object(request)
    if isinstance(data, web.Response):
        return data
    held, held_version = data.get("pages", {}), data.get("kb_version")
    if not isinstance(held, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in held.items()):
        return json_error(
            400, "invalid_pages", message="« pages » doit associer chaque adresse gardée à son empreinte."
        )
    if held_version is not None and not isinstance(held_version, str):
        return json_error(
            400, "invalid_kb_version", message="« kb_version » doit être la version de la copie, ou null."
        )
    kb = request.app[SERVICES].kb
    full = not held or held_version is None
    request[OFFLINE_COPY] = True
    pages = offline_pages(request, session)
    callback_pages, queue_version = await _callback_pages(request, session)
    pages.update(callback_pages)
    sent: dict[str, dict[str, str]] = {}
    unchanged = []
    for url, render in pages.items():
        response = await render()
        html = response.text or ""
        digest = page_hash(html)
        if not full and held.get(url) == digest:
            unchanged.append(url)
        else:
            sent[url] = {"hash": digest, "html": html}
    body: dict[str, Any] = {
        **_state(request, session, queue_version),
        "full": full,
        "pages": sent,
        "unchanged": unchanged,
        "removed": sorted(url for url in held if url not in pages),
    }
    if full or held_version != kb.version:
        body["index"] = search_index(kb)
    logger.info("offline sync for %s: %d pages sent, %d unchanged", session.agent, len(sent), len(unchanged))
    return _compressed_json(body)


@agent_page
async def index(request: web.Request, session: AgentSession) -> web.StreamResponse:
    return _compressed_json(search_index(request.app[SERVICES].kb))


async def service_worker(request: web.Request) -> web.StreamResponse:
    # Served under /console so that its scope may be /console itself (the header allows the
    # path without its trailing slash); never cached by the browser's HTTP cache.
    return web.FileResponse(
        STATIC_DIR / "sw.js",
        headers={
            "Content-Type": "text/javascript; charset=utf-8",
            "Cache-Control": "no-cache",
            "Service-Worker-Allowed": SCOPE,
        },
    )


async def manifest(request: web.Request) -> web.StreamResponse:
    return web.json_response(MANIFEST, content_type="application/manifest+json", headers={"Cache-Control": "no-cache"})


async def offline_page(request: web.Request) -> web.StreamResponse:
    """What the service worker shows for a page it has no copy of (no agent data in it)."""
    return page(request, "offline.html")


def setup(app: web.Application) -> None:
    router = app.router
    router.add_get("/console/sw.js", service_worker)
    router.add_get("/console/manifest.webmanifest", manifest)
    router.add_get("/console/offline", offline_page)
    router.add_get("/console/api/offline/state", state)
    router.add_post("/console/api/offline/sync", sync)
    router.add_get(INDEX_URL, index)
