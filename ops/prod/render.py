"""The generated configuration of the production profile: supervisord, nginx and Redis.

The files themselves are Jinja2 templates in ``templates/``, readable (and editable) as the
configuration they produce; this module only gathers their data: ports, addresses, programs.
Pure functions of the settings and the chosen ports, so tests can read what is generated.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import yaml

from bot.settings import PROJECT_ROOT, Settings, default_settings
from ops.prod.env_file import pg_data, pg_sockets, postgres_url

STATIC_DIR = PROJECT_ROOT / "bot" / "web" / "static"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PROD_ENDPOINTS = PROJECT_ROOT / "ops" / "endpoints.prod.yml"
NGINX = "/usr/sbin/nginx"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    # Configuration files, not HTML: a value must reach nginx or supervisord as it is ("&" or
    # "<" escaped would be a different value), so nothing is escaped.
    autoescape=False,  # noqa: S701
    # A missing value fails the rendering instead of leaving an empty directive.
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    # Block tags ({% if %}, {% for %}) take no room in the output: the templates keep the
    # layout of the files they produce.
    trim_blocks=True,
    lstrip_blocks=True,
)


def _render(template: str, **context: Any) -> str:
    return _TEMPLATES.get_template(template).render(**context)


@dataclass(frozen=True)
class Ports:
    postgres: int
    redis: int
    public: int
    internal: int
    rasa: tuple[int, ...]
    actions: tuple[int, ...]
    web: tuple[int, ...]


def app_environment(settings: Settings, ports: Ports) -> dict[str, str]:
    """What every Rasa server, action server and web front gets (no secret but the database
    URL of the application role, which supervisord keeps in its environment, not in a file)."""
    app_url = postgres_url(settings, settings.db_app, settings.db_app_password, ports.postgres)
    return {
        "AGGLO_DATABASE_URL": app_url,
        "AGGLO_FEEDBACK_DATABASE_URL": app_url,
        "AGGLO_SESSIONS_DATABASE_URL": app_url,
        "AGGLO_TRACKER_DATABASE_URL": app_url,
        "AGGLO_ACTIONS_URL": f"http://127.0.0.1:{ports.internal}/webhook",
        "AGGLO_REDIS_HOST": "127.0.0.1",
        "AGGLO_REDIS_PORT": str(ports.redis),
        "AGGLO_VAR_DIR": str(settings.prod_dir / "app"),
        "HOME": str(settings.prod_dir / "home"),
        # Rasa's SQL tracker store: one message at a time per process, a small pool is plenty.
        "SQL_POOL_SIZE": "5",
        "SQL_MAX_OVERFLOW": "10",
        # A conversation's lock held by a process that was killed frees itself after this long.
        "TICKET_LOCK_LIFETIME": "20",
        # rasa_sdk binds to SANIC_HOST (0.0.0.0 otherwise); Rasa gets --interface.
        "SANIC_HOST": "127.0.0.1",
        "SANIC_WORKERS": "1",
        "TF_INTRA_OP_PARALLELISM_THREADS": "1",
        "TF_INTER_OP_PARALLELISM_THREADS": "1",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONWARNINGS": "ignore",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@dataclass(frozen=True)
class Program:
    """One program supervisord runs (templates/supervisord_program.conf.j2)."""

    name: str
    command: str
    priority: int
    autostart: bool
    user: str | None = None
    # Also the signal the kernel sends the program when supervisord dies (setpriv --pdeathsig).
    stop_signal: str = "TERM"
    stop_wait_seconds: int = 20
    environment: Mapping[str, str] = field(default_factory=dict)


def app_programs(settings: Settings, ports: Ports) -> list[str]:
    """Names of the application programs, started once the database is migrated."""
    return (
        [f"actions-{index}" for index in range(len(ports.actions))]
        + [f"rasa-{index}" for index in range(len(ports.rasa))]
        + [f"web-{index}" for index in range(len(ports.web))]
    )


def supervisord_header(var: Path) -> str:
    """supervisord itself, in the foreground, controlled through a socket only its owner can use."""
    return _render("supervisord_header.conf.j2", var=var)


def program(name: str, command: str, settings: Settings, *, user: str | None = None, autostart: bool = True) -> str:
    """One supervised program, started the way the production servers are."""
    return _render(
        "supervisord_program.conf.j2",
        program=Program(name, command, priority=20, autostart=autostart, user=user),
        **_program_context(settings),
    )


def _program_context(settings: Settings) -> dict[str, Path]:
    return {"directory": PROJECT_ROOT, "log_dir": settings.prod_dir / "log"}


def supervisord_programs(
    settings: Settings, ports: Ports, as_root: bool, python_user: str | None = None
) -> list[Program]:
    """The services, the application programs and nginx, in the order supervisord lists them.
    ``python_user``: who runs the Python servers when root starts us (None: root itself, when
    the service user cannot execute this interpreter)."""
    var = settings.prod_dir
    user = settings.service_user if as_root else None
    app_user = python_user if as_root else None
    python = sys.executable
    env = app_environment(settings, ports)
    programs = [
        Program(
            "postgres",
            f"{PG_BIN / 'postgres'} -D {pg_data(settings)} -h 127.0.0.1 -p {ports.postgres} -k {pg_sockets(settings)}"
            f" -c max_connections=200 -c unix_socket_permissions=0700"
            f" -c synchronous_commit={settings.pg_synchronous_commit} -c log_min_messages=warning",
            priority=10,
            autostart=True,
            user=user,
            # SIGINT is PostgreSQL's fast shutdown: clients are disconnected, nothing is lost.
            stop_signal="INT",
            stop_wait_seconds=60,
        ),
        Program("redis", f"redis-server {var / 'redis' / 'redis.conf'}", priority=10, autostart=True, user=user),
    ]
    for index, port in enumerate(ports.actions):
        command = f"{python} -m rasa run actions --actions actions --port {port} --quiet"
        programs.append(
            Program(f"actions-{index}", command, priority=20, autostart=False, user=app_user, environment=env)
        )
    for index, port in enumerate(ports.rasa):
        command = (
            f"{python} -m rasa run --model {settings.model} --endpoints {PROD_ENDPOINTS}"
            f" --credentials {PROJECT_ROOT / 'credentials.yml'} --interface 127.0.0.1 --port {port} --quiet"
            # The HTTP API only behind the token (from supervisord's environment, not this file).
            " %(ENV_RASA_API_ARGS)s"
        )
        programs.append(Program(f"rasa-{index}", command, priority=30, autostart=False, user=app_user, environment=env))
    # The web fronts reach the Rasa servers directly, each conversation pinned to one of them
    # (bot/web/routing.py), skipping one that is not ready.
    rasa_urls = ",".join(f"http://127.0.0.1:{port}" for port in ports.rasa)
    for index, port in enumerate(ports.web):
        command = f"{python} -m bot web --host 127.0.0.1 --port {port}"
        # The first web front owns the content repository and serves the console's editor
        # (nginx sends /console/edit/ there); the others read the published database.
        front_env = {**env, "AGGLO_CONTENT_EDITOR": "1" if index == 0 else "0", "AGGLO_RASA_URLS": rasa_urls}
        programs.append(
            Program(f"web-{index}", command, priority=40, autostart=False, user=app_user, environment=front_env)
        )
    programs.append(
        Program(
            "nginx",
            f"{NGINX} -p {var / 'nginx'} -c {var / 'nginx' / 'nginx.conf'}",
            priority=50,
            autostart=False,
            # Below port 1024 the master binds as root and its workers run as the service user.
            user=user if settings.public_port >= 1024 else None,
            stop_signal="QUIT",
        )
    )
    return programs


def supervisord_conf(settings: Settings, ports: Ports, as_root: bool, python_user: str | None = None) -> str:
    """supervisord's whole configuration (see :func:`supervisord_programs` for ``python_user``)."""
    return _render(
        "supervisord.conf.j2",
        var=settings.prod_dir,
        programs=supervisord_programs(settings, ports, as_root, python_user),
        app_programs=app_programs(settings, ports),
        **_program_context(settings),
    )


