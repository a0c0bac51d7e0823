"""The offline console's benchmark, one round (the full run: python -m bench.console). In a
process of its own: it drives Chromium with Playwright's synchronous API, whose event loop must
not meet this process's asyncio tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.settings import PROJECT_ROOT


def test_the_console_bench_runs_and_reports_the_targets(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.console", "--rounds", "1", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    figures = json.loads((tmp_path / "console.json").read_text(encoding="utf-8"))
    first = figures["first_sync"]
    assert first["encoding"] == "gzip" and first["pages_sent"] == first["pages_held"] > 100
    assert first["compressed_bytes"] < 1_000_000
    assert figures["sync_unchanged"]["pages_sent"] == 0
    assert figures["sync_after_a_change"]["pages_sent"] == 1
    assert "first full sync, compressed < 1 MB" in (tmp_path / "console.md").read_text(encoding="utf-8")
    # The fiche timings are reported when Chromium is there (the exit code says if targets are met).
    assert result.returncode in (0, 1), result.stderr
