"""The sizing model: what one answered message costs each component, measured under load, and
the replicas and vCPUs that follow for 10, 100 and 1,000 messages a second.

Measured on the running production stack (``measure_costs``): the CPU time of every process of
each component (web fronts, nginx, Rasa, action servers, PostgreSQL, Redis; a process's
children included: nginx's workers, PostgreSQL's backends) over a load level, divided by the
messages answered; the same for a bare Rasa in the same run; each process's memory; and, per
message, PostgreSQL's commits, inserted rows and WAL bytes and Redis's commands.

The territory's peak (``PEAK``): Agglo Béthune-Bruay has about 280,000 inhabitants. Assumed:
on the busiest day (an aid opening, a press article) 5 % of them open a conversation, 4
messages each (the benchmark's conversations hold 1 to 6), 20 % of the day's messages in its
busiest hour, and the busiest minute 3 times that hour's average: about 9.3 messages a second.
Ordinary days are a small fraction of that.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import redis
import sqlalchemy as sa

from bench.common.processes import cpu_seconds, memory_of, process_tree
from ops.prod.run import ProdStack

COMPONENTS = ("web", "nginx", "rasa", "actions", "postgres", "redis")
# The ones that scale out with replicas (one single-threaded server per pod, ≤ 1 vCPU each).
REPLICATED = ("web", "rasa", "actions")
# Each component runs at this share of its vCPUs at the rate it is sized for: room for bursts,
# and queues stay short, so the p95 stays near the unloaded one.
UTILISATION = 0.6
MIN_REPLICAS = 2  # availability: one can be lost, or rolled
# A large managed PostgreSQL primary; past that, the tracker store must be split.
POSTGRES_MAX_VCPU = 16
RATES = (10, 100, 1000)


@dataclass(frozen=True)
class Peak:
    inhabitants: int = 280_000
    share_on_busiest_day: float = 0.05
    messages_per_conversation: float = 4
    busiest_hour_share: float = 0.20
    busiest_minute_factor: float = 3

    @property
    def messages_per_second(self) -> float:
        day = self.inhabitants * self.share_on_busiest_day * self.messages_per_conversation
        return round(day * self.busiest_hour_share / 3600 * self.busiest_minute_factor, 1)


PEAK = Peak()


def programs(stack: ProdStack) -> dict[str, list[str]]:
    """supervisord's programs of each component (the servers are in its group "app")."""
    return {
        "web": [f"app:web-{index}" for index in range(len(stack.ports.web))],
        "nginx": ["nginx"],
        "rasa": [f"app:rasa-{index}" for index in range(len(stack.ports.rasa))],
        "actions": [f"app:actions-{index}" for index in range(len(stack.ports.actions))],
        "postgres": ["postgres"],
        "redis": ["redis"],
    }


