"""End to end: a running action server serves a rebuilt knowledge base without a restart."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from bot.kb.build import build
from ops.dev import ServerConfig, Servers, free_port, wait_until_up
from tests.conftest import make_settings
from tests.unit.kb.test_live_updates import FACT_ID, SWITCH_TIMEOUT, set_fact_text

pytestmark = pytest.mark.e2e

TRACKER = json.loads(
    (Path(__file__).parents[2] / "unit" / "actions" / "fixtures" / "delai_suite.json").read_text("utf-8")
)


def ask(actions_url: str) -> str:
    """The text the action server answers to « quel est le délai ? » about the permis de louer."""
    body = json.dumps(
        {
            "next_action": "action_repondre_sujet",
            "sender_id": "live",
            "tracker": TRACKER,
            "domain": {},
            "version": "3.6.21",
        }
    ).encode()
    request = urllib.request.Request(f"{actions_url}/webhook", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        result: dict[str, Any] = json.load(response)
    return "\n".join(message.get("text") or "" for message in result["responses"])


def test_a_rebuild_reaches_the_running_action_server(kb_copy: Path, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, kb_copy)
    build(settings)
    config = ServerConfig(
        actions_port=free_port(), var_dir=tmp_path, extra_env={"AGGLO_DATABASE_URL": settings.database_url}
    )
    servers = Servers(config)
    try:
        wait_until_up(f"{config.actions_url}/health", servers.start_actions(), 180)
        before = ask(config.actions_url)
        assert "1 mois" in before

        set_fact_text(kb_copy, FACT_ID, "Nouveau texte publié : l'Agglo répond sous quatre semaines.")
        build(settings)
        started = time.monotonic()
        while "sous quatre semaines" not in (answer := ask(config.actions_url)):
            assert answer.strip(), "the conversation broke during the swap"
            assert time.monotonic() - started < SWITCH_TIMEOUT, answer
            time.sleep(0.2)
        assert "1 mois" not in answer
    finally:
        servers.stop()
