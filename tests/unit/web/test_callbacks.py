"""Callback requests through the web front: the residents' form endpoint, its refusals and
limits, the agents' queue (pages and JSON API, versions and conflicts), and the maintenance
switch (chat without Rasa, the administrators' page)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import Settings
from bot.stores.agents import AgentStore
from bot.stores.callbacks import CallbackStore
from bot.stores.maintenance import COMMAND_LINE, MaintenanceStore
from tests.conftest import mask
from tests.unit.web.conftest import PASSWORD, FakeRasa, log_in

SENDER = "w0123456789abcdef"
ADMIN = "admin.agglo"
FORM = {
    "sender": SENDER,
    "name": "Marie Exemple",
    "contact": "06.12.34.56.78",
    "commune": "bruay",
    "question": "Mon logement à Bruay est-il concerné par le permis de louer ? Mon adresse : 12 rue des Fleurs",
    "topic": "permis_de_louer",
    "consent": True,
}


@pytest.fixture(scope="module", autouse=True)
def admin_account(agents_file: Path) -> None:
    store = AgentStore(agents_file)
    if not store.exists(ADMIN):
        store.add(ADMIN, PASSWORD, role="admin")


def callbacks(settings: Settings) -> CallbackStore:
    return CallbackStore(settings.feedback_database_url, mask)


def maintenance(settings: Settings) -> MaintenanceStore:
    return MaintenanceStore(settings.sessions_database_url)


# The residents' form ----------------------------------------------------------------------------
async def test_a_request_with_consent_is_stored_and_its_reference_given(
    client: TestClient, web_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await client.post("/api/callback", json=FORM)
    assert response.status == 201, await response.text()
    body = await response.json()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", body["reference"])
    assert body["reference"] in body["confirmation"]
    assert body["delay"].startswith("Un agent de l'Agglo vous recontactera")  # kb/messages.yml, no invented delay
    [stored] = callbacks(web_settings).queue()
    assert (stored.name, stored.contact, stored.contact_kind) == ("Marie Exemple", "06 12 34 56 78", "phone")
    assert (stored.commune_insee, stored.topic, stored.conversation) == ("62178", "permis_de_louer", f"web-{SENDER}")
    assert "12 rue des Fleurs" not in stored.question and "[adresse]" in stored.question
    for personal in ("Marie", "06 12", "06.12", "Fleurs"):
        assert personal not in caplog.text
    assert body["reference"] in caplog.text


async def test_an_email_address_is_a_contact_too(client: TestClient, web_settings: Settings) -> None:
    response = await client.post("/api/callback", json={**FORM, "contact": " Marie.Exemple@Example.ORG "})
    assert response.status == 201
    assert callbacks(web_settings).queue()[0].contact == "Marie.Exemple@example.org"


@pytest.mark.parametrize("consent", [False, None, "true", 1, "oui"])
async def test_without_consent_nothing_is_stored(client: TestClient, web_settings: Settings, consent: Any) -> None:
    body = {**FORM, "consent": consent}
    if consent is None:
        del body["consent"]
    response = await client.post("/api/callback", json=body)
    assert response.status == 400
    answer = await response.json()
    assert answer["errors"]["consent"].startswith("Pour que nous puissions vous rappeler, cochez la case")
    assert callbacks(web_settings).queue() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Indiquez votre nom"),
        ("name", "x" * 101, "Indiquez votre nom"),
        ("name", 42, "Indiquez votre nom"),
        ("contact", "06 12", "Indiquez un numéro de téléphone"),
        ("contact", "marie@", "Indiquez un numéro de téléphone"),
        ("contact", "<script>", "Indiquez un numéro de téléphone"),
        ("commune", "", "Nous n'avons pas reconnu cette commune"),
        ("commune", "Lille", "Lille ne fait pas partie des communes de l'Agglo"),
        ("question", " ", "Écrivez votre question"),
        ("question", "x" * 1001, "Écrivez votre question"),
        ("sender", "../etc", "La conversation n'a pas pu être identifiée"),
    ],
)
async def test_bad_input_gets_a_french_message_and_a_400(
    client: TestClient, web_settings: Settings, field: str, value: Any, message: str
) -> None:
    response = await client.post("/api/callback", json={**FORM, field: value})
    assert response.status == 400
    answer = await response.json()
    assert answer["error"] == "invalid_callback"
    assert answer["errors"][field].startswith(message), answer
    assert list(answer["errors"]) == [field]
    assert callbacks(web_settings).queue() == []


async def test_not_json_is_refused(client: TestClient) -> None:
    assert (await client.post("/api/callback", data="name=x")).status == 415
    assert (await client.post("/api/callback", data="[1]", headers={"Content-Type": "application/json"})).status == 400


async def test_requests_are_limited_per_conversation_and_per_contact(client: TestClient) -> None:
    for number in range(3):
        response = await client.post("/api/callback", json={**FORM, "contact": f"06123456{number}0"})
        assert response.status == 201
    refused = await client.post("/api/callback", json={**FORM, "contact": "0612345699"})
    assert refused.status == 429
    assert (await refused.json())["message"].startswith("Vous avez déjà envoyé plusieurs demandes")
    # Another conversation, the same contact three times already: refused too.
    for number in range(3):
        other = {**FORM, "sender": f"wz{number}23456789abcdef", "contact": "marie@example.org"}
        assert (await client.post("/api/callback", json=other)).status == 201
    again = {**FORM, "sender": "wffff56789abcdef", "contact": "MARIE@example.org"}
    assert (await client.post("/api/callback", json=again)).status == 429


async def test_requests_are_limited_per_address(client: TestClient) -> None:
    statuses = []
    for number in range(12):
        body = {**FORM, "sender": f"w{number:02d}23456789abcdef", "contact": f"061234{number:02d}00"}
        statuses.append((await client.post("/api/callback", json=body, headers={"X-Real-IP": "203.0.113.9"})).status)
    assert statuses == [201] * 10 + [429] * 2
    # Another address behind the same proxy is not affected.
    other = {**FORM, "sender": "wabcdef123456789", "contact": "0699999999"}
    assert (await client.post("/api/callback", json=other, headers={"X-Real-IP": "203.0.113.10"})).status == 201


async def test_the_member_communes_are_listed_for_the_form(client: TestClient) -> None:
    communes = await (await client.get("/api/communes")).json()
    assert len(communes) == 100
    assert {"insee": "62119", "name": "Béthune"} in communes
    names = [commune["name"] for commune in communes]
    assert names.index("Estrée-Blanche") < names.index("Fouquières-lès-Béthune")


# The agents' queue ------------------------------------------------------------------------------
async def _stored_reference(client: TestClient) -> str:
    response = await client.post("/api/callback", json=FORM)
    return str((await response.json())["reference"])


async def test_the_queue_is_behind_the_login(client: TestClient) -> None:
    reference = await _stored_reference(client)
    page = await client.get("/console/callbacks", allow_redirects=False)
    assert page.status == 303
    api = await client.get("/console/api/callbacks")
    assert api.status == 401
    detail = await client.get(f"/console/api/callbacks/{reference}")
    assert detail.status == 401


async def test_an_agent_takes_and_closes_a_request_from_the_pages(client: TestClient) -> None:
    reference = await _stored_reference(client)
    csrf = await log_in(client)
    queue = await (await client.get("/console/callbacks")).text()
    assert reference in queue and "Marie Exemple" in queue and "Bruay-la-Buissière" in queue
    filtered = await (await client.get("/console/callbacks", params={"commune": "62119"})).text()
    assert reference not in filtered and "Aucune demande" in filtered
    take = {"csrf": csrf, "version": "1", "status": "in_progress"}
    response = await client.post(f"/console/callbacks/{reference}/status", data=take, allow_redirects=False)
    assert response.status == 303
    note = {"csrf": csrf, "version": "2", "text": "Rappelée, message laissé"}
    assert (await client.post(f"/console/callbacks/{reference}/notes", data=note, allow_redirects=False)).status == 303
    stale = {"csrf": csrf, "version": "2", "status": "done"}
    conflict = await client.post(f"/console/callbacks/{reference}/status", data=stale)
    assert conflict.status == 409
    assert "modifiée entre-temps par marie" in await conflict.text()
    done = {"csrf": csrf, "version": "3", "status": "done"}
    assert (await client.post(f"/console/callbacks/{reference}/status", data=done, allow_redirects=False)).status == 303
    detail = await (await client.get(f"/console/callbacks/{reference}")).text()
    assert "Traitée" in detail and "prise en charge par marie" in detail and "Rappelée, message laissé" in detail
    assert 'href="tel:0612345678"' in detail
    forged = {"csrf": "forged", "version": "4", "status": "new"}
    assert (await client.post(f"/console/callbacks/{reference}/status", data=forged)).status == 403


async def test_the_json_api_carries_versions_and_answers_a_conflict_with_the_current_state(
    client: TestClient,
) -> None:
    reference = await _stored_reference(client)
    csrf = await log_in(client)
    headers = {"X-CSRF-Token": csrf}
    url = f"/console/api/callbacks/{reference}"
    assert (await client.post(f"{url}/status", json={"status": "done", "version": 1})).status == 403
    taken = await client.post(f"{url}/status", json={"status": "in_progress", "version": 1}, headers=headers)
    assert taken.status == 200
    state = (await taken.json())["callback"]
    assert (state["status"], state["taken_by"], state["version"]) == ("in_progress", "marie", 2)
    body = {"text": "note hors ligne", "version": 1, "change_id": "offline-1"}
    conflict = await client.post(f"{url}/notes", json=body, headers=headers)
    assert conflict.status == 409
    answer = await conflict.json()
    assert answer["error"] == "conflict" and answer["current"]["version"] == 2
    for _ in range(2):  # the same change sent again is applied once
        noted = await client.post(f"{url}/notes", json={**body, "version": 2}, headers=headers)
        assert noted.status == 200
    events = (await (await client.get(url)).json())["callback"]["events"]
    assert [event["kind"] for event in events] == ["status", "note"]
    listed = await (await client.get("/console/api/callbacks", params={"status": "in_progress"})).json()
    assert [item["reference"] for item in listed["callbacks"]] == [reference]
    assert listed["counts"] == {"new": 0, "in_progress": 1, "done": 0}
    for bad, code in (
        ({"status": "archived", "version": 3}, "invalid_status"),
        ({"status": "done", "version": "x"}, "invalid_version"),
        ({"status": "done", "version": True}, "invalid_version"),
        ({"status": "done", "version": 3, "change_id": "<>"}, "invalid_change_id"),
    ):
        response = await client.post(f"{url}/status", json=bad, headers=headers)
        assert (response.status, (await response.json())["error"]) == (400, code)
    unknown = await client.post(
        "/console/api/callbacks/ZZZZ-ZZZZ/status", json={"status": "done", "version": 1}, headers=headers
    )
    assert unknown.status == 404


async def test_the_conversation_is_shown_masked(
    client: TestClient, web_settings: Settings, fake_rasa: FakeRasa
) -> None:
    reference = await _stored_reference(client)
    await log_in(client)
    page = await client.get(f"/console/callbacks/{reference}/conversation")
    assert page.status == 200
    assert "Aucun message conservé" in await page.text()  # no tracker store in these tests


# Maintenance ------------------------------------------------------------------------------------
async def test_maintenance_answers_residents_without_rasa(
    client: TestClient, web_settings: Settings, fake_rasa: FakeRasa
) -> None:
    assert await (await client.get("/api/status")).json() == {"maintenance": False}
    maintenance(web_settings).switch(True, by="root", source=COMMAND_LINE, reason="Incident")
    await _wait_for_cache()
    status = await (await client.get("/api/status")).json()
    assert status["maintenance"] is True
    reply = await (await client.post("/api/chat", json={"sender": SENDER, "message": "bonjour"})).json()
    assert fake_rasa.received == []
    assert reply == status["replies"]
    [message] = reply
    assert message["text"].startswith("L'assistant est momentanément en pause")
    assert "03 21 61 50 00" in message["text"]  # the Agglo's contact, from the knowledge base
    assert message["custom"]["offer_callback"] is True and message["custom"]["topic"] == "maintenance"
    assert "Incident" not in str(reply), "the reason is for the staff"
    # A request can still be made, and the console's agent mode still reaches Rasa.
    assert (await client.post("/api/callback", json=FORM)).status == 201
    csrf = await log_in(client)
    await client.post("/api/chat", json={"sender": SENDER, "message": "permis"}, headers={"X-CSRF-Token": csrf})
    assert fake_rasa.received[-1]["metadata"] == {"agent": True}
    maintenance(web_settings).switch(False, by="root", source=COMMAND_LINE, reason=None)
    await _wait_for_cache()
    await client.post("/api/chat", json={"sender": SENDER, "message": "bonjour"})
    assert fake_rasa.received[-1]["message"] == "bonjour"


async def _wait_for_cache() -> None:
    import asyncio

    await asyncio.sleep(2.1)  # bot.stores.maintenance.CACHE_SECONDS


async def test_only_administrators_switch_maintenance_from_the_console(
    make_client: Callable[..., Any], web_settings: Settings
) -> None:
    agent = await make_client()
    await log_in(agent)
    assert "/console/maintenance" not in await (await agent.get("/console")).text()
    assert (await agent.get("/console/maintenance")).status == 403
    admin = await make_client()
    csrf = await log_in(admin, ADMIN)
    home = await (await admin.get("/console")).text()
    assert 'href="/console/maintenance"' in home
    no_reason = await admin.post("/console/maintenance", data={"csrf": csrf, "action": "on", "reason": " "})
    assert no_reason.status == 400 and "Indiquez la raison" in await no_reason.text()
    forged = await admin.post("/console/maintenance", data={"csrf": "x", "action": "on", "reason": "r"})
    assert forged.status == 403
    assert maintenance(web_settings).read().on is False
    switched = await admin.post(
        "/console/maintenance", data={"csrf": csrf, "action": "on", "reason": "Mise à jour"}, allow_redirects=False
    )
    assert switched.status == 303
    state = maintenance(web_settings).read()
    assert (state.on, state.switched_by, state.source, state.reason) == (True, ADMIN, "console", "Mise à jour")
    page = await (await admin.get("/console/maintenance")).text()
    assert "est en pause" in page and "Mise à jour" in page
    refused = await agent.post("/console/maintenance", data={"csrf": csrf, "action": "off"})
    assert refused.status == 403
    # Administrators may also edit the content, like editors.
    assert "Modifier" in await (await admin.get("/console/topic/permis_de_louer")).text()
