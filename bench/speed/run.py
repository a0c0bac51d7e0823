"""`make bench-speed`: latency, throughput, memory, start-up and training time, against bare Rasa.

Starts the real servers the way `make run` does (ops/dev.py), drives the REST channel from a
separate process (bench/load.py) at several numbers of concurrent conversations, and measures
in the same run a bare Rasa server (the `rasa init` pipeline, no custom actions, a tiny model
trained from bench/baseline/). Shared machines are noisy, so the figures that matter are the
ratios to that baseline, all measured together.

Profiles:
  default   `make run`: one Rasa process, the action server, the SQLite tracker store.
  workers2  SANIC_WORKERS=2 with Rasa's Redis lock store (a redis-server started on 127.0.0.1
            for the run), same tracker store.
  baseline  bare Rasa: bench/baseline/, in-memory tracker store, no action server.

    python -m bench.speed                          # everything, ~20 s per load level
    python -m bench.speed --quick                  # a short check run
    python -m bench.speed --profiles default,baseline --conversations 1,10 --skip-train

All servers are started first (one at a time, each timed alone), then each load level runs on
every profile back to back (--rounds N repeats this, rotating the order, and keeps the median),
so that figures compared were measured a minute apart, not a quarter of an hour.

Writes bench/results/speed.md and bench/results/speed.json; temporary files (models, tracker
databases, logs) go to bench/results/tmp/.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.speed.load import percentile
from bot.settings import PROJECT_ROOT, load_settings
from ops.dev import DEFAULT_MODEL, ServerConfig, Servers, free_port, wait_until_up

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
TMP_DIR = RESULTS_DIR / "tmp"
BASELINE_DIR = BENCH_DIR / "baseline"
BASELINE_MODEL = TMP_DIR / "baseline.tar.gz"
REDIS_ENDPOINTS = BENCH_DIR / "endpoints-redis.yml"
PROFILE_NAMES = ("default", "workers2", "baseline")
# Servers start in this order, one at a time; then every load level runs on each profile back to back.
RUN_ORDER = ("baseline", "default", "workers2")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# The targets of the issue, as (profile, figure, comparison, limit); "×base" limits are ratios
# to the baseline measured in the same run.
MAX_P95_MS_AT_1 = 100.0
MIN_DEFAULT_RATIO_AT_10 = 0.8
MIN_WORKERS_RATIO = 1.5
MAX_WORKERS_P95_MS_AT_10 = 400.0
MAX_KB_P95_MS = 2.0
MAX_RSS_MB_PER_PROCESS = 1536.0
MAX_READY_S = 45.0


def log(message: str) -> None:
    print(f"[bench-speed] {message}", flush=True)


# Processes --------------------------------------------------------------------------------
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


# Redis --------------------------------------------------------------------------------------
def _redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary:
        return binary
    if os.geteuid() != 0:
        raise RuntimeError("redis-server is missing: install Debian's redis-server (apt-get install redis-server)")
    log("installing Debian's redis-server (apt-get install -y redis-server)")
    install = ["apt-get", "install", "-y", "-q", "redis-server"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=True)
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=True)
    binary = shutil.which("redis-server")
    if not binary:
        raise RuntimeError("redis-server still missing after apt-get install")
    return binary


def _redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server() -> Iterator[int]:
    """A throw-away redis-server on 127.0.0.1 and a free port, without persistence."""
    port = free_port()
    command = [_redis_binary(), "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    command += ["--daemonize", "no", "--loglevel", "warning", "--dir", str(TMP_DIR)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while not _redis_ping(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


# Training -----------------------------------------------------------------------------------
def rasa_train(config: Path, domain: Path, data: Path, out: Path, name: str) -> float:
    """``rasa train --force`` with an empty cache, so nothing is reused; seconds it took."""
    cache = TMP_DIR / f"cache-{name}"
    shutil.rmtree(cache, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "rasa", "train", "--config", str(config), "--domain", str(domain)]
    command += ["--data", str(data), "--out", str(out), "--fixed-model-name", name, "--force", "--quiet"]
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(cache), "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}
    log_file = TMP_DIR / f"train-{name}.log"
    started = time.perf_counter()
    with log_file.open("w") as output:
        completed = subprocess.run(command, cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - started
    shutil.rmtree(cache, ignore_errors=True)
    if completed.returncode != 0:
        raise RuntimeError(f"rasa train of {name} failed (exit {completed.returncode}): see {log_file}")
    return elapsed


# Knowledge base -----------------------------------------------------------------------------
def measure_kb(repeat: int = 200) -> dict[str, Any]:
    """Time, in this process, what one action does with the knowledge base per message: find the
    commune in the text and compose the answer. Plus the agents' fuzzy search, for reference."""
    from bot.core.answers import commune_answer, contact_answer, resident_answer
    from bot.core.services import Services

    services = Services(load_settings())
    started = time.perf_counter()
    services.kb.check()
    matcher, kb = services.communes, services.kb
    snapshot_s = time.perf_counter() - started
    texts = [message for conversation in _messages() for message in conversation]
    queries = [
        lambda: resident_answer(kb, "aide_velo"),
        lambda: resident_answer(kb, "permis_de_louer", commune_insee="62846", commune_only=True),
        lambda: resident_answer(kb, "permis_de_louer", field_name="documents"),
        lambda: resident_answer(kb, "mutuelle", field_name="eligibility"),
        lambda: commune_answer(kb, "62377"),
        lambda: contact_answer(kb, "incompris"),
    ]
    answer_ms: list[float] = []
    for index in range(repeat * len(queries)):
        text = texts[index % len(texts)]
        query = queries[index % len(queries)]
        begin = time.perf_counter()
        matcher.find(text)
        query()
        answer_ms.append((time.perf_counter() - begin) * 1000)
    search_ms: list[float] = []
    for index in range(min(repeat, 50)):
        begin = time.perf_counter()
        kb.search(texts[index % len(texts)])
        search_ms.append((time.perf_counter() - begin) * 1000)
    return {
        "snapshot_load_s": round(snapshot_s, 3),
        "answer": _distribution(answer_ms),
        "search": _distribution(search_ms),
    }


