"""`make bench-speed`: latency, throughput, memory, start-up and training time, against bare Rasa.

Starts the real servers the way `make run` does (ops/dev.py), drives the REST channel from a
separate process (bench/speed/load.py) at several numbers of concurrent conversations, and
measures in the same run a bare Rasa server (the `rasa init` pipeline, no custom actions, a tiny
model trained from bench/speed/baseline/). Shared machines are noisy, so the figures that matter
are the ratios to that baseline, all measured together.

Profiles (bench/speed/profiles.py):
  default   `make run`: one Rasa process, the action server, the SQLite tracker store.
  workers2  SANIC_WORKERS=2 with Rasa's Redis lock store (a redis-server started on 127.0.0.1
            for the run), same tracker store.
  baseline  bare Rasa: bench/speed/baseline/, in-memory tracker store, no action server.

    python -m bench.speed                          # everything, ~20 s per load level
    python -m bench.speed --quick                  # a short check run
    python -m bench.speed --profiles default,baseline --conversations 1,10 --skip-train

All servers are started first (one at a time, each timed alone), then each load level runs on
every profile back to back (--rounds N repeats this, rotating the order, and keeps the median),
so that figures compared were measured a minute apart, not a quarter of an hour.

Writes bench/results/speed.md and bench/results/speed.json; temporary files (models, tracker
databases, logs) go to bench/results/tmp/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.common.results import RESULTS_DIR, SCRATCH_DIR, write_results
from bench.speed.profiles import PROFILE_NAMES
from bench.speed.report import markdown, print_table
from bench.speed.run import run
from bench.speed.training import TRAINED_PROJECT_MODEL
from bot.settings import DEFAULT_MODEL, load_settings


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", default="1,10,50", help="concurrent conversations per level")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per level")
    parser.add_argument("--max-messages", type=int, default=3000, help="at most this many messages per level")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured messages per conversation first")
    parser.add_argument("--profiles", default=",".join(PROFILE_NAMES), help="among " + ", ".join(PROFILE_NAMES))
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help=f"the project's model to serve (default: the one trained by this run, else {DEFAULT_MODEL})",
    )
    parser.add_argument("--skip-train", action="store_true", help="do not time `rasa train`; reuse the baseline")
    parser.add_argument("--skip-kb", action="store_true", help="do not time knowledge-base queries")
    parser.add_argument("--quick", action="store_true", help="a short check: 1 and 10 conversations, 5 s, no train")
    parser.add_argument("--rounds", type=int, default=1, help="measure each level this many times (median kept)")
    parser.add_argument("--seed", type=int, default=2032)
    parser.add_argument("--start-timeout", type=float, default=300.0)
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="where speed.md and speed.json go")
    args = parser.parse_args(argv)
    if args.quick:
        args.conversations, args.duration, args.max_messages, args.skip_train = "1,10", 5.0, 300, True
    args.conversations = [int(value) for value in str(args.conversations).split(",") if value]
    args.profiles = [name for name in str(args.profiles).split(",") if name]
    unknown = set(args.profiles) - set(PROFILE_NAMES)
    if unknown:
        parser.error(f"unknown profile(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    SCRATCH_DIR.mkdir(parents=True, exist_ok=True)
    model = args.model or (DEFAULT_MODEL if args.skip_train else TRAINED_PROJECT_MODEL)
    if {"default", "workers2"} & set(args.profiles) and args.skip_train and not model.exists():
        print(f"error: no trained model at {model}: run `make train`", file=sys.stderr)
        return 2
    report = run(args, load_settings(), model)
    markdown_file, json_file = write_results(args.output, "speed", report, markdown(report))
    print()
    print_table(report)
    print(f"\nWritten: {markdown_file}, {json_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
