"""The production benchmark's run: the production stack started in a scratch directory, then
the rate limit, the sizing measurements beside a bare Rasa, growth, the pinning test and
faults, in that order."""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

from bench.common.machine import load_average, machine
from bench.common.processes import memory_of, tree_cpu_seconds
from bench.common.results import SCRATCH_DIR
from bench.common.servers import stop_servers
from bench.prod import CHAT_PATH, log
from bench.prod.checks import check_trackers
from bench.prod.faults import fault_run, kill_program, restart_service
from bench.prod.growth import fill_events
from bench.prod.pinning import pinning_run
from bench.prod.rate_limit import check_rate_limit
from bench.prod.report import evaluate
from bench.prod.sizing import PEAK, answered, measure_costs, median_round, predicted_throughput
from bench.speed.load import WEBHOOK_PATH, run_in_child
from bench.speed.profiles import profiles, start_profile
from bench.speed.training import BASELINE_MODEL, train_baseline
from bot.settings import DEFAULT_MODEL, Settings
from ops.prod.run import ProdStack

# The speed benchmark's start-up bound for the default and baseline profiles.
START_TIMEOUT = 300.0


def level_line(name: str, level: dict[str, Any]) -> str:
    return (
        f"{name:>9} @{level['conversations']:>3}: {level['throughput_msg_s']:6.1f} msg/s, p50 {level['p50_ms']} ms, "
        f"p95 {level['p95_ms']} ms, p99 {level['p99_ms']} ms, statuses {level['statuses']}"
    )


@contextmanager
def prod_stack(settings: Settings) -> Iterator[ProdStack]:
    """The production profile, started afresh in ``settings.prod_dir``, for the duration."""
    if settings.prod_dir.exists():
        shutil.rmtree(settings.prod_dir)
    stack = ProdStack(settings)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def _public_load(stack: ProdStack, conversations: int, duration: float, record: Path | None = None) -> dict[str, Any]:
    return run_in_child(stack.public_url, conversations, duration, warmup=1, path=CHAT_PATH, timeout=90, record=record)