def _distribution(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 3),
        "p95_ms": round(percentile(values, 95), 3),
        "p99_ms": round(percentile(values, 99), 3),
    }


def _messages() -> list[list[str]]:
    from bench.speed.load import load_conversations

    return load_conversations()


# Profiles -----------------------------------------------------------------------------------
@dataclass
class Profile:
    name: str
    description: str
    model: Path
    endpoints: Path
    credentials: Path
    sanic_workers: int = 1
    actions: bool = True
    redis: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)


def profiles(model: Path) -> dict[str, Profile]:
    project_endpoints = PROJECT_ROOT / "endpoints.yml"
    project_credentials = PROJECT_ROOT / "credentials.yml"
    return {
        "default": Profile(
            "default",
            "make run: 1 Rasa process + actions, SQLite tracker",
            model,
            project_endpoints,
            project_credentials,
        ),
        "workers2": Profile(
            "workers2",
            "SANIC_WORKERS=2 + Redis lock store + actions, SQLite tracker",
            model,
            REDIS_ENDPOINTS,
            project_credentials,
            sanic_workers=2,
            redis=True,
        ),
        "baseline": Profile(
            "baseline",
            "bare Rasa: rasa init pipeline, utter_ rules, in-memory tracker",
            BASELINE_MODEL,
            BASELINE_DIR / "endpoints.yml",
            BASELINE_DIR / "credentials.yml",
            actions=False,
        ),
    }


def run_load_process(url: str, conversations: int, args: argparse.Namespace) -> dict[str, Any]:
    """bench/load.py in its own process; its JSON summary."""
    command = [sys.executable, "-m", "bench.speed.load", "--url", url, "--conversations", str(conversations)]
    command += ["--duration", str(args.duration), "--warmup", str(args.warmup), "--seed", str(args.seed)]
    if args.max_messages:
        command += ["--max-messages", str(args.max_messages)]
    completed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"load generator failed: {completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _stop(servers: Servers) -> None:
    processes = list(servers.processes)
    servers.stop()
    # Sanic's workers are in the server's process group: make sure none is left behind.
    for process in processes:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)


@dataclass
class Running:
    """The servers of one profile, started and ready."""

    profile: Profile
    servers: Servers
    rasa: subprocess.Popen[bytes]
    actions: subprocess.Popen[bytes] | None
    result: dict[str, Any]


