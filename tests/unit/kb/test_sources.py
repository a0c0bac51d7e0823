"""The Mes Aides Vélo importer: which copy it reads, the amounts by bike type, the sessions."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.kb.sources import ImportContext, ImportFailed, record_changes
from bot.kb.sources.mes_aides_velo import CONFIG, MesAidesVelo, kind_amounts, sessions_of
from bot.settings import PROJECT_ROOT

FIXTURES = Path(__file__).parent / "fixtures"
# The Agglo's rule and the bike-type rules as the npm package 3.6.1 compiles them (2025 sessions).
NPM_361 = FIXTURES / "aides-velo-3.6.1-excerpt.json"
RULE = "aides . béthune bruay"
AMOUNTS_2024_2026 = {
    "cargo": 500,
    "adapte": 500,
    "electrique": 300,
    "motorisation": 300,
    "pliant": 200,
    "classique": 70,
}


def fake_packages(directory: Path, rules: dict[str, Any], version: str = "3.6.1") -> Path:
    """An npm install holding ``@betagouv/aides-velo`` with these compiled rules."""
    package = directory / "node_modules" / "@betagouv" / "aides-velo"
    (package / "publicodes-build").mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "@betagouv/aides-velo", "version": version}))
    (package / "publicodes-build" / "aides-velo.model.json").write_text(json.dumps(rules, ensure_ascii=False))
    return directory / "node_modules"


def npm_rules() -> dict[str, Any]:
    rules: dict[str, Any] = json.loads(NPM_361.read_text(encoding="utf-8"))
    return rules


def without_vendored_copy(kb_dir: Path) -> None:
    path = kb_dir / CONFIG
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    del config["vendored"]
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")


def _load(kb_dir: Path, packages: Path | None) -> Any:
    return MesAidesVelo().load(ImportContext(kb_dir=kb_dir, packages_dir=packages))


def test_the_vendored_2026_rule_wins_over_the_older_npm_package_and_says_so(tmp_path: Path) -> None:
    dataset = _load(PROJECT_ROOT / "kb", fake_packages(tmp_path, npm_rules()))
    assert dataset.origin == "copy of betagouv/publicodes-aides-velo v4.0.0 (87dd04f), rule updated on 14/04/2026"
    assert dataset.notes == (
        "not used: npm package @betagouv/aides-velo 3.6.1, rule updated on 12/09/2025, older than the copy used",
    )
    assert dataset.last_update == dt.date(2026, 4, 14) and dataset.topic == "aide_velo"
    facts = {fact["id"]: fact for fact in dataset.facts}
    amounts = {fact["variant"]: fact["text"] for fact in facts.values() if fact.get("variant")}
    assert set(amounts) == set(AMOUNTS_2024_2026)
    for bike_type, amount in AMOUNTS_2024_2026.items():
        assert amounts[bike_type].endswith(f": {amount} €."), amounts[bike_type]
    assert facts["velo_mav_montant_cargo"]["text"] == "Aide pour un vélo cargo, électrique ou non : 500 €."
    sessions = [(fact["valid_from"], fact["valid_until"]) for key, fact in facts.items() if "_session_" in key]
    assert sessions == [
        (dt.date(2026, 3, 2), dt.date(2026, 4, 17)),
        (dt.date(2026, 6, 1), dt.date(2026, 7, 17)),
        (dt.date(2026, 9, 21), dt.date(2026, 11, 6)),
    ]
    assert "ouverture à 9 h" in facts["velo_mav_session_1"]["text"]
    # Amounts hold from the first session to the rule's end date, and stay told once ended.
    listed = facts["velo_mav_montants"]
    assert (listed["valid_from"], listed["valid_until"], listed["told_when_ended"]) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 11, 6),
        True,
    )
    assert "bethunebruay.fr/fr/passmobilagglo" in facts["velo_mav_page"]["text"]
    assert "http" not in facts["velo_mav_page"]["text"]  # the address, not a raw link
    for fact in facts.values():
        assert fact["source"]["title"] == "Mes Aides Vélo" and fact["source"]["verified_on"] == dt.date(2026, 4, 14)
        assert fact["confidence"] == "medium"
        assert fact["source"]["url"].startswith(
            "https://github.com/betagouv/publicodes-aides-velo/blob/87dd04fbdf2a05fc974b429d55c46a528e063d56/"
            "src/rules/aides.publicodes#L8860-L8891"
        )


def test_the_npm_package_alone_gives_the_2025_rule_from_its_compiled_json(kb_copy: Path, tmp_path: Path) -> None:
    without_vendored_copy(kb_copy)
    dataset = _load(kb_copy, fake_packages(tmp_path, npm_rules()))
    assert dataset.origin == "npm package @betagouv/aides-velo 3.6.1, rule updated on 12/09/2025"
    assert dataset.record["sessions"] == "17/03/2025-25/04/2025, 16/06/2025-26/07/2025, 15/09/2025-25/10/2025"
    assert {key: value for key, value in dataset.record.items() if key.startswith("amount for ")} == {
        f"amount for {bike_type}": f"{amount} €" for bike_type, amount in AMOUNTS_2024_2026.items()
    }
    assert dataset.facts[0]["source"]["url"] == "https://www.npmjs.com/package/@betagouv/aides-velo/v/3.6.1"


def test_a_newer_npm_package_wins_over_the_vendored_copy(tmp_path: Path) -> None:
    rules = npm_rules()
    rules[RULE] = {**rules[RULE], "dernière mise à jour": "02/03/2027"}
    dataset = _load(PROJECT_ROOT / "kb", fake_packages(tmp_path, rules, version="4.1.0"))
    assert dataset.origin.startswith("npm package @betagouv/aides-velo 4.1.0")
    assert dataset.notes[0].startswith("not used: copy of betagouv/publicodes-aides-velo v4.0.0")


def test_without_any_copy_the_build_says_what_to_do(kb_copy: Path) -> None:
    without_vendored_copy(kb_copy)
    with pytest.raises(ImportFailed, match=r"npm ci"):
        _load(kb_copy, kb_copy / "no-node-modules")


def test_a_vendored_copy_edited_by_hand_is_refused(kb_copy: Path) -> None:
    rule_file = kb_copy / "sources" / "mes_aides_velo" / "aides-bethune-bruay.publicodes"
    rule_file.write_text(rule_file.read_text(encoding="utf-8").replace("300€", "350€"), encoding="utf-8")
    with pytest.raises(ImportFailed) as error:
        _load(kb_copy, None)
    assert any("aides-bethune-bruay.publicodes" in problem and "SHA-256" in problem for problem in error.value.problems)


def test_the_first_matching_variation_gives_each_kind_its_amount() -> None:
    """As Mes Aides Vélo computes it: an electric cargo bike is a « vélo . cargo » (500 €), not
    an « électrique simple »; an electric folding bike a « vélo . pliant » (200 €)."""
    amounts = kind_amounts(npm_rules(), RULE, "vélo . type", NPM_361)
    assert amounts == {
        "mécanique simple": 70,
        "électrique": 300,
        "cargo": 500,
        "cargo électrique": 500,
        "pliant": 200,
        "pliant électrique": 200,
        "motorisation": 300,
        "adapté": 500,
    }


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"alors": "20% * vélo . prix"}, "not a fixed amount"),
        ({"si": "vélo . fabriqué en france"}, "cannot read the condition"),
    ],
)
def test_a_rule_the_importer_cannot_read_stops_the_import(change: dict[str, str], problem: str) -> None:
    rules = npm_rules()
    variations = [dict(item) for item in rules[RULE]["variations"]]
    variations[0].update(change)
    rules[RULE] = {**rules[RULE], "variations": variations}
    with pytest.raises(ImportFailed, match=problem):
        kind_amounts(rules, RULE, "vélo . type", NPM_361)


def test_kinds_grouped_under_one_bike_type_must_share_their_amount(tmp_path: Path) -> None:
    rules = npm_rules()
    rules[RULE] = {
        **rules[RULE],
        "variations": [{"si": "vélo . type = 'cargo électrique'", "alors": "600 €"}, *rules[RULE]["variations"]],
    }
    kb_dir = tmp_path / "kb"
    shutil.copytree(PROJECT_ROOT / "kb" / "sources", kb_dir / "sources")
    without_vendored_copy(kb_dir)
    with pytest.raises(ImportFailed, match="bike_type 'cargo' now get different amounts"):
        _load(kb_dir, fake_packages(tmp_path, rules))


def _rule(description: str) -> dict[str, str]:
    return {"description": description}


def test_sessions_are_read_from_the_description() -> None:
    text = (
        "La première session 2026 du Pass'Mobil'Agglo est organisée du 2 mars à\n  partir de 9h au 17 avril. "
        "Deux autres sessions sont prévues du 1er juin au\n17 juillet et du 21 septembre au 6 novembre."
    )
    sessions, notes = sessions_of(_rule(text), dt.date(2026, 11, 6))
    assert notes == ()
    assert [(s.start, s.end, s.opening_hour) for s in sessions] == [
        (dt.date(2026, 3, 2), dt.date(2026, 4, 17), "9 h"),
        (dt.date(2026, 6, 1), dt.date(2026, 7, 17), None),
        (dt.date(2026, 9, 21), dt.date(2026, 11, 6), None),
    ]


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("Subvention valable jusqu'au 8 décembre 2024.", "no session dates found"),
        ("La session 2026 a lieu du 2 mars au 17 avril.", "ends on 17/04/2026, not on the rule's end date"),
        ("Les sessions 2026 : du 1er juin au 17 juillet et du 2 mars au 6 novembre.", "do not follow one another"),
        ("La session 2026 a lieu du 30 février au 6 novembre.", "impossible date"),
    ],
)
def test_sessions_that_do_not_read_clearly_are_not_imported(text: str, note: str) -> None:
    sessions, notes = sessions_of(_rule(text), dt.date(2026, 11, 6))
    assert sessions == [] and note in notes[0]


def test_record_changes_list_old_and_new_values() -> None:
    old = {"last update": "12/09/2025", "amount for cargo": "500 €", "gone": "x"}
    new = {"last update": "14/04/2026", "amount for cargo": "500 €", "amount for adapte": "500 €"}
    changes = [(change.key, change.old, change.new) for change in record_changes(old, new)]
    assert changes == [
        ("last update", "12/09/2025", "14/04/2026"),
        ("amount for adapte", None, "500 €"),
        ("gone", "x", None),
    ]
    assert record_changes(None, new) == []