def _cpu_by_process(roots: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    return {
        name: {pid: cpu_seconds(pid) for root in pids for pid in process_tree(root)} for name, pids in roots.items()
    }


def _database_counters(engine: sa.engine.Engine) -> dict[str, int]:
    query = sa.text(
        "SELECT xact_commit, tup_inserted, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS wal "
        "FROM pg_stat_database WHERE datname = current_database()"
    )
    with engine.connect() as connection:
        row = connection.execute(query).one()
    return {"commits": int(row.xact_commit), "rows_inserted": int(row.tup_inserted), "wal_bytes": int(row.wal)}


def _redis_commands(stack: ProdStack) -> int:
    client = redis.Redis(host="127.0.0.1", port=stack.ports.redis, password=stack.settings.redis_password)
    try:
        return int(client.info("stats")["total_commands_processed"])
    finally:
        client.close()


@contextmanager
def measure_costs(stack: ProdStack, engine: sa.engine.Engine) -> Iterator[dict[str, Any]]:
    """CPU of each component, database and Redis counters over the ``with`` block; fill in
    ``answered`` (messages answered in the block) in the yielded dict, and it gets the figures
    per message when the block ends."""
    roots = {name: [stack.pid(program) for program in names] for name, names in programs(stack).items()}
    measured: dict[str, Any] = {"answered": 0}
    before_cpu, before_db, before_redis = _cpu_by_process(roots), _database_counters(engine), _redis_commands(stack)
    yield measured
    after_cpu, after_db, after_redis = _cpu_by_process(roots), _database_counters(engine), _redis_commands(stack)
    answered = measured["answered"]
    if not answered:
        raise RuntimeError("no message answered: nothing to divide by")
    cpu_ms = {
        name: sum(seconds - before_cpu[name].get(pid, 0.0) for pid, seconds in after_cpu[name].items())
        * 1000
        / answered
        for name in COMPONENTS
    }
    measured["cpu_ms_per_message"] = {name: round(value, 2) for name, value in cpu_ms.items()}
    measured["stack_cpu_ms_per_message"] = round(sum(cpu_ms.values()), 2)
    measured["per_message"] = {
        name: round((after_db[name] - before_db[name]) / answered, 2) for name in ("commits", "rows_inserted")
    }
    measured["per_message"]["wal_kb"] = round((after_db["wal_bytes"] - before_db["wal_bytes"]) / 1024 / answered, 2)
    measured["per_message"]["redis_commands"] = round((after_redis - before_redis) / answered, 2)
    measured["memory_mb"] = {name: [memory_of(pid)["total_mb"] for pid in pids] for name, pids in roots.items()}


def stack_to_bare(costs: dict[str, Any]) -> float:
    """The whole stack's CPU per message over the bare Rasa's."""
    return float(costs["stack_cpu_ms_per_message"]) / float(costs["bare_rasa"]["cpu_ms_per_message"])


def median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round of the median stack ÷ bare Rasa ratio (the higher of the two middle ones for an
    even count: never the flattering one), with every round's stack, bare Rasa and ratio under
    ``rounds``."""
    if not rounds:
        raise ValueError("no cost round to choose from")
    chosen = dict(sorted(rounds, key=stack_to_bare)[len(rounds) // 2])
    chosen["rounds"] = [
        {
            "stack_cpu_ms_per_message": costs["stack_cpu_ms_per_message"],
            "bare_cpu_ms_per_message": costs["bare_rasa"]["cpu_ms_per_message"],
            "ratio": round(stack_to_bare(costs), 3),
        }
        for costs in rounds
    ]
    return chosen


def sizing(costs: dict[str, Any], rates: tuple[int, ...] = RATES) -> list[dict[str, Any]]:
    """Replicas and vCPU of each component for each rate (messages per second), from the
    measured CPU per message, and what limits first. A pod gets the vCPU it requests (a
    cluster's guarantee, not this shared machine's)."""
    cpu_ms = costs["cpu_ms_per_message"]
    rows = []
    for rate in rates:
        row: dict[str, Any] = {"rate": rate, "components": {}}
        for name in COMPONENTS:
            vcpu = rate * cpu_ms[name] / 1000 / UTILISATION
            if name in REPLICATED:
                replicas = max(MIN_REPLICAS, math.ceil(vcpu))
            elif name == "nginx":
                replicas = max(MIN_REPLICAS, math.ceil(vcpu / 2))
            else:
                replicas = 1
            row["components"][name] = {"replicas": replicas, "vcpu": round(vcpu, 2)}
        row["total_vcpu"] = round(sum(item["vcpu"] for item in row["components"].values()), 1)
        per_message = costs["per_message"]
        row["postgres_commits_per_s"] = round(rate * per_message["commits"])
        row["postgres_rows_per_s"] = round(rate * per_message["rows_inserted"])
        row["postgres_wal_mb_per_s"] = round(rate * per_message["wal_kb"] / 1024, 2)
        row["first_limit"] = first_limit(cpu_ms, rate)
        rows.append(row)
    return rows


def limits(cpu_ms: dict[str, float]) -> dict[str, float]:
    """The rate (messages per second) at which each component that cannot scale out is full:
    PostgreSQL's one primary at POSTGRES_MAX_VCPU, Redis's one thread at one vCPU."""
    return {
        "postgres": POSTGRES_MAX_VCPU * 1000 * UTILISATION / cpu_ms["postgres"] if cpu_ms["postgres"] else math.inf,
        "redis": 1000 * UTILISATION / cpu_ms["redis"] if cpu_ms["redis"] else math.inf,
    }


def first_limit(cpu_ms: dict[str, float], rate: float) -> str:
    name, limit = min(limits(cpu_ms).items(), key=lambda item: item[1])
    state = "reached" if rate >= limit else "not reached"
    return f"{name} at ~{limit:,.0f} msg/s ({state})"


def predicted_throughput(
    costs: dict[str, Any], instances: int, cores: int, client_ms: float, per_instance: float | None = None
) -> float:
    """What this machine should answer with ``instances`` Rasa processes, by the model: each
    answers at most ``per_instance`` messages a second (measured with one alone; else one core's
    worth, 1000 / its CPU ms), and every process of the stack and the load generator share the
    cores."""
    rasa_bound = instances * (per_instance or 1000 / float(costs["cpu_ms_per_message"]["rasa"]))
    machine_bound = cores * 1000 / (float(costs["stack_cpu_ms_per_message"]) + client_ms)
    return round(min(rasa_bound, machine_bound), 1)


def answered(level: dict[str, Any]) -> int:
    """Messages a load level had answered, warm-up included (the CPU window covers both)."""
    return int(level["messages"]) + int(level.get("warmup_messages", 0))