def start_profile(profile: Profile, args: argparse.Namespace, redis_port: int | None) -> Running:
    """Start the servers of ``profile`` like `make run` does and time until they are ready."""
    var_dir = TMP_DIR / f"var-{profile.name}"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    extra_env = {"AGGLO_DATABASE_URL": load_settings().database_url, **profile.extra_env}
    if redis_port is not None:
        extra_env.update({"AGGLO_REDIS_HOST": "127.0.0.1", "AGGLO_REDIS_PORT": str(redis_port)})
    config = ServerConfig(
        rasa_port=free_port(),
        actions_port=free_port(),
        model=profile.model,
        var_dir=var_dir,
        endpoints=profile.endpoints,
        credentials=profile.credentials,
        sanic_workers=profile.sanic_workers,
        extra_env=extra_env,
    )
    servers = Servers(config)
    result: dict[str, Any] = {"description": profile.description, "sanic_workers": profile.sanic_workers}
    try:
        started = time.perf_counter()
        actions = servers.start_actions() if profile.actions else None
        rasa = servers.start_rasa()
        if actions is not None:
            wait_until_up(f"{config.actions_url}/health", actions, args.start_timeout)
        wait_until_up(f"{config.rasa_url}/", rasa, args.start_timeout)
        result["first_answer_s"] = round(time.perf_counter() - started, 1)
        if profile.sanic_workers > 1:
            # The first worker answers while the others may still be loading their model.
            workers = [pid for pid in process_tree(rasa.pid) if pid != rasa.pid]
            wait_until_idle(workers, args.start_timeout)
            result["workers"] = len(workers)
        result["ready_s"] = round(time.perf_counter() - started, 1)
    except BaseException:
        _stop(servers)
        raise
    result["levels"] = {}
    log(f"{profile.name}: ready in {result['ready_s']} s")
    return Running(profile, servers, rasa, actions, result)


def measure_level(running: Running, conversations: int, args: argparse.Namespace) -> dict[str, Any]:
    """One load level against running servers, with the servers' CPU time per message."""
    rasa, actions = running.rasa, running.actions
    cpu_rasa = tree_cpu_seconds(rasa.pid)
    cpu_actions = tree_cpu_seconds(actions.pid) if actions is not None else 0.0
    level = run_load_process(running.servers.config.rasa_url, conversations, args)
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
        _stop(running.servers)
    return result


