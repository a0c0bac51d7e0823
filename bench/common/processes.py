"""CPU time and resident memory of a server and its descendants (Sanic's workers,
multiprocessing helpers), read while the benchmark runs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces or parentheses: the fields follow the last ")".
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Sanic's workers, multiprocessing helpers)."""
    children = _proc_children()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory of one process (VmRSS), in MB; 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def tree_cpu_seconds(pid: int) -> float:
    return sum(cpu_seconds(child) for child in process_tree(pid))


def memory_of(pid: int) -> dict[str, Any]:
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
