"""The quality benchmark's run: every step in order, then the report. ``run`` is the full
benchmark; ``run_external_only`` only the external section, merged into the last report."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common.progress import Progress
from bench.common.results import SCRATCH_DIR, write_results
from bench.quality import external, people, phrasing_kinds, plots, report
from bench.quality.conversations import Case, evaluate_set_nlu, load_cases, question_set_paths
from bench.quality.cross_validation import cross_validate, train_rasa_system, train_tfidf_system
from bench.quality.end_to_end import evaluate_end_to_end, evaluate_question_sets
from bench.quality.phrasing_kinds import leave_one_kind_out
from bench.quality.systems import (
    DEFAULT_CONFIG,
    PROJECT_CONFIG,
    SYSTEMS,
    NluSystem,
    RasaSystem,
    config_with_epochs,
    load_nlu_data,
)
from bench.quality.targets import targets
from bench.quality.topics import Topics
from bot.core.relevance import question_words_of
from bot.core.services import Services
from bot.settings import PROJECT_ROOT, Settings

# Smoke runs: the first few conversations of the evaluation set and one with several turns,
# and the first few cases of each of issue 15's sets.
SMOKE_CASES = 5


def git_commit() -> str:
    """The commit measured, and whether what the figures depend on was changed since."""
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


def _work_dir(args: argparse.Namespace) -> Path:
    return SCRATCH_DIR / ("smoke-work" if args.smoke else "work")


def _external_set(args: argparse.Namespace, settings: Settings) -> external.ExternalSet | None:
    directory, reason = external.find_directory(settings.external_eval)
    if directory is None:
        print(f"External French utterances: section skipped ({reason}).", flush=True)
        return None
    lines = external.load_external(directory)
    return lines.sample(args.seed) if args.smoke else lines


def _external_results(lines: external.ExternalSet) -> dict[str, Any]:
    return {
        "meta": {
            "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "commit": git_commit(),
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


def _people(
    args: argparse.Namespace,
    settings: Settings,
    services: Services,
    progress: Progress,
    work: Path,
    model: Path | None = None,
) -> dict[str, Any]:
    """Issue 16's tables end to end (one message of each table in smoke runs)."""
    cases = people.load_tables()
    if args.smoke:
        cases = [next(case for case in cases if case.table == table) for table in people.TABLES]
    section = people.evaluate_end_to_end(
        cases, services.people.insulting_words, settings, model or args.model, progress, work
    )
    progress.note(
        "people: " + ", ".join(f"{name} {report.pct(figures['rate'])}" for name, figures in section["tables"].items())
    )
    return section


def question_sets(smoke: bool) -> dict[str, list[Case]]:
    """Issue 15's sets, by name (the first few cases of each in smoke runs)."""
    sets = {name: load_cases(path) for name, path in question_set_paths().items()}
    return {name: cases[:SMOKE_CASES] for name, cases in sets.items()} if smoke else sets


def _question_sets(
    args: argparse.Namespace, kb: Any, settings: Settings, model: Path, progress: Progress, work: Path
) -> dict[str, Any]:
    """Issue 15's sets end to end, and their figures in the progress lines."""
    figures = evaluate_question_sets(question_sets(args.smoke), kb, settings, model, progress, work)
    progress.note(
        "issue 15's sets: "
        + ", ".join(
            f"{name} all checks {report.pct(rates['all_checks_rate'])}, "
            f"first fact {report.pct(rates.get('first_fact_rate'))}"
            for name, rates in figures.items()
        )
    )
    return figures


