"""``make run`` never leaves a server behind: killed hard, its servers stop with it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT, load_settings
from ops.dev import DEFAULT_MODEL, free_port

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_servers_stop_when_the_starter_is_killed_hard(tmp_path: Path) -> None:
    ports = {"AGGLO_RASA_PORT": free_port(), "AGGLO_ACTIONS_PORT": free_port(), "AGGLO_WEB_PORT": free_port()}
    env = {
        **os.environ,
        **{name: str(port) for name, port in ports.items()},
        "AGGLO_VAR_DIR": str(tmp_path),
        "AGGLO_DATABASE_URL": load_settings().database_url,
    }
    log = (tmp_path / "serve.log").open("wb")
    starter = subprocess.Popen(
        [sys.executable, "-m", "ops.dev"], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 300
        while not all(listening(port) for port in ports.values()):
            assert starter.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the servers did not start"
            time.sleep(1)
        starter.send_signal(signal.SIGKILL)
        starter.wait(timeout=10)
        deadline = time.monotonic() + 30
        while any(listening(port) for port in ports.values()) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not any(listening(port) for port in ports.values()), "a server outlived the command"
    finally:
        if starter.poll() is None:
            starter.kill()
        log.close()
