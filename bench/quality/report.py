"""The quality report: Markdown tables, and the figures compacted for the JSON file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.common.results import markdown_table

SYSTEM_LABELS = {
    "project": "1. project pipeline (config.yml)",
    "rasa_default": "2. Rasa 3.6 default pipeline",
    "tfidf": "3. TF-IDF + linear SVM",
    "project_e2e": "1. project, end to end (REST)",
}
SUMMARY_COLUMNS = (
    "system",
    "CV topic accuracy",
    "CV topic macro-F1",
    "CV out-of-scope recall",
    "CV intent accuracy",
    "eval-set topic accuracy",
    "eval-set macro-F1",
    "eval-set out-of-scope recall",
    "required facts",
    "no invented figures",
    "external: out of scope off-topic",
    "external: in-domain accepted",
    "NLU ms/msg",
)


def pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def pct_spread(stats: dict[str, float] | None) -> str:
    """Mean ± standard deviation over the folds."""
    if stats is None:
        return "–"
    if stats.get("n", 1) < 2:
        return pct(stats["mean"])
    return f"{100 * stats['mean']:.1f} ± {100 * stats['std']:.1f} %"


def ms_spread(stats: dict[str, float] | None) -> str:
    if stats is None:
        return "–"
    if stats.get("n", 1) < 2:
        return f"{1000 * stats['mean']:.1f}"
    return f"{1000 * stats['mean']:.1f} ± {1000 * stats['std']:.1f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return markdown_table(header, rows, rule=" --- ")


def summary_rows(results: dict[str, Any]) -> list[list[str]]:
    rows = []
    cv = (results.get("cross_validation") or {}).get("summary") or {}
    evaluation = results.get("eval_set_nlu") or {}
    outside = results.get("external") or {}
    for system in ("project", "rasa_default", "tfidf"):
        folds = cv.get(system, {})
        view = evaluation.get(system, {})
        lines = (outside.get("nlu") or {}).get(system, {})
        rows.append(
            [
                SYSTEM_LABELS[system],
                pct_spread(folds.get("topic_accuracy")),
                pct_spread(folds.get("topic_macro_f1")),
                pct_spread(folds.get("oos_recall")),
                pct_spread(folds.get("intent_accuracy")),
                pct(view.get("topic_accuracy")),
                pct(view.get("topic_macro_f1")),
                pct(view.get("oos_recall")),
                "–",
                "–",
                pct(lines.get("oos_non_content_rate")),
                pct(lines.get("in_domain_accepted_rate")),
                ms_spread(folds.get("nlu_seconds")) if folds else _ms(lines.get("nlu_seconds")),
            ]
        )
    e2e = results.get("end_to_end")
    lines_e2e = outside.get("end_to_end") or {}
    if e2e or lines_e2e:
        e2e = e2e or {}
        rows.append(
            [
                SYSTEM_LABELS["project_e2e"],
                "–",
                "–",
                "–",
                "–",
                pct(e2e.get("topic_accuracy")),
                pct(e2e.get("topic_macro_f1")),
                pct(e2e.get("oos_recall")),
                pct(e2e.get("must_contain_rate")),
                pct(e2e.get("no_invented_figures_rate")),
                pct(lines_e2e.get("oos_non_content_rate")),
                pct(lines_e2e.get("in_domain_accepted_rate")),
                f"{1000 * (e2e.get('seconds_per_turn') or lines_e2e.get('seconds_per_turn') or 0):.0f} (whole turn)",
            ]
        )
    return rows


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{1000 * seconds:.1f}"


def summary_table(results: dict[str, Any]) -> str:
    return table(SUMMARY_COLUMNS, summary_rows(results))


def answers_table(results: dict[str, Any]) -> str:
    """Length before the source line and French readability of the resident answers."""
    figures = (results.get("end_to_end") or {}).get("answers") or {}
    if not figures:
        return ""
    readability = figures["readability_mean"]
    return table(
        ("resident answers", "median chars", "90th percentile", "longest", "readability (Flesch FR)", "say « vous »"),
        [
            [
                str(figures["answers"]),
                f"{figures['median_chars']:.0f} (target ≤ 450)",
                f"{figures['p90_chars']:.0f} (target ≤ 800)",
                str(figures["max_chars"]),
                "–" if readability is None else f"{readability:.0f}",
                pct(figures["vous_rate"]),
            ]
        ],
    )


def _targets(results: dict[str, Any]) -> list[str]:
    lines = []
    for target in results.get("targets", []):
        mark = "met" if target["met"] else "**missed**"
        lines.append(f"- {target['name']}: {target['value']} → {mark}")
    return lines


_EXTERNAL_VIEWS = (
    ("end_to_end", "1. project, end to end"),
    ("project", "1. project, NLU view"),
    ("rasa_default", "2. Rasa default, NLU view"),
    ("tfidf", "3. TF-IDF + SVM, NLU view"),
)


def _external_views(section: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    nlu = section.get("nlu") or {}
    views = {"end_to_end": section.get("end_to_end"), **nlu}
    return [(label, views[key]) for key, label in _EXTERNAL_VIEWS if views.get(key)]


def _external_table(
    views: Sequence[tuple[str, dict[str, Any]]], total_key: str, rate_key: str, groups_key: str, first: str
) -> str:
    groups = sorted({group for _, figures in views for group in figures[groups_key]})
    reference = views[0][1]
    rows = [["**all**", str(reference[total_key]), *(f"**{pct(figures[rate_key])}**" for _, figures in views)]]
    for group in groups:
        cells = [pct(figures[groups_key].get(group, {}).get("rate")) for _, figures in views]
        # An accepted set reads "a|b", as in the file: escaped, not a column break.
        rows.append([group.replace("|", "\\|"), str(reference[groups_key].get(group, {}).get("lines", 0)), *cells])
    return table((first, "lines", *(label for label, _ in views)), rows)


def render_external(section: dict[str, Any]) -> list[str]:
    """The external lines' figures: per source and per topic, never the lines themselves."""
    meta = section["meta"]
    views = _external_views(section)
    if not views:
        return []
    ours = section.get("end_to_end") or section["nlu"]["project"]

    def counts(figures: dict[str, int]) -> str:
        return ", ".join(f"`{topic}` {count}" for topic, count in figures.items()) or "none"

    return [
        "## External French utterances (open-world robustness)",
        "",
        f"Run on {meta['date']}, commit {meta['commit']}, in {meta.get('duration_minutes', 0):.0f} min: "
        f"{meta['oos_lines']} out-of-scope lines (`oos_fr.txt`) and {meta['in_domain_lines']} in-domain questions "
        "(`in_domain_fr.tsv`) of `../shared/eval/external/`, real French messages nobody wrote for this project, "
        "read at run time and never used for training (their lines are not reproduced here). One conversation per "
        "line. End to end: the real servers through the REST channel, topic read from the payload; NLU view: each "
        "system trained on all of data/nlu, topic derived by `bot.core.topics.turn_topic` with no context.",
        "",
        "Out of scope: share of lines answered with a non-content slug (`hors_sujet`, `incompris`, `salutation`, "
        "`remerciement`, `au_revoir`, `identite_bot`, `urgence`, `insulte`), per source of the lines.",
        "",
        _external_table(views, "oos_lines", "oos_non_content_rate", "oos_by_source", "source"),
        "",
        "In domain: share of questions answered with one of their accepted topics, per accepted set.",
        "",
        _external_table(views, "in_domain_lines", "in_domain_accepted_rate", "in_domain_by_topic", "accepted topics"),
        "",
        f"Topics given to out-of-scope lines ({views[0][0]}): {counts(ours['oos_content_topics'])}.",
        f"Topics given to in-domain questions not accepted ({views[0][0]}): {counts(ours['in_domain_wrong_topics'])}.",
        "",
    ]


