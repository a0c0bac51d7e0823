"""Start the production profile under supervisord, migrate, and stop it all together.

``python -m ops.prod run`` (``make run-prod``) runs until Ctrl-C or SIGTERM;
``python -m ops.prod stop`` stops a running one from another terminal. ``bench/prod/``
(``make test-prod``) starts the same stack with :class:`ProdStack`.

Lifetime: this process asks for SIGTERM when its parent (make) dies. supervisord is its child,
started through ``setpriv --pdeathsig``, so the kernel sends it SIGTERM if this process dies,
even by ``kill -9``; supervisord then stops every server. Each server is itself started through
``setpriv --pdeathsig``, so a supervisord killed with ``kill -9`` takes them along too. Nothing
outlives the command.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import PROJECT_ROOT, Settings, child_environment
from ops.dev import free_port
from ops.prod.env_file import binary, pg_data, pg_sockets, postgres_url, secrets_environment
from ops.prod.render import PG_BIN, Ports, write_configuration

SERVICES = PROJECT_ROOT / "ops" / "services.sh"


def log(message: str) -> None:
    print(f"[run-prod] {message}", flush=True)


def launch_supervisord(conf: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """supervisord in the foreground, as our child, told by the kernel to stop (SIGTERM) when
    we die, however we die."""
    return subprocess.Popen(
        ["setpriv", "--pdeathsig", "TERM", "--", binary("supervisord"), "-n", "-c", str(conf)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )


def choose_ports(settings: Settings) -> Ports:
    def pick(configured: int) -> int:
        return configured or free_port()

    return Ports(
        postgres=pick(settings.pg_port),
        redis=pick(settings.redis_port),
        public=pick(settings.public_port),
        internal=free_port(),
        rasa=tuple(free_port() for _ in range(settings.rasa_processes)),
        actions=tuple(free_port() for _ in range(settings.action_servers)),
        web=tuple(free_port() for _ in range(settings.web_fronts)),
    )


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - our own loopback servers
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class ProdStack:
    """The whole production topology, as one supervisord and its programs."""

    settings: Settings
    ports: Ports = field(init=False)
    supervisord: subprocess.Popen[bytes] | None = None
    conf: Path = field(init=False)
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ports = choose_ports(self.settings)
        self.conf = self.settings.prod_dir / "supervisord.conf"

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    @property
    def public_url(self) -> str:
        host = "127.0.0.1" if self.settings.public_host in ("0.0.0.0", "::") else self.settings.public_host  # noqa: S104
        return f"http://{host}:{self.ports.public}"

    @property
    def owner_url(self) -> str:
        s = self.settings
        return postgres_url(s, s.db_owner, s.db_owner_password, self.ports.postgres)

    @property
    def app_url(self) -> str:
        s = self.settings
        return postgres_url(s, s.db_app, s.db_app_password, self.ports.postgres)

    # Lifecycle ---------------------------------------------------------------------------
    def prepare(self) -> None:
        """Packages, the service user, the PostgreSQL cluster and the generated files."""
        self._services("install")
        self._services("account", quiet=True)
        binary("setpriv")
        self._check_service_user_reaches(PROJECT_ROOT)
        if not self.settings.model.exists():
            raise FileNotFoundError(f"no trained model at {self.settings.model}: run `make train`")
        var = self.settings.prod_dir
        var.mkdir(parents=True, exist_ok=True)
        pg_data(self.settings).parent.mkdir(parents=True, exist_ok=True)
        self._own(pg_data(self.settings).parent)
        self._services("initdb", str(pg_data(self.settings)))
        pg_sockets(self.settings).mkdir(exist_ok=True)
        write_configuration(self.settings, self.ports, self.as_root, self.python_user())
        for directory in ("postgres", "redis", "app", "home", "nginx"):
            self._own(var / directory)

    def _services(self, *args: str, extra_env: dict[str, str] | None = None, quiet: bool = False) -> None:
        """ops/services.sh, told the settings' service user: it may come from .env, which the
        script does not read."""
        env = child_environment({"AGGLO_SERVICE_USER": self.settings.service_user, **(extra_env or {})})
        subprocess.run([str(SERVICES), *args], check=True, env=env, stdout=subprocess.DEVNULL if quiet else None)

    def _check_service_user_reaches(self, directory: Path) -> None:
        """supervisord starts PostgreSQL and Redis as the service user in the project directory:
        say so plainly when that user cannot enter it (a clone in a 0700 directory), rather than
        waiting a minute for a PostgreSQL that never starts."""
        if not self.as_root:
            return
        user = self.settings.service_user
        probe = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(directory)], check=False)
        if probe.returncode != 0:
            raise RuntimeError(
                f"the service user {user} cannot enter {directory} (or a directory above it): PostgreSQL and"
                f" Redis run as {user} there. Make the path readable, e.g. `chmod o+rx` on each directory"
                " of it, or clone the project under a directory that others can enter."
            )

    def python_user(self) -> str | None:
        """The service user, if it can run this interpreter; else None (root runs the Python
        servers). A pyenv interpreter under /root is out of its reach: on a real host install
        Python where the service user can run it (the container image does)."""
        if not self.as_root:
            return None
        user = self.settings.service_user
        probe = subprocess.run(
            ["runuser", "-u", user, "--", sys.executable, "-c", "import sqlalchemy"], check=False, capture_output=True
        )
        if probe.returncode == 0:
            return user
        log(f"warning: {user} cannot run {sys.executable}: the Python servers run as root (the services do not)")
        return None

    def _own(self, path: Path) -> None:
        """Hand a directory (and what is in it) to the service user."""
        if not self.as_root:
            return
        user = self.settings.service_user
        shutil.chown(path, user, user)
        for root, directories, files in os.walk(path):
            for name in directories + files:
                shutil.chown(Path(root) / name, user, user)

    def _supervisor_env(self) -> dict[str, str]:
        env = child_environment({**secrets_environment(self.settings), **self.extra_env})
        token = self.settings.rasa_api_token
        env["RASA_API_ARGS"] = f"--enable-api --auth-token {token}" if token else ""
        return env

    def start(self, timeout: float = 300) -> None:
        self.prepare()
        log(f"supervisord -c {self.conf}")
        self.supervisord = launch_supervisord(self.conf, self._supervisor_env())
        try:
            self._wait(lambda: self._pg_ready(), 60, "PostgreSQL")
            roles = {
                "AGGLO_DB_OWNER_PASSWORD": self.settings.db_owner_password,
                "AGGLO_DB_APP_PASSWORD": self.settings.db_app_password,
                "AGGLO_DB_NAME": self.settings.db_name,
                "AGGLO_DB_OWNER": self.settings.db_owner,
                "AGGLO_DB_APP": self.settings.db_app,
            }
            self._services("roles", str(pg_sockets(self.settings)), str(self.ports.postgres), extra_env=roles)
            self.migrate()
            log("starting the action servers, the Rasa servers and the web fronts")
            self.supervisorctl("start", "app:*")
            self.wait_healthy(timeout)
            self.supervisorctl("start", "nginx")
            self._wait(lambda: _http_ok(f"{self.public_url}/healthz"), 30, "nginx")
        except BaseException:
            self.stop()
            raise

    def migrate(self) -> None:
        """Migrations and the knowledge-base build, with the owner role."""
        env = child_environment({"AGGLO_MIGRATION_DATABASE_URL": self.owner_url, "AGGLO_DATABASE_URL": self.owner_url})
        python = [sys.executable, "-m", "bot"]
        subprocess.run([*python, "db", "upgrade"], check=True, env=env, cwd=PROJECT_ROOT)
        subprocess.run([*python, "kb", "build"], check=True, env=env, cwd=PROJECT_ROOT)

    def health_urls(self) -> dict[str, str]:
        """Each server's readiness: the action servers' knowledge base loaded, Rasa's model
        loaded and parsing (the same checks the web fronts and Kubernetes make)."""
        urls = {f"actions-{i}": f"http://127.0.0.1:{port}/ready" for i, port in enumerate(self.ports.actions)}
        urls |= {f"rasa-{i}": f"http://127.0.0.1:{port}/webhooks/rest/ready" for i, port in enumerate(self.ports.rasa)}
        urls |= {f"web-{i}": f"http://127.0.0.1:{port}/healthz" for i, port in enumerate(self.ports.web)}
        return urls

    def wait_healthy(self, timeout: float, names: Sequence[str] | None = None) -> None:
        urls = self.health_urls()
        for name in names or list(urls):
            self._wait(functools.partial(_http_ok, urls[name]), timeout, name)

    def _pg_ready(self) -> bool:
        return (
            subprocess.run(
                [str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.ports.postgres)], check=False
            ).returncode
            == 0
        )

    def _wait(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.supervisord is not None and self.supervisord.poll() is not None:
                raise RuntimeError(f"supervisord exited (see {self.settings.prod_dir / 'log'})")
            if ready():
                return
            time.sleep(0.5)
        raise TimeoutError(f"{what} not ready after {timeout:.0f} s (logs: {self.settings.prod_dir / 'log'})")

    def supervisorctl(self, *args: str) -> str:
        completed = subprocess.run(
            [binary("supervisorctl"), "-c", str(self.conf), *args], capture_output=True, text=True, check=False
        )
        if completed.returncode not in (0, 3):  # 3: some program not running (status)
            raise RuntimeError(f"supervisorctl {' '.join(args)}: {completed.stdout}{completed.stderr}")
        return completed.stdout

    def pid(self, program: str) -> int:
        return int(self.supervisorctl("pid", program).strip() or 0)

    def stop(self, timeout: float = 90) -> None:
        if self.supervisord is None or self.supervisord.poll() is not None:
            return
        self.supervisord.send_signal(signal.SIGTERM)
        try:
            self.supervisord.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.supervisord.kill()
            self.supervisord.wait()

    def listening_ports(self) -> list[int]:
        every = [self.ports.postgres, self.ports.redis, self.ports.public, self.ports.internal]
        every += [*self.ports.rasa, *self.ports.actions, *self.ports.web]
        return [port for port in every if _port_open(port)]

    def summary(self) -> str:
        p = self.ports
        return (
            f"  Widget (demo page): {self.public_url}/\n"
            f"  Agents' console:    {self.public_url}/console"
            f" (add an agent: AGGLO_VAR_DIR={self.settings.prod_dir / 'app'} python -m bot agents add NAME"
            " [--role admin])\n"
            f"  Maintenance switch: the console's « Maintenance » page (admin role), or\n"
            f"    AGGLO_SESSIONS_DATABASE_URL=postgresql://{self.settings.db_app}:$AGGLO_DB_APP_PASSWORD@127.0.0.1:"
            f'{p.postgres}/{self.settings.db_name} python -m bot maintenance on --reason "…"\n'
            f"  nginx listens on {self.settings.public_host}:{p.public} (internal 127.0.0.1:{p.internal});"
            f" PostgreSQL 127.0.0.1:{p.postgres}, Redis 127.0.0.1:{p.redis}\n"
            f"  Rasa {list(p.rasa)}, actions {list(p.actions)}, web {list(p.web)} (all 127.0.0.1)\n"
            f"  Status: supervisorctl -c {self.conf} status; logs in {self.settings.prod_dir / 'log'}"
        )


def die_with_parent() -> None:
    """Ask the kernel for SIGTERM when our parent (make, a shell) dies, even by kill -9: then
    we stop the stack as on Ctrl-C."""
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    if os.getppid() == 1:  # the parent died before we asked
        os.kill(os.getpid(), signal.SIGTERM)


def run(settings: Settings) -> int:
    stack = ProdStack(settings)

    def _stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    try:
        # Inside the try: a parent already gone stops us at once, with the same clean message.
        die_with_parent()
        log("starting PostgreSQL, Redis, then the servers behind nginx (about a minute)")
        stack.start()
        log(f"Agglo Assistant (production profile) is ready in {time.monotonic() - started:.0f} s.")
        print(stack.summary() + "\nPress Ctrl-C to stop everything.", flush=True)
        if stack.supervisord is not None:
            stack.supervisord.wait()
        log("supervisord stopped")
        return 1
    except KeyboardInterrupt:
        log("stopping…")
        return 0
    except (RuntimeError, TimeoutError, FileNotFoundError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


def stop(settings: Settings) -> int:
    conf = settings.prod_dir / "supervisord.conf"
    if not (settings.prod_dir / "supervisor.sock").exists():
        print("The production profile is not running.")
        return 0
    subprocess.run([binary("supervisorctl"), "-c", str(conf), "shutdown"], check=False)
    return 0
