"""The real servers for the end-to-end tests: each test module starts its own set."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from bot.core.payloads import CHANNEL_SECRET_HEADER
from bot.stores.agents import AgentStore
from ops.dev import Servers
from tests.conftest import servers_on_free_ports

AGENT, PASSWORD = "agent.e2e", "un mot de passe de test assez long"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    var_dir = tmp_path_factory.mktemp("var")
    agents_file = var_dir / "agents.yml"
    AgentStore(agents_file).add(AGENT, PASSWORD)
    running = servers_on_free_ports(var_dir, AGGLO_AGENTS_FILE=str(agents_file))
    try:
        running.start(timeout=300)
        yield running
    finally:
        running.stop()


def say(
    servers: Servers, sender: str, text: str, metadata: dict[str, Any] | None = None, *, trusted: bool = False
) -> list[dict[str, Any]]:
    """Straight to the REST channel; ``trusted`` sends the web front's secret."""
    body = json.dumps({"sender": sender, "message": text, "metadata": metadata or {}}).encode()
    headers = {"Content-Type": "application/json"}
    if trusted:
        headers[CHANNEL_SECRET_HEADER] = servers.config.channel_secret
    request = urllib.request.Request(f"{servers.config.rasa_url}/webhooks/rest/webhook", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def payload(messages: list[dict[str, Any]]) -> dict[str, Any]:
    customs = [message["custom"] for message in messages if "custom" in message]
    assert len(customs) == 1, messages
    return customs[0]


def text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(message.get("text", "") for message in messages)
