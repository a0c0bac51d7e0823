"""The Agglomobile in Chromium: the agents' console offline on a tablet (issue 17).

An agent logs in, the console keeps its copy; offline (the browser context's offline mode) the
agent opens fiches (each in under 100 ms), searches, looks up a commune and a street, prints,
adds a note, changes a status and rates an answer; meanwhile the knowledge base is rebuilt with
a changed fact. Back online, the actions are sent in order, once, the changed fiche is shown
and the console says when it refreshed. A conflict is shown, not lost. After logout, or once
the session is over, nothing is served from the copy. Tablet and phone: no horizontal scroll,
touch targets, a small header, axe.

The web front runs alone on a copy of kb/ (rebuilt by the test), with a fake Rasa that answers
every message, so that the agent chat has an answer to rate.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import statistics
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Error, Page, expect

from bench.common.console import console_session, wait_until_served
from bot.kb.build import build
from bot.settings import PROJECT_ROOT, Settings
from bot.stores.agents import AgentStore
from bot.stores.callbacks import CallbackStore
from bot.stores.feedback import FeedbackStore
from ops.dev import start_web_alone
from tests.conftest import make_settings, mask
from tests.integration.browser.conftest import (
    AGENT,
    PASSWORD,
    browser_marks,
    log_in,
    print_fiche,
    serious_accessibility_violations,
)
from tests.integration.browser.network import Relay

pytestmark = browser_marks

# A fiche opens offline, cache warm, in under this (issue 17).
FICHE_BUDGET_MS = 100
NEW_TEXT = "Nouveau : la décision vous est donnée dans un délai de 1 mois (texte republié pour le test)."
TABLET, PHONE = {"width": 768, "height": 1024}, {"width": 390, "height": 844}


class _FakeRasa(BaseHTTPRequestHandler):
    """Rasa's REST channel, answering every message with one agent answer about a topic."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        reply = [
            {"recipient_id": "x", "text": "FICHE AGENT – Permis de louer (réponse de test)."},
            {"recipient_id": "x", "custom": {"topic": "permis_de_louer", "sources": [], "commune": None, "facts": []}},
        ]
        body = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@dataclass(frozen=True)
class Mobile:
    url: str
    settings: Settings
    feedback_url: str
    relay: Relay

    def online(self, context: BrowserContext, online: bool) -> None:
        """The tablet's network on or off, for the page and its service worker alike."""
        context.set_offline(not online)
        if online:
            self.relay.up()
        else:
            self.relay.down()

    def callbacks(self) -> CallbackStore:
        return CallbackStore(self.feedback_url, mask)

    def rebuild(self, replace: tuple[str, str] | None = None) -> None:
        """Rebuild the knowledge base from its copy of kb/, with ``replace`` = (old, new) text,
        and wait until the web front serves it (it looks for a new build every second)."""
        path = self.settings.kb_dir / "topics" / "permis_de_louer.yml"
        original = (PROJECT_ROOT / "kb" / "topics" / "permis_de_louer.yml").read_text(encoding="utf-8")
        if replace:
            assert replace[0] in original
            original = original.replace(*replace)
        path.write_text(original, encoding="utf-8")
        version = build(self.settings).version
        http, _ = console_session(self.url, AGENT, PASSWORD)
        wait_until_served(http, self.url, version)


@pytest.fixture(scope="module")
def mobile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mobile]:
    var_dir = tmp_path_factory.mktemp("agglomobile")
    kb_dir = var_dir / "kb"
    shutil.copytree(PROJECT_ROOT / "kb", kb_dir)
    settings = make_settings(var_dir, kb_dir)
    build(settings)
    agents_file = var_dir / "agents.yml"
    AgentStore(agents_file).add(AGENT, PASSWORD)
    feedback_url = f"sqlite:///{var_dir / 'feedback.sqlite3'}"
    rasa = ThreadingHTTPServer(("127.0.0.1", 0), _FakeRasa)
    threading.Thread(target=rasa.serve_forever, daemon=True).start()
    servers = None
    try:
        servers = start_web_alone(
            var_dir,
            rasa_port=rasa.server_address[1],
            AGGLO_DATABASE_URL=settings.database_url,
            AGGLO_KB_DIR=str(kb_dir),
            AGGLO_FEEDBACK_DATABASE_URL=feedback_url,
            AGGLO_SESSIONS_DATABASE_URL=f"sqlite:///{var_dir / 'sessions.sqlite3'}",
            AGGLO_AGENTS_FILE=str(agents_file),
        )
        web = urllib.parse.urlsplit(servers.config.web_url)
        relay = Relay(web.hostname or "127.0.0.1", web.port or 80)
        yield Mobile(url=servers.config.web_url, settings=settings, feedback_url=feedback_url, relay=relay)
        relay.close()
    finally:
        if servers is not None:
            servers.stop()
        rasa.shutdown()


