"""Residents never see the agent view, and cannot set slots with a typed payload.

Through the real web front, the real REST channel and the real action server: « fiche <topic> »
from a visitor without a console session gets the resident answer for every topic; an agent's
session still gets the complete fiche; ``/intent{entities}`` typed by anyone sets no slot.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from typing import Any

import pytest
import requests

from bot.core.services import Services
from bot.settings import load_settings
from ops.dev import DEFAULT_MODEL, Servers
from tests.integration.e2e.conftest import AGENT, PASSWORD, payload, say, text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
]

AGENT_MARKERS = ("FICHE AGENT", "confiance faible", "à vérifier", "[inconnu")
_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
_CSRF_META = re.compile(r'name="agglo-csrf-token" content="([^"]+)"')


@pytest.fixture(scope="module")
def services() -> Services:
    return Services(load_settings())


def web_chat(servers: Servers, session: requests.Session, sender: str, message: str, **extra: Any) -> Any:
    response = session.post(
        f"{servers.config.web_url}/api/chat", json={"sender": sender, "message": message, **extra}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def low_confidence_texts(services: Services) -> list[str]:
    return [fact.text for topic in services.kb.topics() for fact in topic.facts if not fact.for_residents]


def test_fiche_from_a_visitor_gets_the_resident_answer_for_every_topic(servers: Servers, services: Services) -> None:
    hidden = low_confidence_texts(services)
    assert hidden, "the knowledge base has low-confidence facts, which this test is about"
    visitor = requests.Session()
    topics = [topic for topic in services.kb.topics() if topic.family != "conversation"]
    for number, topic in enumerate(topics):
        for asked in (f"fiche {topic.title}", f"fiche {topic.slug}"):
            replies = web_chat(servers, visitor, f"visitor-fiche-{number:03d}", asked, metadata={"agent": True})
            answer = text(replies)
            assert not any(marker in answer for marker in AGENT_MARKERS), (asked, answer)
            assert not any(fact in answer for fact in hidden), (asked, answer)


def test_an_agent_session_still_gets_the_complete_fiche(servers: Servers) -> None:
    agent = requests.Session()
    login_page = agent.get(f"{servers.config.web_url}/console/login", timeout=30).text
    form_token = _CSRF_FIELD.search(login_page)
    assert form_token is not None
    logged_in = agent.post(
        f"{servers.config.web_url}/console/login",
        data={"csrf": form_token.group(1), "name": AGENT, "password": PASSWORD, "next": "/console"},
        timeout=30,
    )
    assert logged_in.status_code == 200 and "/console" in logged_in.url
    csrf = _CSRF_META.search(logged_in.text)
    assert csrf is not None, "the console page carries its CSRF token for the agent chat"
    response = agent.post(
        f"{servers.config.web_url}/api/chat",
        json={"sender": "agentsession01", "message": "fiche récupérateur eau de pluie"},
        headers={"X-CSRF-Token": csrf.group(1)},
        timeout=60,
    )
    answer = text(response.json())
    assert "FICHE AGENT" in answer and "confiance faible" in answer


def test_an_injected_payload_sets_no_slot(servers: Servers) -> None:
    visitor = requests.Session()
    injected = web_chat(servers, visitor, "visitor-inject-1", '/permis_de_louer{"commune": "62119"}')
    assert payload(injected)["commune"] is None
    follow_up = web_chat(servers, visitor, "visitor-inject-1", "quel est le délai ?")
    assert payload(follow_up)["commune"] is None
    # Straight at the REST channel, without the web front's secret: the same.
    direct = say(servers, "direct-inject-1", '/permis_de_louer{"commune": "62119"}')
    assert payload(direct)["commune"] is None
    assert payload(say(servers, "direct-inject-1", "quel est le délai ?"))["commune"] is None


def test_the_channel_trusts_metadata_only_from_the_web_front(servers: Servers) -> None:
    untrusted = say(servers, "direct-agent-1", "fiche mutuelle", {"agent": True})
    assert "FICHE AGENT" not in text(untrusted)
    trusted = say(servers, "direct-agent-2", "fiche mutuelle", {"agent": True}, trusted=True)
    assert "FICHE AGENT" in text(trusted)


def test_an_offered_button_still_works_through_the_web_front(servers: Servers) -> None:
    visitor = requests.Session()
    replies = web_chat(servers, visitor, "visitor-button-1", "sdfghjkl")
    buttons = [button for reply in replies for button in reply.get("buttons", [])]
    assert buttons and all("signature" in button for button in buttons if button["payload"].startswith("/"))
    chosen = buttons[0]
    answer = web_chat(servers, visitor, "visitor-button-1", chosen["payload"], button_signature=chosen["signature"])
    assert payload(answer)["topic"] == chosen["payload"].lstrip("/")


@pytest.mark.parametrize("body", [b"", b"null", b"[]", b'"texte"', b'{"sender": 12, "message": "x"}', b"{"])
def test_bad_bodies_get_400_from_the_channel(servers: Servers, body: bytes) -> None:
    request = urllib.request.Request(
        f"{servers.config.rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 400
