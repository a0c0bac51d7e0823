"""The typed query API, against a database built into a temporary directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.services import Services
from bot.kb.queries import KnowledgeBase, KnowledgeBaseUnavailable


def test_topic_views_are_complete(services: Services) -> None:
    topic = services.kb.topic("permis_de_louer")
    assert topic is not None and topic.family == "headline_aid"
    assert {fact.field for fact in topic.facts} >= {"what", "how_to_apply", "documents", "delay"}
    assert all(fact.source.url.startswith("http") for fact in topic.facts)
    # The service habitat first (its own phone and e-mail), then the Agglo's switchboard and site.
    assert [contact.id for contact in topic.contacts] == [
        "pdl_contact_service_habitat",
        "contact_standard",
        "contact_demarches",
    ]


def test_resident_facts_exclude_low_confidence(services: Services) -> None:
    topic = services.kb.topic("aide_recuperateur_eau")
    assert topic is not None
    assert any(not fact.for_residents for fact in topic.facts_for(None, residents=False))
    assert all(fact.for_residents for fact in topic.facts_for(None, residents=True))


def test_an_aid_with_unknown_amount_says_so_and_states_no_figure(services: Services) -> None:
    topic = services.kb.topic("mutuelle")
    assert topic is not None
    assert not topic.facts_for("amount", residents=True)
    assert any(unknown.field == "amount" for unknown in topic.unknowns)


def test_membership(services: Services) -> None:
    assert services.kb.is_member("62846")  # Vermelles
    assert not services.kb.is_member("62498")  # Lens
    assert not services.kb.is_member("00000")
    assert len(services.kb.communes(members_only=True)) == 100


def test_rules_for_a_commune(services: Services) -> None:
    rules = services.kb.rules_for_commune("62846")
    assert [(rule.rule, rule.status, rule.perimeter) for rule in rules] == [("permis_de_louer", "applies", "partial")]
    assert rules[0].since is not None and rules[0].since.isoformat() == "2025-01-01"
    assert services.kb.rules_for_commune("62377") == []  # Gosnay
    assert len(services.kb.rules_for_topic("permis_de_louer")) == 27


@pytest.mark.parametrize("query", ["permis", "permi de loue", "PERMIS DE LOUER", "cerfa"])
def test_search_is_accent_and_typo_tolerant(services: Services, query: str) -> None:
    hits = services.kb.search(query)
    assert hits and hits[0].topic.slug == "permis_de_louer"


def test_search_is_deterministic(services: Services) -> None:
    first = [(hit.topic.slug, hit.fact.id if hit.fact else None) for hit in services.kb.search("eau", limit=20)]
    second = [(hit.topic.slug, hit.fact.id if hit.fact else None) for hit in services.kb.search("eau", limit=20)]
    assert first == second and len(first) > 3


def test_search_without_words_finds_nothing(services: Services) -> None:
    assert services.kb.search("  ?! ") == []


def test_database_is_read_once_and_reused(services: Services) -> None:
    kb = services.kb
    kb.topic("dechets")
    snapshot = kb._snapshot
    kb.topics()
    kb.search("tri")
    assert kb._snapshot is snapshot


def test_missing_database_is_reported_not_created(tmp_path: Path) -> None:
    path = tmp_path / "absent.sqlite3"
    kb = KnowledgeBase(f"sqlite:///{path}")
    with pytest.raises(KnowledgeBaseUnavailable):
        kb.topic("dechets")
    assert not path.exists()
