"""Faults under load: a server killed, PostgreSQL or Redis stopped and restarted; what residents
saw, whether the stack recovered by itself, and that nothing stored was lost."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from bench.common.results import SCRATCH_DIR
from bench.prod import CHAT_PATH, log
from bench.prod.checks import check_trackers, classify, seen_by_resident
from bench.speed.load import run_in_child
from ops.prod.run import ProdStack


def fault_run(
    stack: ProdStack, engine: sa.engine.Engine, name: str, inject: Callable[[], str], args: argparse.Namespace
) -> dict[str, Any]:
    """``inject`` the fault ``args.fault_at`` seconds into a load run at nginx's public chat."""
    record = SCRATCH_DIR / f"prod-fault-{name}.json"
    record.unlink(missing_ok=True)
    injected: dict[str, Any] = {}

    def _inject() -> None:
        time.sleep(args.fault_at)
        injected["at"] = time.perf_counter()
        injected["what"] = inject()
        injected["done"] = time.perf_counter()

    thread = threading.Thread(target=_inject)
    thread.start()
    level = run_in_child(
        stack.public_url,
        args.fault_conversations,
        args.fault_duration,
        warmup=1,
        path=CHAT_PATH,
        timeout=90,
        record=record,
    )
    thread.join()
    records = json.loads(record.read_text())
    seen = classify(records)
    failures = seen.pop("failure_times")
    # Recovered: the messages sent in the last quarter of the run were answered normally (by
    # when they were sent: one message answered late must not empty the window).
    end = max(entry["sent_at"] for entry in records)
    tail_start = end - args.fault_duration / 4
    tail = [entry for entry in records if entry["sent_at"] >= tail_start]
    recovered = bool(tail) and all(seen_by_resident(entry) == "answered" for entry in tail)
    trackers = check_trackers(engine, records)
    result = {
        "fault": injected.get("what", "?"),
        "injected_after_s": args.fault_at,
        "requests": len(records),
        "residents_saw": seen,
        "failures_window_s": round(max(failures) - min(failures), 1) if failures else 0.0,
        "recovered_by_itself": recovered,
        "throughput_msg_s": level["throughput_msg_s"],
        "p95_ms": level["p95_ms"],
        "stored": trackers,
    }
    log(
        f"fault {name}: {result['fault']}; residents saw {seen}; recovered: {recovered}; "
        f"stored turns lost {trackers['lost_turns']}, reordered {trackers['reordered_conversations']}"
    )
    # Supervisord restarts what was killed; the next fault starts from a whole stack.
    stack.wait_healthy(180)
    return result


def kill_program(stack: ProdStack, program: str) -> Callable[[], str]:
    """``kill -9`` of a supervised server; then how long until it listened, and until its
    readiness check answered, again."""
    name = program.removeprefix("app:")
    port = dict(zip(stack.health_urls(), [*stack.ports.actions, *stack.ports.rasa, *stack.ports.web], strict=True))[
        name
    ]

    def inject() -> str:
        pid = stack.pid(program)
        os.kill(pid, signal.SIGKILL)
        killed = time.perf_counter()
        # The killed process's socket may accept for a moment while the kernel tears it down.
        while _listening(port) and time.perf_counter() - killed < 5:
            time.sleep(0.05)
        listening = ready = None
        while ready is None and time.perf_counter() - killed < 120:
            time.sleep(0.1)
            if listening is None and _listening(port):
                listening = time.perf_counter() - killed
            if listening is not None and _ready(stack.health_urls()[name]):
                ready = time.perf_counter() - killed
        timing = f"listening again after {listening:.1f} s" if listening is not None else "not listening after 120 s"
        timing += f", ready after {ready:.1f} s" if ready is not None else ""
        return f"kill -9 {program} (pid {pid}); supervisord restarts it: {timing}"

    return inject


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def restart_service(stack: ProdStack, program: str, down_s: float) -> Callable[[], str]:
    def inject() -> str:
        stack.supervisorctl("stop", program)
        time.sleep(down_s)
        stack.supervisorctl("start", program)
        return f"supervisorctl stop {program}, {down_s:.0f} s down, start"

    return inject
