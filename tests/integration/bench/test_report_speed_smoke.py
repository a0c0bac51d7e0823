"""The report's speed benchmark on a few hundred conversations (the full run: make bench-report)."""

from __future__ import annotations

import pytest

from bench.report_speed.run import main
from bot.settings import Settings


def test_report_speed_bench_runs(
    kb_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGGLO_DATABASE_URL", kb_settings.database_url)
    assert main(["--conversations", "300", "--ratings", "30"]) == 0
    out = capsys.readouterr().out
    assert "Report on " in out and "Target < 60 s: met" in out
    assert "15 groups of unanswered questions" in out  # one per question the bench misspells
