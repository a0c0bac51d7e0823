"""What one action does with the knowledge base per message, timed in this process."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.common.stats import percentile
from bench.speed.load import load_conversations
from bot.settings import Settings


def measure_kb(settings: Settings, repeat: int = 200) -> dict[str, Any]:
    """Time, in this process, what one action does with the knowledge base per message: find the
    commune in the text and compose the answer. Plus the agents' fuzzy search, for reference."""
    from bot.core.answers import commune_answer, contact_answer, resident_answer
    from bot.core.services import Services

    services = Services(settings)
    started = time.perf_counter()
    services.kb.check()
    matcher, kb = services.communes, services.kb
    snapshot_s = time.perf_counter() - started
    texts = [message for conversation in load_conversations() for message in conversation]
    queries: list[Callable[[], object]] = [
        lambda: resident_answer(kb, "aide_velo"),
        lambda: resident_answer(kb, "permis_de_louer", commune_insee="62846", commune_only=True),
        lambda: resident_answer(kb, "permis_de_louer", field_name="documents"),
        lambda: resident_answer(kb, "mutuelle", field_name="eligibility"),
        lambda: commune_answer(kb, "62377"),
        lambda: contact_answer(kb, "incompris"),
    ]
    answer_ms: list[float] = []
    for index in range(repeat * len(queries)):
        text = texts[index % len(texts)]
        query = queries[index % len(queries)]
        begin = time.perf_counter()
        matcher.find(text)
        query()
        answer_ms.append((time.perf_counter() - begin) * 1000)
    search_ms: list[float] = []
    for index in range(min(repeat, 50)):
        begin = time.perf_counter()
        kb.search(texts[index % len(texts)])
        search_ms.append((time.perf_counter() - begin) * 1000)
    return {
        "snapshot_load_s": round(snapshot_s, 3),
        "answer": _distribution(answer_ms),
        "search": _distribution(search_ms),
    }


def _distribution(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 3),
        "p95_ms": round(percentile(values, 95), 3),
        "p99_ms": round(percentile(values, 99), 3),
    }
