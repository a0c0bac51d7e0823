"""compose.yml and the generated configuration stay valid (they cannot run on this machine)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.settings import PROJECT_ROOT
from ops.prod.env_file import GENERATED_SECRETS
from ops.prod.render import Ports, compose_files, compose_settings, local_layout, nginx_conf, write_configuration
from tests.conftest import prod_settings


def test_the_committed_compose_nginx_files_are_current() -> None:
    for path, text in compose_files(compose_settings()).items():
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run python -m ops.prod compose-nginx"


@pytest.mark.skipif(
    shutil.which("docker-compose") is None, reason="docker-compose missing (apt-get install docker-compose)"
)
def test_compose_file_is_valid(tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    secrets = [*GENERATED_SECRETS, "POSTGRES_SUPERUSER_PASSWORD"]
    env_file.write_text("".join(f"{name}=placeholder-{index}\n" for index, name in enumerate(secrets)))
    command = ["docker-compose", "--env-file", str(env_file), "-f", str(PROJECT_ROOT / "compose.yml"), "config"]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    services = yaml.safe_load(completed.stdout)["services"]
    assert {"postgres", "redis", "migrate", "rasa", "actions", "web", "nginx"} <= set(services)
    # Only nginx publishes a port, on loopback unless configured otherwise.
    assert [name for name, service in services.items() if service.get("ports")] == ["nginx"]
    assert "127.0.0.1" in str(services["nginx"]["ports"])
    assert all(services[name]["deploy"]["replicas"] >= 2 for name in ("rasa", "actions", "web"))
    empty = tmp_path / "empty"
    empty.write_text("")
    missing = subprocess.run(
        ["docker-compose", "--env-file", str(empty), "-f", str(PROJECT_ROOT / "compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert missing.returncode != 0 and "AGGLO_DB_APP_PASSWORD" in missing.stderr


@pytest.mark.skipif(not Path("/usr/sbin/nginx").exists(), reason="nginx missing (ops/services.sh install)")
def test_the_generated_nginx_configuration_is_accepted_by_nginx(tmp_path: Path) -> None:
    settings = prod_settings(tmp_path)
    ports = Ports(postgres=1, redis=2, public=8080, internal=8081, rasa=(5005, 5006), actions=(5055,), web=(8000,))
    write_configuration(settings, ports, as_root=False, python_user=None)
    conf = tmp_path / "nginx" / "nginx.conf"
    assert conf.read_text() == nginx_conf(settings, local_layout(settings, ports, as_root=False))
    completed = subprocess.run(
        ["/usr/sbin/nginx", "-t", "-p", str(tmp_path / "nginx"), "-c", str(conf)], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
