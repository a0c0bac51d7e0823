"""`make bench-quality`: how well the assistant understands and answers, against two baselines.

1. Cross-validation: the project's pipeline (config.yml), Rasa's default pipeline and a
   TF-IDF + linear SVM baseline are trained and tested on the same stratified folds of
   data/nlu. Intent and topic accuracy, topic macro-F1, out-of-scope recall, NLU time.
2. The evaluation set (bench/eval/conversations.yml), NLU view: the three systems trained on
   all the training data, turn by turn.
3. The evaluation set end to end: the real servers (models/agglo.tar.gz) through the REST
   channel; the payload's topic, the required and forbidden strings, invented figures.
4. Leave one kind of phrasing out (bench/quality/phrasing_kinds.py): the project's pipeline and
   the TF-IDF baseline trained without the examples asking one kind of question, tested on them.
5. Issue 15's sets (bench/eval/questions.yml, questions_blind.yml, official_data.yml) end to end
   the same way, with the share of answers whose first fact is the expected one, per set and
   per kind of case (two questions, corrections, figures…).

Writes bench/results/quality.md, quality.json, confusion_matrix.png and f1_per_topic.png.
``--smoke`` runs the whole chain in a few minutes (one fold, 2 epochs, a few messages).

    python -m bench.quality [--smoke] [--out DIR] [--folds 3] [--seed 2032] [--no-e2e]
    python -m bench.quality --external-only | --phrasing-only
"""

from __future__ import annotations

import argparse
import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from bench.common.results import RESULTS_DIR, SCRATCH_DIR
from bench.quality import report
from bench.quality.run import run, run_external_only, run_phrasing_only
from bot.settings import DEFAULT_MODEL, load_settings

SMOKE_EPOCHS = 2


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
    parser.add_argument(
        "--phrasing-only",
        action="store_true",
        help="only the leave-one-kind-out figure (10 trainings of the project's pipeline, ~15 min); "
        "updates that section of the existing report",
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="the project's trained model")
    args = parser.parse_args(argv)
    args.folds_run = 1 if args.smoke else args.folds
    args.epochs = SMOKE_EPOCHS if args.smoke else None
    if args.out is None:
        args.out = SCRATCH_DIR / "smoke" if args.smoke else RESULTS_DIR
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Before Rasa and TensorFlow are imported (lazily, by bench.quality.systems): Rasa's epoch
    # bars and TensorFlow's notices would drown the one progress line per step.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    warnings.filterwarnings("ignore")
    settings = load_settings()
    if args.phrasing_only:
        results = run_phrasing_only(args, settings)
    elif args.external_only:
        results = run_external_only(args, settings)
    else:
        results = run(args, settings)
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
    raise SystemExit(main())
