"""`make test-prod`: the production profile on loopback: sizing, pinning, growth and faults.

Starts the production topology (ops/prod: PostgreSQL, Redis, 3 Rasa servers, 2 action servers,
2 web fronts behind nginx, under supervisord) in a scratch directory, then:

  rate limit  a burst from 127.0.0.2: nginx answers 429 with the French JSON message;
  sizing      CPU milliseconds per answered message of each component (web fronts, nginx, Rasa,
              action servers, PostgreSQL, Redis) under load, against a bare Rasa (bench/speed/)
              under the same load; memory per process; PostgreSQL's commits, rows and WAL and
              Redis's commands per message; the p95 at the territory's peak (open loop,
              bench/prod/sizing.py says why that rate); the throughput with 1, 2, then 3 Rasa
              servers against the model's prediction; the sizing table for 10, 100 and 1,000
              messages a second; every stored tracker checked against what was sent;
  growth      p95 at 10 conversations on the empty store, then with ~1,000,000 events of
              ~50,000 synthetic past conversations inserted into PostgreSQL;
  pinning     1,000 pairs of messages of one conversation sent at the same instant through the
              two web fronts, kill -9 of a Rasa server on the way: answered, stored in order;
  faults      under load: kill -9 one action server, one Rasa server, one web front; stop and
              restart PostgreSQL, then Redis; what residents saw, and that nothing stored was lost.

The load generator's address, 127.0.0.1, is exempted from the rate limit for this run only
(AGGLO_RATE_LIMIT_EXEMPT), so that nginx's limiter does not distort the figures; the limiter is
checked from 127.0.0.2, which it does limit.

    python -m bench.prod               # everything (~12 min on 2 cores)
    python -m bench.prod --quick       # a short check
    python -m bench.prod --report-only # print the last run's report again (bench/results/prod.md)

Writes bench/results/prod.md and bench/results/prod.json.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path

from bench.common.results import RESULTS_DIR, SCRATCH_DIR, write_results
from bench.prod.report import evaluate, markdown
from bench.prod.run import run
from bot.settings import DEFAULT_MODEL, Settings, load_settings
from ops.dev import free_port
from ops.prod.env_file import production_settings


def prod_settings(prod_dir: Path) -> Settings:
    """The production profile in ``prod_dir`` on free ports, with fresh secrets, whatever .env says."""
    return production_settings(
        env_file=None,
        prod_dir=prod_dir,
        public_host="127.0.0.1",
        public_port=free_port(),
        pg_port=0,
        redis_port=0,
        rate_limit_exempt="127.0.0.1/32",
        # Three, so that the sizing run can go from one to three.
        rasa_processes=3,
        db_owner_password=secrets.token_hex(16),
        db_app_password=secrets.token_hex(16),
        redis_password=secrets.token_hex(16),
        rasa_api_token=secrets.token_hex(16),
        channel_secret=secrets.token_hex(16),
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.prod", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load level")
    parser.add_argument("--cost-conversations", type=int, default=20, help="load of the CPU-per-message level")
    parser.add_argument(
        "--cost-rounds", type=int, default=3, help="CPU per message: stack and bare Rasa in turn, this many times"
    )
    parser.add_argument("--peak-duration", type=float, default=30.0, help="seconds at the territory's peak rate")
    parser.add_argument("--scaling-conversations", type=int, default=30)
    parser.add_argument("--scaling-duration", type=float, default=15.0)
    parser.add_argument("--pairs", type=int, default=1000, help="pinning: pairs of simultaneous messages")
    parser.add_argument("--pairs-in-flight", type=int, default=8)
    parser.add_argument("--growth-conversations", type=int, default=50_000, help="x 20 events each")
    parser.add_argument("--fault-conversations", type=int, default=10)
    parser.add_argument("--fault-duration", type=float, default=30.0)
    parser.add_argument("--fault-at", type=float, default=6.0)
    parser.add_argument("--down", type=float, default=5.0, help="seconds PostgreSQL and Redis stay stopped")
    parser.add_argument("--skip", default="", help="comma-separated: sizing, growth, pinning, faults")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite prod.md from prod.json and print it, run nothing"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.growth_conversations, args.peak_duration = 5.0, 1000, 8.0
        args.scaling_duration, args.pairs = 5.0, 100
        args.fault_duration, args.fault_at, args.down = 14.0, 3.0, 3.0
    args.skip = {name for name in str(args.skip).split(",") if name}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        report = json.loads((args.output / "prod.json").read_text())
        report["targets"] = evaluate(report)
        write_results(args.output, "prod", report, markdown(report))
        print(markdown(report))
        return 0
    SCRATCH_DIR.mkdir(parents=True, exist_ok=True)
    if not DEFAULT_MODEL.exists():
        print(f"error: no trained model at {DEFAULT_MODEL}: run `make train`", file=sys.stderr)
        return 2
    report = run(args, load_settings(), prod_settings(SCRATCH_DIR / "prod"))
    markdown_file, json_file = write_results(args.output, "prod", report, markdown(report))
    print()
    print(markdown(report))
    print(f"Written: {markdown_file}, {json_file} ({report['machine']['minutes']} min)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
