"""Step 1 of the quality benchmark: the three NLU systems trained and tested on the same
stratified folds of data/nlu."""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.common.progress import Progress
from bench.quality.report import SYSTEM_LABELS, pct
from bench.quality.scores import per_topic_f1, scores, spread
from bench.quality.systems import SYSTEMS, Example, NluData, NluSystem, RasaSystem, TfidfSystem, train_rasa_nlu
from bench.quality.topics import Topics

# Smoke runs: a few held-out messages, and a few examples of every intent to train on.
SMOKE_TEST_MESSAGES = 20
SMOKE_PER_INTENT = 4
SUMMED_METRICS = ("intent_accuracy", "intent_macro_f1", "topic_accuracy", "topic_macro_f1", "oos_recall", "nlu_seconds")


def folds(examples: Sequence[Example], n_folds: int, seed: int) -> list[tuple[list[int], list[int]]]:
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    intents = [example.intent for example in examples]
    return [(list(train), list(test)) for train, test in splitter.split(intents, intents)]


def train_rasa_system(
    name: str, config: Path, nlu_file: Path, out_dir: Path, progress: Progress, label: str
) -> tuple[RasaSystem, float]:
    """A Rasa NLU model trained and loaded, and the seconds its training took."""
    progress.step(f"{label}: training {SYSTEM_LABELS[name]} on {nlu_file.name}")
    started = time.monotonic()
    model = train_rasa_nlu(config, nlu_file, out_dir, name)
    training = time.monotonic() - started
    progress.note(f"trained in {training:.0f} s; loading {model.name}")
    return RasaSystem(name, model), training


def train_tfidf_system(examples: Sequence[Example], seed: int) -> tuple[TfidfSystem, float]:
    started = time.monotonic()
    system = TfidfSystem("tfidf", [e.text for e in examples], [e.intent for e in examples], seed)
    return system, time.monotonic() - started


def evaluate_examples(system: NluSystem, examples: Sequence[Example], topics: Topics) -> dict[str, Any]:
    """Scores of held-out examples, each topic derived with no conversation context."""
    parses = system.parse_all([example.text for example in examples])
    gold_topics = [topics.of(e.intent, e.dispositif, e.text) for e in examples]
    predicted_topics = [topics.of(p.intent, p.dispositif, e.text) for p, e in zip(parses, examples, strict=True)]
    result = scores(
        gold_topics,
        predicted_topics,
        [p.seconds for p in parses],
        [e.intent for e in examples],
        [p.intent for p in parses],
    )
    result["gold_topics"] = gold_topics
    result["predicted_topics"] = predicted_topics
    return result


def smoke_subset(examples: Sequence[Example], seed: int) -> list[Example]:
    """A few examples of every intent: enough for Rasa to build every component quickly."""
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example)
    chooser = random.Random(seed)
    return [e for group in by_intent.values() for e in chooser.sample(group, min(SMOKE_PER_INTENT, len(group)))]


def cross_validate(
    args: argparse.Namespace,
    data: NluData,
    topics: Topics,
    configs: dict[str, Path],
    progress: Progress,
    work: Path,
) -> tuple[dict[str, Any], dict[str, NluSystem]]:
    """Every system on the same folds. In smoke mode the (single) fold's systems are returned
    still loaded, to serve the evaluation-set step too; otherwise they are closed."""
    examples = data.examples
    splits = folds(examples, args.folds, args.seed)[: args.folds_run]
    per_fold: list[dict[str, Any]] = []
    pooled: dict[str, tuple[list[str], list[str]]] = {system: ([], []) for system in SYSTEMS}
    kept: dict[str, NluSystem] = {}
    for fold, (train_index, test_index) in enumerate(splits):
        label = f"fold {fold + 1}/{args.folds}"
        train = [examples[i] for i in train_index]
        test = [examples[i] for i in test_index]
        if args.smoke:
            train = smoke_subset(train, args.seed)
            test = random.Random(args.seed).sample(test, min(SMOKE_TEST_MESSAGES, len(test)))
        nlu_file = data.write(work / f"fold{fold + 1}" / "train.yml", train)
        for name in ("project", "rasa_default"):
            system, training = train_rasa_system(
                name, configs[name], nlu_file, work / f"fold{fold + 1}", progress, label
            )
            progress.step(f"{label}: parsing {len(test)} held-out messages with {SYSTEM_LABELS[name]}")
            result = evaluate_examples(system, test, topics)
            per_fold.append({"fold": fold, "system": name, "training_seconds": training, **result})
            if args.smoke:
                kept[name] = system
            else:
                system.close()
        progress.step(f"{label}: training and testing {SYSTEM_LABELS['tfidf']}")
        tfidf, training = train_tfidf_system(train, args.seed)
        per_fold.append(
            {"fold": fold, "system": "tfidf", "training_seconds": training, **evaluate_examples(tfidf, test, topics)}
        )
        kept["tfidf"] = tfidf
        for row in per_fold[-3:]:
            pooled[row["system"]][0].extend(row.pop("gold_topics"))
            pooled[row["system"]][1].extend(row.pop("predicted_topics"))
            progress.note(
                f"{label} {row['system']:>12}: topic accuracy {pct(row['topic_accuracy'])}, "
                f"OOS recall {pct(row['oos_recall'])}, {1000 * row['nlu_seconds']:.1f} ms/msg"
            )
    summary = {
        system: {
            metric: spread([row[metric] for row in per_fold if row["system"] == system]) for metric in SUMMED_METRICS
        }
        for system in SYSTEMS
    }
    results = {
        "folds": args.folds,
        "folds_run": len(splits),
        "per_fold": per_fold,
        "summary": summary,
        "pooled": {system: {"gold": gold, "predicted": predicted} for system, (gold, predicted) in pooled.items()},
        "per_topic_f1": {system: per_topic_f1(gold, predicted) for system, (gold, predicted) in pooled.items()},
    }
    return results, kept if args.smoke else {}