def redis_conf(settings: Settings, ports: Ports) -> str:
    return _render(
        "redis.conf.j2", port=ports.redis, directory=settings.prod_dir / "redis", password=settings.redis_password
    )


def error_bodies() -> dict[str, str]:
    """The JSON bodies nginx answers with on the chat endpoints, in the content's French."""
    content = yaml.safe_load((PROJECT_ROOT / "kb" / "messages.yml").read_text(encoding="utf-8"))
    messages = content["proxy"]
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    apology = domain["responses"]["utter_erreur_technique"][0]["text"]
    bodies = {
        "rate_limited": {"error": "rate_limited", "message": messages["rate_limited"]},
        "body_too_large": {"error": "body_too_large", "message": messages["body_too_large"]},
        "unavailable": {"error": "unavailable", "message": apology},
        # The callback form's own limit (bot/web/callbacks_api.py says the same).
        "callback_rate_limited": {"error": "too_many_callbacks", "message": content["callback"]["errors"]["too_many"]},
    }
    return {name: json.dumps(body, ensure_ascii=False) + "\n" for name, body in bodies.items()}


@dataclass(frozen=True)
class NginxLayout:
    """Where nginx finds and writes things, and the servers behind it ("host:port")."""

    public_listen: str
    internal_listen: str
    web: tuple[str, ...]
    # The one web front that owns the content repository (the console's editor).
    editor: str
    rasa: tuple[str, ...]
    actions: tuple[str, ...]
    static_dir: Path
    errors_root: Path
    temp_dir: Path
    pid_file: Path
    error_log: str
    # Who nginx's workers run as; empty: no ``user`` directive (whoever runs the master).
    worker_user: str = ""


