"""A knowledge-base build reaches running processes by itself: no restart, no half content."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.services import Services
from bot.kb.build import build
from bot.kb.content import ContentError
from bot.kb.queries import REFRESH_SECONDS, KnowledgeBase
from bot.settings import Settings
from tests.conftest import make_settings

FACT_ID = "pdl_delai"
# Within the 5 s the issue allows, whatever the machine's load.
SWITCH_TIMEOUT = 5.0


def edit_topic(kb_dir: Path, slug: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = kb_dir / "topics" / f"{slug}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def set_fact_text(kb_dir: Path, fact_id: str, text: str) -> None:
    def change(data: dict[str, Any]) -> None:
        next(fact for fact in data["facts"] if fact["id"] == fact_id)["text"] = text

    edit_topic(kb_dir, "permis_de_louer", change)


def fact_text(kb: KnowledgeBase, fact_id: str = FACT_ID) -> str:
    topic = kb.topic("permis_de_louer")
    assert topic is not None
    return next(fact.text for fact in topic.facts if fact.id == fact_id)


def wait_for(condition: Callable[[], bool], timeout: float = SWITCH_TIMEOUT) -> float:
    """Seconds until ``condition`` held (polling like a server answering messages)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            pytest.fail(f"not switched within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture()
def live(kb_copy: Path, tmp_path: Path) -> Settings:
    settings = make_settings(tmp_path, kb_copy)
    build(settings)
    return settings


def test_a_build_reaches_running_readers_without_restart(live: Settings, kb_copy: Path) -> None:
    services = Services(live)
    second_server = KnowledgeBase(live.database_url)
    old_text = fact_text(services.kb)
    assert fact_text(second_server) == old_text
    old_version = services.kb.version
    assert services.topics.find("zorglub") is None

    set_fact_text(kb_copy, FACT_ID, "Texte B : la réponse arrive sous un mois après le dépôt du dossier.")
    edit_topic(kb_copy, "permis_de_louer", lambda data: data["keywords"].append("zorglub"))
    report = build(live)

    assert report.version != old_version
    # The old content keeps answering until the new one is read in full, then both switch.
    elapsed = wait_for(lambda: fact_text(services.kb).startswith("Texte B"))
    wait_for(lambda: fact_text(second_server).startswith("Texte B"))
    assert elapsed < REFRESH_SECONDS + 3
    assert services.kb.version == report.version == second_server.version
    # The matchers follow the content they were built from.
    assert services.topics.find("c'est quoi le zorglub ?") == "permis_de_louer"


def test_an_invalid_build_leaves_the_live_content_unchanged(live: Settings, kb_copy: Path) -> None:
    kb = KnowledgeBase(live.database_url)
    before, version = fact_text(kb), kb.version

    def break_confidence(data: dict[str, Any]) -> None:
        next(fact for fact in data["facts"] if fact["id"] == FACT_ID)["confidence"] = "certaine"

    edit_topic(kb_copy, "permis_de_louer", break_confidence)
    with pytest.raises(ContentError) as error:
        build(live)
    assert any("permis_de_louer.yml" in p and FACT_ID in p and "confidence" in p for p in error.value.problems)
    time.sleep(REFRESH_SECONDS + 0.2)
    assert kb.refresh() is False
    assert fact_text(kb) == before and kb.version == version


def test_the_same_content_rebuilt_keeps_the_snapshot(live: Settings) -> None:
    kb = KnowledgeBase(live.database_url)
    kb.check()
    snapshot = kb._snapshot
    build(live)
    assert kb.refresh() is False
    assert kb._snapshot is snapshot


def test_refresh_swaps_at_once(live: Settings, kb_copy: Path) -> None:
    kb = KnowledgeBase(live.database_url, refresh_seconds=-1)  # no background check
    fact_text(kb)
    set_fact_text(kb_copy, FACT_ID, "Texte C, publié.")
    build(live)
    time.sleep(0.1)
    assert fact_text(kb) != "Texte C, publié."
    assert kb.refresh() is True
    assert fact_text(kb) == "Texte C, publié."


def test_a_quiet_process_answers_its_first_message_with_the_new_build(live: Settings, kb_copy: Path) -> None:
    """No message for a while: the watcher has swapped the content before the next one arrives."""
    kb = KnowledgeBase(live.database_url)
    fact_text(kb)
    set_fact_text(kb_copy, FACT_ID, "Texte D, publié pendant que personne ne parlait.")
    build(live)
    time.sleep(SWITCH_TIMEOUT - 1)
    assert fact_text(kb) == "Texte D, publié pendant que personne ne parlait."
