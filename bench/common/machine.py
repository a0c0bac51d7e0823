"""The machine a benchmark ran on, written at the top of its report: shared machines are noisy,
so the figures are read with the load average beside them."""

from __future__ import annotations

import datetime as dt
import os
import platform
from importlib.metadata import version
from pathlib import Path
from typing import Any


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages, rounded for the report."""
    return [round(value, 2) for value in os.getloadavg()]


def machine() -> dict[str, Any]:
    cpu_model = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu_model = line.split(":", 1)[1].strip()
            break
    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu_model,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "load_average_at_start": load_average(),
        "python": platform.python_version(),
        "rasa": version("rasa"),
        "rasa_sdk": version("rasa_sdk"),
        "platform": platform.platform(),
    }
