"""Time the NLU and the answer of each message, in this process (see ``__main__``)."""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.common.results import RESULTS_DIR, markdown_table, targets_table, write_results
from bench.common.stats import percentile
from bench.quality.conversations import load_cases, turns
from bench.quality.systems import quiet_rasa
from bot.core.services import Services
from bot.core.turns import Asked, Context, Nlu, answer_parts, answer_plan, turn_plan
from bot.settings import PROJECT_ROOT, Settings

EVAL_SETS = (PROJECT_ROOT / "bench" / "eval" / "questions.yml", PROJECT_ROOT / "bench" / "eval" / "conversations.yml")
TARGET_MS = 10.0
_PROFILE_LINES = 15


@dataclass(frozen=True)
class Parsed:
    text: str
    nlu: Nlu


def eval_messages() -> list[str]:
    """Every message of the evaluation sets, in order."""
    return [turn.text for path in EVAL_SETS for _, _, turn in turns(load_cases(path))]


def answer_message(services: Services, parsed: Parsed) -> int:
    """Answer one message as the actions do, out of any conversation; the answers' length."""
    plan = turn_plan(services, parsed.text, parsed.nlu, Context())
    if not plan.defer:
        answers = answer_plan(services, plan, parsed.text, Asked())
    elif services.kb.topic(parsed.nlu.intent) is not None:
        answers = answer_parts(services, [(parsed.nlu.intent, None)], parsed.text, Asked())
    else:
        answers = []
    return sum(len(answer.text) for answer in answers)


def cpu_ms_each(items: Sequence[Any], work: Callable[[Any], object]) -> list[float]:
    """The CPU time (ms) of ``work`` on each item."""
    costs = []
    for item in items:
        started = time.process_time()
        work(item)
        costs.append((time.process_time() - started) * 1000)
    return costs


def parse_all(agent: Any, texts: Sequence[str]) -> tuple[list[Parsed], list[float]]:
    """The NLU's reading of each text, and its CPU time (ms)."""

    async def parse() -> tuple[list[Parsed], list[float]]:
        parsed, costs = [], []
        for text in texts:
            started = time.process_time()
            data = await agent.parse_message(text)
            costs.append((time.process_time() - started) * 1000)
            entities = data.get("entities") or []
            dispositif = next((str(e["value"]) for e in entities if e.get("entity") == "dispositif"), None)
            intent = str((data.get("intent") or {}).get("name") or "")
            parsed.append(Parsed(text, Nlu(intent=intent, dispositif=dispositif)))
        return parsed, costs

    return asyncio.run(parse())


def summary(costs: Sequence[float]) -> dict[str, float]:
    return {
        "mean": statistics.fmean(costs),
        "p50": percentile(costs, 50),
        "p95": percentile(costs, 95),
        "max": max(costs),
    }


def measure_turn_cost(settings: Settings, *, rounds: int = 3, profile: bool = False) -> int:
    from rasa.core.agent import Agent

    if not settings.model.exists():
        print(f"no trained model at {settings.model}: run `make train`")
        return 1
    texts = eval_messages()
    quiet_rasa()
    agent = Agent.load(str(settings.model))
    quiet_rasa()
    services = Services(settings)
    services.kb.check()
    # A first pass warms the caches (the knowledge base's snapshot, spaCy, the lemma table).
    parsed, _ = parse_all(agent, texts)
    for item in parsed:
        answer_message(services, item)
    nlu_rounds, answer_rounds = [], []
    for _ in range(max(rounds, 1)):
        nlu_rounds.append(parse_all(agent, texts)[1])
        answer_rounds.append(cpu_ms_each(parsed, lambda item: answer_message(services, item)))
    # The round whose total is the median, for each part.
    nlu = sorted(nlu_rounds, key=sum)[len(nlu_rounds) // 2]
    answer = sorted(answer_rounds, key=sum)[len(answer_rounds) // 2]
    both = [a + b for a, b in zip(nlu, answer, strict=True)]
    parts = {"nlu_ms": summary(nlu), "answer_ms": summary(answer), "total_ms": summary(both)}
    mean = parts["total_ms"]["mean"]
    targets = [
        {
            "target": f"NLU + answer selection, mean CPU ms per message ≤ {TARGET_MS:.0f}",
            "value": round(mean, 2),
            "met": mean <= TARGET_MS,
        }
    ]
    figures: dict[str, Any] = {
        "messages": len(texts),
        "rounds": rounds,
        **parts,
        "target_ms": TARGET_MS,
        "targets": targets,
    }
    names = (
        ("NLU (parse_message)", "nlu_ms"),
        ("reading, selection, answer", "answer_ms"),
        ("both", "total_ms"),
    )
    rows = [(name, *(f"{parts[key][stat]:.2f}" for stat in ("mean", "p50", "p95", "max"))) for name, key in names]
    markdown = "\n\n".join(
        [
            "# CPU per message: NLU and answer selection",
            f"Generated by `make bench-turn` (`python -m bench.turn_cost`): {len(texts)} messages of the"
            f" evaluation sets, one at a time in one process, CPU time (`time.process_time`), the median"
            f" of {rounds} rounds after a warm-up round.",
            markdown_table(("part", "mean ms", "p50 ms", "p95 ms", "max ms"), rows),
            targets_table(targets),
        ]
    )
    markdown_file, _ = write_results(RESULTS_DIR, "turn_cost", figures, markdown + "\n")
    print(markdown)
    print(f"\nwritten to {markdown_file}")
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for item in parsed:
            answer_message(services, item)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(_PROFILE_LINES)
        print(out.getvalue())
    return 0 if all(target["met"] for target in targets) else 1
