"""The load levels: every profile started first, then each level run on every profile back to
back, so that the figures compared were measured minutes apart at most on a machine whose other
load drifts."""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from typing import Any

from bench.common.processes import memory_of, tree_cpu_seconds
from bench.common.servers import stop_servers
from bench.speed import log
from bench.speed.load import run_in_child
from bench.speed.profiles import Profile, Running, start_profile
from bench.speed.redis_server import redis_server
from bot.settings import Settings


def measure_level(running: Running, conversations: int, args: argparse.Namespace) -> dict[str, Any]:
    """One load level against running servers, with the servers' CPU time per message."""
    rasa, actions = running.rasa, running.actions
    cpu_rasa = tree_cpu_seconds(rasa.pid)
    cpu_actions = tree_cpu_seconds(actions.pid) if actions is not None else 0.0
    level = run_in_child(
        running.servers.config.rasa_url,
        conversations,
        args.duration,
        warmup=args.warmup,
        seed=args.seed,
        max_messages=args.max_messages or None,
    )
    answered = max(level["messages"] + level["errors"] + level["warmup_messages"], 1)
    level["rasa_cpu_ms_per_msg"] = round((tree_cpu_seconds(rasa.pid) - cpu_rasa) * 1000 / answered, 1)
    if actions is not None:
        level["actions_cpu_ms_per_msg"] = round((tree_cpu_seconds(actions.pid) - cpu_actions) * 1000 / answered, 1)
    errors = f", {level['errors']} errors" if level["errors"] else ""
    log(
        f"{running.profile.name:>8} @{conversations:>2} conversations: {level['throughput_msg_s']:6.1f} msg/s, "
        f"p50 {level['p50_ms']} ms, p95 {level['p95_ms']} ms, p99 {level['p99_ms']} ms "
        f"({level['messages']} messages{errors})"
    )
    return level


def median_level(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median throughput, and every round's throughput."""
    ordered = sorted(rounds, key=lambda level: level["throughput_msg_s"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    if len(rounds) > 1:
        chosen["throughput_rounds"] = [level["throughput_msg_s"] for level in rounds]
    return chosen


def finish_profile(running: Running) -> dict[str, Any]:
    """Resident memory of each server process after the load, then stop them."""
    result = running.result
    try:
        result["memory"] = {"rasa": memory_of(running.rasa.pid)}
        if running.actions is not None:
            result["memory"]["actions"] = memory_of(running.actions.pid)
        rasa_memory = result["memory"]["rasa"]
        log(
            f"{running.profile.name}: Rasa RSS {rasa_memory['max_mb']:.0f} MB max per process, "
            f"{rasa_memory['total_mb']:.0f} MB in {len(rasa_memory['processes'])} processes"
        )
    finally:
        stop_servers(running.servers)
    return result


def run_profiles(selected: list[Profile], args: argparse.Namespace, settings: Settings) -> dict[str, dict[str, Any]]:
    """Start every profile (one after the other, each timed alone), then run each load level on
    every profile back to back (``args.rounds`` times, rotating the order, median kept)."""
    results: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        running: list[Running] = []
        for profile in selected:
            log(f"{profile.name}: starting ({profile.description})")
            port = None
            if profile.redis:
                port = stack.enter_context(redis_server())
                log(f"{profile.name}: redis-server on 127.0.0.1:{port}")
            current = start_profile(profile, settings, args.start_timeout, port)
            stack.callback(stop_servers, current.servers)
            running.append(current)
        rounds: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for number in range(args.rounds):
            for conversations in args.conversations:
                # Rotate the order from one round to the next.
                for current in running[number % len(running) :] + running[: number % len(running)]:
                    level = measure_level(current, conversations, args)
                    rounds.setdefault((current.profile.name, conversations), []).append(level)
        for current in running:
            for conversations in args.conversations:
                current.result["levels"][str(conversations)] = median_level(
                    rounds[(current.profile.name, conversations)]
                )
            results[current.profile.name] = finish_profile(current)
    return results
