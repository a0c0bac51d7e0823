"""The web application against a fake Rasa server, through aiohttp's test client."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core.answers import resident_answer
from bot.core.services import Services
from bot.kb.build import build
from bot.settings import Settings
from bot.stores.agents import AgentStore
from bot.stores.feedback import FeedbackStore
from bot.stores.privacy import masker
from bot.web.app import create_app
from tests.conftest import content_repository, make_settings

AGENT, PASSWORD = "marie", "un mot de passe assez long"
# The content editor's tests (test_editor.py, test_synonyms_editor.py): an editor, an agent.
EDITOR, EDITING_AGENT, EDITOR_PASSWORD = "claire.editrice", "marc.agent", "un mot de passe assez long"
EDITED_SLUG = "mutuelle"
EDITED_TOPIC = f"topics/{EDITED_SLUG}.yml"
ALLOWED_ORIGIN = "https://www.example-agglo.fr"
_CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class FakeRasa:
    """Records what the web server sends to Rasa's REST webhook and answers like the bot."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    reply: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"recipient_id": "x", "text": "Une réponse."},
            {"recipient_id": "x", "custom": {"topic": "mutuelle", "sources": [], "commune": None}},
        ]
    )

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        self.headers.append(dict(request.headers))
        return web.json_response(self.reply)


@pytest.fixture()
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa()
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", fake.handle)
    server = TestServer(app)
    await server.start_server()
    fake.url = f"http://{server.host}:{server.port}"
    yield fake
    await server.close()


@pytest.fixture(scope="session")
def agents_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One agent, hashed once for the whole session (bcrypt is slow on purpose)."""
    path = tmp_path_factory.mktemp("agents") / "agents.yml"
    AgentStore(path).add(AGENT, PASSWORD)
    return path


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture()
def web_settings(tmp_path: Path, agents_file: Path, fake_rasa: FakeRasa) -> Settings:
    return Settings(
        var_dir=tmp_path,
        bind_host="127.0.0.1",
        web_port=8000,
        rasa_url=fake_rasa.url,
        allowed_origins=ALLOWED_ORIGIN,
        agents_file=agents_file,
    )


@pytest.fixture()
async def make_client(web_settings: Settings, services: Services) -> AsyncIterator[Callable[..., Any]]:
    """Start the application (optionally with other settings or services) and return a client."""
    clients: list[TestClient] = []

    async def factory(settings: Settings | None = None, app_services: Services | None = None) -> TestClient:
        app = create_app(settings or web_settings, app_services or services)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


@pytest.fixture()
async def client(make_client: Callable[..., Any]) -> TestClient:
    return await make_client()


def feedback_store(settings: Settings) -> FeedbackStore:
    return FeedbackStore(settings.feedback_database_url, masker(settings.kb_dir).mask)


def with_rasa(settings: Settings, url: str) -> Settings:
    return settings.copy(update={"rasa_url": url})


async def login_form_token(client: TestClient) -> str:
    response = await client.get("/console/login")
    assert response.status == 200
    match = _CSRF_FIELD.search(await response.text())
    assert match, "the login form carries a CSRF token"
    return match.group(1)


async def log_in(client: TestClient, name: str = AGENT, password: str = PASSWORD) -> str:
    """Log in and return the session's CSRF token (read from the console page)."""
    token = await login_form_token(client)
    response = await client.post(
        "/console/login",
        data={"csrf": token, "name": name, "password": password, "next": "/console"},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    page = await client.get("/console")
    assert page.status == 200
    match = re.search(r'name="agglo-csrf-token" content="([^"]+)"', await page.text())
    assert match
    return match.group(1)


# The content editor -----------------------------------------------------------------------------
@dataclass
class Content:
    """A copy of kb/ in its own git repository, and the knowledge base built from it."""

    settings: Settings
    services: Services

    @property
    def kb_dir(self) -> Path:
        return self.settings.kb_dir

    def git(self, *arguments: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.kb_dir), *arguments], check=True, capture_output=True, text=True
        ).stdout

    def commits(self, relative: str = EDITED_TOPIC) -> list[str]:
        return self.git("log", "--format=%H %an <%ae> | %cn | %s", "--", relative).splitlines()

    def file_text(self, relative: str = EDITED_TOPIC) -> str:
        return (self.kb_dir / relative).read_text(encoding="utf-8")

    def resident(self, field_name: str | None = None) -> str:
        return resident_answer(self.services.kb, EDITED_SLUG, field_name=field_name).text


@pytest.fixture(scope="module")
def built_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """kb/ and its database, built once; each test gets a copy."""
    directory = tmp_path_factory.mktemp("built")
    build(make_settings(directory, content_repository(directory / "content", with_git=False)))
    return directory


def content_copy(built_kb: Path, tmp_path: Path, *, with_git: bool = True) -> Content:
    shutil.copy(built_kb / "kb.sqlite3", tmp_path / "kb.sqlite3")
    settings = make_settings(tmp_path, content_repository(tmp_path / "content", with_git=with_git))
    return Content(settings, Services(settings))


@pytest.fixture()
def content(built_kb: Path, tmp_path: Path) -> Content:
    return content_copy(built_kb, tmp_path)


@pytest.fixture(scope="session")
def editor_agents_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("editor-agents") / "agents.yml"
    store = AgentStore(path)
    store.add(EDITOR, EDITOR_PASSWORD, role="editor")
    store.add(EDITING_AGENT, EDITOR_PASSWORD)
    return path


@pytest.fixture()
def editor_settings(web_settings: Settings, editor_agents_file: Path) -> Settings:
    return web_settings.copy(update=dict(agents_file=editor_agents_file, content_editor=True))


@pytest.fixture()
async def editor_client(
    make_client: Callable[..., Any], editor_settings: Settings, content: Content
) -> tuple[TestClient, str]:
    client = await make_client(editor_settings, content.services)
    return client, await log_in(client, EDITOR, EDITOR_PASSWORD)
