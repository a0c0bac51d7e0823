"""Leave one kind of phrasing out: generalisation rather than memory.

Each training example of data/nlu is put in the group of the kind of question it asks, read the
way the assistant reads a resident's message (kb/lexicon.yml: amount, how to apply, who is
eligible, …; the examples asking no kind always stay in training). For each group large enough,
the project's pipeline
(config.yml) and the TF-IDF + SVM baseline are trained on every other group and tested on that
one: the topic accuracy on phrasings of a kind never seen in training. Set beside the
cross-validation (held-out examples whose kinds were all seen), the gap says how much of the
accuracy is memory of the phrasings.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common.progress import Progress
from bench.quality.cross_validation import evaluate_examples, train_rasa_system, train_tfidf_system
from bench.quality.report import pct
from bench.quality.systems import Example, NluData
from bench.quality.topics import Topics
from bot.core.reading import QuestionWords, question_of

NO_KIND = "none"
# A kind asked by fewer training examples gives a figure too noisy to read.
MIN_EXAMPLES = 30
SYSTEMS = ("project", "tfidf")


def phrasing_kind(text: str, lexicon: QuestionWords) -> str:
    """The first (most specific) kind of question the text asks, or ``NO_KIND``."""
    kinds = question_of(text, lexicon).kinds
    return kinds[0] if kinds else NO_KIND


def groups(examples: Sequence[Example], lexicon: QuestionWords, minimum: int = MIN_EXAMPLES) -> dict[str, list[int]]:
    """The indices of the examples by the kind they ask, for the kinds with ``minimum`` examples
    or more, largest first (not those asking no kind: most examples, the rest of the training)."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        by_kind[phrasing_kind(example.text, lexicon)].append(index)
    kept = [(kind, indices) for kind, indices in by_kind.items() if kind != NO_KIND and len(indices) >= minimum]
    return dict(sorted(kept, key=lambda item: (-len(item[1]), item[0])))


def leave_one_kind_out(
    args: argparse.Namespace,
    data: NluData,
    topics: Topics,
    lexicon: QuestionWords,
    config: Path,
    progress: Progress,
    work: Path,
) -> dict[str, Any]:
    """Per kind held out and per system: the topic accuracy on that kind's examples; overall, the
    accuracy over every held-out example (each counted once)."""
    examples = data.examples
    held_out = groups(examples, lexicon)
    if args.smoke:
        held_out = dict(list(held_out.items())[:1])
    per_kind: dict[str, dict[str, Any]] = {}
    correct = dict.fromkeys(SYSTEMS, 0)
    for kind, indices in held_out.items():
        chosen = set(indices)
        train = [example for index, example in enumerate(examples) if index not in chosen]
        test = [examples[index] for index in indices]
        nlu_file = data.write(work / "phrasing" / kind / "train.yml", train)
        project, _ = train_rasa_system(
            "project", config, nlu_file, work / "phrasing" / kind, progress, f"without « {kind} »"
        )
        tfidf, _ = train_tfidf_system(train, args.seed)
        row: dict[str, Any] = {"messages": len(test)}
        for name, system in (("project", project), ("tfidf", tfidf)):
            result = evaluate_examples(system, test, topics)
            row[name] = result["topic_accuracy"]
            correct[name] += round(result["topic_accuracy"] * len(test))
            system.close()
        per_kind[kind] = row
        progress.note(
            f"without « {kind} » ({len(test)} examples): topic accuracy {pct(row['project'])} "
            f"(TF-IDF {pct(row['tfidf'])})"
        )
    messages = sum(row["messages"] for row in per_kind.values())
    return {
        "min_examples": MIN_EXAMPLES,
        "per_kind": per_kind,
        "overall": {name: (correct[name] / messages if messages else None) for name in SYSTEMS},
        "messages": messages,
    }
