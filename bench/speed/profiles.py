"""The server set-ups the speed benchmark compares, started as ``make run`` starts them.

default   `make run`: one Rasa process, the action server, the SQLite tracker store.
workers2  SANIC_WORKERS=2 with Rasa's Redis lock store (a redis-server started on 127.0.0.1
          for the run), same tracker store.
baseline  bare Rasa: bench/speed/baseline/, in-memory tracker store, no action server.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common.processes import process_tree, wait_until_idle
from bench.common.results import SCRATCH_DIR
from bench.common.servers import config_on_free_ports, start_rasa_and_actions, stop_servers
from bench.speed import log
from bench.speed.training import BASELINE_DIR, BASELINE_MODEL
from bot.settings import PROJECT_ROOT, Settings
from ops.dev import Servers

REDIS_ENDPOINTS = Path(__file__).resolve().parent / "endpoints-redis.yml"
PROFILE_NAMES = ("default", "workers2", "baseline")


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


@dataclass
class Running:
    """The servers of one profile, started and ready."""

    profile: Profile
    servers: Servers
    rasa: subprocess.Popen[bytes]
    actions: subprocess.Popen[bytes] | None
    result: dict[str, Any]


def start_profile(profile: Profile, settings: Settings, start_timeout: float, redis_port: int | None) -> Running:
    """Start the servers of ``profile`` like `make run` does and time until they are ready."""
    var_dir = SCRATCH_DIR / f"var-{profile.name}"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    extra_env = dict(profile.extra_env)
    if redis_port is not None:
        extra_env.update({"AGGLO_REDIS_HOST": "127.0.0.1", "AGGLO_REDIS_PORT": str(redis_port)})
    config = config_on_free_ports(
        settings,
        profile.model,
        var_dir,
        endpoints=profile.endpoints,
        credentials=profile.credentials,
        sanic_workers=profile.sanic_workers,
        extra_env=extra_env,
    )
    servers = Servers(config)
    result: dict[str, Any] = {"description": profile.description, "sanic_workers": profile.sanic_workers}
    try:
        started = time.perf_counter()
        rasa, actions = start_rasa_and_actions(servers, start_timeout, actions=profile.actions)
        result["first_answer_s"] = round(time.perf_counter() - started, 1)
        if profile.sanic_workers > 1:
            # The first worker answers while the others may still be loading their model.
            workers = [pid for pid in process_tree(rasa.pid) if pid != rasa.pid]
            wait_until_idle(workers, start_timeout)
            result["workers"] = len(workers)
        result["ready_s"] = round(time.perf_counter() - started, 1)
    except BaseException:
        stop_servers(servers)
        raise
    result["levels"] = {}
    log(f"{profile.name}: ready in {result['ready_s']} s")
    return Running(profile, servers, rasa, actions, result)
