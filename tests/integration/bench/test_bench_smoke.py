"""`python -m bench.quality --smoke`: the whole quality benchmark chain on a few messages.

One fold, a few training examples per intent, 2 epochs: the figures mean nothing, the
point is that every system trains, parses and is scored, and that the report, its columns
and its plots are written. The end-to-end part starts the real servers, which tests/integration/e2e
already does: it is left out here (and its checks are tested in test_conversations.py).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.quality.report import SUMMARY_COLUMNS, SYSTEM_LABELS
from bot.settings import PROJECT_ROOT

pytestmark = pytest.mark.rasa

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("quality")
    completed = subprocess.run(
        [sys.executable, "-m", "bench.quality", "--smoke", "--no-e2e", "--out", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return out, completed.stdout


def test_progress_is_one_line_per_step(smoke_run: tuple[Path, str]) -> None:
    _, stdout = smoke_run
    steps = [re.match(r"\[\s*(\d+)/(\d+)\] \d\d:\d\d ", line) for line in stdout.splitlines()]
    numbered = [(int(match[1]), int(match[2])) for match in steps if match]
    total = numbered[0][1]
    assert [number for number, _ in numbered] == list(range(1, total + 1))
    assert "training 1. project pipeline" in stdout and "training 2. Rasa 3.6 default pipeline" in stdout


def test_the_summary_table_has_every_system_and_column(smoke_run: tuple[Path, str]) -> None:
    out, stdout = smoke_run
    markdown = (out / "quality.md").read_text(encoding="utf-8")
    header = "| " + " | ".join(SUMMARY_COLUMNS) + " |"
    assert header in markdown and header in stdout
    for system in ("project", "rasa_default", "tfidf"):
        row = next(line for line in markdown.splitlines() if line.startswith(f"| {SYSTEM_LABELS[system]} |"))
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == len(SUMMARY_COLUMNS)
        # Topic accuracy, macro-F1, intent accuracy and NLU time are figures for every system.
        for column in ("CV topic accuracy", "CV topic macro-F1", "CV intent accuracy", "eval-set topic accuracy"):
            assert cells[SUMMARY_COLUMNS.index(column)].endswith("%"), (system, column, row)
        assert float(cells[SUMMARY_COLUMNS.index("NLU ms/msg")]) > 0
    assert "## Targets (project pipeline)" in markdown


def test_the_json_holds_the_figures(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    results = json.loads((out / "quality.json").read_text(encoding="utf-8"))
    cv = results["cross_validation"]
    assert cv["folds"] == 3 and cv["folds_run"] == 1
    assert {row["system"] for row in cv["per_fold"]} == {"project", "rasa_default", "tfidf"}
    for row in cv["per_fold"]:
        assert row["messages"] == 20
        assert 0 <= row["topic_accuracy"] <= 1 and 0 <= row["topic_macro_f1"] <= 1
        assert row["nlu_seconds"] > 0
    for system in ("project", "rasa_default", "tfidf"):
        assert 0 <= results["eval_set_nlu"][system]["topic_accuracy"] <= 1
    assert "end_to_end" not in results
    assert results["targets"], "the targets are evaluated"


def test_the_plots_are_written(smoke_run: tuple[Path, str]) -> None:
    out, _ = smoke_run
    for name in ("confusion_matrix.png", "f1_per_topic.png"):
        content = (out / name).read_bytes()
        assert content.startswith(PNG_SIGNATURE) and len(content) > 10_000, name
