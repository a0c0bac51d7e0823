"""Start the action server, the Rasa server and the web front together; Ctrl-C stops them all.

``python -m ops.dev`` (``make run``) and ``python -m ops.dev --shell`` (``make shell``).

Used by ``make run`` and ``make shell``, by the end-to-end tests and by the benchmarks, so
every one of them runs the servers the same way.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import DEFAULT_MODEL, PROJECT_ROOT, Settings, child_environment, load_settings


@dataclass
class ServerConfig:
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8000
    model: Path = DEFAULT_MODEL
    var_dir: Path = PROJECT_ROOT / "var"
    endpoints: Path = PROJECT_ROOT / "endpoints.yml"
    credentials: Path = PROJECT_ROOT / "credentials.yml"
    sanic_workers: int = 1
    log_level: str = "--quiet"
    extra_env: dict[str, str] = field(default_factory=dict)
    # Every server listens on loopback only, unless configured otherwise (AGGLO_BIND_HOST).
    host: str = "127.0.0.1"
    # Shared by the web front and the REST channel: only the web front may set
    # metadata.agent or send /intent payloads (channels/rest.py). A fresh one per run unless set.
    channel_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    # Rasa's HTTP API is only ever exposed behind a token; none, no API.
    rasa_api_token: str = ""
    # Rasa's tracker store; empty: tracker.sqlite3 in var_dir.
    tracker_database_url: str = ""

    @classmethod
    def from_settings(cls, settings: Settings, **fields: object) -> ServerConfig:
        """``make run``'s servers, as the settings say (``fields`` win)."""
        configured: dict[str, object] = {
            "rasa_port": settings.rasa_port,
            "actions_port": settings.actions_port,
            "web_port": settings.web_port,
            "model": settings.model,
            "var_dir": settings.var_dir,
            "host": settings.bind_host,
            "rasa_api_token": settings.rasa_api_token,
            "tracker_database_url": settings.tracker_database_url,
        }
        if settings.channel_secret:
            configured["channel_secret"] = settings.channel_secret
        return cls(**{**configured, **fields})  # type: ignore[arg-type]

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"


def free_port() -> int:
    """A TCP port free on loopback now (tests and benchmarks run their own servers side by side)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rasa() -> list[str]:
    # `python -m rasa` with this interpreter: no dependence on the venv's script shebangs.
    return [sys.executable, "-m", "rasa"]


def _tied_to_us(command: list[str]) -> list[str]:
    """The command, run so that the kernel stops it (SIGTERM) if this process dies, even by
    ``kill -9``: util-linux's ``setpriv --pdeathsig`` (on every Debian). Without it the servers
    would outlive a starter killed hard and keep holding their ports."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *command] if setpriv else command


def _environment(config: ServerConfig) -> dict[str, str]:
    env = child_environment()
    env.update(
        {
            # Read by endpoints.yml (Rasa's own substitution) and by the servers' settings.
            "AGGLO_ACTIONS_URL": f"{config.actions_url}/webhook",
            "AGGLO_TRACKER_DATABASE_URL": config.tracker_database_url
            or f"sqlite:///{config.var_dir / 'tracker.sqlite3'}",
            "SANIC_WORKERS": str(config.sanic_workers),
            # rasa_sdk's action server reads its address from SANIC_HOST (default 0.0.0.0).
            "SANIC_HOST": config.host,
            "AGGLO_CHANNEL_SECRET": config.channel_secret,
            # Two cores: TensorFlow's own thread pools only contend with the web workers.
            "TF_INTRA_OP_PARALLELISM_THREADS": env.get("TF_INTRA_OP_PARALLELISM_THREADS", "1"),
            "TF_INTER_OP_PARALLELISM_THREADS": env.get("TF_INTER_OP_PARALLELISM_THREADS", "1"),
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONWARNINGS": "ignore",
        }
    )
    env.update(config.extra_env)
    return env


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Poll ``url`` until it answers; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server for {url} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own local server
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