QUESTION_SET_COLUMNS = (
    "messages",
    "all checks",
    "topic accuracy",
    "first fact the expected one",
    "no invented figures",
)


def _question_set_cells(figures: dict[str, Any]) -> list[str]:
    judged = figures.get("first_fact_messages")
    first_fact = f"{pct(figures['first_fact_rate'])} (of {judged})" if judged else "–"
    return [
        str(figures["messages"]),
        pct(figures["all_checks_rate"]),
        pct(figures["topic_accuracy"]),
        first_fact,
        pct(figures["no_invented_figures_rate"]),
    ]


def render_question_sets(sets: dict[str, dict[str, Any]]) -> list[str]:
    """Issue 15's sets end to end: one table of the sets, then one per set by kind of case.
    Figures only, never the sets' messages."""
    if not sets:
        return []
    parts = [
        "## Answering the question asked (issue 15's sets)",
        "",
        "The sets of issue 15 (« answer the question that was asked »), end to end on one start of the real "
        "servers, checked like the evaluation set: `bench/eval/questions.yml` (frozen), "
        "`bench/eval/questions_blind.yml` (written blind, before the changes it measures) and "
        "`bench/eval/official_data.yml` (facts official sources hold), then the tuning sets of "
        "`bench/eval/tuning/`, each written before the changes it was used to tune. None is used for training, "
        "the first three not for tuning either, and their messages are not reproduced here. **All checks**: "
        "topic (both topics, in order, for two questions in one message), required strings, nothing forbidden "
        "(strings and figures), no invented figure, and the first fact when the turn names one. **First fact "
        "the expected one**: share of the messages naming expected first facts whose answer shows one of them "
        "first (payload `facts`), out of those messages.",
        "",
        table(
            ("set", *QUESTION_SET_COLUMNS),
            [[f"**{name}**", *_question_set_cells(figures)] for name, figures in sets.items()],
        ),
        "",
    ]
    for name, figures in sets.items():
        parts += [
            f"{name}, by kind of case:",
            "",
            table(
                ("kind", *QUESTION_SET_COLUMNS),
                [[kind, *_question_set_cells(row)] for kind, row in figures["by_kind"].items()],
            ),
            "",
        ]
    return parts


