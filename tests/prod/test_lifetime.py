"""The servers never outlive the command that started them, even killed with kill -9.

The same launch as `make run-prod` (ops.prod.run.launch_supervisord, programs written by
ops.prod.render), with two small HTTP servers in place of the real ones, so it runs in seconds.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import PROJECT_ROOT
from ops.dev import free_port
from ops.prod.render import program, supervisord_header
from tests.conftest import prod_settings

pytestmark = [
    pytest.mark.prod,
    pytest.mark.skipif(
        shutil.which("supervisord") is None or shutil.which("setpriv") is None,
        reason="supervisor missing (ops/services.sh install)",
    ),
]

STARTER = """
import sys
from pathlib import Path
from ops.prod.run import launch_supervisord
launch_supervisord(Path(sys.argv[1]), {"PATH": "/usr/bin:/bin"}).wait()
"""


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait(condition: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.2)
    return False


def _start(tmp_path: Path) -> tuple[subprocess.Popen[bytes], list[int]]:
    settings = prod_settings(tmp_path)
    (tmp_path / "log").mkdir(exist_ok=True)
    ports = [free_port(), free_port()]
    servers = [
        program(f"server-{index}", f"{sys.executable} -m http.server {port} --bind 127.0.0.1", settings)
        for index, port in enumerate(ports)
    ]
    conf = tmp_path / "supervisord.conf"
    conf.write_text(supervisord_header(tmp_path) + "\n" + "\n".join(servers))
    starter = subprocess.Popen([sys.executable, "-c", STARTER, str(conf)], cwd=Path(__file__).parents[2])
    assert _wait(lambda: all(_listening(port) for port in ports), 30), "the servers did not start"
    return starter, ports


def test_kill_9_of_the_starting_command_stops_every_server(tmp_path: Path) -> None:
    starter, ports = _start(tmp_path)
    os.kill(starter.pid, signal.SIGKILL)
    starter.wait()
    assert _wait(lambda: not any(_listening(port) for port in ports), 15), "a server outlived its starter"


def test_kill_9_of_supervisord_stops_every_server(tmp_path: Path) -> None:
    starter, ports = _start(tmp_path)
    supervisord = int((tmp_path / "supervisord.pid").read_text())
    os.kill(supervisord, signal.SIGKILL)
    assert _wait(lambda: not any(_listening(port) for port in ports), 15), "a server outlived supervisord"
    starter.wait(timeout=10)


def test_the_runner_gets_sigterm_when_make_dies(tmp_path: Path) -> None:
    """`make run-prod` → python -m ops.prod run: a kill -9 of make reaches the runner."""
    marker = tmp_path / "terminated"
    child = (
        "import signal, sys, time\n"
        "from ops.prod.run import die_with_parent\n"
        f"signal.signal(signal.SIGTERM, lambda *_: (open({str(marker)!r}, 'w').close(), sys.exit(0)))\n"
        "die_with_parent()\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"],
        cwd=Path(__file__).parents[2],
    )
    time.sleep(3)  # the child has asked for its signal
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    assert _wait(marker.exists, 15), "the runner outlived its parent"


@pytest.mark.skipif(os.geteuid() != 0, reason="the service user exists only when root starts the profile")
def test_a_project_the_service_user_cannot_enter_is_said_plainly(tmp_path: Path) -> None:
    from ops.prod.run import ProdStack

    stack = ProdStack(prod_settings(tmp_path))
    stack._services("account", quiet=True)
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    with pytest.raises(RuntimeError, match="cannot enter"):
        stack._check_service_user_reaches(closed)
    # The project itself: the production stack's tests start PostgreSQL there.
    stack._check_service_user_reaches(PROJECT_ROOT)


@pytest.mark.skipif(os.geteuid() != 0, reason="the services run as another user only when root starts them")
@pytest.mark.skipif(
    not Path("/usr/lib/postgresql/15/bin/postgres").exists() or shutil.which("redis-server") is None,
    reason="services missing (ops/services.sh install)",
)
def test_installing_the_services_warns_of_a_project_others_cannot_enter(tmp_path: Path) -> None:
    # `make services` runs first in `make test`: the advice comes before any test waits for
    # a PostgreSQL that cannot start.
    def install(script: Path) -> str:
        return subprocess.run(["bash", str(script), "install"], capture_output=True, text=True, check=True).stderr

    closed = tmp_path / "closed"
    (closed / "project" / "ops").mkdir(parents=True)
    closed.chmod(0o700)
    shutil.copy(PROJECT_ROOT / "ops" / "services.sh", closed / "project" / "ops" / "services.sh")
    assert f"chmod o+rx {closed}" in install(closed / "project" / "ops" / "services.sh")
    # The project itself: the production stack's tests start PostgreSQL there.
    assert "warning" not in install(PROJECT_ROOT / "ops" / "services.sh")
