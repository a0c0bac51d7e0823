"""CPU per message of the NLU and of the answer's reading and selection.

``python -m bench.turn_cost`` (``make bench-turn``) parses every message of the evaluation sets
(bench/eval/questions.yml, conversations.yml) with the trained model (``Agent.parse_message``)
and answers it as the actions do (bot/core/turns.py: the reading, the plan, the facts chosen and
the answer composed), timing each part with ``time.process_time``. Target (issue 15): NLU plus
answer selection ≤ 10 ms of CPU per message. ``--profile`` prints the selection's costliest
functions (cProfile). Writes bench/results/turn_cost.md and .json.
"""

from __future__ import annotations

import argparse

from bench.turn_cost.run import measure_turn_cost
from bot.settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.turn_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="passes over the messages (the median is kept)")
    parser.add_argument("--profile", action="store_true", help="print the selection's costliest functions")
    args = parser.parse_args(argv)
    return measure_turn_cost(load_settings(), rounds=args.rounds, profile=args.profile)


if __name__ == "__main__":
    raise SystemExit(main())
