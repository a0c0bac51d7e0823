"""Shared fixtures: a knowledge base built from the real content into a temporary directory."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.kb.build import build
from bot.serve import ServerConfig, Servers, free_port
from bot.services import Services
from bot.settings import PROJECT_ROOT, Settings, load_settings
from bot.web.agents import AgentStore


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
    config = ServerConfig(
        rasa_port=free_port(),
        actions_port=free_port(),
        web_port=free_port(),
        var_dir=var_dir,
        extra_env={
            "DATABASE_URL": settings.database_url,
            "AGGLO_KB_DIR": str(settings.kb_dir),
            "AGGLO_VAR_DIR": str(var_dir),
            "FEEDBACK_DATABASE_URL": f"sqlite:///{var_dir / 'feedback.sqlite3'}",
            "AGGLO_AGENTS_FILE": str(agents_file),
            "AGGLO_CONTENT_EDITOR": "1",
        },
    )
    servers = Servers(config)
    try:
        servers.start(timeout=timeout)
        yield servers, settings
    finally:
        servers.stop()
