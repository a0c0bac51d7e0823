"""The held-out NLU examples (tests/integration/rasa/holdout/) stay independent of the training data (data/nlu/)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.french.text import fold
from bot.settings import PROJECT_ROOT

_ANNOTATION = re.compile(r"\[([^\]]+)\]\{[^}]+\}|\[([^\]]+)\]\([^)]+\)")
# Above this similarity a held-out example counts as a copy of a training one.
MAX_SIMILARITY = 85


def _examples(folder: Path) -> list[tuple[str, str]]:
    examples = []
    for path in sorted(folder.glob("*.yml")):
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if "intent" not in block:
                continue
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    plain = _ANNOTATION.sub(lambda m: m.group(1) or m.group(2), line[2:])
                    examples.append((block["intent"], fold(plain)))
    return examples


def test_held_out_examples_are_not_copies_of_training_examples() -> None:
    training = [text for _, text in _examples(PROJECT_ROOT / "data" / "nlu")]
    held_out = _examples(PROJECT_ROOT / "tests" / "integration" / "rasa" / "holdout")
    assert len(held_out) >= 200
    copies = []
    for intent, text in held_out:
        best = process.extractOne(text, training, scorer=fuzz.ratio)
        if best is not None and best[1] >= MAX_SIMILARITY:
            copies.append((intent, text, best[0]))
    assert copies == []


def test_every_intent_has_enough_training_examples() -> None:
    counts: dict[str, int] = {}
    for intent, _ in _examples(PROJECT_ROOT / "data" / "nlu"):
        counts[intent] = counts.get(intent, 0) + 1
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) == set(counts)
    assert min(counts.values()) >= 20, counts