class Servers:
    """The action server, the Rasa server and the web front as child processes."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.processes: list[subprocess.Popen[bytes]] = []

    def start_actions(self) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            _tied_to_us(
                [
                    *_rasa(),
                    "run",
                    "actions",
                    "--actions",
                    "actions",
                    "--port",
                    str(self.config.actions_port),
                    self.config.log_level,
                ]
            ),
            cwd=PROJECT_ROOT,
            env=_environment(self.config),
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start_rasa(self, *, chat: bool = False) -> subprocess.Popen[bytes]:
        command = [
            *_rasa(),
            "shell" if chat else "run",
            "--model",
            str(self.config.model),
            "--endpoints",
            str(self.config.endpoints),
            "--port",
            str(self.config.rasa_port),
            "--interface",
            self.config.host,
        ]
        if not chat:
            command += ["--credentials", str(self.config.credentials), self.config.log_level]
            if self.config.rasa_api_token:
                # The HTTP API is only ever exposed behind a token.
                command += ["--enable-api", "--auth-token", self.config.rasa_api_token]
        process = subprocess.Popen(
            _tied_to_us(command),
            cwd=PROJECT_ROOT,
            env=_environment(self.config),
            start_new_session=not chat,
        )
        self.processes.append(process)
        return process

    def start_web(self) -> subprocess.Popen[bytes]:
        """The web front (demo page, widget, agents' console), which talks to Rasa's REST channel."""
        process = subprocess.Popen(
            _tied_to_us(
                [
                    sys.executable,
                    "-m",
                    "bot",
                    "web",
                    "--host",
                    self.config.host,
                    "--port",
                    str(self.config.web_port),
                    "--rasa-url",
                    self.config.rasa_url,
                ]
            ),
            cwd=PROJECT_ROOT,
            env=_environment(self.config),
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def start(self, timeout: float = 180) -> None:
        """Start the servers and wait until they answer; the web front comes last."""
        self.config.var_dir.mkdir(parents=True, exist_ok=True)
        actions = self.start_actions()
        rasa = self.start_rasa()
        wait_until_up(f"{self.config.actions_url}/health", actions, timeout)
        wait_until_up(f"{self.config.rasa_url}/", rasa, timeout)
        web = self.start_web()
        wait_until_up(f"{self.config.web_url}/healthz", web, 60)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except (ProcessLookupError, PermissionError):
                    process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        self.processes.clear()

    def __enter__(self) -> Servers:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_web_alone(var_dir: Path, *, rasa_port: int | None = None, timeout: float = 60, **extra_env: str) -> Servers:
    """The web front alone on a free port (the console needs neither Rasa nor the actions; the
    agent chat asks ``rasa_port``, nothing there by default), keeping its data in ``var_dir``,
    with ``extra_env`` (its knowledge base, agents file…). Started; ``stop()`` it."""
    config = ServerConfig(
        rasa_port=rasa_port or free_port(),
        actions_port=free_port(),
        web_port=free_port(),
        var_dir=var_dir,
        extra_env=extra_env,
    )
    servers = Servers(config)
    try:
        wait_until_up(f"{config.web_url}/healthz", servers.start_web(), timeout)
    except BaseException:
        servers.stop()
        raise
    return servers


def serve(shell: bool = False) -> int:
    """``make run`` / ``make shell``: run until Ctrl-C, then stop both servers cleanly."""
    settings = load_settings()
    # One web front: it is the designated editing front, unless told otherwise.
    editor = settings.content_editor if "content_editor" in settings.__fields_set__ else True
    config = ServerConfig.from_settings(settings, extra_env={"AGGLO_CONTENT_EDITOR": "1" if editor else "0"})
    if not config.model.exists():
        print(f"error: no trained model at {config.model}: run `make train`", file=sys.stderr)
        return 2
    servers = Servers(config)

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    # Started in the background of a script, SIGINT arrives ignored: Ctrl-C (or kill -INT)
    # must still stop everything cleanly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if shell:
            config.var_dir.mkdir(parents=True, exist_ok=True)
            actions = servers.start_actions()
            wait_until_up(f"{config.actions_url}/health", actions, 120)
            shell_process = servers.start_rasa(chat=True)
            return shell_process.wait()
        print("Starting the action server, the Rasa server and the web front (about 30 s)…", flush=True)
        started = time.monotonic()
        servers.start()
        print(
            f"\nAgglo Assistant is ready ({time.monotonic() - started:.0f} s).\n"
            f"  REST channel: POST {config.rasa_url}/webhooks/rest/webhook\n"
            f"  Try: curl -s {config.rasa_url}/webhooks/rest/webhook "
            """-d '{"sender": "moi", "message": "c'"'"'est quoi la mutuelle pour tous"}'\n"""
            f"  Chat widget (demo page): {config.web_url}/\n"
            f"  Agents' console:         {config.web_url}/console"
            " (add an agent first: python -m bot agents add NAME)\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while all(process.poll() is None for process in servers.processes):
            time.sleep(1)
        print("error: a server stopped unexpectedly", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
        return 0
    except (RuntimeError, TimeoutError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        servers.stop()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m ops.dev", description="Run the assistant on this machine (make run)."
    )
    parser.add_argument("--shell", action="store_true", help="chat in the terminal instead (make shell)")
    return serve(shell=parser.parse_args(argv).shell)


if __name__ == "__main__":
    sys.exit(main())
