"""Which Rasa instance answers a conversation: the same one from every web front, few moves when
instances come and go, the next one while it is not ready, and a message never sent twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.core.payloads import DELIVERY_KEY
from bot.web.routing import RasaInstances, RasaUnavailable, rasa_session
from tests.unit.web.conftest import closed_port

URLS = ("http://rasa-0.rasa:5005", "http://rasa-1.rasa:5005", "http://rasa-2.rasa:5005")
CONVERSATIONS = [f"web-resident-{index:05d}" for index in range(6000)]


def _owners(instances: RasaInstances) -> dict[str, str]:
    return {conversation: instances.order(conversation)[0] for conversation in CONVERSATIONS}


def test_every_web_front_sends_a_conversation_to_the_same_instance_whatever_the_list_order() -> None:
    first, second = RasaInstances(URLS), RasaInstances(tuple(reversed(URLS)))
    assert _owners(first) == _owners(second)
    assert first.order("web-abc") == second.order("web-abc")
    assert sorted(first.order("web-abc")) == sorted(URLS)


def test_conversations_are_spread_over_the_instances() -> None:
    shares = Counter(_owners(RasaInstances(URLS)).values())
    assert set(shares) == set(URLS)
    assert all(0.2 < count / len(CONVERSATIONS) < 0.47 for count in shares.values()), shares


def test_adding_an_instance_moves_only_the_conversations_it_takes() -> None:
    before = _owners(RasaInstances(URLS))
    added = "http://rasa-3.rasa:5005"
    after = _owners(RasaInstances((*URLS, added)))
    moved = [conversation for conversation in CONVERSATIONS if before[conversation] != after[conversation]]
    assert all(after[conversation] == added for conversation in moved)
    assert 0.15 < len(moved) / len(CONVERSATIONS) < 0.35  # about one in four


def test_removing_an_instance_moves_only_its_own_conversations_to_their_next_one() -> None:
    every = RasaInstances(URLS)
    before = _owners(every)
    after = _owners(RasaInstances(URLS[:2]))
    for conversation in CONVERSATIONS:
        if before[conversation] != URLS[2]:
            assert after[conversation] == before[conversation]
        else:  # where it goes when that instance is not ready: the next of its order
            assert after[conversation] == every.order(conversation)[1]


def test_an_instance_that_is_not_ready_is_skipped_until_it_is_ready_again() -> None:
    instances = RasaInstances(URLS)
    conversation = "web-resident-00042"
    own, following = instances.order(conversation)[:2]
    instances.mark(own, False)
    assert instances.candidates(conversation)[0] == following
    instances.mark(own, True)
    assert instances.candidates(conversation)[0] == own


def test_with_no_instance_ready_every_one_is_tried_in_order() -> None:
    instances = RasaInstances(URLS)
    for url in URLS:
        instances.mark(url, False)
    assert instances.candidates("web-x") == instances.order("web-x")


def test_an_instance_listed_twice_or_none_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        RasaInstances((URLS[0], URLS[0] + "/"))
    with pytest.raises(ValueError):
        RasaInstances(())


class _FakeRasa:
    """One Rasa instance: answers with its name, or drops the connection mid-request."""

    def __init__(self, name: str, ready: bool = True, drop: bool = False) -> None:
        self.name, self.ready, self.drop = name, ready, drop
        self.received: list[dict[str, Any]] = []

    async def webhook(self, request: web.Request) -> web.StreamResponse:
        self.received.append(await request.json())
        if self.drop:  # killed while handling the message
            assert request.transport is not None
            request.transport.close()
            await asyncio.sleep(1)
        return web.json_response([{"text": self.name}])

    async def readiness(self, request: web.Request) -> web.Response:
        return web.json_response({}, status=200 if self.ready else 503)


@pytest.fixture()
async def fake_instances() -> AsyncIterator[list[tuple[_FakeRasa, str]]]:
    servers, fakes = [], []
    for name in ("a", "b"):
        fake = _FakeRasa(name)
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", fake.webhook)
        app.router.add_get("/webhooks/rest/ready", fake.readiness)
        server = TestServer(app)
        await server.start_server()
        servers.append(server)
        fakes.append((fake, f"http://{server.host}:{server.port}"))
    yield fakes
    for server in servers:
        await server.close()


async def test_a_refused_connection_moves_the_message_to_the_next_instance(
    fake_instances: list[tuple[_FakeRasa, str]],
) -> None:
    (fake, url), _ = fake_instances
    down = f"http://127.0.0.1:{closed_port()}"
    instances = RasaInstances((url, down))
    conversation = next(c for c in CONVERSATIONS if instances.order(c)[0] == down)
    async with aiohttp.ClientSession() as session:
        replies = await instances.post(session, conversation, {"sender": conversation, "message": "x"}, {}, 5)
    assert replies == [{"text": fake.name}] and len(fake.received) == 1
    assert not instances.is_ready(down)


def _first_one_breaks_off(
    fake_instances: list[tuple[_FakeRasa, str]],
) -> tuple[_FakeRasa, _FakeRasa, RasaInstances, str]:
    """Two instances, the first of which drops the connection, and a conversation sent to it first."""
    (dying, dying_url), (other, other_url) = fake_instances
    dying.drop = True
    instances = RasaInstances((dying_url, other_url))
    conversation = next(c for c in CONVERSATIONS if instances.order(c)[0] == dying_url)
    return dying, other, instances, conversation


async def test_a_message_without_id_that_reached_an_instance_is_never_sent_to_another(
    fake_instances: list[tuple[_FakeRasa, str]],
) -> None:
    dying, other, instances, conversation = _first_one_breaks_off(fake_instances)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(RasaUnavailable):
            await instances.post(session, conversation, {"sender": conversation, "message": "x"}, {}, 5)
    assert len(dying.received) == 1 and other.received == []


async def test_a_message_whose_instance_broke_off_goes_to_the_next_one_marked_as_sent_again(
    fake_instances: list[tuple[_FakeRasa, str]],
) -> None:
    dying, other, instances, conversation = _first_one_breaks_off(fake_instances)
    body = {"sender": conversation, "message": "x", "metadata": {"agent": True}}
    async with aiohttp.ClientSession() as session:
        replies = await instances.post(session, conversation, body, {}, 5, message_id="m-1")
    assert replies == [{"text": other.name}]
    first, again = dying.received[0]["metadata"], other.received[0]["metadata"]
    assert first == {"agent": True, DELIVERY_KEY: {"id": "m-1", "again": False}}
    assert again == {"agent": True, DELIVERY_KEY: {"id": "m-1", "again": True}}
    assert not instances.is_ready(fake_instances[0][1]) and body["metadata"] == {"agent": True}


async def test_the_readiness_checks_follow_each_instance(fake_instances: list[tuple[_FakeRasa, str]]) -> None:
    (loading, loading_url), (_, ready_url) = fake_instances
    loading.ready = False
    down = f"http://127.0.0.1:{closed_port()}"
    instances = RasaInstances((loading_url, ready_url, down))
    async with rasa_session(instances):
        for _ in range(50):  # the first check runs as the session opens
            if not instances.is_ready(loading_url) and not instances.is_ready(down):
                break
            await asyncio.sleep(0.05)
        assert not instances.is_ready(loading_url) and instances.is_ready(ready_url) and not instances.is_ready(down)
        loading.ready = True
        await asyncio.sleep(1.5)
        assert instances.is_ready(loading_url)


async def test_one_instance_alone_is_not_watched() -> None:
    assert not RasaInstances(URLS[:1]).watched and RasaInstances(URLS).watched
