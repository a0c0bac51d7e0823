"""How short and how plain the resident answers are: length before the source line, and a French
readability score (textstat's Flesch formula with Kandel and Moles's French constants).

Targets (issue 9): median resident text ≤ 450 characters before the source line, 90th
percentile ≤ 800, every expected fact still present (the end-to-end checks of bench/quality/end_to_end.py).
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from typing import Any

from bench.common.stats import percentile

TARGET_MEDIAN_CHARS = 450
TARGET_P90_CHARS = 800
_SOURCE_LINE = re.compile(r"^\s*sources?\s*:", re.IGNORECASE)
_VOUS = re.compile(r"\b(vous|votre|vos)\b", re.IGNORECASE)


def before_source_line(text: str) -> str:
    """The answer without its closing « Source : … » line."""
    lines = text.rstrip().split("\n")
    if lines and _SOURCE_LINE.match(lines[-1]):
        lines = lines[:-1]
    return "\n".join(lines)


def readability(text: str) -> float:
    """French Flesch reading ease (higher is easier; 60-70 is plain French)."""
    import textstat  # imported here: only the benchmark needs it

    textstat.set_lang("fr")
    return float(textstat.flesch_reading_ease(text))


def measure(text: str) -> dict[str, Any]:
    """The figures of one resident answer."""
    body = before_source_line(text)
    return {
        "chars": len(body),
        "readability": readability(body) if body.strip() else None,
        "vous": bool(_VOUS.search(body)),
    }


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Median and 90th percentile length, mean readability and « vous » share of the rows that
    carry ``answer_figures`` (the resident turns answered from the knowledge base)."""
    measured = [row["answer_figures"] for row in rows if row.get("answer_figures")]
    if not measured:
        return {}
    chars = [figures["chars"] for figures in measured]
    scores = [figures["readability"] for figures in measured if figures["readability"] is not None]
    median, p90 = statistics.median(chars), percentile(chars, 90, method="nearest")
    return {
        "answers": len(measured),
        "median_chars": median,
        "p90_chars": p90,
        "max_chars": max(chars),
        "readability_mean": statistics.fmean(scores) if scores else None,
        "vous_rate": sum(1 for figures in measured if figures["vous"]) / len(measured),
        "median_met": median <= TARGET_MEDIAN_CHARS,
        "p90_met": p90 <= TARGET_P90_CHARS,
    }
