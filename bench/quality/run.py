"""`make bench-quality`: how well the assistant understands and answers, against two baselines.

1. Cross-validation: the project's pipeline (config.yml), Rasa's default pipeline and a
   TF-IDF + linear SVM baseline are trained and tested on the same stratified folds of
   data/nlu. Intent and topic accuracy, topic macro-F1, out-of-scope recall, NLU time.
2. The evaluation set (bench/eval/conversations.yml), NLU view: the three systems trained on
   all the training data, turn by turn.
3. The evaluation set end to end: the real servers (models/agglo.tar.gz) through the REST
   channel; the payload's topic, the required and forbidden strings, invented figures.

Writes bench/results/quality.md, quality.json, confusion_matrix.png and f1_per_topic.png.
``--smoke`` runs the whole chain in a few minutes (one fold, 2 epochs, a few messages).

    python -m bench.quality [--smoke] [--out DIR] [--folds 3] [--seed 2032] [--no-e2e]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
import urllib.request
import warnings
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.quality import answers, external, report
from bench.quality.conversations import Case, contains, load_cases, turns
from bench.quality.figures import unsourced_numbers
from bench.quality.systems import (
    DEFAULT_CONFIG,
    PROJECT_CONFIG,
    Example,
    NluData,
    NluSystem,
    Parse,
    RasaSystem,
    TfidfSystem,
    config_with_epochs,
    load_nlu_data,
    train_rasa_nlu,
)
from bot.core.matching import CommuneMatcher, TopicDetector
from bot.core.payloads import CHANNEL_SECRET_HEADER
from bot.core.services import Services
from bot.core.topics import CONVERSATION_INTENTS, NOT_UNDERSTOOD, turn_topic
from bot.kb.queries import KnowledgeBase
from bot.settings import PROJECT_ROOT, load_settings
from ops.dev import DEFAULT_MODEL, ServerConfig, Servers, free_port, wait_until_up

RESULTS = PROJECT_ROOT / "bench" / "results"
SCRATCH = RESULTS / "tmp"
OUT_OF_SCOPE = "hors_sujet"
# Answers composed from the knowledge base's facts (not small talk or a rephrase request):
# the ones whose length and readability the bench reports.
NOT_KNOWLEDGE_TOPICS = (*CONVERSATION_INTENTS, NOT_UNDERSTOOD, "contact")
SYSTEMS = ("project", "rasa_default", "tfidf")
TARGET_TOPIC_ACCURACY = 0.95
TARGET_OOS_RECALL = 0.90
SMOKE_EPOCHS = 2
SMOKE_TEST_MESSAGES = 20
SMOKE_CASES = 5
SMOKE_PER_INTENT = 4
# The servers load TensorFlow and the model: minutes on a busy 2-core machine.
SERVER_TIMEOUT = 600


class Progress:
    """One line per step, with the elapsed time, so a 30-minute run shows where it is."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()

    def elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60:02d}:{seconds % 60:02d}"

    def step(self, message: str) -> None:
        self.done += 1
        print(f"[{self.done:>2}/{self.total}] {self.elapsed()} {message}", flush=True)

    def note(self, message: str) -> None:
        print(f"        {self.elapsed()} {message}", flush=True)


# ---------------------------------------------------------------------------------------------
# Scores
# ---------------------------------------------------------------------------------------------


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
    present = [value for value in values if value is not None]
    if not present:
        return None
    return {
        "mean": statistics.fmean(present),
        "std": statistics.stdev(present) if len(present) > 1 else 0.0,
        "n": len(present),
    }


# ---------------------------------------------------------------------------------------------
# Topics of the NLU systems' predictions
# ---------------------------------------------------------------------------------------------


class Topics:
    """turn_topic with the knowledge base, the keyword detector and the commune matcher bound."""

    def __init__(self, kb: KnowledgeBase, detector: TopicDetector, communes: CommuneMatcher) -> None:
        self.kb = kb
        self.detector = detector
        self.communes = communes

    def of(self, intent: str, dispositif: str | None, text: str, current: str | None = None) -> str:
        return turn_topic(
            intent,
            dispositif,
            text,
            current,
            self.kb,
            self.detector,
            only_commune=self.communes.names_only_a_commune(text),
            names_commune=self.communes.find(text) is not None,
        )


def next_context(current: str | None, topic: str) -> str | None:
    """The `topic` slot after a turn: small talk and misunderstandings leave it unchanged."""
    if topic in CONVERSATION_INTENTS or topic == NOT_UNDERSTOOD:
        return current
    return topic


