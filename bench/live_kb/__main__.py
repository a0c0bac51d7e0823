"""``python -m bench.live_kb``: how soon a running process serves a new knowledge-base build."""

from __future__ import annotations

from bench.live_kb.run import measure
from bot.settings import load_settings

if __name__ == "__main__":
    raise SystemExit(measure(load_settings()))
