"""``python -m bot``: what a person at the Agglo types, and what they see."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from bot.settings import PROJECT_ROOT, Settings


def bot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_help() -> None:
    result = bot("--help")
    assert result.returncode == 0
    for command in ("kb", "commune", "web"):
        assert command in result.stdout


def test_kb_check_prints_the_coverage_report() -> None:
    result = bot("kb", "check")
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("mutuelle "))
    assert "amount" in line and "eligibility" in line
    # The imported official data, with its copy and date of last update.
    assert "Mes Aides Vélo → aide_velo: copy of betagouv/publicodes-aides-velo v4.0.0" in result.stdout


def test_commune_resolves_noeux(kb_settings: Settings) -> None:
    result = bot("commune", "noeux les mines", env={"AGGLO_DATABASE_URL": kb_settings.database_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Nœux-les-Mines – INSEE 62617")
    assert "permis de louer" in result.stdout


def test_kb_show_agent_fiche(kb_settings: Settings) -> None:
    result = bot("kb", "show", "mutuelle", "--agent", env={"AGGLO_DATABASE_URL": kb_settings.database_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("FICHE AGENT") and "à vérifier" in result.stdout


def test_errors_go_to_stderr_with_exit_code_2(kb_settings: Settings) -> None:
    env = {"AGGLO_DATABASE_URL": kb_settings.database_url}
    for args in (("kb", "show", "inexistant"), ("commune", "zzzz"), ("kb", "frobnicate")):
        result = bot(*args, env=env)
        assert result.returncode == 2, args
        assert result.stdout == "" and "error" in result.stderr


def test_invalid_content_is_reported_with_file_and_entry(kb_copy: Path, tmp_path: Path) -> None:
    path = kb_copy / "topics" / "zfe.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["facts"][0]["confidence"] = "certaine"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = bot(
        "kb", "build", env={"AGGLO_KB_DIR": str(kb_copy), "AGGLO_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}"}
    )
    assert result.returncode == 2
    assert "kb/topics/zfe.yml" in result.stderr and "confidence" in result.stderr
    assert not (tmp_path / "kb.sqlite3").exists()


def test_unbuilt_database_gives_a_helpful_message(tmp_path: Path) -> None:
    result = bot("kb", "show", "zfe", env={"AGGLO_DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite3'}"})
    assert result.returncode == 2
    assert "make kb" in result.stderr


def test_maintenance_on_off_status_are_recorded(tmp_path: Path) -> None:
    env = {"AGGLO_SESSIONS_DATABASE_URL": f"sqlite:///{tmp_path / 'sessions.sqlite3'}"}
    refused = bot("maintenance", "on", env=env)
    assert refused.returncode == 2 and "--reason" in refused.stderr
    on = bot("maintenance", "on", "--reason", "Mise à jour des tarifs", env=env)
    assert on.returncode == 0, on.stderr
    assert "Maintenance: on since" in on.stdout and "Mise à jour des tarifs" in on.stdout
    assert bot("maintenance", "off", env=env).returncode == 0
    status = bot("maintenance", "status", env=env)
    assert status.stdout.startswith("Maintenance: off since")
    assert status.stdout.count("(command_line)") == 3  # the state and the two switches
