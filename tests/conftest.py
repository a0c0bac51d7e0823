"""Shared fixtures: a knowledge base built from the real content into a temporary directory."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.core.services import Services
from bot.kb.build import build
from bot.settings import PROJECT_ROOT, Settings, default_settings, load_settings
from bot.stores.agents import AgentStore
from bot.stores.privacy import masker
from ops.dev import ServerConfig, Servers, free_port

if TYPE_CHECKING:
    from tests.postgres import Postgres

# The throw-away PostgreSQL cluster's fixtures (postgres, fresh_postgres).
pytest_plugins = ["tests.postgres"]


def mask(text: str) -> str:
    """The real content's masking (kb/privacy.yml), as the servers apply it."""
    return masker(PROJECT_ROOT / "kb").mask(text)


def prod_settings(prod_dir: Path) -> Settings:
    """The production profile's defaults in ``prod_dir``, with placeholder secrets."""
    return default_settings(prod_dir=prod_dir, db_owner_password="x", db_app_password="x", redis_password="x")  # noqa: S106


def make_settings(tmp_dir: Path, kb_dir: Path = PROJECT_ROOT / "kb") -> Settings:
    return Settings(
        kb_dir=kb_dir,
        database_url=f"sqlite:///{tmp_dir / 'kb.sqlite3'}",
        var_dir=tmp_dir,
        french_communes_file=load_settings().french_communes_file,
    )


@pytest.fixture(scope="session")
def kb_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = make_settings(tmp_path_factory.mktemp("kb"))
    build(settings)
    return settings


@pytest.fixture(scope="session")
def services(kb_settings: Settings) -> Services:
    return Services(kb_settings)


@pytest.fixture()
def kb_copy(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of kb/ for tests that break the content on purpose."""
    target = tmp_path / "kb"
    shutil.copytree(PROJECT_ROOT / "kb", target)
    yield target


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.prod)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on an SQLite file and on PostgreSQL (the ``prod`` case, in ``make test-prod``)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    postgres: Postgres = request.getfixturevalue("fresh_postgres")
    return postgres.owner_url


def servers_on_free_ports(var_dir: Path, endpoints: Path | None = None, **extra_env: str) -> Servers:
    """The action server, Rasa and the web front on free loopback ports, reading the built
    knowledge base (the test is skipped when it is not built) and keeping their data in
    ``var_dir``. Not started yet: ``servers.start(...)``."""
    settings = load_settings()
    if settings.sqlite_path is not None and not settings.sqlite_path.exists():
        pytest.skip("knowledge base not built: run `make kb`")
    config = ServerConfig(
        rasa_port=free_port(),
        actions_port=free_port(),
        web_port=free_port(),
        var_dir=var_dir,
        endpoints=endpoints or ServerConfig.endpoints,
        extra_env={"AGGLO_DATABASE_URL": settings.database_url, **extra_env},
    )
    return Servers(config)


def content_repository(root: Path, *, with_git: bool = True) -> Path:
    """A copy of kb/ at ``root/kb``, committed in a git repository of its own at ``root``, for
    the console's editor: tests never commit to the project's repository. Returns the kb dir."""
    kb_dir = root / "kb"
    shutil.copytree(PROJECT_ROOT / "kb", kb_dir)
    if with_git:
        identity = ["-c", "user.name=Mise en place", "-c", "user.email=setup@example.invalid"]
        subprocess.run(["git", "init", "--quiet", str(root)], check=True)
        subprocess.run(["git", "-C", str(root), "add", "--all"], check=True)
        subprocess.run(["git", "-C", str(root), *identity, "commit", "--quiet", "-m", "Contenu initial"], check=True)
    return kb_dir


@contextmanager
def editing_servers(var_dir: Path, editor: str, password: str, timeout: float) -> Iterator[tuple[Servers, Settings]]:
    """The real servers on a copy of kb/ in its own git repository, built into ``var_dir``, the
    web front being the designated editing front, with one editor account."""
    settings = make_settings(var_dir, content_repository(var_dir / "content"))
    build(settings)
    agents_file = var_dir / "agents.yml"
    AgentStore(agents_file).add(editor, password, role="editor")
    servers = servers_on_free_ports(
        var_dir,
        AGGLO_DATABASE_URL=settings.database_url,
        AGGLO_KB_DIR=str(settings.kb_dir),
        AGGLO_VAR_DIR=str(var_dir),
        AGGLO_FEEDBACK_DATABASE_URL=f"sqlite:///{var_dir / 'feedback.sqlite3'}",
        AGGLO_AGENTS_FILE=str(agents_file),
        AGGLO_CONTENT_EDITOR="1",
    )
    try:
        servers.start(timeout=timeout)
        yield servers, settings
    finally:
        servers.stop()
