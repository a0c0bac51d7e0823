"""No training example is a (near-)copy of an external evaluation line (../shared/eval/external),
nor of a message of issue 16's tables (bench/eval/people/).

Those lines measure how the assistant does on language it never saw (bench/quality/external.py): a
training example too close to one of them would inflate the figure. Unit speed: no model.
"""

from __future__ import annotations

import pytest
from rapidfuzz import fuzz, process

from bench.quality.external import find_directory, load_external
from bench.quality.people import load_tables
from bot.french.text import fold
from bot.settings import PROJECT_ROOT, load_settings
from tests.integration.rasa.test_held_out_split import MAX_SIMILARITY, _examples

EXTERNAL_DIR, MISSING_REASON = find_directory(load_settings().external_eval)


def _close_examples(lines: list[str]) -> list[tuple[str, str, int]]:
    """The training examples (intent, text, ratio) too close to one of ``lines``; the example
    only, never the line: the test output must not show an external line."""
    close = []
    for intent, text in _examples(PROJECT_ROOT / "data" / "nlu"):
        best = process.extractOne(text, lines, scorer=fuzz.ratio, score_cutoff=MAX_SIMILARITY)
        if best is not None:
            close.append((intent, text, round(best[1])))
    return close


@pytest.mark.skipif(EXTERNAL_DIR is None, reason=f"external evaluation files absent: {MISSING_REASON}")
def test_no_training_example_is_close_to_an_external_line() -> None:
    assert EXTERNAL_DIR is not None
    external = load_external(EXTERNAL_DIR)
    lines = [fold(line) for line in [*external.oos, *external.in_domain]]
    assert len(lines) > 1000
    assert _close_examples(lines) == []


def test_no_training_example_is_close_to_a_message_of_the_people_tables() -> None:
    """Issue 16's frozen tables (bench/eval/people/) measure what the assistant does with words
    nobody trained it on; no training example may copy one of their messages."""
    lines = [fold(case.text) for case in load_tables()]
    assert len(lines) >= 240
    assert _close_examples(lines) == []
