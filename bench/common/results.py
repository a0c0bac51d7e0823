"""Where the benchmarks write, and the Markdown and JSON they write."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT

# The committed reports.
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
# The runs' scratch files (models, databases, server logs, request records): never committed.
SCRATCH_DIR = RESULTS_DIR / "tmp"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]], rule: str = " --- ") -> str:
    """A Markdown table; ``rule`` is the cell of the line under the header (``---`` or `` --- ``,
    as each report has always written it)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def targets_table(targets: Sequence[dict[str, Any]]) -> str:
    """The targets of the speed and production reports: name, value, met (yes or **no**)."""
    rows = [(target["target"], target["value"], "yes" if target["met"] else "**no**") for target in targets]
    return markdown_table(("target", "value", "met"), rows, rule="---")


def write_results(
    directory: Path, name: str, figures: dict[str, Any], markdown: str, *, indent: int = 2
) -> tuple[Path, Path]:
    """``name.md`` and ``name.json`` in ``directory`` (created if missing); their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    markdown_file, json_file = directory / f"{name}.md", directory / f"{name}.json"
    json_file.write_text(json.dumps(figures, ensure_ascii=False, indent=indent) + "\n", encoding="utf-8")
    markdown_file.write_text(markdown, encoding="utf-8")
    return markdown_file, json_file