def local_layout(settings: Settings, ports: Ports, as_root: bool) -> NginxLayout:
    var = settings.prod_dir / "nginx"
    return NginxLayout(
        public_listen=f"{settings.public_host}:{ports.public}",
        internal_listen=f"127.0.0.1:{ports.internal}",
        web=tuple(f"127.0.0.1:{port}" for port in ports.web),
        editor=f"127.0.0.1:{ports.web[0]}",
        # None: the web fronts choose the Rasa server of each conversation themselves.
        rasa=(),
        actions=tuple(f"127.0.0.1:{port}" for port in ports.actions),
        static_dir=STATIC_DIR,
        errors_root=var,
        temp_dir=var / "tmp",
        pid_file=var / "nginx.pid",
        error_log=f"{var / 'error.log'} warn",
        worker_user=settings.service_user if as_root and settings.public_port < 1024 else "",
    )


COMPOSE_DIR = PROJECT_ROOT / "ops" / "compose"


def compose_layout() -> NginxLayout:
    """compose.yml: nginx in its own container, the servers found by their service names (every
    replica of a service is one address of its name when nginx starts)."""
    return NginxLayout(
        public_listen="8080",
        internal_listen="8081",
        web=("web:8000",),
        editor="editor:8000",
        rasa=("rasa:5005",),
        actions=("actions:5055",),
        static_dir=Path("/srv/static"),
        errors_root=Path("/srv/nginx"),
        temp_dir=Path("/var/cache/nginx"),
        pid_file=Path("/var/run/nginx.pid"),
        error_log="/dev/stderr warn",
        worker_user="nginx",
    )


K8S_NGINX = PROJECT_ROOT / "ops" / "k8s" / "base" / "nginx.conf"


def k8s_layout() -> NginxLayout:
    """Kubernetes (ops/k8s/): nginx is the public side only. The web fronts reach the Rasa pods
    themselves (a headless Service, each conversation pinned to one pod), and Rasa the action
    servers through their Service, which only lists ready pods; nginx runs as a non-root user
    with a read-only root filesystem, writing under /tmp only."""
    return NginxLayout(
        public_listen="8080",
        internal_listen="",
        web=("web:8000",),
        editor="editor:8000",
        rasa=(),
        actions=(),
        static_dir=Path("/srv/static"),
        errors_root=Path("/srv/nginx"),
        temp_dir=Path("/tmp/nginx"),  # noqa: S108 - an emptyDir volume of the pod
        pid_file=Path("/tmp/nginx.pid"),  # noqa: S108 - an emptyDir volume of the pod
        error_log="/dev/stderr warn",
    )


def compose_settings() -> Settings:
    """The default limits, whatever this machine's .env says (the file is committed)."""
    return default_settings()


def compose_files(settings: Settings) -> dict[Path, str]:
    """ops/compose/nginx.conf, ops/k8s/base/nginx.conf and the error bodies, as committed (a test
    keeps them current)."""
    files = {COMPOSE_DIR / "nginx.conf": nginx_conf(settings, compose_layout())}
    files[K8S_NGINX] = nginx_conf(settings, k8s_layout())
    files |= {COMPOSE_DIR / "errors" / f"{name}.json": body for name, body in error_bodies().items()}
    return files


def nginx_conf(settings: Settings, layout: NginxLayout) -> str:
    return _render(
        "nginx.conf.j2",
        layout=layout,
        # nginx's upstream blocks, in the file's order.
        upstreams={
            name: addresses
            for name, addresses in (
                ("web", layout.web),
                ("editor", (layout.editor,)),
                ("rasa", layout.rasa),
                ("actions", layout.actions),
            )
            if addresses
        },
        rate_limit_exemptions=settings.rate_limit_exemptions,
        chat_rate=settings.chat_rate,
        chat_burst=settings.chat_burst,
        max_body=settings.max_body,
    )


def write_configuration(settings: Settings, ports: Ports, as_root: bool, python_user: str | None) -> Path:
    """Write every generated file under the settings' directory; the supervisord.conf path."""
    var = settings.prod_dir
    for directory in ("log", "redis", "nginx/tmp", "nginx/_errors", "app", "home"):
        (var / directory).mkdir(parents=True, exist_ok=True)
    redis = var / "redis" / "redis.conf"
    redis.touch(mode=0o600)
    redis.write_text(redis_conf(settings, ports))
    (var / "nginx" / "nginx.conf").write_text(nginx_conf(settings, local_layout(settings, ports, as_root)))
    for name, body in error_bodies().items():
        (var / "nginx" / "_errors" / f"{name}.json").write_text(body, encoding="utf-8")
    conf = var / "supervisord.conf"
    conf.touch(mode=0o600)
    conf.write_text(supervisord_conf(settings, ports, as_root, python_user))
    return conf