@pytest.fixture()
def browser_context_args(browser_context_args: dict[str, Any], mobile: Mobile) -> dict[str, Any]:
    return {**browser_context_args, "base_url": mobile.relay.url, "locale": "fr-FR", "viewport": TABLET}


def new_request(mobile: Mobile, name: str = "Marie Exemple") -> str:
    view = mobile.callbacks().add(
        name=name,
        contact="06 12 34 56 78",
        contact_kind="phone",
        commune_insee="62841",
        question="Ma rue est-elle concernée par le permis de louer ?",
        topic="permis_de_louer",
        conversation=None,
    )
    return view.reference


def ready_offline(page: Page) -> None:
    """Log in and wait until the console's copy is made."""
    log_in(page)
    expect(page).to_have_url(re.compile(r"/console$"))
    expect(page.locator("html")).to_have_attribute("data-synced", re.compile(r"\d+"), timeout=30_000)
    expect(page.locator("[data-sync]")).to_contain_text(re.compile(r"Mis à jour à|À jour"))


def open_offline(page: Page, path: str) -> dict[str, float]:
    """Open a page (offline: from the copy) and how long it took, in ms: until it is ready to
    use (the document parsed and the console's script run: DOMContentLoaded) and until every
    resource is loaded."""
    page.goto(path)
    page.wait_for_load_state("load")
    timing: dict[str, float] = page.evaluate(
        """() => { const [entry] = performance.getEntriesByType("navigation");
                   return {ready: entry.domContentLoadedEventEnd - entry.startTime,
                           loaded: entry.loadEventEnd - entry.startTime}; }"""
    )
    return timing


def fiche_timings(page: Page, slugs: list[str], rounds: int = 3) -> dict[str, list[dict[str, float]]]:
    """Each fiche opened ``rounds`` times, in turn."""
    timings: dict[str, list[dict[str, float]]] = {slug: [] for slug in slugs}
    for _ in range(rounds):
        for slug in slugs:
            timings[slug].append(open_offline(page, slug))
    return timings