# ---------------------------------------------------------------------------------------------
# 1. Cross-validation
# ---------------------------------------------------------------------------------------------


def folds(examples: Sequence[Example], n_folds: int, seed: int) -> list[tuple[list[int], list[int]]]:
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    intents = [example.intent for example in examples]
    return [(list(train), list(test)) for train, test in splitter.split(intents, intents)]


def _rasa_system(
    name: str, config: Path, nlu_file: Path, out_dir: Path, progress: Progress, label: str
) -> tuple[RasaSystem, float]:
    progress.step(f"{label}: training {report.SYSTEM_LABELS[name]} on {nlu_file.name}")
    started = time.monotonic()
    model = train_rasa_nlu(config, nlu_file, out_dir, name)
    training = time.monotonic() - started
    progress.note(f"trained in {training:.0f} s; loading {model.name}")
    return RasaSystem(name, model), training


def _tfidf_system(examples: Sequence[Example], seed: int) -> tuple[TfidfSystem, float]:
    started = time.monotonic()
    system = TfidfSystem("tfidf", [e.text for e in examples], [e.intent for e in examples], seed)
    return system, time.monotonic() - started


def _evaluate_examples(system: NluSystem, examples: Sequence[Example], topics: Topics) -> dict[str, Any]:
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


def _smoke_subset(examples: Sequence[Example], seed: int) -> list[Example]:
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
            train = _smoke_subset(train, args.seed)
            test = random.Random(args.seed).sample(test, min(SMOKE_TEST_MESSAGES, len(test)))
        nlu_file = data.write(work / f"fold{fold + 1}" / "train.yml", train)
        for name in ("project", "rasa_default"):
            system, training = _rasa_system(name, configs[name], nlu_file, work / f"fold{fold + 1}", progress, label)
            progress.step(f"{label}: parsing {len(test)} held-out messages with {report.SYSTEM_LABELS[name]}")
            result = _evaluate_examples(system, test, topics)
            per_fold.append({"fold": fold, "system": name, "training_seconds": training, **result})
            if args.smoke:
                kept[name] = system
            else:
                system.close()
        progress.step(f"{label}: training and testing {report.SYSTEM_LABELS['tfidf']}")
        tfidf, training = _tfidf_system(train, args.seed)
        per_fold.append(
            {"fold": fold, "system": "tfidf", "training_seconds": training, **_evaluate_examples(tfidf, test, topics)}
        )
        kept["tfidf"] = tfidf
        for row in per_fold[-3:]:
            pooled[row["system"]][0].extend(row.pop("gold_topics"))
            pooled[row["system"]][1].extend(row.pop("predicted_topics"))
            progress.note(
                f"{label} {row['system']:>12}: topic accuracy {report.pct(row['topic_accuracy'])}, "
                f"OOS recall {report.pct(row['oos_recall'])}, {1000 * row['nlu_seconds']:.1f} ms/msg"
            )
    summary = {
        system: {
            metric: spread([row[metric] for row in per_fold if row["system"] == system])
            for metric in (
                "intent_accuracy",
                "intent_macro_f1",
                "topic_accuracy",
                "topic_macro_f1",
                "oos_recall",
                "nlu_seconds",
            )
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


# ---------------------------------------------------------------------------------------------
# 2. Evaluation set, NLU view
# ---------------------------------------------------------------------------------------------


def evaluate_set_nlu(system: NluSystem, cases: Sequence[Case], topics: Topics) -> dict[str, Any]:
    """Turn by turn; each system's own previous topic is the context of the next turn."""
    texts = [turn.text for _, _, turn in turns(cases)]
    parses = iter(system.parse_all(texts))
    gold, predicted, seconds, misses = [], [], [], []
    for case in cases:
        current: str | None = None
        for index, turn in enumerate(case.turns):
            parse: Parse = next(parses)
            topic = topics.of(parse.intent, parse.dispositif, turn.text, current)
            current = next_context(current, topic)
            gold.append(turn.expected_topic)
            predicted.append(topic)
            seconds.append(parse.seconds)
            if topic != turn.expected_topic:
                misses.append(
                    {
                        "case": case.id,
                        "turn": index,
                        "text": turn.text,
                        "intent": parse.intent,
                        "topic": topic,
                        "expected_topic": turn.expected_topic,
                    }
                )
    return {**scores(gold, predicted, seconds), "misses": misses}


# ---------------------------------------------------------------------------------------------
# 3. Evaluation set, end to end
# ---------------------------------------------------------------------------------------------


@contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Child processes started inside write their stdout and stderr to ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def say(config: ServerConfig, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """One turn at the REST channel. A turn with metadata (the evaluation set's agent turns) is
    sent as the web front sends a console session's, with the channel secret, so that
    ``metadata.agent`` counts; any other turn as a resident's."""
    body: dict[str, Any] = {"sender": sender, "message": text}
    if metadata:
        body["metadata"] = metadata
    headers = {"Content-Type": "application/json"}
    if metadata:
        headers[CHANNEL_SECRET_HEADER] = config.channel_secret
    request = urllib.request.Request(
        f"{config.rasa_url}/webhooks/rest/webhook", data=json.dumps(body).encode(), headers=headers
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        messages: list[dict[str, Any]] = json.load(response)
    return messages


def first_payload(messages: list[dict[str, Any]]) -> dict[str, Any]:
    payloads = [message["custom"] for message in messages if isinstance(message.get("custom"), dict)]
    return payloads[0] if payloads else {}


def payload_topic(messages: list[dict[str, Any]]) -> str:
    return str(first_payload(messages).get("topic") or "(no payload)")


@contextmanager
def running_servers(model: Path, progress: Progress, work: Path, what: str) -> Iterator[ServerConfig]:
    """The action and Rasa servers on free ports, for the duration; yields their configuration."""
    var_dir = work / f"e2e-{dt.datetime.now():%Y%m%d-%H%M%S}"
    config = ServerConfig(
        rasa_port=free_port(),
        actions_port=free_port(),
        model=model,
        var_dir=var_dir,
        extra_env={"AGGLO_DATABASE_URL": load_settings().database_url},
    )
    servers = Servers(config)
    progress.step(f"end to end: starting the action and Rasa servers ({model.name}), then {what}")
    var_dir.mkdir(parents=True, exist_ok=True)
    log_file = var_dir / "servers.log"
    try:
        # Only the two servers the REST channel needs (not the web front), their output in a
        # log file rather than between the progress lines.
        with _output_to(log_file):
            actions = servers.start_actions()
            rasa = servers.start_rasa()
        wait_until_up(f"{config.actions_url}/health", actions, SERVER_TIMEOUT)
        wait_until_up(f"{config.rasa_url}/", rasa, SERVER_TIMEOUT)
        progress.note(f"servers are up (their output: {log_file})")
        yield config
    finally:
        servers.stop()


def _rates(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    count = len(rows)

    def share(key: str) -> float:
        return sum(1 for row in rows if row[key]) / count if count else 0.0

    return {
        "messages": count,
        "topic_accuracy": share("topic_ok"),
        "must_contain_rate": share("facts_ok"),
        "must_not_contain_rate": share("forbidden_ok"),
        "no_invented_figures_rate": share("figures_ok"),
        "all_checks_rate": share("passed"),
    }


def evaluate_end_to_end(
    cases: Sequence[Case], kb: KnowledgeBase, model: Path, progress: Progress, work: Path
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    run_id = f"{time.time():.0f}"
    with running_servers(model, progress, work, f"{len(cases)} conversations") as config:
        for number, case in enumerate(cases, start=1):
            sender = f"bench-{run_id}-{case.id}"
            for index, turn in enumerate(case.turns):
                started = time.perf_counter()
                messages = say(config, sender, turn.text, turn.metadata)
                elapsed = time.perf_counter() - started
                rows.append(_check_turn(kb, case, index, messages, elapsed))
            if number % 25 == 0 or number == len(cases):
                done = _rates(rows)
                progress.note(
                    f"{number}/{len(cases)} conversations: topic {report.pct(done['topic_accuracy'])}, "
                    f"required facts {report.pct(done['must_contain_rate'])}"
                )
    gold = [row["expected_topic"] for row in rows]
    predicted = [row["topic"] for row in rows]
    by_tag: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_tag["all"].append(row)
        for tag in row["tags"]:
            by_tag[tag].append(row)
        by_tag["multi_turn" if row["multi_turn"] else "single_turn"].append(row)
    return {
        **_rates(rows),
        **{key: value for key, value in scores(gold, predicted).items() if key in ("topic_macro_f1", "oos_recall")},
        "seconds_per_turn": statistics.fmean(row["seconds"] for row in rows) if rows else 0.0,
        "by_tag": {tag: _rates(tag_rows) for tag, tag_rows in sorted(by_tag.items())},
        "answers": answers.summary(rows),
        "turns": rows,
    }


def _check_turn(
    kb: KnowledgeBase, case: Case, index: int, messages: list[dict[str, Any]], seconds: float
) -> dict[str, Any]:
    turn = case.turns[index]
    text = "\n".join(str(message.get("text") or "") for message in messages)
    payload = first_payload(messages)
    topic = payload_topic(messages)
    missing = [needle for needle in turn.must_contain if not contains(text, needle)]
    forbidden = [needle for needle in turn.must_not_contain if contains(text, needle)]
    invented = (
        unsourced_numbers(
            kb, topic, text, payload.get("sources") or [], agent=turn.agent, commune_insee=payload.get("commune")
        )
        if payload
        else ["(no payload)"]
    )
    row = {
        "case": case.id,
        "turn": index,
        "tags": list(case.tags),
        "multi_turn": len(case.turns) > 1,
        "text": turn.text,
        "expected_topic": turn.expected_topic,
        "topic": topic,
        "commune": payload.get("commune"),
        "topic_ok": topic == turn.expected_topic,
        "facts_ok": not missing,
        "forbidden_ok": not forbidden,
        "figures_ok": not invented,
        "missing": missing,
        "forbidden": forbidden,
        "invented": invented,
        "seconds": seconds,
        "answer": text,
    }
    if not turn.agent and topic not in NOT_KNOWLEDGE_TOPICS and payload:
        row["answer_figures"] = answers.measure(text)
    row["passed"] = all(row[key] for key in ("topic_ok", "facts_ok", "forbidden_ok", "figures_ok"))
    if row["passed"]:
        # Only failing answers are kept in quality.json: they are the ones to read.
        del row["answer"]
    return row


# ---------------------------------------------------------------------------------------------
# Targets and the run itself
# ---------------------------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    cv = results["cross_validation"]["summary"]
    e2e = results.get("end_to_end")
    evaluation = results.get("eval_set_nlu") or {}
    found = []

    def add(name: str, value: float | None, minimum: float) -> None:
        if value is not None:
            found.append({"name": name, "value": report.pct(value), "met": value >= minimum - 1e-9})

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
        label = report.SYSTEM_LABELS[baseline]
        ours, theirs = cv["project"]["topic_accuracy"]["mean"], cv[baseline]["topic_accuracy"]["mean"]
        found.append(
            {
                "name": f"beats {label} on topic accuracy, cross-validation",
                "value": f"{report.pct(ours)} vs {report.pct(theirs)}",
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
                    "value": f"{report.pct(ours_eval)} vs {report.pct(theirs_eval)}",
                    "met": ours_eval > theirs_eval,
                }
            )
    if results.get("external"):
        found += external.targets(results["external"])
    return found


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "config.yml", "data", "kb", "bot", "actions", "bench/eval"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' + uncommitted changes' if dirty else ''}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="1 fold, 2 epochs, a few messages: checks the chain")
    parser.add_argument("--out", type=Path, help="where to write the report (default bench/results)")
    parser.add_argument("--folds", type=int, default=3, help="number of cross-validation folds (default 3)")
    parser.add_argument("--seed", type=int, default=2032, help="seed of the fold shuffling")
    parser.add_argument(
        "--no-e2e", action="store_true", help="skip the end-to-end runs (evaluation set and external lines)"
    )
    parser.add_argument(
        "--external-only",
        action="store_true",
        help="no cross-validation: the external French utterances (../shared/eval/external), NLU view of the "
        "three systems, and unless --no-e2e the project end to end on them and on the evaluation set; "
        "updates those sections of the existing report",
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="the project's trained model")
    args = parser.parse_args(argv)
    args.folds_run = 1 if args.smoke else args.folds
    args.epochs = SMOKE_EPOCHS if args.smoke else None
    if args.out is None:
        args.out = SCRATCH / "smoke" if args.smoke else RESULTS
    return args


def _external_set(args: argparse.Namespace) -> external.ExternalSet | None:
    directory, reason = external.find_directory()
    if directory is None:
        print(f"External French utterances: section skipped ({reason}).", flush=True)
        return None
    lines = external.load_external(directory)
    return lines.sample(args.seed) if args.smoke else lines


def _external_results(lines: external.ExternalSet) -> dict[str, Any]:
    return {
        "meta": {
            "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "commit": _commit(),
            "directory": str(lines.directory),
            "oos_lines": len(lines.oos),
            "in_domain_lines": len(lines.in_domain),
        },
        "nlu": {},
    }


def _note_external(progress: Progress, label: str, figures: dict[str, Any]) -> None:
    progress.note(
        f"external, {label}: out of scope answered off-topic {report.pct(figures['oos_non_content_rate'])}, "
        f"in-domain accepted {report.pct(figures['in_domain_accepted_rate'])}"
    )


def run_external_only(args: argparse.Namespace) -> dict[str, Any]:
    """Only the external section: the three systems' NLU view (each trained on all of data/nlu)
    and, unless --no-e2e, the project end to end. It replaces the external section of the
    report already in ``args.out`` (or writes a report of that section alone)."""
    started = time.monotonic()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    lines = _external_set(args)
    if lines is None:
        return {}
    if not args.model.exists():
        raise SystemExit(f"error: no trained model at {args.model}: run `make train` first")
    work = SCRATCH / ("smoke-work" if args.smoke else "work")
    services = Services(load_settings())
    topics = Topics(services.kb, services.topics, services.communes)
    data = load_nlu_data()
    progress = Progress(5 + (0 if args.no_e2e else 2))
    print(
        f"External French utterances: {len(lines.oos)} out-of-scope and {len(lines.in_domain)} in-domain lines "
        f"from {lines.directory}; {progress.total} steps",
        flush=True,
    )
    section = _external_results(lines)
    for name in SYSTEMS:
        if name == "project":
            progress.step(f"external, NLU view: loading {args.model}")
            system: NluSystem = RasaSystem(name, args.model)
        elif name == "rasa_default":
            config = config_with_epochs(DEFAULT_CONFIG, args.epochs, work / "config_rasa_default.yml")
            full_file = data.write(work / "full" / "train.yml", data.examples)
            system, _ = _rasa_system(name, config, full_file, work / "full", progress, "all data")
        else:
            progress.step(f"external, NLU view: {report.SYSTEM_LABELS[name]} trained on all data")
            system, _ = _tfidf_system(data.examples, args.seed)
        if name == "rasa_default":
            progress.step(f"external, NLU view: {report.SYSTEM_LABELS[name]}")
        section["nlu"][name] = external.evaluate_nlu(system, lines, topics)
        system.close()
        _note_external(progress, name, section["nlu"][name])
    if not args.no_e2e:
        section["end_to_end"] = external.evaluate_end_to_end(lines, args.model, progress, work)
        _note_external(progress, "project end to end", section["end_to_end"])
    section["meta"]["duration_minutes"] = (time.monotonic() - started) / 60
    previous = out / "quality.json"
    results: dict[str, Any] = json.loads(previous.read_text(encoding="utf-8")) if previous.exists() else {}
    results["external"] = section
    if not args.no_e2e:
        # The evaluation set end to end too (answers, their length and readability): it needs no
        # training, unlike the cross-validation, whose figures stay those of the last full run.
        results["end_to_end"] = evaluate_end_to_end(load_cases(), services.kb, args.model, progress, work)
    results["targets"] = targets(results) if "cross_validation" in results else external.targets(section)
    progress.step(f"writing the external section of the report to {out}")
    (out / "quality.md").write_text(report.render_markdown(results), encoding="utf-8")
    report.write_json(results, previous)
    return results


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.monotonic()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    work = SCRATCH / ("smoke-work" if args.smoke else "work")
    services = Services(load_settings())
    kb = services.kb
    topics = Topics(kb, services.topics, services.communes)
    cases = load_cases()
    if args.smoke:
        multi = next(case for case in cases if len(case.turns) > 1)
        cases = [*cases[:SMOKE_CASES], multi]
    data = load_nlu_data()
    lines = _external_set(args)
    project_model: Path | None = args.model if args.model.exists() else None
    if project_model is None and not args.smoke:
        raise SystemExit(f"error: no trained model at {args.model}: run `make train` first")
    project_nlu = project_model or Path("(none: smoke run on the fold's model)")
    e2e = not args.no_e2e and project_model is not None
    # Per fold: 2 Rasa trainings, 2 parses, 1 TF-IDF; then the evaluation set: 3 systems (and
    # the Rasa default trained on all data), end to end (the evaluation set, the external
    # lines), and the report.
    total = 5 * args.folds_run + 3 + (0 if args.smoke else 1) + (1 if e2e else 0) + (1 if e2e and lines else 0) + 1
    progress = Progress(total)
    configs = {
        "project": config_with_epochs(PROJECT_CONFIG, args.epochs, work / "config_project.yml"),
        "rasa_default": config_with_epochs(DEFAULT_CONFIG, args.epochs, work / "config_rasa_default.yml"),
    }
    print(
        f"Quality benchmark{' (smoke)' if args.smoke else ''}: {len(data.examples)} training examples, "
        f"{args.folds}-fold CV ({args.folds_run} run), {sum(len(c.turns) for c in cases)} evaluation messages; "
        f"{total} steps",
        flush=True,
    )
    cv, fold_systems = cross_validate(args, data, topics, configs, progress, work)

    # The evaluation set, NLU view: every system trained on all the training data (in smoke
    # mode, the fold's systems, still loaded).
    evaluation: dict[str, Any] = {}
    external_section = _external_results(lines) if lines is not None else {}
    for name in SYSTEMS:
        system = fold_systems.get(name)
        if system is None:
            if name == "project":
                progress.step(f"evaluation set, NLU view: loading {project_nlu}")
                system = RasaSystem(name, project_nlu)
            elif name == "rasa_default":
                full_file = data.write(work / "full" / "train.yml", data.examples)
                system, _ = _rasa_system(name, configs[name], full_file, work / "full", progress, "all data")
                progress.step(f"evaluation set, NLU view: {report.SYSTEM_LABELS[name]}")
            else:
                progress.step(f"evaluation set, NLU view: {report.SYSTEM_LABELS[name]} trained on all data")
                system, _ = _tfidf_system(data.examples, args.seed)
        else:
            progress.step(f"evaluation set, NLU view: {report.SYSTEM_LABELS[name]} (smoke: the fold's model)")
        evaluation[name] = evaluate_set_nlu(system, cases, topics)
        if lines is not None:
            external_section["nlu"][name] = external.evaluate_nlu(system, lines, topics)
        system.close()
        progress.note(
            f"{name}: topic accuracy {report.pct(evaluation[name]['topic_accuracy'])}, "
            f"OOS recall {report.pct(evaluation[name]['oos_recall'])}"
        )
        if lines is not None:
            _note_external(progress, name, external_section["nlu"][name])

    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "commit": _commit(),
            "cpus": os.cpu_count() or 0,
            "smoke": bool(args.smoke),
            "seed": args.seed,
            "epochs": "smoke: 2" if args.smoke else "as configured",
            "examples": len(data.examples),
            "intents": len({example.intent for example in data.examples}),
            "eval_cases": len(cases),
            "eval_messages": sum(len(case.turns) for case in cases),
            "project_model": str(project_nlu),
        },
        "cross_validation": cv,
        "eval_set_nlu": evaluation,
    }
    if e2e and project_model is not None:
        results["end_to_end"] = evaluate_end_to_end(cases, kb, project_model, progress, work)
    elif not args.no_e2e:
        print(f"warning: no trained model at {args.model}: end-to-end run skipped (make train)", file=sys.stderr)
    if lines is not None:
        if e2e and project_model is not None:
            external_section["end_to_end"] = external.evaluate_end_to_end(lines, project_model, progress, work)
            _note_external(progress, "project end to end", external_section["end_to_end"])
        results["external"] = external_section
    results["targets"] = targets(results)
    results["meta"]["duration_minutes"] = (time.monotonic() - started) / 60

    progress.step(f"writing the report to {out}")
    pooled = cv["pooled"]["project"]
    report.plot_confusion(
        pooled["gold"], pooled["predicted"], "Project pipeline: topics, cross-validation", out / "confusion_matrix.png"
    )
    report.plot_f1(cv["per_topic_f1"], "F1 per topic, cross-validation", out / "f1_per_topic.png")
    (out / "quality.md").write_text(report.render_markdown(results), encoding="utf-8")
    report.write_json(results, out / "quality.json")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Before Rasa and TensorFlow are imported (lazily, by bench.quality.systems): Rasa's epoch bars and
    # TensorFlow's notices would drown the one progress line per step.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    warnings.filterwarnings("ignore")
    results = run_external_only(args) if args.external_only else run(args)
    if not results:
        return 0
    print()
    print(report.summary_table(results))
    print()
    if report.answers_table(results):
        print(report.answers_table(results))
        print()
    for target in results["targets"]:
        print(f"{'met   ' if target['met'] else 'MISSED'} {target['name']}: {target['value']}")
    print(f"\nReport: {args.out / 'quality.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
