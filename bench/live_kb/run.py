"""How soon a running process serves a new knowledge-base build: a copy of ``kb/`` built into a
scratch directory and read through :class:`bot.core.services.Services` as a server does, then one
fact's text changed and rebuilt, a few times, each time timing how long after the build ended
the new text was served (target: 5 s)."""

from __future__ import annotations

import time

import yaml

from bench.common.scratch import scratch_knowledge_base
from bot.core.services import Services
from bot.kb.build import build
from bot.settings import Settings

TARGET_SECONDS = 5.0
TOPIC, FACT_ID = "permis_de_louer", "pdl_delai"


def _fact_text(services: Services) -> str:
    topic = services.kb.topic(TOPIC)
    if topic is None:
        raise LookupError(TOPIC)
    return next(fact.text for fact in topic.facts if fact.id == FACT_ID)


def measure(settings: Settings, rounds: int = 4) -> int:
    """Print the delays; 0 if every one is within the target, else 1. ``settings`` give
    everything but the content and the database, which are scratch copies."""
    with scratch_knowledge_base(settings, "live-kb-") as scratch_settings:
        kb_dir = scratch_settings.kb_dir
        services = Services(scratch_settings)
        _fact_text(services)
        delays = []
        for number in range(rounds):
            path = kb_dir / "topics" / f"{TOPIC}.yml"
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            new_text = f"Texte publié numéro {number}."
            next(fact for fact in data["facts"] if fact["id"] == FACT_ID)["text"] = new_text
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
            build(scratch_settings)
            built = time.monotonic()
            while _fact_text(services) != new_text:  # a server answering a message every 20 ms
                time.sleep(0.02)
            delays.append(time.monotonic() - built)
    print(
        "New content served "
        + ", ".join(f"{delay:.2f}" for delay in delays)
        + f" s after each build ended (target {TARGET_SECONDS:.0f} s): "
        + ("met" if max(delays) < TARGET_SECONDS else "MISSED")
    )
    return 0 if max(delays) < TARGET_SECONDS else 1
