"""Faults under load: a server killed, PostgreSQL or Redis stopped and restarted; what residents
saw, whether the stack recovered by itself, and that nothing stored was lost."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
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
    end = max(entry["answered_at"] for entry in records)
    # Recovered: the last quarter of the run was answered normally.
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
    def inject() -> str:
        pid = stack.pid(program)
        os.kill(pid, signal.SIGKILL)
        return f"kill -9 {program} (pid {pid}); supervisord restarts it"

    return inject


def restart_service(stack: ProdStack, program: str, down_s: float) -> Callable[[], str]:
    def inject() -> str:
        stack.supervisorctl("stop", program)
        time.sleep(down_s)
        stack.supervisorctl("start", program)
        return f"supervisorctl stop {program}, {down_s:.0f} s down, start"

    return inject
