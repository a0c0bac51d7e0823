"""CPU time and resident memory of a server and its descendants (Sanic's workers,
multiprocessing helpers), read with psutil while the benchmark runs."""

from __future__ import annotations

import time
from typing import Any

import psutil


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Sanic's workers, multiprocessing helpers)."""
    try:
        descendants = psutil.Process(pid).children(recursive=True)
    except psutil.Error:  # gone already: nothing below it either
        descendants = []
    return [pid, *(child.pid for child in descendants)]


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB; 0 if it is gone."""
    try:
        return float(psutil.Process(pid).memory_info().rss) / 1024 / 1024
    except psutil.Error:
        return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far; 0 if it is gone."""
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return float(times.user + times.system)


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(child) for child in process_tree(pid))


def memory_of(pid: int) -> dict[str, Any]:
    """Resident memory of ``pid`` and its descendants: each process's, the largest, the total."""
    processes = [{"pid": child, "rss_mb": round(rss_mb(child), 1)} for child in process_tree(pid)]
    processes = [process for process in processes if process["rss_mb"] > 0]
    return {
        "processes": processes,
        "max_mb": max((process["rss_mb"] for process in processes), default=0.0),
        "total_mb": round(sum(process["rss_mb"] for process in processes), 1),
    }


def wait_until_idle(pids: list[int], timeout: float, quiet_cpu: float = 0.05, interval: float = 1.0) -> None:
    """Wait until none of ``pids`` burns CPU any more (Sanic workers still loading their model)."""
    deadline = time.monotonic() + timeout
    before = {pid: cpu_seconds(pid) for pid in pids}
    while time.monotonic() < deadline:
        time.sleep(interval)
        after = {pid: cpu_seconds(pid) for pid in pids}
        if all(after[pid] - before[pid] < quiet_cpu for pid in pids):
            return
        before = after
    raise TimeoutError(f"workers {pids} still busy after {timeout:.0f} s")
