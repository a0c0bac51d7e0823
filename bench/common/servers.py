"""The action server and Rasa on free loopback ports, started as ``make run`` starts them
(ops/dev.py), for the benchmarks that talk to the real assistant."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path

from bot.settings import Settings
from ops.dev import ServerConfig, Servers, free_port, wait_until_up


def config_on_free_ports(
    settings: Settings,
    model: Path,
    var_dir: Path,
    *,
    endpoints: Path | None = None,
    credentials: Path | None = None,
    sanic_workers: int = 1,
    extra_env: Mapping[str, str] | None = None,
) -> ServerConfig:
    """Rasa and the action server on free ports, reading the knowledge base ``settings`` name and
    keeping their own data (tracker store, logs) in ``var_dir``."""
    return ServerConfig(
        rasa_port=free_port(),
        actions_port=free_port(),
        model=model,
        var_dir=var_dir,
        endpoints=endpoints or ServerConfig.endpoints,
        credentials=credentials or ServerConfig.credentials,
        sanic_workers=sanic_workers,
        extra_env={"AGGLO_DATABASE_URL": settings.database_url, **(extra_env or {})},
    )


@contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Child processes started inside write their stdout and stderr to ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def start_rasa_and_actions(
    servers: Servers, timeout: float, *, actions: bool = True, output: Path | None = None
) -> tuple[subprocess.Popen[bytes], subprocess.Popen[bytes] | None]:
    """Start the action server (unless ``actions`` is False) and Rasa, then wait until both
    answer. With ``output``, their stdout and stderr go to that file, not between the
    benchmark's progress lines. Returns the Rasa and action server processes."""
    with _output_to(output) if output is not None else nullcontext():
        action_server = servers.start_actions() if actions else None
        rasa = servers.start_rasa()
    if action_server is not None:
        wait_until_up(f"{servers.config.actions_url}/health", action_server, timeout)
    wait_until_up(f"{servers.config.rasa_url}/", rasa, timeout)
    return rasa, action_server


def stop_servers(servers: Servers) -> None:
    processes = list(servers.processes)
    servers.stop()
    # Sanic's workers are in the server's process group: make sure none is left behind.
    for process in processes:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
