"""How soon a running process serves a new knowledge-base build.

``python -m bench.live_kb`` builds a copy of ``kb/`` into a scratch directory, reads it through
:class:`bot.core.services.Services` as a server does, then changes one fact's text and rebuilds, a
few times, printing how long after each build ended the new text was served (target: 5 s).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import yaml

from bot.core.services import Services
from bot.kb.build import build
from bot.settings import PROJECT_ROOT, load_settings

TARGET_SECONDS = 5.0
TOPIC, FACT_ID = "permis_de_louer", "pdl_delai"


def _fact_text(services: Services) -> str:
    topic = services.kb.topic(TOPIC)
    if topic is None:
        raise LookupError(TOPIC)
    return next(fact.text for fact in topic.facts if fact.id == FACT_ID)


def main(rounds: int = 4) -> int:
    with tempfile.TemporaryDirectory(prefix="live-kb-") as scratch:
        directory = Path(scratch)
        kb_dir = directory / "kb"
        shutil.copytree(PROJECT_ROOT / "kb", kb_dir)
        settings = load_settings(kb_dir=kb_dir, var_dir=directory, database_url=f"sqlite:///{directory / 'kb.sqlite3'}")
        build(settings)
        services = Services(settings)
        _fact_text(services)
        delays = []
        for number in range(rounds):
            path = kb_dir / "topics" / f"{TOPIC}.yml"
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            new_text = f"Texte publié numéro {number}."
            next(fact for fact in data["facts"] if fact["id"] == FACT_ID)["text"] = new_text
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
            build(settings)
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


if __name__ == "__main__":
    raise SystemExit(main())
