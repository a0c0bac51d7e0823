"""The one PostgreSQL of the tests: a throw-away PostgreSQL 15 cluster on loopback, set up by
ops/services.sh like production (owner and application roles), started once per test session.

Every test that needs PostgreSQL uses it (``fresh_postgres``, or the ``postgresql`` case of
``database_url``) and is marked ``prod``: ``make test-prod`` installs PostgreSQL and runs them;
``make test`` runs the SQLite cases. Skipped, with the reason, when PostgreSQL 15 is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ops.dev import free_port
from ops.prod.run import SERVICES

PG_BIN = Path("/usr/lib/postgresql/15/bin")
OWNER, APP, DATABASE = "agglo_owner", "agglo_app", "agglo"


@dataclass(frozen=True)
class Postgres:
    port: int
    owner_url: str
    app_url: str
    sockets: Path

    def recreate_database(self) -> None:
        """An empty database with the production roles and grants (each test starts clean)."""
        psql = _as_service_user([str(PG_BIN / "psql"), "-h", str(self.sockets), "-p", str(self.port)])
        _run([*psql, "-d", "postgres", "-X", "-q", "-c", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"])
        _run([str(SERVICES), "roles", str(self.sockets), str(self.port)], self.env)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "AGGLO_DB_OWNER_PASSWORD": "owner-test-pw", "AGGLO_DB_APP_PASSWORD": "app-test-pw"}


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)


def _as_service_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "agglo", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    if not (PG_BIN / "postgres").exists():
        pytest.skip("PostgreSQL 15 is not installed (ops/services.sh install)")
    if os.geteuid() == 0:
        subprocess.run([str(SERVICES), "account"], check=True, stdout=subprocess.DEVNULL)
    # Not pytest's tmp_path: the service user must be able to reach the directory.
    base = Path(tempfile.mkdtemp(prefix="agglo-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "agglo", "agglo")
    data, sockets, port = base / "data", base / "run", free_port()
    _run([str(SERVICES), "initdb", str(data)])
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(sockets, "agglo", "agglo")
    pg_ctl = _as_service_user([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-s"])
    _run([*pg_ctl, "-o", f"-h 127.0.0.1 -p {port} -k {sockets}", "start"])
    try:
        running = Postgres(
            port=port,
            owner_url=f"postgresql://{OWNER}:owner-test-pw@127.0.0.1:{port}/{DATABASE}",
            app_url=f"postgresql://{APP}:app-test-pw@127.0.0.1:{port}/{DATABASE}",
            sockets=sockets,
        )
        _run([str(SERVICES), "roles", str(sockets), str(port)], running.env)
        yield running
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture()
def fresh_postgres(postgres: Postgres) -> Postgres:
    postgres.recreate_database()
    return postgres