def run_external_only(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """Only the external section: the three systems' NLU view (each trained on all of data/nlu)
    and, unless --no-e2e, the project end to end. It replaces the external section of the
    report already in ``args.out`` (or writes a report of that section alone)."""
    started = time.monotonic()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    lines = _external_set(args, settings)
    if lines is None:
        return {}
    if not args.model.exists():
        raise SystemExit(f"error: no trained model at {args.model}: run `make train` first")
    work = _work_dir(args)
    services = Services(settings)
    topics = Topics(services.kb, services.topics, services.communes)
    data = load_nlu_data()
    progress = Progress(5 + (0 if args.no_e2e else 4))
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
            system, _ = train_rasa_system(name, config, full_file, work / "full", progress, "all data")
        else:
            progress.step(f"external, NLU view: {report.SYSTEM_LABELS[name]} trained on all data")
            system, _ = train_tfidf_system(data.examples, args.seed)
        if name == "rasa_default":
            progress.step(f"external, NLU view: {report.SYSTEM_LABELS[name]}")
        section["nlu"][name] = external.evaluate_nlu(system, lines, topics)
        system.close()
        _note_external(progress, name, section["nlu"][name])
    if not args.no_e2e:
        section["end_to_end"] = external.evaluate_end_to_end(lines, settings, args.model, progress, work)
        _note_external(progress, "project end to end", section["end_to_end"])
    section["meta"]["duration_minutes"] = (time.monotonic() - started) / 60
    previous = out / "quality.json"
    results: dict[str, Any] = json.loads(previous.read_text(encoding="utf-8")) if previous.exists() else {}
    results["external"] = section
    if not args.no_e2e:
        # The evaluation set end to end too (answers, their length and readability): it needs no
        # training, unlike the cross-validation, whose figures stay those of the last full run.
        results["end_to_end"] = evaluate_end_to_end(load_cases(), services.kb, settings, args.model, progress, work)
        results["people"] = _people(args, settings, services, progress, work)
        # Issue 15's sets need no training either.
        results["question_sets"] = _question_sets(args, services.kb, settings, args.model, progress, work)
    results["targets"] = (
        targets(results)
        if "cross_validation" in results
        else external.targets(section) + people.targets(results.get("people") or {})
    )
    progress.step(f"writing the external section of the report to {out}")
    write_results(out, "quality", report.compact(results), report.render_markdown(results), indent=1)
    return results


def run_phrasing_only(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """Only the leave-one-kind-out section (``phrasing_kinds``), written into the report already
    in ``args.out`` (or a report of that section alone)."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    services = Services(settings)
    lexicon = question_words_of(services.kb)
    data = load_nlu_data()
    kinds = 1 if args.smoke else len(phrasing_kinds.groups(data.examples, lexicon))
    progress = Progress(kinds + 1)
    print(f"Leave one kind of phrasing out: {len(data.examples)} training examples; {progress.total} steps", flush=True)
    config = config_with_epochs(PROJECT_CONFIG, args.epochs, _work_dir(args) / "config_project.yml")
    topics = Topics(services.kb, services.topics, services.communes)
    section = leave_one_kind_out(args, data, topics, lexicon, config, progress, _work_dir(args))
    previous = out / "quality.json"
    results: dict[str, Any] = json.loads(previous.read_text(encoding="utf-8")) if previous.exists() else {}
    results["phrasing_kinds"] = section
    results.setdefault("targets", [])
    progress.step(f"writing the leave-one-kind-out section of the report to {out}")
    # With no report before it, a report of this section alone.
    markdown = (
        report.render_markdown(results) if "meta" in results else "\n".join(report.render_phrasing_kinds(section, None))
    )
    write_results(out, "quality", report.compact(results), markdown, indent=1)
    return results


def run(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    started = time.monotonic()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    work = _work_dir(args)
    services = Services(settings)
    kb = services.kb
    topics = Topics(kb, services.topics, services.communes)
    cases = load_cases()
    if args.smoke:
        multi = next(case for case in cases if len(case.turns) > 1)
        cases = [*cases[:SMOKE_CASES], multi]
    data = load_nlu_data()
    lines = _external_set(args, settings)
    project_model: Path | None = args.model if args.model.exists() else None
    if project_model is None and not args.smoke:
        raise SystemExit(f"error: no trained model at {args.model}: run `make train` first")
    project_nlu = project_model or Path("(none: smoke run on the fold's model)")
    e2e = not args.no_e2e and project_model is not None
    # Per fold: 2 Rasa trainings, 2 parses, 1 TF-IDF; then the evaluation set: 3 systems (and
    # the Rasa default trained on all data), end to end (the evaluation set, the people tables,
    # issue 15's sets, the external lines), and the report.
    kinds = 1 if args.smoke else len(phrasing_kinds.groups(data.examples, question_words_of(kb)))
    total = (
        5 * args.folds_run + kinds + 3 + (0 if args.smoke else 1) + (3 if e2e else 0) + (1 if e2e and lines else 0) + 1
    )
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
    phrasing = leave_one_kind_out(args, data, topics, question_words_of(kb), configs["project"], progress, work)

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
                system, _ = train_rasa_system(name, configs[name], full_file, work / "full", progress, "all data")
                progress.step(f"evaluation set, NLU view: {report.SYSTEM_LABELS[name]}")
            else:
                progress.step(f"evaluation set, NLU view: {report.SYSTEM_LABELS[name]} trained on all data")
                system, _ = train_tfidf_system(data.examples, args.seed)
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
            "commit": git_commit(),
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
        "phrasing_kinds": phrasing,
        "eval_set_nlu": evaluation,
    }
    if e2e and project_model is not None:
        results["end_to_end"] = evaluate_end_to_end(cases, kb, settings, project_model, progress, work)
        results["people"] = _people(args, settings, services, progress, work, project_model)
        results["question_sets"] = _question_sets(args, kb, settings, project_model, progress, work)
    elif not args.no_e2e:
        print(f"warning: no trained model at {args.model}: end-to-end run skipped (make train)", file=sys.stderr)
    if lines is not None:
        if e2e and project_model is not None:
            external_section["end_to_end"] = external.evaluate_end_to_end(
                lines, settings, project_model, progress, work
            )
            _note_external(progress, "project end to end", external_section["end_to_end"])
        results["external"] = external_section
    results["targets"] = targets(results)
    results["meta"]["duration_minutes"] = (time.monotonic() - started) / 60

    progress.step(f"writing the report to {out}")
    pooled = cv["pooled"]["project"]
    plots.plot_confusion(
        pooled["gold"], pooled["predicted"], "Project pipeline: topics, cross-validation", out / "confusion_matrix.png"
    )
    plots.plot_f1(cv["per_topic_f1"], "F1 per topic, cross-validation", out / "f1_per_topic.png")
    write_results(out, "quality", report.compact(results), report.render_markdown(results), indent=1)
    return results
