"""Browser tests: Debian's Chromium, driven by pytest-playwright, against the real servers.

One set of servers (actions, Rasa, web front) on free ports serves every test of this
package; each test gets a fresh browser context, so a fresh conversation.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from bot.settings import PROJECT_ROOT
from bot.stores.agents import AgentStore
from bot.stores.callbacks import CallbackStore
from bot.stores.feedback import FeedbackStore, FeedbackView
from bot.stores.maintenance import MaintenanceStore
from ops.dev import DEFAULT_MODEL, Servers
from tests.conftest import mask, servers_on_free_ports

CHROMIUM = Path("/usr/bin/chromium")
AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
AGENT, PASSWORD = "agent.test", "mot de passe de test assez long"
# Rasa can take a while per turn on a busy two-core machine.
ANSWER_TIMEOUT_MS = 90_000
PUBLISH_TIMEOUT_MS = 120_000

browser_marks = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is missing: run `make browser` as root "
        "(or: sudo apt-get install chromium fonts-noto-color-emoji)",
    ),
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is missing: run `make install` (npm ci)"),
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests last: Playwright's sync API keeps an event loop running until the session
    ends, and pytest-asyncio cannot start one for async tests after that."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    # pytest-playwright cannot find Debian's Chromium by channel; without
    # --disable-background-networking it keeps trying to reach outside hosts.
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@dataclass(frozen=True)
class Stack:
    servers: Servers
    feedback_url: str
    sessions_url: str

    @property
    def url(self) -> str:
        return self.servers.config.web_url

    def feedback(self) -> list[FeedbackView]:
        return FeedbackStore(self.feedback_url, mask).all()

    def callbacks(self) -> CallbackStore:
        return CallbackStore(self.feedback_url, mask)

    def maintenance(self) -> MaintenanceStore:
        return MaintenanceStore(self.sessions_url)


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    var_dir = tmp_path_factory.mktemp("browser-var")
    agents_file = var_dir / "agents.yml"
    AgentStore(agents_file).add(AGENT, PASSWORD)
    feedback_url = f"sqlite:///{var_dir / 'feedback.sqlite3'}"
    sessions_url = f"sqlite:///{var_dir / 'sessions.sqlite3'}"
    servers = servers_on_free_ports(
        var_dir,
        AGGLO_FEEDBACK_DATABASE_URL=feedback_url,
        AGGLO_SESSIONS_DATABASE_URL=sessions_url,
        AGGLO_AGENTS_FILE=str(agents_file),
    )
    try:
        servers.start(timeout=400)
        yield Stack(servers=servers, feedback_url=feedback_url, sessions_url=sessions_url)
    finally:
        servers.stop()


@pytest.fixture()
def browser_context_args(browser_context_args: dict[str, Any], stack: Stack) -> dict[str, Any]:
    """Every context opens pages of the started web front: ``page.goto("/")``."""
    return {**browser_context_args, "base_url": stack.url, "locale": "fr-FR"}


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def serious_accessibility_violations(page: Page, selector: str | None = None) -> list[str]:
    """Run axe-core in the page; the serious and critical violations, one line each.

    The script source is evaluated rather than added as a tag, so the page's strict
    Content-Security-Policy stays on during the check.
    """
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async (selector) => await axe.run(selector ? document.querySelector(selector) : document,
                                             {resultTypes: ["violations"]})""",
        selector,
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} – "
        + "; ".join(
            node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
            for node in violation["nodes"][:5]
        )
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def log_in(page: Page, name: str = AGENT, password: str = PASSWORD) -> None:
    page.goto("/console/login")
    page.get_by_label("Identifiant").fill(name)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
