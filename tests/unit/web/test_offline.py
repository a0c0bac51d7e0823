"""The Agglomobile's sync protocol (bot/web/offline.py): what the offline console may keep, the
version check, the first full sync (and its size), the delta that follows a change in the
knowledge base or in the callback queue, and the service worker's and manifest's headers."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.core.services import Services
from bot.kb.build import build
from bot.settings import Settings
from bot.stores.callbacks import CallbackStore
from bot.web.offline import page_hash
from tests.conftest import make_settings, mask
from tests.unit.web.conftest import log_in

SYNC = "/console/api/offline/sync"
STATE = "/console/api/offline/state"
# The first full sync of the whole knowledge base, compressed, stays under this (issue 17).
MAX_FIRST_SYNC_BYTES = 1_000_000


async def synced(client: TestClient, csrf: str, held: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post(SYNC, json=held or {"kb_version": None, "pages": {}}, headers={"X-CSRF-Token": csrf})
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


def holding(body: dict[str, Any], before: dict[str, Any] | None = None) -> dict[str, Any]:
    """What a client holds after applying ``body`` (as sw.js does)."""
    pages = dict((before or {}).get("pages", {}))
    for url in body["removed"]:
        pages.pop(url, None)
    pages.update({url: page["hash"] for url, page in body["pages"].items()})
    return {"kb_version": body["kb_version"], "pages": pages}


def request_callback(settings: Settings, commune: str = "62841") -> str:
    view = CallbackStore(settings.feedback_database_url, mask).add(
        name="Marie Exemple",
        contact="06 12 34 56 78",
        contact_kind="phone",
        commune_insee=commune,
        question="Ma rue est-elle concernée par le permis de louer ?",
        topic="permis_de_louer",
        conversation=None,
    )
    return view.reference


# Public pieces ----------------------------------------------------------------------------------
async def test_the_service_worker_is_served_for_the_console_scope(client: TestClient) -> None:
    response = await client.get("/console/sw.js")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Service-Worker-Allowed"] == "/console"
    assert response.headers["Cache-Control"] == "no-cache"
    assert 'importScripts("/static/agglomobile.js")' in await response.text()


async def test_the_manifest_makes_the_console_installable(client: TestClient) -> None:
    response = await client.get("/console/manifest.webmanifest")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/manifest+json")
    manifest = await response.json(content_type=None)
    assert manifest["start_url"] == "/console" and manifest["scope"] == "/console"
    assert manifest["display"] == "standalone" and manifest["lang"] == "fr"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert (await client.get(icon["src"])).status == 200


async def test_the_offline_page_holds_no_agent_data(client: TestClient) -> None:
    page = await (await client.get("/console/offline")).text()
    assert "Hors ligne" in page
    assert "agglo-csrf-token" not in page and "Connecté" not in page


async def test_the_protocol_needs_a_session(client: TestClient) -> None:
    assert (await client.get(STATE)).status == 401
    assert (await client.post(SYNC, json={})).status == 401
    assert (await client.get("/console/api/offline/index")).status == 401


async def test_logout_tells_the_browser_to_drop_the_copy(client: TestClient) -> None:
    csrf = await log_in(client)
    response = await client.post("/console/logout", data={"csrf": csrf}, allow_redirects=False)
    assert response.status == 303
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'


# The version check --------------------------------------------------------------------------------
async def test_the_state_gives_the_live_versions_and_the_session_end(client: TestClient, services: Services) -> None:
    csrf = await log_in(client)
    state = await (await client.get(STATE)).json()
    assert state["kb_version"] == services.kb.version
    assert state["built_at"].endswith("+00:00")
    assert state["csrf"] == csrf
    assert state["agent"] == "marie"
    assert re.fullmatch(r"[0-9a-f]{16}", state["queue_version"])
    assert state["session_expires_at"] > 1_700_000_000_000


async def test_a_sync_needs_the_csrf_token_and_a_valid_body(client: TestClient) -> None:
    csrf = await log_in(client)
    refused = await client.post(SYNC, json={"kb_version": None, "pages": {}})
    assert refused.status == 403
    for body in ({"pages": ["x"]}, {"pages": {"/console": 3}}, {"kb_version": 7, "pages": {}}):
        response = await client.post(SYNC, json=body, headers={"X-CSRF-Token": csrf})
        assert response.status == 400
        assert (await response.json())["message"]
    response = await client.post(SYNC, data="pas du JSON", headers={"X-CSRF-Token": csrf})
    assert response.status == 415


# The first full sync --------------------------------------------------------------------------------
async def test_the_first_sync_keeps_every_fiche_commune_and_open_request(
    client: TestClient, services: Services, web_settings: Settings
) -> None:
    open_ref = request_callback(web_settings)
    done_ref = request_callback(web_settings, "62119")
    store = CallbackStore(web_settings.feedback_database_url, mask)
    store.set_status(done_ref, "done", agent="paul", version=store.get(done_ref).version)
    csrf = await log_in(client)
    body = await synced(client, csrf)
    assert body["full"] is True and body["unchanged"] == [] and body["removed"] == []
    pages = body["pages"]
    kb = services.kb
    assert {f"/console/topic/{topic.slug}" for topic in kb.topics()} <= set(pages)
    assert {f"/console/commune?insee={c.insee}" for c in kb.communes(members_only=True)} <= set(pages)
    assert {"/console", "/console/search", "/console/commune", "/console/callbacks"} <= set(pages)
    # The open request is kept; the closed one and every conversation are not.
    assert f"/console/callbacks/{open_ref}" in pages
    assert f"/console/callbacks/{done_ref}" not in pages
    assert not any(url.endswith("/conversation") for url in pages)
    assert "Marie Exemple" in pages[f"/console/callbacks/{open_ref}"]["html"]
    # Each page is the console's own page, marked as a copy, hashed as sent.
    fiche = pages["/console/topic/permis_de_louer"]
    assert '<html lang="fr" data-offline-copy>' in fiche["html"]
    assert "Pièces à fournir" in fiche["html"]
    assert fiche["hash"] == page_hash(fiche["html"])
    # Stamped as a whole with the knowledge base's version and date, and the index comes along.
    assert body["kb_version"] == kb.version and body["built_at"]
    index = body["index"]
    assert index["kb_version"] == kb.version
    assert len(index["search"]) == len(kb.search_entries())
    assert len([c for c in index["communes"] if c[3]]) == 100
    assert {item["commune"] for item in index["streets"]["lists"]} >= {"62841", "62516"}


async def test_the_first_full_sync_is_compressed_under_one_megabyte(client: TestClient) -> None:
    csrf = await log_in(client)
    response = await client.post(
        SYNC,
        json={"kb_version": None, "pages": {}},
        headers={"X-CSRF-Token": csrf, "Accept-Encoding": "gzip"},
        auto_decompress=False,
    )
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    raw = await response.read()
    assert len(raw) < MAX_FIRST_SYNC_BYTES, f"{len(raw)} bytes compressed"
    # What was measured is the whole answer.
    assert json.loads(gzip.decompress(raw))["full"] is True


# The delta -----------------------------------------------------------------------------------------
async def test_nothing_is_sent_again_when_nothing_changed(client: TestClient) -> None:
    csrf = await log_in(client)
    first = await synced(client, csrf)
    second = await synced(client, csrf, holding(first))
    assert second["full"] is False
    assert second["pages"] == {}
    assert "index" not in second
    assert set(second["unchanged"]) == set(first["pages"])


async def test_a_new_callback_request_sends_the_queue_and_that_request_only(
    client: TestClient, web_settings: Settings
) -> None:
    csrf = await log_in(client)
    before = await (await client.get(STATE)).json()
    first = await synced(client, csrf)
    reference = request_callback(web_settings)
    after = await (await client.get(STATE)).json()
    assert after["queue_version"] != before["queue_version"]
    assert after["kb_version"] == before["kb_version"]
    second = await synced(client, csrf, holding(first))
    assert set(second["pages"]) == {"/console/callbacks", f"/console/callbacks/{reference}"}


async def test_a_closed_request_is_dropped_from_the_copy(client: TestClient, web_settings: Settings) -> None:
    reference = request_callback(web_settings)
    csrf = await log_in(client)
    first = await synced(client, csrf)
    assert f"/console/callbacks/{reference}" in first["pages"]
    store = CallbackStore(web_settings.feedback_database_url, mask)
    store.set_status(reference, "done", agent="paul", version=store.get(reference).version)
    second = await synced(client, csrf, holding(first))
    assert second["removed"] == [f"/console/callbacks/{reference}"]


async def test_a_changed_fact_refreshes_its_fiche_and_the_index_only(
    tmp_path: Path, kb_copy: Path, web_settings: Settings, make_client: Callable[..., Any]
) -> None:
    settings = make_settings(tmp_path, kb_copy)
    build(settings)
    services = Services(settings)
    client = await make_client(app_services=services)
    csrf = await log_in(client)
    first = await synced(client, csrf)
    topic_file = kb_copy / "topics" / "mutuelle.yml"
    text = topic_file.read_text(encoding="utf-8")
    changed = re.sub(r"(    text: >-\n      )", r"\1Nouveau texte vérifié. ", text, count=1)
    assert changed != text
    topic_file.write_text(changed, encoding="utf-8")
    build(settings)
    services.kb.refresh()  # now, unless the watcher thread has just done it
    assert services.kb.version != first["kb_version"]
    second = await synced(client, csrf, holding(first))
    assert second["full"] is False
    assert second["kb_version"] != first["kb_version"]
    assert "/console/topic/mutuelle" in second["pages"]
    assert "Nouveau texte vérifié." in second["pages"]["/console/topic/mutuelle"]["html"]
    # Pages that do not show the fact are not sent again.
    assert "/console/topic/permis_de_louer" in second["unchanged"]
    assert "/console/commune?insee=62841" in second["unchanged"]
    assert second["index"]["kb_version"] == second["kb_version"]
    assert any("Nouveau texte vérifié." in entry[3] for entry in second["index"]["search"])


@pytest.mark.parametrize("full", [True, False])
async def test_a_copy_of_another_knowledge_base_gets_the_index(client: TestClient, full: bool) -> None:
    csrf = await log_in(client)
    first = await synced(client, csrf)
    held = holding(first)
    held["kb_version"] = None if full else "0" * 64
    second = await synced(client, csrf, held)
    assert second["full"] is full
    assert "index" in second
