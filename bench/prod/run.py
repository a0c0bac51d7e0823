"""The production benchmark's run: the production stack started in a scratch directory, then
the rate limit, load beside the speed benchmark's profiles, growth and faults, in that order."""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common.machine import load_average, machine
from bench.common.results import SCRATCH_DIR
from bench.common.servers import stop_servers
from bench.prod import CHAT_PATH, log
from bench.prod.checks import check_trackers
from bench.prod.faults import fault_run, kill_program, restart_service
from bench.prod.growth import fill_events
from bench.prod.rate_limit import check_rate_limit
from bench.prod.report import evaluate
from bench.speed.load import WEBHOOK_PATH, run_in_child
from bench.speed.profiles import Running, profiles, start_profile
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


def run(args: argparse.Namespace, settings: Settings, production: Settings) -> dict[str, Any]:
    """Everything ``args`` asks for: ``production`` configures the production stack, ``settings``
    the default and baseline profiles beside it."""
    report: dict[str, Any] = {"machine": machine(), "settings": {"levels": args.levels, "duration": args.duration}}
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
        if "load" not in args.skip:
            running: dict[str, Running] = {}
            if not BASELINE_MODEL.exists():
                log("training the bare-Rasa baseline (bench/speed/baseline/)")
                train_baseline()
            for name in ("default", "baseline"):
                log(f"starting the {name} profile")
                running[name] = start_profile(profiles(DEFAULT_MODEL)[name], settings, START_TIMEOUT, None)
            records: list[dict[str, Any]] = []
            report["load"] = {}
            try:
                for level in args.levels:
                    data: dict[str, Any] = {}
                    record = SCRATCH_DIR / f"prod-load-{level}.json"
                    data["prod"] = _public_load(stack, level, args.duration, record)
                    records += json.loads(record.read_text())
                    log(level_line("prod", data["prod"]))
                    for name, current in running.items():
                        data[name] = run_in_child(
                            current.servers.config.rasa_url,
                            level,
                            args.duration,
                            warmup=1,
                            path=WEBHOOK_PATH,
                            timeout=90,
                        )
                        log(level_line(name, data[name]))
                    report["load"][str(level)] = data
            finally:
                for current in running.values():
                    stop_servers(current.servers)
            report["trackers"] = check_trackers(engine, records)
            log(f"stored trackers: {report['trackers']}")
        if "growth" not in args.skip:
            log(f"growth: inserting {args.growth_conversations * 20:,} events")
            report["growth"]["fill"] = fill_events(stack.owner_url, args.growth_conversations)
            log(f"inserted in {report['growth']['fill']['seconds']} s")
            report["growth"]["full"] = _public_load(stack, 10, args.duration)
            log(level_line("full", report["growth"]["full"]))
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
