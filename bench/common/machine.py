"""The machine a benchmark ran on, written at the top of its report: shared machines are noisy,
so the figures are read with the load average beside them."""

from __future__ import annotations

import datetime as dt
import platform
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil

CPUINFO = Path("/proc/cpuinfo")


def load_average() -> list[float]:
    """The 1, 5 and 15-minute load averages, rounded for the report."""
    return [round(value, 2) for value in psutil.getloadavg()]


def cpu_model() -> str:
    """The CPU's model name, "?" if unknown: psutil does not report it, Linux's /proc/cpuinfo does."""
    try:
        lines = CPUINFO.read_text().splitlines()
    except OSError:
        return "?"
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "?")


def machine() -> dict[str, Any]:
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": psutil.cpu_count(),
        "cpu": cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "load_average_at_start": load_average(),
        "python": platform.python_version(),
        "rasa": version("rasa"),
        "rasa_sdk": version("rasa_sdk"),
        "platform": platform.platform(),
    }