def render_phrasing_kinds(section: dict[str, Any], cross_validation: dict[str, Any] | None) -> list[str]:
    """The leave-one-kind-out figures, beside the cross-validation's when there is one."""
    if not section or not section.get("per_kind"):
        return []
    summary = (cross_validation or {}).get("summary") or {}
    cv = {name: (summary.get(name) or {}).get("topic_accuracy") for name in ("project", "tfidf")}
    rows = [
        [f"« {kind} »", str(row["messages"]), pct(row["project"]), pct(row["tfidf"])]
        for kind, row in section["per_kind"].items()
    ]
    rows.append(
        [
            "**every kind held out**",
            str(section["messages"]),
            f"**{pct(section['overall']['project'])}**",
            pct(section["overall"]["tfidf"]),
        ]
    )
    if any(cv.values()):
        rows.append(
            ["cross-validation (kinds seen in training)", "", pct_spread(cv["project"]), pct_spread(cv["tfidf"])]
        )
    return [
        "## Leave one kind of phrasing out",
        "",
        "Each training example is grouped by the kind of question it asks, read as the assistant reads a "
        "message (kb/lexicon.yml); for each kind with at least "
        f"{section['min_examples']} examples, the systems are trained on every other example and tested on that "
        "kind's: the topic accuracy on a way of asking never seen in training (bench/quality/phrasing_kinds.py).",
        "",
        table(("kind held out", "examples", SYSTEM_LABELS["project"], SYSTEM_LABELS["tfidf"]), rows),
        "",
    ]


