"""The report's speed benchmark on a few hundred conversations (the full run: make bench-report)."""

from __future__ import annotations

import pytest

from bench.report_speed.run import time_report
from bot.settings import Settings


def test_report_speed_bench_runs(kb_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert time_report(kb_settings, conversation_count=300, rating_count=30) == 0
    out = capsys.readouterr().out
    assert "Report on " in out and "Target < 60 s: met" in out
    assert "15 groups of unanswered questions" in out  # one per question the bench misspells
