"""The scores of a set of predicted topics (and intents) against the expected ones."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

OUT_OF_SCOPE = "hors_sujet"


def scores(
    gold_topics: Sequence[str],
    predicted_topics: Sequence[str],
    seconds: Sequence[float] = (),
    gold_intents: Sequence[str] = (),
    predicted_intents: Sequence[str] = (),
) -> dict[str, Any]:
    """Accuracy, macro-F1 over the expected topics, out-of-scope recall and mean NLU time."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(gold_topics))
    out_of_scope = [pred for gold, pred in zip(gold_topics, predicted_topics, strict=True) if gold == OUT_OF_SCOPE]
    result: dict[str, Any] = {
        "messages": len(gold_topics),
        "topic_accuracy": float(accuracy_score(gold_topics, predicted_topics)),
        "topic_macro_f1": float(
            f1_score(gold_topics, predicted_topics, labels=labels, average="macro", zero_division=0)
        ),
        "oos_recall": (sum(pred == OUT_OF_SCOPE for pred in out_of_scope) / len(out_of_scope))
        if out_of_scope
        else None,
        "nlu_seconds": statistics.fmean(seconds) if seconds else None,
    }
    if gold_intents:
        intent_labels = sorted(set(gold_intents))
        result["intent_accuracy"] = float(accuracy_score(gold_intents, predicted_intents))
        result["intent_macro_f1"] = float(
            f1_score(gold_intents, predicted_intents, labels=intent_labels, average="macro", zero_division=0)
        )
    return result


def per_topic_f1(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, float]:
    from sklearn.metrics import f1_score

    labels = sorted(set(gold))
    values = f1_score(gold, predicted, labels=labels, average=None, zero_division=0)
    return {label: float(value) for label, value in zip(labels, values, strict=True)}


def spread(values: Sequence[float | None]) -> dict[str, float] | None:
    """Mean, standard deviation and count of the values present (a fold may have none)."""
    present = [value for value in values if value is not None]
    if not present:
        return None
    return {
        "mean": statistics.fmean(present),
        "std": statistics.stdev(present) if len(present) > 1 else 0.0,
        "n": len(present),
    }
