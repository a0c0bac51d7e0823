"""The quality targets of the project's pipeline (issue 9), checked on the figures of a run."""

from __future__ import annotations

from typing import Any

from bench.quality import external, people
from bench.quality.conversations import FROZEN_QUESTIONS
from bench.quality.report import SYSTEM_LABELS, pct

TARGET_TOPIC_ACCURACY = 0.95
TARGET_OOS_RECALL = 0.90
# Issue 15, on its frozen set: the answer answers the question asked, its first fact first.
TARGET_QUESTIONS_ALL_CHECKS = 0.95
TARGET_FIRST_FACT = 0.90


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    cv = results["cross_validation"]["summary"]
    e2e = results.get("end_to_end")
    evaluation = results.get("eval_set_nlu") or {}
    found = []

    def add(name: str, value: float | None, minimum: float) -> None:
        if value is not None:
            found.append({"name": name, "value": pct(value), "met": value >= minimum - 1e-9})

    add("topic accuracy ≥ 95 %, cross-validation", cv["project"]["topic_accuracy"]["mean"], TARGET_TOPIC_ACCURACY)
    if e2e:
        add("topic accuracy ≥ 95 %, evaluation set end to end", e2e["topic_accuracy"], TARGET_TOPIC_ACCURACY)
    oos = cv["project"]["oos_recall"]
    add("out-of-scope recall ≥ 90 %, cross-validation", oos["mean"] if oos else None, TARGET_OOS_RECALL)
    if e2e:
        add("out-of-scope recall ≥ 90 %, evaluation set end to end", e2e["oos_recall"], TARGET_OOS_RECALL)
        add("100 % of end-to-end answers free of invented figures", e2e["no_invented_figures_rate"], 1.0)
        lengths = e2e.get("answers") or {}
        if lengths:
            found.append(
                {
                    "name": "resident answers: median ≤ 450 and 90th percentile ≤ 800 characters before the source",
                    "value": f"{lengths['median_chars']:.0f} / {lengths['p90_chars']:.0f}",
                    "met": bool(lengths["median_met"] and lengths["p90_met"]),
                }
            )
    for baseline in ("rasa_default", "tfidf"):
        label = SYSTEM_LABELS[baseline]
        ours, theirs = cv["project"]["topic_accuracy"]["mean"], cv[baseline]["topic_accuracy"]["mean"]
        found.append(
            {
                "name": f"beats {label} on topic accuracy, cross-validation",
                "value": f"{pct(ours)} vs {pct(theirs)}",
                "met": ours > theirs,
            }
        )
        if baseline in evaluation and "project" in evaluation:
            # Like for like: the NLU view of the evaluation set for both systems.
            ours_eval = evaluation["project"]["topic_accuracy"]
            theirs_eval = evaluation[baseline]["topic_accuracy"]
            found.append(
                {
                    "name": f"beats {label} on topic accuracy, evaluation set (NLU view)",
                    "value": f"{pct(ours_eval)} vs {pct(theirs_eval)}",
                    "met": ours_eval > theirs_eval,
                }
            )
    frozen = (results.get("question_sets") or {}).get(FROZEN_QUESTIONS)
    if frozen:
        add(
            "issue 15, frozen questions: all checks ≥ 95 % end to end",
            frozen["all_checks_rate"],
            TARGET_QUESTIONS_ALL_CHECKS,
        )
        add(
            "issue 15, frozen questions: first fact the expected one ≥ 90 % end to end",
            frozen.get("first_fact_rate", 0.0),
            TARGET_FIRST_FACT,
        )
        found.append(
            {
                "name": "issue 15, frozen questions: 0 invented figures end to end",
                "value": f"{frozen['invented_figures_messages']} message(s) of {frozen['messages']}",
                "met": frozen["invented_figures_messages"] == 0,
            }
        )
    if results.get("external"):
        found += external.targets(results["external"])
    if results.get("people"):
        found += people.targets(results["people"])
    return found
