"""``python -m bench.console``: the offline console's first full sync, compressed, and how fast
a fiche opens offline in Chromium; written to bench/results/console.md and console.json."""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.common.results import RESULTS_DIR
from bench.console.run import measure
from bot.settings import load_settings

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.console", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="openings of each fiche offline (default 5)")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR, help="where to write console.md and console.json")
    arguments = parser.parse_args()
    raise SystemExit(measure(load_settings(), rounds=arguments.rounds, out=arguments.out))
