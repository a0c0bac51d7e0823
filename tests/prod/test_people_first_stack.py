"""Issue 16 through the production profile (`make run-prod`: nginx, two web fronts, PostgreSQL):
a callback request is stored and an agent closes it through nginx, and the maintenance switch,
made from the command line, reaches both web fronts within seconds.

Starts the whole stack (a few minutes on two cores): marked ``prod``, run by `make test-prod`.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from bot.settings import DEFAULT_MODEL, PROJECT_ROOT
from bot.stores.agents import AgentStore
from bot.stores.callbacks import CallbackStore
from ops.dev import free_port
from ops.prod.env_file import production_settings
from ops.prod.run import ProdStack
from tests.conftest import mask

pytestmark = [
    pytest.mark.prod,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
    pytest.mark.skipif(
        shutil.which("supervisord") is None or not Path("/usr/lib/postgresql/15/bin/postgres").exists(),
        reason="the production services are missing (ops/services.sh install)",
    ),
]

AGENT, PASSWORD = "agent.prod", "mot de passe de test assez long"
FORM = {
    "sender": "wprod0123456789ab",
    "name": "Marie Exemple",
    "contact": "06 12 34 56 78",
    "commune": "Béthune",
    "question": "Je voudrais parler à quelqu'un du permis de louer.",
    "consent": True,
}


@pytest.fixture(scope="module")
def stack() -> Iterator[ProdStack]:
    # Not pytest's tmp_path: the service user must reach the PostgreSQL cluster's directory.
    base = Path(tempfile.mkdtemp(prefix="agglo-prod-test-"))
    base.chmod(0o755)
    settings = production_settings(
        env_file=None,
        prod_dir=base / "prod",
        public_host="127.0.0.1",
        public_port=free_port(),
        pg_port=0,
        redis_port=0,
        web_fronts=2,
        db_owner_password=secrets.token_hex(16),
        db_app_password=secrets.token_hex(16),
        redis_password=secrets.token_hex(16),
        channel_secret=secrets.token_hex(16),
    )
    running = ProdStack(settings)
    try:
        running.start(timeout=600)
        AgentStore(settings.prod_dir / "app" / "agents.yml").add(AGENT, PASSWORD)
        yield running
    finally:
        running.stop()
        shutil.rmtree(base, ignore_errors=True)


def _until(check: Callable[[], bool], seconds: float) -> float:
    """How long ``check`` took to become true (fails after ``seconds``)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, f"not true after {seconds} s"
        time.sleep(0.2)
    return time.monotonic() - started


def _maintenance(stack: ProdStack, *args: str) -> None:
    env = {**os.environ, "AGGLO_SESSIONS_DATABASE_URL": stack.app_url}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "maintenance", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def _paused(port: int) -> bool:
    return bool(requests.get(f"http://127.0.0.1:{port}/api/status", timeout=5).json()["maintenance"])


def test_a_callback_is_stored_and_an_agent_closes_it_through_nginx(stack: ProdStack) -> None:
    response = requests.post(f"{stack.public_url}/api/callback", json=FORM, timeout=30)
    assert response.status_code == 201, response.text
    reference = response.json()["reference"]
    stored = CallbackStore(stack.app_url, mask).get(reference)
    assert (stored.name, stored.contact, stored.commune_insee) == ("Marie Exemple", "06 12 34 56 78", "62119")
    refused = requests.post(f"{stack.public_url}/api/callback", json={**FORM, "consent": False}, timeout=30)
    assert refused.status_code == 400 and "cochez la case" in refused.json()["message"]

    console = requests.Session()
    login = console.get(f"{stack.public_url}/console/login", timeout=30)
    token = login.text.split('name="csrf" value="')[1].split('"')[0]
    console.post(
        f"{stack.public_url}/console/login",
        data={"csrf": token, "name": AGENT, "password": PASSWORD, "next": "/console"},
        timeout=30,
    )
    home = console.get(f"{stack.public_url}/console/callbacks", timeout=30)
    assert reference in home.text
    csrf = home.text.split('name="agglo-csrf-token" content="')[1].split('"')[0]
    url = f"{stack.public_url}/console/api/callbacks/{reference}/status"
    done = console.post(url, json={"status": "done", "version": 1}, headers={"X-CSRF-Token": csrf}, timeout=30)
    assert done.status_code == 200, done.text
    stale = console.post(url, json={"status": "new", "version": 1}, headers={"X-CSRF-Token": csrf}, timeout=30)
    assert stale.status_code == 409 and stale.json()["current"]["done_by"] == AGENT
    assert CallbackStore(stack.app_url, mask).get(reference).status == "done"


def test_the_maintenance_switch_reaches_both_web_fronts_within_seconds(stack: ProdStack) -> None:
    fronts = stack.ports.web
    assert len(fronts) == 2
    assert not any(_paused(port) for port in fronts)
    _maintenance(stack, "on", "--reason", "test de production")
    took = _until(lambda: all(_paused(port) for port in fronts), 10)
    print(f"maintenance on reached both web fronts in {took:.1f} s")
    reply = requests.post(
        f"{stack.public_url}/api/chat", json={"sender": "wprod0123456789ab", "message": "permis de louer"}, timeout=60
    )
    assert reply.status_code == 200
    assert reply.json()[0]["custom"]["offer_callback"] is True
    assert "momentanément en pause" in reply.json()[0]["text"]
    _maintenance(stack, "off")
    _until(lambda: not any(_paused(port) for port in fronts), 10)
    answer = requests.post(
        f"{stack.public_url}/api/chat", json={"sender": "wprod0123456789ab", "message": "permis de louer"}, timeout=90
    )
    assert "momentanément en pause" not in answer.text
