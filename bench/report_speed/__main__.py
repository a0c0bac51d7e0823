"""How long the staff report takes on a large tracker store.

``python -m bench.report_speed`` (``make bench-report``) writes about 1,000,000 synthetic events
(about 50,000 conversations over 30 days, with misspelt unanswered questions and questions on
unknown fields) and 5,000 ratings to scratch SQLite databases, then times ``bot.report`` on them:
reading, grouping, plots and the HTML page. Target: under 60 s. Needs a built knowledge base
(``make kb``). ``--conversations N`` for a smaller run.
"""

from __future__ import annotations

import argparse

from bench.report_speed.run import time_report
from bot.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--ratings", type=int, default=5_000)
    args = parser.parse_args(argv)
    return time_report(load_settings(), args.conversations, args.ratings)


if __name__ == "__main__":
    raise SystemExit(main())
