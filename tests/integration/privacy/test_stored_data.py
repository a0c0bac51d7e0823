"""Privacy end to end, with the real servers: what a resident types is masked in every stored
row, and a purge leaves nothing older than the retention limit.

Runs on the default SQLite databases and, in ``make test-prod`` (the ``prod`` case), with the
tracker store and the feedback table on PostgreSQL (the same class, only the endpoints change).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from bot.settings import PROJECT_ROOT
from bot.stores.feedback import Feedback
from ops.dev import DEFAULT_MODEL, Servers
from tests.conftest import servers_on_free_ports

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model: run `make train`"),
]

PHONE, EMAIL, STREET = "06 12 34 56 78", "camille.martin@example.org", "14 rue Victor Hugo"
# Every spelling of them that must not be stored.
SECRETS = (PHONE, "0612345678", EMAIL, "camille.martin", STREET, "Victor Hugo")
DAY = 86400


@dataclass(frozen=True)
class Stack:
    servers: Servers
    tracker_url: str
    feedback_url: str

    def chat(self, sender: str, message: str) -> list[dict[str, Any]]:
        return self._post("/api/chat", {"sender": sender, "message": message})

    def feedback(self, **body: Any) -> dict[str, Any]:
        return self._post("/api/feedback", body)

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.servers.config.web_url}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.load(response)


def _endpoints_on(url: str, directory: Path) -> Path:
    """endpoints.yml with the tracker store on ``url`` (as the production profile does)."""
    endpoints = yaml.safe_load((PROJECT_ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["tracker_store"] = {"type": endpoints["tracker_store"]["type"], "url": url}
    path = directory / "endpoints.yml"
    path.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.prod)])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stack]:
    endpoints = None
    if request.param == "postgresql":
        url = request.getfixturevalue("fresh_postgres").owner_url
        tracker_url = feedback_url = url
        endpoints = _endpoints_on(url, tmp_path)
    else:
        tracker_url = f"sqlite:///{tmp_path / 'tracker.sqlite3'}"
        feedback_url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    servers = servers_on_free_ports(tmp_path, endpoints, AGGLO_FEEDBACK_DATABASE_URL=feedback_url)
    try:
        servers.start(timeout=400)
        yield Stack(servers=servers, tracker_url=tracker_url, feedback_url=feedback_url)
    finally:
        servers.stop()


def _every_cell(url: str, tables: tuple[str, ...]) -> list[str]:
    engine = sa.create_engine(url)
    try:
        cells = []
        with engine.connect() as connection:
            for table in tables:
                for row in connection.execute(sa.text(f"SELECT * FROM {table}")):  # noqa: S608 - fixed names
                    for cell in row:
                        cells.append(str(cell))
                        if isinstance(cell, str) and cell.startswith("{"):
                            # Rasa stores events as ASCII JSON: « é » is written \u00e9.
                            cells.append(json.dumps(json.loads(cell), ensure_ascii=False))
        return cells
    finally:
        engine.dispose()


def _purge(stack: Stack, days: int) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AGGLO_TRACKER_DATABASE_URL": stack.tracker_url,
        "AGGLO_FEEDBACK_DATABASE_URL": stack.feedback_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "purge", "--older-than", str(days), "--batch-size", "5"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_nothing_typed_is_stored_and_a_purge_leaves_nothing_older(stack: Stack) -> None:
    sender = "privacy-e2e-resident"
    replies = [
        stack.chat(sender, "bonjour, une question sur le permis de louer"),
        stack.chat(sender, f"vous pouvez me rappeler au {PHONE} ?"),
        stack.chat(sender, f"ou m'écrire à {EMAIL}"),
        stack.chat(sender, f"j'habite au {STREET} à Béthune, suis-je concerné ?"),
    ]
    assert all(isinstance(reply, list) and reply for reply in replies)
    stack.feedback(
        rating="down",
        message=f"j'habite au {STREET} à Béthune, suis-je concerné ?",
        answer=replies[-1][0].get("text", "réponse"),
        comment=f"rappelez-moi au {PHONE} ou {EMAIL}",
    )
    # The tracker store writes after the answer: wait until the last turn is there.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
        "Béthune, suis-je" in c for c in _every_cell(stack.tracker_url, ("events",))
    ):
        time.sleep(0.5)

    tracker_cells = _every_cell(stack.tracker_url, ("events",))
    feedback_cells = _every_cell(stack.feedback_url, ("feedback",))
    assert any("[téléphone]" in cell for cell in tracker_cells), "the conversation was stored, masked"
    assert any("[adresse] à Béthune" in cell for cell in tracker_cells)
    assert any("[e-mail]" in cell for cell in feedback_cells)
    for secret in SECRETS:
        assert not any(secret in cell for cell in tracker_cells), f"{secret!r} in the tracker store"
        assert not any(secret in cell for cell in feedback_cells), f"{secret!r} in the feedback table"

    # Age the first conversation and the feedback by 100 days, then hold a new conversation.
    engine = sa.create_engine(stack.tracker_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE events SET timestamp = timestamp - :age"), {"age": 100 * DAY})
    engine.dispose()
    engine = sa.create_engine(stack.feedback_url)
    with engine.begin() as connection:
        connection.execute(sa.update(Feedback.__table__).values(created_at=dt.datetime(2020, 1, 1)))
    engine.dispose()
    stack.chat("privacy-e2e-recent", "c'est quoi la mutuelle pour tous")
    time.sleep(1)

    result = _purge(stack, 30)
    assert result.returncode == 0, result.stderr
    assert "tracker events:" in result.stdout and "feedback: 1 row(s)" in result.stdout

    engine = sa.create_engine(stack.tracker_url)
    with engine.connect() as connection:
        ages = [
            (time.time() - timestamp) / DAY
            for timestamp in connection.execute(sa.text("SELECT timestamp FROM events")).scalars()
        ]
        senders = set(connection.execute(sa.text("SELECT DISTINCT sender_id FROM events")).scalars())
    engine.dispose()
    assert ages and max(ages) < 30, "nothing older than the limit remains"
    assert senders == {"web-privacy-e2e-recent"}, "the recent conversation is untouched"
    assert _every_cell(stack.feedback_url, ("feedback",)) == []
    # The assistant goes on after a purge of its live tables.
    assert stack.chat("privacy-e2e-recent", "et pour le permis de louer ?")
