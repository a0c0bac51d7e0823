"""The production lock store: Rasa's Redis lock store, released in two Redis commands, with the
same outcome (on a redis-server of its own)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig, read_endpoint_config

from bot.settings import PROJECT_ROOT
from channels.lock_store import AggloRedisLockStore
from ops.dev import free_port

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")


@pytest.fixture()
def redis_port() -> Iterator[int]:
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield port
    finally:
        client.close()
        server.terminate()
        server.wait(10)


def _commands(client: redis.Redis) -> int:
    return int(client.info("stats")["total_commands_processed"])


def test_the_production_endpoints_use_it(monkeypatch: pytest.MonkeyPatch, redis_port: int) -> None:
    for name, value in {"AGGLO_REDIS_HOST": "127.0.0.1", "AGGLO_REDIS_PORT": str(redis_port)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AGGLO_REDIS_PASSWORD", "")
    monkeypatch.setenv("AGGLO_TRACKER_DATABASE_URL", "sqlite://")
    monkeypatch.setenv("AGGLO_ACTIONS_URL", "http://127.0.0.1:1/webhook")
    store = LockStore.create(read_endpoint_config(str(PROJECT_ROOT / "ops" / "endpoints.prod.yml"), "lock_store"))
    assert isinstance(store, AggloRedisLockStore)
    assert store.key_prefix == "agglo:lock:"


async def test_release_keeps_the_lock_for_whoever_waits_and_deletes_it_after(redis_port: int) -> None:
    store = AggloRedisLockStore(EndpointConfig(url="127.0.0.1", port=redis_port, db=1, key_prefix="test"))
    rasas = RedisLockStore(host="127.0.0.1", port=redis_port, db=1, key_prefix="test")
    client = redis.Redis(port=redis_port, db=1)
    first = store.issue_ticket("resident", 20)
    second = rasas.issue_ticket("resident", 20)  # another Rasa process, waiting
    before = _commands(client)
    store.cleanup("resident", first)
    assert _commands(client) - before == 2 + 1  # GET, SET; and the INFO that counts
    lock = rasas.get_lock("resident")
    assert lock is not None and not lock.is_locked(second)
    before = _commands(client)
    store.cleanup("resident", second)
    assert _commands(client) - before == 2 + 1  # GET, DEL
    assert rasas.get_lock("resident") is None and client.keys("*") == []
    async with store.lock("resident", wait_time_in_seconds=0.01):
        assert rasas.get_lock("resident") is not None
    assert client.keys("*") == []
    client.close()


async def test_a_ticket_served_at_once_is_not_read_back(redis_port: int) -> None:
    store = AggloRedisLockStore(EndpointConfig(url="127.0.0.1", port=redis_port, db=1, key_prefix="test"))
    client = redis.Redis(port=redis_port, db=1)
    store.red.ping()  # the store's connection opened
    before = _commands(client)
    async with store.lock("resident", wait_time_in_seconds=0.01) as lock:
        assert _commands(client) - before == 2 + 1  # GET, SET; and the INFO that counts
        assert not lock.is_locked(0)
    assert _commands(client) - before == 4 + 2  # and GET, DEL
    assert client.keys("*") == []
    client.close()


async def test_a_ticket_behind_another_waits_for_it(redis_port: int) -> None:
    store = AggloRedisLockStore(EndpointConfig(url="127.0.0.1", port=redis_port, db=1, key_prefix="test"))
    rasas = RedisLockStore(host="127.0.0.1", port=redis_port, db=1, key_prefix="test")
    first = rasas.issue_ticket("resident", 20)  # another Rasa process, served
    order: list[str] = []

    async def release() -> None:
        await asyncio.sleep(0.1)
        order.append("first done")
        rasas.cleanup("resident", first)

    releasing = asyncio.create_task(release())
    async with store.lock("resident", wait_time_in_seconds=0.01):
        order.append("second served")
    await releasing
    assert order == ["first done", "second served"]
    assert redis.Redis(port=redis_port, db=1).keys("*") == []
