"""Stale sources and ended periods, always against a fixed « today »."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from bot.core.answers import agent_fiche, resident_answer
from bot.core.services import Services
from bot.kb.content import ContentError, FactRecord, SourceRecord, load_content
from bot.kb.freshness import (
    ended_facts,
    overdue_headline_facts,
    stale_facts,
)
from bot.settings import SettingsError, load_settings
from bot.web import views
from tests.unit.kb.test_live_updates import edit_topic
from tests.unit.test_cli import bot

TODAY = dt.date(2026, 12, 1)
DIVION = "62270"
DIVION_FACT = "velo_divion_aide_communale"


def record(fact_id: str, topic: str, verified_on: str, confidence: str = "high") -> FactRecord:
    source = SourceRecord(url="https://example.org", title="Source", verified_on=dt.date.fromisoformat(verified_on))
    return FactRecord(fact_id, topic, "what", "Texte.", "2026", confidence, source, None)


FAMILIES = {"aide_velo": "headline_aid", "dechets": "plan"}
FACTS = [
    record("recent", "aide_velo", "2026-11-20"),
    record("old_plan", "dechets", "2025-01-10"),
    record("older_low", "aide_velo", "2025-01-10", confidence="low"),
    record("oldest", "aide_velo", "2024-05-02", confidence="medium"),
]


def test_stale_facts_are_listed_oldest_first() -> None:
    stale = stale_facts(FACTS, FAMILIES, older_than_days=30, today=TODAY)
    assert [(fact.fact_id, fact.verified_on.isoformat()) for fact in stale] == [
        ("oldest", "2024-05-02"),
        ("older_low", "2025-01-10"),  # same date: by topic, then id
        ("old_plan", "2025-01-10"),
    ]
    assert [(fact.for_residents, fact.headline_aid) for fact in stale] == [(True, True), (False, True), (True, False)]
    assert stale[0].age_days == (TODAY - dt.date(2024, 5, 2)).days
    # Strictly older: verified 11 days ago is not older than 11 days.
    assert "recent" not in [fact.fact_id for fact in stale_facts(FACTS, FAMILIES, older_than_days=11, today=TODAY)]
    assert stale_facts(FACTS, FAMILIES, older_than_days=10, today=TODAY)[-1].fact_id == "recent"


def test_only_resident_facts_of_headline_aids_are_overdue() -> None:
    overdue = overdue_headline_facts(FACTS, FAMILIES, max_age_days=365, today=TODAY)
    assert [fact.fact_id for fact in overdue] == ["oldest"]  # not the plan topic, not the low one
    assert overdue_headline_facts(FACTS, FAMILIES, max_age_days=1000, today=TODAY) == []


def test_the_headline_limit_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AGGLO_HEADLINE_MAX_AGE_DAYS", raising=False)
    assert load_settings().headline_max_age_days == 90
    monkeypatch.setenv("AGGLO_HEADLINE_MAX_AGE_DAYS", "30")
    assert load_settings().headline_max_age_days == 30
    monkeypatch.setenv("AGGLO_HEADLINE_MAX_AGE_DAYS", "-3")
    with pytest.raises(SettingsError, match="AGGLO_HEADLINE_MAX_AGE_DAYS"):
        load_settings()


def _set_verified_on(kb_dir: Path, slug: str, fact_id: str, day: str) -> None:
    def change(data: dict[str, Any]) -> None:
        next(fact for fact in data["facts"] if fact["id"] == fact_id)["source"]["verified_on"] = day

    edit_topic(kb_dir, slug, change)


def test_kb_check_stale_lists_and_fails_on_an_overdue_headline_fact(kb_copy: Path) -> None:
    _set_verified_on(kb_copy, "dechets", "dechets_contact_collecte", "2025-03-01")
    _set_verified_on(kb_copy, "permis_de_louer", "pdl_delai", "2025-06-01")
    env = {"AGGLO_KB_DIR": str(kb_copy)}

    result = bot("kb", "check", "--stale", "200", "--today", TODAY.isoformat(), env=env)
    # The facts imported from Mes Aides Vélo are dated by the rule's own last update (14/04/2026).
    lines = [
        line
        for line in result.stdout.splitlines()
        if line[:4].isdigit() and not line.split()[3].startswith("velo_mav_")
    ]
    assert [line.split()[3] for line in lines] == ["dechets_contact_collecte", "pdl_delai"]
    age = (TODAY - dt.date(2025, 3, 1)).days
    assert lines[0].split()[:3] == ["2025-03-01", str(age), "dechets"] and lines[0].endswith("residents")
    assert result.returncode == 1  # pdl_delai: 548 days > 90
    assert "pdl_delai" in result.stderr and "dechets_contact_collecte" not in result.stderr

    relaxed = bot("kb", "check", "--stale", "200", "--today", TODAY.isoformat(), "--headline-max-age", "600", env=env)
    assert relaxed.returncode == 0, relaxed.stderr
    by_env = bot(
        "kb", "check", "--stale", "200", "--today", TODAY.isoformat(), env={**env, "AGGLO_HEADLINE_MAX_AGE_DAYS": "600"}
    )
    assert by_env.returncode == 0
    assert "velo_divion_aide_communale" in relaxed.stdout  # its period ended on 2024-12-31

    bad = bot("kb", "check", "--stale", "soon", env=env)
    assert bad.returncode == 2 and "error" in bad.stderr


@pytest.mark.parametrize(
    ("period", "problem"),
    [
        ({"valid_from": "2025-02-30"}, "valid_from must be a date"),
        ({"valid_until": "bientôt"}, "valid_until must be a date"),
        ({"valid_from": "2025-06-01", "valid_until": "2025-01-01"}, "is after valid_until"),
    ],
)
def test_invalid_periods_are_refused_naming_file_and_entry(kb_copy: Path, period: dict[str, str], problem: str) -> None:
    def change(data: dict[str, Any]) -> None:
        next(fact for fact in data["facts"] if fact["id"] == "pdl_delai").update(period)

    edit_topic(kb_copy, "permis_de_louer", change)
    with pytest.raises(ContentError) as error:
        load_content(kb_copy, load_settings().french_communes_file)
    assert any("permis_de_louer.yml" in p and "pdl_delai" in p and problem in p for p in error.value.problems)


def test_periods_reach_the_fact_views(services: Services) -> None:
    topic = services.kb.topic("aide_velo")
    assert topic is not None
    divion = next(fact for fact in topic.facts if fact.id == DIVION_FACT)
    assert (divion.valid_from, divion.valid_until) == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert divion.expired(TODAY) and not divion.expired(dt.date(2024, 12, 31))
    written = [fact for fact in topic.facts if not fact.imported_from]
    assert [fact.fact_id for fact in ended_facts(written, today=TODAY)] == [DIVION_FACT]


def test_an_ended_period_is_never_told_as_current(services: Services) -> None:
    kb = services.kb
    divion = next(fact for fact in kb.topic("aide_velo").facts if fact.id == DIVION_FACT)
    during = resident_answer(kb, "aide_velo", commune_insee=DIVION, today=dt.date(2024, 6, 1)).text
    assert divion.text in during and "n'est plus d'actualité" not in during
    after = resident_answer(kb, "aide_velo", commune_insee=DIVION, today=TODAY)
    assert divion.text not in after.text and "200 €" not in after.text
    assert "n'est plus d'actualité : elle portait sur une période terminée le 31/12/2024" in after.text
    assert "03 21 61 50 00" in after.text  # the contact follows
    assert divion.source in after.sources
    # Asked about the amount, the same.
    amount = resident_answer(kb, "aide_velo", field_name="amount", commune_insee=DIVION, today=TODAY).text
    assert divion.text not in amount and "période terminée" in amount


def test_the_agent_fiche_marks_an_ended_fact(services: Services) -> None:
    kb = services.kb
    fiche = agent_fiche(kb, "aide_velo", today=TODAY).text
    line = next(line for line in fiche.splitlines() if "Divion a proposé" in line)
    assert "[EXPIRÉ : période terminée le 31/12/2024" in line
    assert "EXPIRÉ" not in agent_fiche(kb, "aide_velo", today=dt.date(2024, 6, 1)).text
    console = views.fiche(kb, "aide_velo", today=TODAY)
    imported = {fact.id for fact in kb.topic("aide_velo").facts if fact.imported_from}
    assert console is not None and console.expired - imported == frozenset({DIVION_FACT})
    assert views.fiche(kb, "aide_velo", today=dt.date(2024, 6, 1)).expired == frozenset()


def test_a_fact_not_yet_in_force_says_from_when(services: Services) -> None:
    """Decision: a fact whose valid_from is ahead is still told (it announces what will apply),
    always introduced by « À partir du … » so it is never taken for the current rule."""
    kb = services.kb
    before = dt.date(2024, 6, 1)
    answer = resident_answer(kb, "permis_de_louer", field_name="eligibility", today=before).text
    assert "• À partir du 01/01/2025 : Depuis le 1er janvier 2025, le permis de louer s'applique" in answer
    now = resident_answer(kb, "permis_de_louer", field_name="eligibility", today=TODAY).text
    assert "À partir du 01/01/2025" not in now and "• Depuis le 1er janvier 2025" in now
    assert "[à venir : en vigueur à partir du 01/01/2025]" in agent_fiche(kb, "permis_de_louer", today=before).text
    console = views.fiche(kb, "permis_de_louer", today=before)
    assert console is not None and "pdl_liste_2025" in console.not_yet_valid
