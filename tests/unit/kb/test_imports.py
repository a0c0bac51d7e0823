"""Imported datasets in the content and the build: validated like the topic files' facts,
marked ``imported_from``, and compared from one build to the next."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot.kb.build import build
from bot.kb.content import ContentError, load_content
from bot.kb.queries import KnowledgeBase
from bot.settings import PROJECT_ROOT, Settings, load_settings
from tests.conftest import make_settings
from tests.unit.kb.test_live_updates import edit_topic
from tests.unit.kb.test_sources import fake_packages, npm_rules, without_vendored_copy
from tests.unit.test_cli import bot


def _settings(tmp_path: Path, kb_dir: Path, packages: Path | None) -> Settings:
    return make_settings(tmp_path, kb_dir).copy(update={"data_packages_dir": packages or tmp_path / "none"})


def test_imported_facts_join_their_topic_marked_read_only() -> None:
    content = load_content(PROJECT_ROOT / "kb", load_settings().french_communes_file)
    velo = content.topics["aide_velo"]
    imported = [fact for fact in velo.facts if fact.imported_from]
    assert {fact.id for fact in imported} >= {"velo_mav_montants", "velo_mav_montant_cargo", "velo_mav_page"}
    assert all(fact.imported_from and fact.imported_from.startswith("Mes Aides Vélo – copy of") for fact in imported)
    assert not any(fact.imported_from for fact in velo.facts if not fact.id.startswith("velo_mav_"))
    cargo = content.facts["velo_mav_montant_cargo"]
    assert (cargo.variant, cargo.told_when_ended, cargo.field) == ("cargo", True, "amount")
    # The topic's contacts may name an imported fact.
    assert velo.contacts[0] == "velo_mav_page"
    assert [dataset.dataset for dataset in content.imports] == ["mes_aides_velo"]


def test_an_imported_fact_id_already_used_by_a_topic_file_is_refused(kb_copy: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["facts"][0]["id"] = "velo_mav_page"

    edit_topic(kb_copy, "mobilite", change)
    with pytest.raises(ContentError) as error:
        load_content(kb_copy, load_settings().french_communes_file)
    assert any(
        "sources/mes_aides_velo/import.yml" in p and "velo_mav_page: duplicate fact id" in p
        for p in error.value.problems
    )


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"told_when_ended": True}, "true needs valid_until"),
        ({"told_when_ended": "oui"}, "told_when_ended must be true or false"),
        ({"variant": "Vélo Cargo"}, "variant must be a value in snake_case"),
    ],
)
def test_told_when_ended_and_variant_are_checked_in_topic_files(
    kb_copy: Path, extra: dict[str, Any], problem: str
) -> None:
    def change(data: dict[str, Any]) -> None:
        next(fact for fact in data["facts"] if fact["id"] == "pdl_delai").update(extra)

    edit_topic(kb_copy, "permis_de_louer", change)
    with pytest.raises(ContentError) as error:
        load_content(kb_copy, load_settings().french_communes_file)
    assert any("pdl_delai" in p and problem in p for p in error.value.problems)


def test_the_new_columns_reach_the_views(tmp_path: Path) -> None:
    settings = _settings(tmp_path, PROJECT_ROOT / "kb", None)
    build(settings)
    kb = KnowledgeBase(settings.database_url, refresh_seconds=-1)
    topic = kb.topic("aide_velo")
    assert topic is not None
    page = next(fact for fact in topic.facts if fact.id == "velo_mav_page")
    assert page.imported_from and not page.told_when_ended and page.variant is None
    session = next(fact for fact in topic.facts if fact.id == "velo_mav_session_3")
    assert session.told_when_ended and session.valid_until == dt.date(2026, 11, 6)
    assert [(item.dataset, item.topic, item.last_update) for item in kb.imported_datasets()] == [
        ("mes_aides_velo", "aide_velo", dt.date(2026, 4, 14))
    ]


def test_an_upgrade_of_the_data_shows_what_changed_in_the_rule(kb_copy: Path, tmp_path: Path) -> None:
    """First the npm package 3.6.1 alone (2025 sessions), then the 2026 rule: the second build
    lists the old and new dates; a third, identical build says nothing changed."""
    packages = fake_packages(tmp_path, npm_rules())
    config = kb_copy / "sources" / "mes_aides_velo" / "import.yml"
    with_vendored = config.read_text(encoding="utf-8")
    without_vendored_copy(kb_copy)
    settings = _settings(tmp_path, kb_copy, packages)
    first = build(settings).imports[0]
    assert first.first and first.changes == ()

    config.write_text(with_vendored, encoding="utf-8")
    second = build(settings).imports[0]
    changes = {change.key: (change.old, change.new) for change in second.changes}
    assert changes["last update"] == ("12/09/2025", "14/04/2026")
    assert changes["end date"] == ("25/10/2025", "06/11/2026")
    assert changes["sessions"] == (
        "17/03/2025-25/04/2025, 16/06/2025-26/07/2025, 15/09/2025-25/10/2025",
        "02/03/2026-17/04/2026, 01/06/2026-17/07/2026, 21/09/2026-06/11/2026",
    )
    assert not any(key.startswith("amount for ") for key in changes)  # same amounts
    assert build(settings).imports[0].changes == ()


def test_the_build_command_prints_the_copy_used_and_the_changes(kb_copy: Path, tmp_path: Path) -> None:
    rules = npm_rules()
    packages = fake_packages(tmp_path, rules)
    env = {
        "AGGLO_KB_DIR": str(kb_copy),
        "AGGLO_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}",
        "AGGLO_DATA_PACKAGES_DIR": str(packages),
    }
    first = bot("kb", "build", env=env)
    assert first.returncode == 0, first.stderr
    assert "Imported Mes Aides Vélo: 11 facts from the copy of betagouv/publicodes-aides-velo v4.0.0" in first.stdout
    assert "not used: npm package @betagouv/aides-velo 3.6.1, rule updated on 12/09/2025" in first.stdout
    assert "First import into this database" in first.stdout
    # A later version of the package, with a new amount, newer than the vendored copy.
    rule = rules["aides . béthune bruay"]
    rule["dernière mise à jour"] = "10/03/2027"
    rule["variations"][1] = {"si": "vélo . électrique simple", "alors": "250 €"}
    model = packages / "@betagouv" / "aides-velo" / "publicodes-build" / "aides-velo.model.json"
    model.write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    second = bot("kb", "build", env=env)
    assert second.returncode == 0, second.stderr
    assert "Changed since the previous build (old → new):" in second.stdout
    assert "amount for electrique: 300 € → 250 €" in second.stdout
    assert "last update: 14/04/2026 → 10/03/2027" in second.stdout


def test_kb_check_reports_imported_data_older_than_the_headline_limit(kb_copy: Path) -> None:
    env = {"AGGLO_KB_DIR": str(kb_copy)}
    # 14/04/2026 + 90 days = 13/07/2026: within the limit the day before, overdue the day after.
    fresh = bot("kb", "check", "--stale", "100000", "--today", "2026-07-13", env=env)
    assert fresh.returncode == 0, fresh.stderr
    assert "Mes Aides Vélo → aide_velo" in fresh.stdout and "90 days ago" in fresh.stdout
    late = bot("kb", "check", "--stale", "100000", "--today", "2026-07-14", env=env)
    assert late.returncode == 1
    assert "Mes Aides Vélo (aide_velo): the data was last updated on 2026-04-14, 91 days" in late.stderr
    plain = bot("kb", "check", env={**env, "AGGLO_HEADLINE_MAX_AGE_DAYS": "30"})
    assert plain.returncode == 0 and "more than the headline limit of 30 days" in plain.stderr
