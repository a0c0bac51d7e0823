"""The rebuild-to-served benchmark, one round (the full run: python -m bench.live_kb)."""

from __future__ import annotations

import re

import pytest

from bench.live_kb.run import measure
from bot.settings import Settings


def test_live_kb_bench_runs(kb_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert measure(kb_settings, rounds=1) == 0
    out = capsys.readouterr().out
    match = re.search(r"New content served ([\d.]+) s after each build ended \(target 5 s\): met", out)
    assert match is not None and float(match.group(1)) < 5, out
