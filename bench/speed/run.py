"""The speed benchmark's run: knowledge-base timing, training times, then the load levels on
every profile; the report's figures."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bench.common.machine import load_average, machine
from bench.speed import log
from bench.speed.kb_timing import measure_kb
from bench.speed.levels import run_profiles
from bench.speed.profiles import PROFILE_NAMES, profiles
from bench.speed.report import evaluate_targets
from bench.speed.training import BASELINE_MODEL, train_baseline, train_project
from bot.settings import Settings

# Servers start in this order, one at a time; then every load level runs on each profile back to back.
RUN_ORDER = ("baseline", "default", "workers2")


def run(args: argparse.Namespace, settings: Settings, model: Path) -> dict[str, Any]:
    """Everything ``args`` asks for, the project's profiles serving ``model``."""
    report: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "conversations": args.conversations,
            "duration": args.duration,
            "max_messages": args.max_messages,
            "warmup": args.warmup,
            "seed": args.seed,
            "rounds": args.rounds,
            "profiles": args.profiles,
        },
        "profiles": {},
        "train": {},
    }
    if not args.skip_kb:
        log("timing knowledge-base queries in-process")
        report["kb"] = measure_kb(settings)
        log(f"KB query p50 {report['kb']['answer']['p50_ms']} ms, p95 {report['kb']['answer']['p95_ms']} ms")
    if not args.skip_train or ("baseline" in args.profiles and not BASELINE_MODEL.exists()):
        log("training the bare-Rasa baseline (bench/speed/baseline/)")
        report["train"]["baseline_s"] = round(train_baseline(), 1)
        log(f"baseline trained in {report['train']['baseline_s']} s")
    if not args.skip_train:
        log("timing `rasa train` of the project from an empty cache (a few minutes)")
        report["train"]["project_s"] = round(train_project(), 1)
        log(f"project trained in {report['train']['project_s']} s")
    if {"default", "workers2"} & set(args.profiles):
        report["settings"]["model"] = str(model)
        log(f"serving {model}")
    all_profiles = profiles(model)
    selected = [all_profiles[name] for name in sorted(args.profiles, key=RUN_ORDER.index)]
    results = run_profiles(selected, args, settings)
    report["profiles"] = {name: results[name] for name in PROFILE_NAMES if name in results}
    report["machine"]["load_average_at_end"] = load_average()
    report["targets"] = evaluate_targets(report)
    return report
