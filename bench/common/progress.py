"""What a benchmark prints while it runs: one line per step or event, flushed at once, so that a
run of many minutes shows where it is."""

from __future__ import annotations

import time


class Log:
    """Lines tagged with the benchmark's name: ``[bench-speed] message``."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __call__(self, message: str) -> None:
        print(f"[{self.tag}] {message}", flush=True)


class Progress:
    """One numbered line per step, with the elapsed time, so a 30-minute run shows where it is."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()

    def elapsed(self) -> str:
        seconds = int(time.monotonic() - self.started)
        return f"{seconds // 60:02d}:{seconds % 60:02d}"

    def step(self, message: str) -> None:
        self.done += 1
        print(f"[{self.done:>2}/{self.total}] {self.elapsed()} {message}", flush=True)

    def note(self, message: str) -> None:
        print(f"        {self.elapsed()} {message}", flush=True)