def run_profiles(selected: list[Profile], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Start every profile (one after the other, each timed alone), then run each load level on
    every profile back to back, so that the figures compared were measured minutes apart at most
    on a machine whose other load drifts."""
    results: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        running: list[Running] = []
        for profile in selected:
            log(f"{profile.name}: starting ({profile.description})")
            port = None
            if profile.redis:
                port = stack.enter_context(redis_server())
                log(f"{profile.name}: redis-server on 127.0.0.1:{port}")
            current = start_profile(profile, args, port)
            stack.callback(_stop, current.servers)
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


# Report -------------------------------------------------------------------------------------
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
    from importlib.metadata import version

    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu_model,
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "python": platform.python_version(),
        "rasa": version("rasa"),
        "rasa_sdk": version("rasa_sdk"),
        "platform": platform.platform(),
    }


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(value: Any, base: Any) -> str:
    if not isinstance(value, int | float) or not isinstance(base, int | float) or not base:
        return "—"
    return f"{value / base:.2f}×"


def _level(report: dict[str, Any], profile: str, conversations: int, key: str) -> Any:
    return report["profiles"].get(profile, {}).get("levels", {}).get(str(conversations), {}).get(key)


def table_rows(report: dict[str, Any]) -> list[list[str]]:
    """Figure, default, workers2, baseline, default ÷ baseline, workers2 ÷ baseline."""
    rows: list[list[str]] = []

    def add(label: str, values: dict[str, Any], digits: int = 1) -> None:
        base = values.get("baseline")
        rows.append(
            [label]
            + [_fmt(values.get(name), digits) for name in PROFILE_NAMES]
            + [_ratio(values.get("default"), base), _ratio(values.get("workers2"), base)]
        )

    profiles_run = report["profiles"]
    add("ready after start (s)", {name: data.get("ready_s") for name, data in profiles_run.items()})
    for conversations in report["settings"]["conversations"]:
        for key, label in (
            ("throughput_msg_s", "msg/s"),
            ("p50_ms", "p50 ms"),
            ("p95_ms", "p95 ms"),
            ("p99_ms", "p99 ms"),
            ("rasa_cpu_ms_per_msg", "Rasa CPU ms/msg"),
            ("actions_cpu_ms_per_msg", "actions CPU ms/msg"),
            ("errors", "errors"),
        ):
            values = {name: _level(report, name, conversations, key) for name in profiles_run}
            if any(value is not None for value in values.values()):
                add(f"@{conversations} conv: {label}", values, 0 if key == "errors" else 1)
    add(
        "Rasa RSS, max per process (MB)",
        {name: data.get("memory", {}).get("rasa", {}).get("max_mb") for name, data in profiles_run.items()},
        0,
    )
    add(
        "Rasa RSS, all processes (MB)",
        {name: data.get("memory", {}).get("rasa", {}).get("total_mb") for name, data in profiles_run.items()},
        0,
    )
    add(
        "action server RSS (MB)",
        {name: data.get("memory", {}).get("actions", {}).get("total_mb") for name, data in profiles_run.items()},
        0,
    )
    train = report.get("train", {})
    add("rasa train (s)", {"default": train.get("project_s"), "baseline": train.get("baseline_s")}, 0)
    kb = report.get("kb")
    if kb:
        add("KB query p50 (ms, in-process)", {"default": kb["answer"]["p50_ms"]}, 3)
        add("KB query p95 (ms, in-process)", {"default": kb["answer"]["p95_ms"]}, 3)
    return rows


def evaluate_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []

    def check(name: str, value: Any, limit: float, at_most: bool, unit: str = "") -> None:
        if not isinstance(value, int | float):
            return
        met = value <= limit if at_most else value >= limit
        sign = "≤" if at_most else "≥"
        targets.append({"target": f"{name} {sign} {limit:g}{unit}", "value": round(value, 2), "met": met})

    def ratio(profile: str, conversations: int) -> float | None:
        value = _level(report, profile, conversations, "throughput_msg_s")
        base = _level(report, "baseline", conversations, "throughput_msg_s")
        return value / base if value and base else None

    check("default p95 @1 (ms)", _level(report, "default", 1, "p95_ms"), MAX_P95_MS_AT_1, True)
    check("default msg/s @10 ÷ baseline", ratio("default", 10), MIN_DEFAULT_RATIO_AT_10, False, "×")
    check("workers2 msg/s @10 ÷ baseline", ratio("workers2", 10), MIN_WORKERS_RATIO, False, "×")
    check("workers2 msg/s @50 ÷ baseline", ratio("workers2", 50), MIN_WORKERS_RATIO, False, "×")
    check("workers2 p95 @10 (ms)", _level(report, "workers2", 10, "p95_ms"), MAX_WORKERS_P95_MS_AT_10, True)
    kb = report.get("kb")
    if kb:
        check("KB query p95 (ms)", kb["answer"]["p95_ms"], MAX_KB_P95_MS, True)
    for name in ("default", "workers2"):
        data = report["profiles"].get(name)
        if data:
            check(f"{name} Rasa RSS per process (MB)", data["memory"]["rasa"]["max_mb"], MAX_RSS_MB_PER_PROCESS, True)
            check(f"{name} ready (s)", data["ready_s"], MAX_READY_S, True)
            errors = sum(level["errors"] for level in data["levels"].values())
            check(f"{name} failed requests", errors, 0, True)
    return targets


def markdown(report: dict[str, Any]) -> str:
    header = ["figure", *PROFILE_NAMES, "default ÷ base", "workers2 ÷ base"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(report)]
    info = report["machine"]
    settings = report["settings"]
    out = [
        "# Speed benchmark (`make bench-speed`)",
        "",
        f"Run on {info['date']}: {info['nproc']} CPUs ({info['cpu']}), {info['memory_gb']} GB, "
        f"load average {info['load_average_at_start']} at start and {info.get('load_average_at_end', '?')} at "
        f"the end (other work on the machine), Python {info['python']}, "
        f"Rasa {info['rasa']}, rasa_sdk {info['rasa_sdk']}.",
        f"Load: {settings['duration']} s or {settings['max_messages'] or 'unlimited'} messages per level, "
        f"{settings['warmup']} warm-up message(s) per conversation not measured, conversations of "
        "bench/messages.yml, one connection per message, from a separate process; each level run on every "
        f"profile back to back ({settings.get('rounds', 1)} round(s), median kept).",
        "",
        "Profiles: " + "; ".join(f"**{name}**: {data['description']}" for name, data in report["profiles"].items()),
        "",
        *lines,
        "",
        "Ratios are to the bare-Rasa baseline measured in the same run (the only meaningful comparison on "
        "a shared machine). CPU ms/msg is the servers' own CPU time divided by the messages they answered, "
        "less sensitive to other load than wall-clock figures.",
        "",
        "## Targets",
        "",
        "| target | value | met |",
        "|---|---|---|",
        *[
            f"| {target['target']} | {target['value']} | {'yes' if target['met'] else '**no**'} |"
            for target in report["targets"]
        ],
        "",
    ]
    return "\n".join(out)


def print_table(report: dict[str, Any]) -> None:
    header = ["figure", *PROFILE_NAMES, "dflt÷base", "w2÷base"]
    rows = [header, *table_rows(report)]
    widths = [max(len(row[index]) for row in rows) for index in range(len(header))]
    for number, row in enumerate(rows):
        print("  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
    print()
    for target in report["targets"]:
        print(f"  [{'ok' if target['met'] else 'MISSED'}] {target['target']}: {target['value']}")


# Main ---------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.speed", description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", default="1,10,50", help="concurrent conversations per level")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per level")
    parser.add_argument("--max-messages", type=int, default=3000, help="at most this many messages per level")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured messages per conversation first")
    parser.add_argument("--profiles", default=",".join(PROFILE_NAMES), help="among " + ", ".join(PROFILE_NAMES))
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help=f"the project's model to serve (default: the one trained by this run, else {DEFAULT_MODEL})",
    )
    parser.add_argument("--skip-train", action="store_true", help="do not time `rasa train`; reuse the baseline")
    parser.add_argument("--skip-kb", action="store_true", help="do not time knowledge-base queries")
    parser.add_argument("--quick", action="store_true", help="a short check: 1 and 10 conversations, 5 s, no train")
    parser.add_argument("--rounds", type=int, default=1, help="measure each level this many times (median kept)")
    parser.add_argument("--seed", type=int, default=2032)
    parser.add_argument("--start-timeout", type=float, default=300.0)
    parser.add_argument("--output", type=Path, default=RESULTS_DIR, help="where speed.md and speed.json go")
    args = parser.parse_args(argv)
    if args.quick:
        args.conversations, args.duration, args.max_messages, args.skip_train = "1,10", 5.0, 300, True
    args.conversations = [int(value) for value in str(args.conversations).split(",") if value]
    args.profiles = [name for name in str(args.profiles).split(",") if name]
    unknown = set(args.profiles) - set(PROFILE_NAMES)
    if unknown:
        parser.error(f"unknown profile(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    TMP_DIR.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "conversations": args.conversations,
            "duration": args.duration,
            "max_messages": args.max_messages,
            "warmup": args.warmup,
            "seed": args.seed,
            "rounds": args.rounds,
            "profiles": args.profiles,
        },
        "profiles": {},
        "train": {},
    }
    needs_project_model = {"default", "workers2"} & set(args.profiles)
    trained_model = TMP_DIR / "agglo.tar.gz"
    model = args.model or (DEFAULT_MODEL if args.skip_train else trained_model)
    if needs_project_model and args.skip_train and not model.exists():
        print(f"error: no trained model at {model}: run `make train`", file=sys.stderr)
        return 2
    if not args.skip_kb:
        log("timing knowledge-base queries in-process")
        report["kb"] = measure_kb()
        log(f"KB query p50 {report['kb']['answer']['p50_ms']} ms, p95 {report['kb']['answer']['p95_ms']} ms")
    if not args.skip_train or ("baseline" in args.profiles and not BASELINE_MODEL.exists()):
        log("training the bare-Rasa baseline (bench/baseline/)")
        report["train"]["baseline_s"] = round(
            rasa_train(
                BASELINE_DIR / "config.yml", BASELINE_DIR / "domain.yml", BASELINE_DIR / "data", TMP_DIR, "baseline"
            ),
            1,
        )
        log(f"baseline trained in {report['train']['baseline_s']} s")
    if not args.skip_train:
        log("timing `rasa train` of the project from an empty cache (a few minutes)")
        report["train"]["project_s"] = round(
            rasa_train(
                PROJECT_ROOT / "config.yml", PROJECT_ROOT / "domain.yml", PROJECT_ROOT / "data", TMP_DIR, "agglo"
            ),
            1,
        )
        log(f"project trained in {report['train']['project_s']} s")
    if needs_project_model:
        report["settings"]["model"] = str(model)
        log(f"serving {model}")
    all_profiles = profiles(model)
    selected = [all_profiles[name] for name in sorted(args.profiles, key=RUN_ORDER.index)]
    results = run_profiles(selected, args)
    report["profiles"] = {name: results[name] for name in PROFILE_NAMES if name in results}
    report["machine"]["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    report["targets"] = evaluate_targets(report)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "speed.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (args.output / "speed.md").write_text(markdown(report))
    print()
    print_table(report)
    print(f"\nWritten: {args.output / 'speed.md'}, {args.output / 'speed.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