def _sizing(
    args: argparse.Namespace, settings: Settings, stack: ProdStack, engine: sa.engine.Engine
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """CPU per message of each component against a bare Rasa, the p95 at the territory's peak,
    and the throughput with 1, 2 and 3 Rasa servers; the requests recorded (for the trackers)."""
    report: dict[str, Any] = {"peak": {**asdict(PEAK), "messages_per_second": PEAK.messages_per_second}}
    records: list[dict[str, Any]] = []

    def recorded(name: str, **load: Any) -> dict[str, Any]:
        record = SCRATCH_DIR / f"prod-{name}.json"
        level = run_in_child(stack.public_url, path=CHAT_PATH, timeout=90, record=record, **load)
        records.extend(json.loads(record.read_text()))
        return level

    if not BASELINE_MODEL.exists():
        log("training the bare-Rasa baseline (bench/speed/baseline/)")
        train_baseline()
    bare = start_profile(profiles(DEFAULT_MODEL)["baseline"], settings, START_TIMEOUT, None)
    try:
        # Stack and bare Rasa in turn, several times: a burst of other work on the machine
        # weighs on one round, not on the figure (the round of the median ratio).
        rounds = [_cost_round(args, stack, engine, bare, recorded) for _ in range(args.cost_rounds)]
    finally:
        stop_servers(bare.servers)
    costs = median_round(rounds)
    report["costs"] = costs
    log(f"peak: {PEAK.messages_per_second} msg/s for {args.peak_duration:.0f} s")
    report["peak"]["level"] = recorded(
        "peak", conversations=1, duration=args.peak_duration, warmup=0, rate=PEAK.messages_per_second
    )
    log(level_line("peak", report["peak"]["level"]))
    report["scaling"] = _scaling(args, stack, costs, recorded)
    return report, records


def _cost_round(
    args: argparse.Namespace,
    stack: ProdStack,
    engine: sa.engine.Engine,
    bare: Any,
    recorded: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """One level through the stack, then the same load on the bare Rasa: CPU per message of
    each component, and the bare Rasa's."""
    with measure_costs(stack, engine) as costs:
        level = recorded("costs", conversations=args.cost_conversations, duration=args.duration, warmup=1)
        costs["answered"] = answered(level)
    costs["level"] = level
    before = tree_cpu_seconds(bare.rasa.pid)
    bare_level = run_in_child(
        bare.servers.config.rasa_url, args.cost_conversations, args.duration, warmup=1, path=WEBHOOK_PATH, timeout=90
    )
    bare_cpu = (tree_cpu_seconds(bare.rasa.pid) - before) * 1000 / answered(bare_level)
    costs["bare_rasa"] = {
        "cpu_ms_per_message": round(bare_cpu, 2),
        "memory_mb": memory_of(bare.rasa.pid)["total_mb"],
        "level": bare_level,
    }
    log(
        f"costs @{args.cost_conversations}: {costs['cpu_ms_per_message']} ms/msg, stack "
        f"{costs['stack_cpu_ms_per_message']}, bare Rasa {bare_cpu:.2f}"
    )
    return costs


def _scaling(
    args: argparse.Namespace, stack: ProdStack, costs: dict[str, Any], recorded: Callable[..., dict[str, Any]]
) -> list[dict[str, Any]]:
    """Saturated throughput with 3, then 2, then 1 Rasa servers (the others stopped: those left
    are warm, as they would be in service). The model, calibrated on one server alone (what one
    answers at most), predicts the others."""
    names = [f"rasa-{index}" for index in range(len(stack.ports.rasa))]
    rows: list[dict[str, Any]] = []
    try:
        for count in range(len(names), 0, -1):
            if count < len(names):
                stack.supervisorctl("stop", f"app:{names[count]}")
                time.sleep(2)  # every web front's readiness check has seen it go
            pids = [stack.pid(f"app:{name}") for name in names[:count]]
            before, started = sum(tree_cpu_seconds(pid) for pid in pids), time.monotonic()
            level = recorded(
                f"scaling-{count}", conversations=args.scaling_conversations, duration=args.scaling_duration, warmup=1
            )
            # How much of a core each Rasa server got: on a shared machine, far from all of it.
            level["rasa_core_share"] = round(
                (sum(tree_cpu_seconds(pid) for pid in pids) - before) / (time.monotonic() - started) / count, 2
            )
            level["client_ms_per_message"] = level["client_cpu_s"] * 1000 / max(answered(level), 1)
            rows.append({"rasa": count, "level": level})
            log(f"scaling: {level_line(f'{count} Rasa', level)}")
    finally:
        for name in names:
            stack.supervisorctl("start", f"app:{name}")
        stack.wait_healthy(180)
    rows.sort(key=lambda row: int(row["rasa"]))
    alone = rows[0]["level"]["throughput_msg_s"]
    for row in rows:
        row["predicted_msg_s"] = predicted_throughput(
            costs, row["rasa"], psutil.cpu_count() or 1, row["level"]["client_ms_per_message"], per_instance=alone
        )
    return rows


def run(args: argparse.Namespace, settings: Settings, production: Settings) -> dict[str, Any]:
    """Everything ``args`` asks for: ``production`` configures the production stack, ``settings``
    the bare-Rasa baseline beside it."""
    report: dict[str, Any] = {"machine": machine(), "settings": {"duration": args.duration}}
    started = time.monotonic()
    with ExitStack() as stack_of_servers:
        log("starting the production profile")
        stack = stack_of_servers.enter_context(prod_stack(production))
        report["settings"] |= {
            "rasa": len(stack.ports.rasa),
            "actions": len(stack.ports.actions),
            "web": len(stack.ports.web),
        }
        log(f"production profile ready at {stack.public_url} ({time.monotonic() - started:.0f} s)")
        # pre_ping: the checks run across PostgreSQL's restart.
        engine = sa.create_engine(stack.owner_url, future=True, pool_pre_ping=True)
        stack_of_servers.callback(engine.dispose)
        report["rate_limit"] = check_rate_limit(stack)
        log(f"rate limit: {report['rate_limit']}")
        if "growth" not in args.skip:
            log("growth: 10 conversations on the empty store")
            report["growth"] = {"empty": _public_load(stack, 10, args.duration)}
            log(level_line("empty", report["growth"]["empty"]))
        if "sizing" not in args.skip:
            report["sizing"], records = _sizing(args, settings, stack, engine)
            report["trackers"] = check_trackers(engine, records)
            log(f"stored trackers: {report['trackers']}")
        if "growth" not in args.skip:
            log(f"growth: inserting {args.growth_conversations * 20:,} events")
            report["growth"]["fill"] = fill_events(stack.owner_url, args.growth_conversations)
            log(f"inserted in {report['growth']['fill']['seconds']} s")
            report["growth"]["full"] = _public_load(stack, 10, args.duration)
            log(level_line("full", report["growth"]["full"]))
        if "pinning" not in args.skip:
            log(f"pinning: {args.pairs} pairs through two web fronts, kill -9 of rasa-0 on the way")
            report["pinning"] = pinning_run(
                stack, engine, args.pairs, args.pairs_in_flight, kill_program(stack, "app:rasa-0")
            )
        if "faults" not in args.skip:
            report["faults"] = {}
            for name, inject in (
                ("action_server", kill_program(stack, "app:actions-0")),
                ("rasa", kill_program(stack, "app:rasa-0")),
                ("web_front", kill_program(stack, "app:web-0")),
                ("postgresql", restart_service(stack, "postgres", args.down)),
                ("redis", restart_service(stack, "redis", args.down)),
            ):
                report["faults"][name] = fault_run(stack, engine, name, inject, args)
    report["machine"]["load_average_at_end"] = load_average()
    report["machine"]["minutes"] = round((time.monotonic() - started) / 60, 1)
    report["targets"] = evaluate(report)
    return report