def render_people(section: dict[str, Any]) -> list[str]:
    """The report's section: figures per table and category, then every failing message."""
    if not section:
        return []
    rows = [
        [name.replace("|", "\\|"), str(figures["messages"]), pct(figures["rate"])]
        for name, figures in section["categories"].items()
    ]
    failures = section["failures"]
    return [
        "## People first: distress, look-alikes, requests for a person, insults (issue 16)",
        "",
        "The frozen tables of `bench/eval/people/`, end to end (the real servers through the REST channel, one "
        "conversation per message). A distress or emergency message passes when it is answered under `urgence` "
        "with the right number (`must_contain_any`, and `must_contain_all` when the danger is now); an ordinary "
        "look-alike when its topic is one of its `accepted_topics` (never `urgence`); a request for a person when "
        "it gets the contact with `offer_callback: true` (under `contact`, or `identite_bot` for « t'es un robot ? ») "
        "and nothing that passes for a person; an insult alone when "
        "it gets `insulte` with the menu and no word of the insult; an insult with a question when its topic is "
        "accepted.",
        "",
        table(
            ("table", "messages", "passed"),
            [
                [name, str(figures["messages"]), f"**{pct(figures['rate'])}**"]
                for name, figures in section["tables"].items()
            ],
        ),
        "",
        table(("table/category", "messages", "passed"), rows),
        "",
        "Failing messages:" if failures else "No failing message.",
        "",
        *(
            [
                table(
                    ("table/category", "message", "why"),
                    [[f"{f['table']}/{f['category']}", f["text"].replace("|", "/"), f["why"]] for f in failures],
                ),
                "",
            ]
            if failures
            else []
        ),
    ]


