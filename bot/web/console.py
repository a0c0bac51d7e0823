"""The agents' console: the pages behind the login wall (login and sessions: bot/web/auth.py)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from aiohttp import web

from bot.core.services import Services
from bot.settings import Settings
from bot.stores.sessions import AgentSession
from bot.web import views
from bot.web.auth import agent_page, console_context, is_editor, login, login_form, logout
from bot.web.common import (
    SERVICES,
    SETTINGS,
    off_loop,
    page,
)

logger = logging.getLogger(__name__)

TOPIC_SLUG = re.compile(r"[a-z0-9_]{1,64}")
INSEE = re.compile(r"[0-9][0-9AB][0-9]{3}")
MAX_QUERY_CHARS = 200
REPORT_DAYS = 30
REPORT_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"
)
SEARCH_RESULTS = 20


def _query(request: web.Request, name: str = "q") -> str:
    return request.query.get(name, "").strip()[:MAX_QUERY_CHARS]


# Pages ----------------------------------------------------------------------------------------
# Each page is a function of the request, the session and what the page shows, so that the
# offline console's sync (bot/web/offline.py) renders the very same pages.
def home_page(request: web.Request, session: AgentSession) -> web.Response:
    kb = request.app[SERVICES].kb
    topics = views.listed_topics(kb)
    # Editors see what to check again: the same list as `python -m bot kb check --stale`.
    max_age = request.app[SETTINGS].headline_max_age_days
    freshness = views.freshness(kb, dt.date.today(), max_age) if is_editor(request) else None
    return page(request, "console_home.html", **console_context(session, topics=topics, freshness=freshness))


def search_page(request: web.Request, session: AgentSession, query: str) -> web.Response:
    groups, count = views.search_groups(request.app[SERVICES].kb, query, SEARCH_RESULTS) if query else ([], 0)
    return page(request, "search.html", **console_context(session, query=query, groups=groups, count=count))


def topic_page(request: web.Request, session: AgentSession, slug: str) -> web.Response:
    fiche = views.fiche(request.app[SERVICES].kb, slug) if TOPIC_SLUG.fullmatch(slug) else None
    if fiche is None:
        return page(request, "not_found.html", status=404, **console_context(session))
    return page(request, "topic.html", **console_context(session, fiche=fiche, can_edit=is_editor(request)))


def commune_page(
    request: web.Request, session: AgentSession, *, insee: str = "", query: str = "", street: str = ""
) -> web.Response:
    services = request.app[SERVICES]
    found = services.kb.commune(insee) if INSEE.fullmatch(insee) else None
    candidates: list[Any] = []
    if found is None and query:
        match = services.communes.find(query)
        if match is not None:
            found = match.commune
            candidates = list(match.candidates) if found is None else []
    commune = views.commune_page(services.kb, found, street) if found is not None else None
    context = console_context(session, commune_query=query, page=commune, candidates=candidates, street=street)
    return page(request, "commune.html", **context)


@agent_page
async def home(request: web.Request, session: AgentSession) -> web.StreamResponse:
    return home_page(request, session)


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
    return search_page(request, session, _query(request))


@agent_page
async def topic(request: web.Request, session: AgentSession) -> web.StreamResponse:
    return topic_page(request, session, request.match_info["slug"])


@agent_page
async def commune(request: web.Request, session: AgentSession) -> web.StreamResponse:
    return commune_page(
        request,
        session,
        insee=request.query.get("insee", ""),
        query=_query(request),
        street=_query(request, "rue"),
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
