"""`make test-prod`: the production profile on loopback under load, growth and faults.

Starts the production topology (ops/prod: PostgreSQL, Redis, 2 Rasa servers, 2 action servers,
2 web fronts behind nginx, under supervisord) in a scratch directory, and beside it the
single-process default profile (`make run`) and the bare-Rasa baseline of bench/speed/, then:

  rate limit  a burst from 127.0.0.2: nginx answers 429 with the French JSON message;
  load        50 and 200 concurrent conversations for a fixed time on each profile, back to back
              (the production profile through nginx's public /api/chat, the other two at Rasa's
              REST channel as in bench/speed/); msg/s, p50/p95/p99, ratios to the baseline;
              HTTP statuses (429s apart); every stored tracker checked against what was sent;
  growth      p95 at 10 conversations on the empty store, then with ~1,000,000 events of
              ~50,000 synthetic past conversations inserted into PostgreSQL;
  faults      under load: kill -9 one action server, one Rasa server, one web front; stop and
              restart PostgreSQL, then Redis; what residents saw, and that nothing stored was lost.

The load generator's address, 127.0.0.1, is exempted from the rate limit for this run only
(AGGLO_RATE_LIMIT_EXEMPT), so that nginx's limiter does not distort the figures; the limiter is
checked from 127.0.0.2, which it does limit.

    python -m bench.prod            # everything (~12 min on 2 cores)
    python -m bench.prod --quick    # a short check (levels 5 and 10, 20,000 events)

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
        db_owner_password=secrets.token_hex(16),
        db_app_password=secrets.token_hex(16),
        redis_password=secrets.token_hex(16),
        rasa_api_token=secrets.token_hex(16),
        channel_secret=secrets.token_hex(16),
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.prod", description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="50,200")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load level")
    parser.add_argument("--growth-conversations", type=int, default=50_000, help="x 20 events each")
    parser.add_argument("--fault-conversations", type=int, default=10)
    parser.add_argument("--fault-duration", type=float, default=30.0)
    parser.add_argument("--fault-at", type=float, default=6.0)
    parser.add_argument("--down", type=float, default=5.0, help="seconds PostgreSQL and Redis stay stopped")
    parser.add_argument("--skip", default="", help="comma-separated: load, growth, faults")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR)
    parser.add_argument("--report-only", action="store_true", help="rewrite prod.md from prod.json, run nothing")
    args = parser.parse_args(argv)
    if args.quick:
        args.levels, args.duration, args.growth_conversations = "5,10", 5.0, 1000
        args.fault_duration, args.fault_at, args.down = 14.0, 3.0, 3.0
    args.levels = [int(level) for level in str(args.levels).split(",") if level]
    args.skip = {name for name in str(args.skip).split(",") if name}
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_only:
        report = json.loads((args.output / "prod.json").read_text())
        report["targets"] = evaluate(report)
        write_results(args.output, "prod", report, markdown(report))
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
