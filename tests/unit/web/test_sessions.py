"""Console sessions in a database: shared by every web front, kept across restarts, hashed."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.settings import Settings
from bot.stores.sessions import SessionStore, token_hash
from tests.unit.web.conftest import log_in


def test_a_session_is_seen_by_another_store_on_the_same_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessions.sqlite3'}"
    first, second = SessionStore(3600, url), SessionStore(3600, url)
    session = first.create("marie")
    assert second.get(session.token) == session
    second.drop(session.token)
    assert first.get(session.token) is None


def test_a_session_survives_a_new_store_and_expires_on_the_wall_clock(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sessions.sqlite3'}"
    now = [1_000_000.0]
    session = SessionStore(60, url, clock=lambda: now[0]).create("marie")
    restarted = SessionStore(60, url, clock=lambda: now[0])
    assert restarted.get(session.token) == session
    assert restarted.get(session.token + "x") is None
    now[0] += 61
    assert restarted.get(session.token) is None


def test_only_a_hash_of_the_token_is_stored_and_expired_rows_are_removed(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite3"
    now = [1_000_000.0]
    store = SessionStore(60, f"sqlite:///{path}", clock=lambda: now[0])
    old = store.create("marie")
    now[0] += 61
    new = store.create("paul")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT token_hash, agent, csrf_token FROM agent_sessions").fetchall()
        dump = "\n".join(db.iterdump())
    assert rows == [(token_hash(new.token), "paul", new.csrf_token)]
    assert new.token not in dump and old.token not in dump


async def test_login_on_one_web_front_works_on_another_and_after_a_restart(
    make_client: Callable[..., Any], web_settings: Settings
) -> None:
    front_a: TestClient = await make_client()
    front_b: TestClient = await make_client()
    csrf = await log_in(front_a)
    cookie = front_a.session.cookie_jar.filter_cookies(front_a.make_url("/console"))["agglo_session"].value
    for front in (front_b, await make_client()):  # another front, then a "restarted" one
        page = await front.get("/console", cookies={"agglo_session": cookie}, allow_redirects=False)
        assert page.status == 200
        assert csrf in await page.text()