def render_markdown(results: dict[str, Any]) -> str:
    if "cross_validation" not in results:
        return "\n".join(
            [
                "# Quality benchmark",
                "",
                "Only the external section was run (`python -m bench.quality --external-only`).",
                "",
                summary_table(results),
                "",
                *_targets(results),
                "",
                *render_external(results["external"]),
                *render_people(results.get("people") or {}),
            ]
        )
    meta = results["meta"]
    cv = results["cross_validation"]
    parts = [
        "# Quality benchmark",
        "",
        f"Generated by `make bench-quality` (`python -m bench.quality{' --smoke' if meta['smoke'] else ''}`) on "
        f"{meta['date']}, commit {meta['commit']}, {meta['cpus']} CPU(s), in {meta['duration_minutes']:.0f} min.",
        f"Training data: {meta['examples']} examples of {meta['intents']} intents (data/nlu). Evaluation set: "
        f"{meta['eval_cases']} conversations, {meta['eval_messages']} messages (bench/eval/conversations.yml), never "
        "used for training.",
        "",
        "## Summary",
        "",
        summary_table(results),
        "",
        "- **CV**: stratified "
        f"{cv['folds']}-fold cross-validation over the training examples (shuffled, seed {meta['seed']}), "
        f"{cv['folds_run']} fold(s) run: each system is trained on the other folds and tested on the held-out one; "
        "mean ± standard deviation over the folds. Each test example's expected topic is derived from its annotated "
        "intent and `dispositif` entity, with no conversation context.",
        "- **Topic**: for every system the intent is mapped to a topic slug by `bot.core.topics.turn_topic`, "
        "the function "
        "the action server uses (`dispositif` entity, else the topic keywords of the text, else the current topic; "
        "TF-IDF has no entities, so keywords only).",
        "- **eval-set**: the evaluation set's messages, each system trained on all the training data (the project "
        "uses models/agglo.tar.gz). NLU view: turn by turn, each system's own previous topic is the context. End to "
        "end: the real action and Rasa servers, spoken to through the REST channel, the topic read from the payload.",
        "- **required facts**: share of end-to-end answers containing every `must_contain` string; **no invented "
        "figures**: share of answers whose every number is in the knowledge base (facts, contacts, commune rules, "
        "cited sources) of the payload's topic (`bench.quality.figures`).",
        "- **Out-of-scope recall**: share of out-of-scope (`hors_sujet`) messages answered as out of scope.",
        "- **NLU ms/msg**: mean time to parse one message (one at a time), on a shared 2-core machine.",
        "",
        "## Targets (project pipeline)",
        "",
        *_targets(results),
        "",
        "## Cross-validation per fold",
        "",
        table(
            (
                "fold",
                "system",
                "test messages",
                "intent accuracy",
                "topic accuracy",
                "topic macro-F1",
                "OOS recall",
                "NLU ms/msg",
                "training s",
            ),
            [
                [
                    str(row["fold"] + 1),
                    SYSTEM_LABELS[row["system"]],
                    str(row["messages"]),
                    pct(row["intent_accuracy"]),
                    pct(row["topic_accuracy"]),
                    pct(row["topic_macro_f1"]),
                    pct(row["oos_recall"]),
                    f"{1000 * row['nlu_seconds']:.1f}",
                    f"{row['training_seconds']:.0f}",
                ]
                for row in cv["per_fold"]
            ],
        ),
        "",
        "Training s is the wall time of Rasa's training call, which restores components from its cache "
        "(`.rasa/cache`) when the same configuration was trained on the same data before: seconds instead of "
        "minutes for Rasa's default pipeline on a second run (`make bench-speed` times `rasa train` from an "
        "empty cache). Plots (cross-validation, out-of-fold predictions pooled): `confusion_matrix.png` (project "
        "pipeline, topics) and `f1_per_topic.png` (the three systems).",
        "",
    ]
    e2e = results.get("end_to_end")
    if e2e:
        parts += [
            "## End to end on the evaluation set, by tag",
            "",
            table(
                ("tag", "messages", "topic accuracy", "required facts", "nothing forbidden", "no invented figures"),
                [
                    [
                        tag,
                        str(row["messages"]),
                        pct(row["topic_accuracy"]),
                        pct(row["must_contain_rate"]),
                        pct(row["must_not_contain_rate"]),
                        pct(row["no_invented_figures_rate"]),
                    ]
                    for tag, row in e2e["by_tag"].items()
                ],
            ),
            "",
            f"All checks passed (topic, required facts, nothing forbidden, no invented figure) on "
            f"{pct(e2e['all_checks_rate'])} of the messages.",
            "",
            "## Resident answers: length and readability",
            "",
            "Characters before the closing source line, over the resident turns answered from the "
            "knowledge base; readability is textstat's Flesch reading ease with the French constants "
            "of Kandel and Moles (60-70: plain French).",
            "",
            answers_table(results),
            "",
            "## End-to-end failures",
            "",
        ]
        failures = [turn for turn in e2e["turns"] if not turn["passed"]]
        if failures:
            parts.append(
                table(
                    ("case", "message", "expected → got", "missing", "forbidden present", "invented"),
                    [
                        [
                            f"{turn['case']}#{turn['turn'] + 1}",
                            turn["text"].replace("|", "/"),
                            f"{turn['expected_topic']} → {turn['topic']}",
                            ", ".join(turn["missing"]) or "",
                            ", ".join(turn["forbidden"]) or "",
                            ", ".join(turn["invented"]) or "",
                        ]
                        for turn in failures
                    ],
                )
            )
        else:
            parts.append("None.")
        parts.append("")
    parts += render_question_sets(results.get("question_sets") or {})
    parts += render_phrasing_kinds(results.get("phrasing_kinds") or {}, results.get("cross_validation"))
    evaluation = results.get("eval_set_nlu") or {}
    if evaluation:
        parts += ["## Evaluation set, NLU view: messages whose topic was missed", ""]
        for system, view in evaluation.items():
            misses = view.get("misses", [])
            parts.append(f"- {SYSTEM_LABELS[system]}: {len(misses)} missed")
        parts.append("")
    if results.get("external"):
        parts += render_external(results["external"])
    parts += render_people(results.get("people") or {})
    return "\n".join(parts)


def compact(results: dict[str, Any]) -> dict[str, Any]:
    """The results without the per-message topic lists of the cross-validation (thousands of
    entries), which are summed up as topic confusion counts per system instead."""
    if "cross_validation" not in results:  # an --external-only run with no report before it
        return results
    cv = dict(results["cross_validation"])
    pooled = cv.pop("pooled", None)
    if pooled is not None:
        cv["confusion"] = {}
        for system, lists in pooled.items():
            labels = sorted(set(lists["gold"]) | set(lists["predicted"]))
            index = {label: position for position, label in enumerate(labels)}
            counts = [[0] * len(labels) for _ in labels]
            for gold, predicted in zip(lists["gold"], lists["predicted"], strict=True):
                counts[index[gold]][index[predicted]] += 1
            cv["confusion"][system] = {"labels": labels, "counts": counts}
    return {**results, "cross_validation": cv}
