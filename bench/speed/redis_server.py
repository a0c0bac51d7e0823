"""A throw-away redis-server for the ``workers2`` profile (Rasa's Redis lock store)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench.common.results import SCRATCH_DIR
from bench.speed import log
from bot.settings import child_environment
from ops.dev import free_port


def _redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary:
        return binary
    if os.geteuid() != 0:
        raise RuntimeError("redis-server is missing: install Debian's redis-server (apt-get install redis-server)")
    log("installing Debian's redis-server (apt-get install -y redis-server)")
    install = ["apt-get", "install", "-y", "-q", "redis-server"]
    env = child_environment({"DEBIAN_FRONTEND": "noninteractive"})
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
    command += ["--daemonize", "no", "--loglevel", "warning", "--dir", str(SCRATCH_DIR)]
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