def search_links(page: Page) -> list[str]:
    links: list[str] = page.locator(".result-groups a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return links


def test_an_agent_works_offline_and_the_console_catches_up(
    page: Page, context: BrowserContext, mobile: Mobile, artifacts: Path
) -> None:
    mobile.rebuild()
    reference = new_request(mobile)
    ready_offline(page)
    # The agent chat answers (while online); its 👍 will be given offline.
    box = page.locator("#agglo-agent-chat").get_by_label("Votre question")
    box.fill("permis de louer")
    box.press("Enter")
    answer = page.locator("#agglo-agent-chat .agglo-chat__msg--bot").nth(1)
    expect(answer).to_contain_text("FICHE AGENT")
    page.goto("/console/search?q=permis")
    online_results = search_links(page)
    assert online_results
    page.goto("/console")

    mobile.online(context, False)
    page.locator("#agglo-agent-chat").get_by_role("button", name="Oui, cette réponse m'a aidé").click()
    expect(page.locator("[data-outbox-items]")).to_contain_text("sur la réponse")

    # Every fiche opens from the copy, each in under 100 ms.
    slugs = page.evaluate(
        "() => caches.open('agglomobile-pages').then(c => c.keys())"
        ".then(keys => keys.map(r => new URL(r.url).pathname)"
        ".filter(p => p.startsWith('/console/topic/')))"
    )
    assert len(slugs) >= 26
    open_offline(page, slugs[0])  # the first opening warms the browser up
    timings = fiche_timings(page, slugs)
    (artifacts / "agglomobile-fiche-timings.json").write_text(json.dumps(timings, indent=1), encoding="utf-8")
    # Each fiche's best time: what the console takes, the rest is the machine's other load
    # (a fiche over the budget is opened twice more before it counts as slow).
    best = {slug: min(timing["ready"] for timing in runs) for slug, runs in timings.items()}
    for slug in [slug for slug, ready in best.items() if ready >= FICHE_BUDGET_MS]:
        best[slug] = min([best[slug], *(open_offline(page, slug)["ready"] for _ in range(2))])
    every = [timing["ready"] for runs in timings.values() for timing in runs]
    slowest = max(best, key=lambda slug: best[slug])
    print(f"fiche offline, ready in: median {statistics.median(every):.1f} ms, slowest fiche {best[slowest]:.1f} ms")
    assert best[slowest] < FICHE_BUDGET_MS, f"{slowest}: {best[slowest]:.0f} ms"
    assert statistics.median(every) < FICHE_BUDGET_MS

    open_offline(page, "/console/topic/permis_de_louer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Permis de louer")
    status = page.locator(".console-status")
    # « Hors ligne » when the browser knows it is offline; Chromium 150 keeps navigator.onLine
    # true under Playwright's offline emulation, and a page served from the copy then says the
    # network is unavailable: both tell the agent since when.
    expect(status).to_contain_text(re.compile(r"(Hors ligne|Réseau indisponible) depuis \d\d:\d\d"))
    expect(status).to_contain_text(re.compile(r"Base de connaissances du \d\d/\d\d/\d{4} à \d\d:\d\d"))
    # Jump to « Pièces à fournir »; history and unconfirmed facts folded below what is in force.
    page.get_by_role("navigation", name="Sommaire de la fiche").get_by_role("link", name="Pièces à fournir").click()
    expect(page).to_have_url(re.compile(r"#field-documents$"))
    older = page.locator("#field-details").locator("..").locator("details.fiche__older")
    expect(older.locator("summary")).to_contain_text("Historique et informations à confirmer")
    expect(older.locator("#fact-pdl_perimetres_2018")).to_be_hidden()
    page.screenshot(path=artifacts / "agglomobile-fiche-offline.png", full_page=True)

    # Print, offline.
    print_fiche(page)
    page.emulate_media(media="screen")

    # Search, offline: the server's results, grouped by fiche, the words found marked.
    search = page.get_by_role("searchbox", name="Rechercher dans la base")
    search.fill("permis")
    search.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Résultats pour « permis »")
    expect(page.locator(".result-count")).to_contain_text("recherche hors ligne")
    assert search_links(page) == online_results
    expect(page.locator(".result-group mark").first).to_have_text(re.compile("permis", re.IGNORECASE))
    page.goto("/console/search?q=perrmis%20de%20loer")  # one typo in each word
    expect(page.locator(".result-group__title").first).to_contain_text("Permis de louer")

    # A commune, then a street, offline.
    page.goto("/console/commune")
    page.get_by_label("Nom de la commune").fill("noeux les mines")
    page.get_by_role("button", name="Voir les règles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Règles pour Nœux-les-Mines")
    expect(page.locator(".fact").first).to_contain_text("Permis de louer")
    page.goto("/console/commune")
    page.get_by_label("Nom de la commune").fill("Vendin les Bethune")
    page.get_by_role("button", name="Voir les règles").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Règles pour Vendin-lès-Béthune")
    page.get_by_label("Rue du logement").fill("12 r. d'hinge")
    page.get_by_role("button", name="Vérifier la rue").click()
    expect(page.locator("[data-street-verdict]")).to_contain_text("« rue d'Hinges » fait partie des rues")

    # A note and a status change on a callback request, offline.
    page.goto(f"/console/callbacks/{reference}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Demande de rappel {reference}")
    page.get_by_role("button", name="Prendre en charge").click()
    page.get_by_label("Ajouter une note").fill("Rappelée depuis le bus, message laissé")
    page.get_by_role("button", name="Enregistrer la note").click()
    outbox = page.locator("[data-outbox-items]")
    expect(outbox.locator("[data-outbox-state=pending]")).to_have_count(3)
    expect(outbox).to_contain_text("En attente du réseau")
    expect(page.locator("[data-outbox-link]")).to_contain_text("3 actions en attente d'envoi")
    assert mobile.callbacks().get(reference).status == "new"

    # Meanwhile the knowledge base is published again, with a changed fact.
    page.goto("/console/topic/permis_de_louer")
    old_text = (
        "La décision vous est donnée dans un délai de 1 mois après l'accusé de réception de votre\n"
        "      dossier complet."
    )
    mobile.rebuild((old_text, NEW_TEXT))
    expect(page.get_by_text(NEW_TEXT)).to_have_count(0)

    # Back online: the actions are sent, in order, once; the changed fiche is shown.
    mobile.online(context, True)
    expect(page.get_by_text(NEW_TEXT)).to_be_visible(timeout=30_000)
    expect(page.locator("[data-sync]")).to_contain_text(re.compile(r"Mis à jour à \d\d:\d\d|À jour"))
    expect(page.locator(".console-status")).to_contain_text("En ligne")
    expect(page.locator("[data-outbox-items] [data-outbox-state=sent]")).to_have_count(3)
    view = mobile.callbacks().get(reference)
    assert view.status == "in_progress"
    assert [event.text for event in view.events if event.kind == "note"] == ["Rappelée depuis le bus, message laissé"]
    assert [event.kind for event in view.events] == ["status", "note"]
    ratings = FeedbackStore(mobile.feedback_url, mask).all()
    assert [(item.rating, item.topic) for item in ratings] == [("up", "permis_de_louer")]
    page.goto(f"/console/callbacks/{reference}")
    expect(page.locator(".callback__history")).to_contain_text("Rappelée depuis le bus, message laissé")

    # Logout: nothing is served from the copy any more.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/console/login$"))
    page.wait_for_load_state("load")
    kept = page.evaluate("() => caches.keys()")
    assert "agglomobile-pages" not in kept
    mobile.online(context, False)
    with contextlib.suppress(Error):  # no service worker any more: the browser's own offline error
        page.goto("/console/topic/permis_de_louer")
    assert "Pièces à fournir" not in _settled_content(page)
    mobile.online(context, True)
    mobile.rebuild()


def test_a_conflict_is_shown_and_the_note_is_not_lost(page: Page, context: BrowserContext, mobile: Mobile) -> None:
    reference = new_request(mobile, "Paul Exemple")
    ready_offline(page)
    mobile.online(context, False)
    page.goto(f"/console/callbacks/{reference}")
    page.get_by_label("Ajouter une note").fill("Note prise hors ligne")
    page.get_by_role("button", name="Enregistrer la note").click()
    expect(page.locator("[data-outbox-items]")).to_contain_text("En attente du réseau")
    # Another agent takes the request meanwhile.
    store = mobile.callbacks()
    store.set_status(reference, "in_progress", agent="paul.autre", version=store.get(reference).version)
    mobile.online(context, True)
    conflict = page.locator("[data-outbox-items] [data-outbox-state=conflict]")
    # Sent at the browser's « online » event, or at the next retry (10 s) when it fires none.
    expect(conflict).to_contain_text("modifiée entre-temps par paul.autre", timeout=30_000)
    expect(conflict).to_contain_text("Note prise hors ligne")
    assert [event.kind for event in store.get(reference).events] == ["status"]
    conflict.get_by_role("button", name="Renvoyer sur l'état actuel").click()
    expect(page.locator("[data-outbox-items] [data-outbox-state=sent]")).to_have_count(1)
    notes = [event.text for event in store.get(reference).events if event.kind == "note"]
    assert notes == ["Note prise hors ligne"]


def test_the_copy_ends_with_the_session(page: Page, context: BrowserContext, mobile: Mobile) -> None:
    ready_offline(page)
    # The session's lifetime is over (as the copy knows it): nothing is served any more.
    page.evaluate(
        """() => new Promise((resolve, reject) => {
             const open = indexedDB.open("agglomobile");
             open.onsuccess = () => {
               const db = open.result, tx = db.transaction("meta", "readwrite");
               const meta = tx.objectStore("meta"), get = meta.get("sync");
               get.onsuccess = () => {
                 const value = get.result;
                 value.session_expires_at = Date.now() - 1000;
                 meta.put(value, "sync");
               };
               tx.oncomplete = () => {
                 db.close();
                 navigator.serviceWorker.controller.postMessage({type: "describe"});
                 resolve();
               };
               tx.onerror = () => reject(tx.error);
             };
           })"""
    )
    mobile.online(context, False)
    page.goto("/console/topic/permis_de_louer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hors ligne")
    assert page.evaluate("() => caches.match('/console/topic/permis_de_louer').then(Boolean)") is False
    mobile.online(context, True)


def test_a_browser_whose_session_is_gone_gets_no_copy(page: Page, context: BrowserContext, mobile: Mobile) -> None:
    ready_offline(page)
    context.clear_cookies()
    page.goto("/console/topic/permis_de_louer")
    expect(page).to_have_url(re.compile(r"/console/login"))
    mobile.online(context, False)
    page.goto("/console/topic/permis_de_louer")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hors ligne")
    mobile.online(context, True)


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_tablet_and_phone(page: Page, viewport: dict[str, int], mobile: Mobile, artifacts: Path) -> None:
    page.set_viewport_size(viewport)
    reference = new_request(mobile, "Lucie Exemple")
    log_in(page)
    name = "tablet" if viewport == TABLET else "phone"
    for path in (
        "/console",
        "/console/topic/permis_de_louer",
        "/console/search?q=permis",
        "/console/commune?insee=62841&rue=rue+de+Merville",
        "/console/callbacks",
        f"/console/callbacks/{reference}",
    ):
        page.goto(path)
        wide = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"{path} scrolls sideways by {wide} px at {viewport}"
        assert serious_accessibility_violations(page) == [], path
        small = page.evaluate(
            """() => [...document.querySelectorAll(
                     '.console-header button, .console-header input, .fiche__toc a, main button')]
                 .filter(el => el.offsetParent !== null)
                 .map(el => [el.textContent.trim() || el.name, el.getBoundingClientRect().height])
                 .filter(([, height]) => height < 44)"""
        )
        assert small == [], f"{path}: touch targets under 44 px: {small}"
    page.goto("/console/topic/permis_de_louer")
    header = page.locator(".console-header").bounding_box()
    assert header is not None
    if viewport == PHONE:
        # The header leaves the phone's screen to the fiche; the menu opens on demand.
        assert header["height"] < viewport["height"] / 4, header
        expect(page.get_by_role("link", name="Demandes de rappel")).to_be_hidden()
        page.get_by_role("button", name="Menu").click()
        expect(page.get_by_role("link", name="Demandes de rappel")).to_be_visible()
        assert serious_accessibility_violations(page) == []
    page.screenshot(path=artifacts / f"agglomobile-{name}.png", full_page=False)


def test_logging_out_offline_drops_the_copy_and_tells_the_server_later(
    page: Page, context: BrowserContext, mobile: Mobile
) -> None:
    ready_offline(page)
    mobile.online(context, False)
    page.goto("/console/topic/mutuelle")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hors ligne")
    page.goto("/console/topic/mutuelle")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hors ligne")
    # Back online, the first console page opened ends the session on the server too.
    mobile.online(context, True)
    page.goto("/console")
    expect(page).to_have_url(re.compile(r"/console/login$"))
    page.goto("/console")
    expect(page).to_have_url(re.compile(r"/console/login"))


def test_a_form_posted_when_the_network_fails_on_the_way_is_kept(
    page: Page, context: BrowserContext, mobile: Mobile
) -> None:
    reference = new_request(mobile, "Anne Exemple")
    ready_offline(page)
    page.goto(f"/console/callbacks/{reference}")
    # The browser believes it is online, but the note's request never reaches the server.
    context.route(f"**/console/callbacks/{reference}/notes", lambda route: route.abort())
    page.get_by_label("Ajouter une note").fill("Note envoyée sur un réseau qui coupe")
    page.get_by_role("button", name="Enregistrer la note").click()
    context.unroute(f"**/console/callbacks/{reference}/notes")
    # Kept by the service worker, then sent through the queue's API: once.
    expect(page.locator(".callback__history")).to_contain_text("Note envoyée sur un réseau qui coupe", timeout=30_000)
    expect(page.locator("[data-outbox-items] [data-outbox-state=sent]")).to_contain_text("Note sur la demande")
    notes = [event.text for event in mobile.callbacks().get(reference).events if event.kind == "note"]
    assert notes == ["Note envoyée sur un réseau qui coupe"]


def _settled_content(page: Page) -> str:
    """The page's HTML once the browser has finished showing its own offline error page (reading
    it while that navigation runs raises)."""
    for _ in range(50):
        with contextlib.suppress(Error):
            return page.content()
        page.wait_for_timeout(200)
    return page.content()
