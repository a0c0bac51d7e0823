"""Rasa's calls to the action server reuse their connection, with the endpoint's settings."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.utils.endpoints import EndpointConfig

from channels.action_client import KeptSessionEndpoint, install
from channels.fast_json import dumps


async def test_calls_share_one_connection_and_the_endpoints_settings() -> None:
    seen: list[tuple[Any, str | None, str | None]] = []

    async def webhook(request: web.Request) -> web.Response:
        assert request.transport is not None
        seen.append(
            (request.transport.get_extra_info("peername"), request.headers.get("X-Test"), request.query.get("token"))
        )
        return web.json_response({"events": [], "responses": [{"text": str(len(seen))}]})

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    server = TestServer(app)
    await server.start_server()
    try:
        endpoint = KeptSessionEndpoint(
            EndpointConfig(
                f"http://{server.host}:{server.port}/webhook",
                headers={"X-Test": "oui"},
                token="jeton",  # noqa: S106 - a test value
                enable_selective_domain=True,
            )
        )
        answers = [await endpoint.request(json={"next_action": "action_x"}, method="post") for _ in range(3)]
        await endpoint.close()
    finally:
        await server.close()
    assert [answer["responses"][0]["text"] for answer in answers] == ["1", "2", "3"]
    assert len({peer for peer, _, _ in seen}) == 1, "one connection for the three calls"
    assert {(header, token) for _, header, token in seen} == {("oui", "jeton")}
    assert endpoint.kwargs == {"enable_selective_domain": True}


def test_the_agent_and_its_processor_get_the_same_kept_endpoint() -> None:
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook", enable_selective_domain=True)
    agent = SimpleNamespace(action_endpoint=endpoint, processor=SimpleNamespace(action_endpoint=endpoint))
    kept = install(agent)
    assert isinstance(kept, KeptSessionEndpoint) and kept.url == endpoint.url
    assert agent.action_endpoint is kept and agent.processor.action_endpoint is kept
    assert install(agent) is kept  # installed twice: the same
    assert install(SimpleNamespace(action_endpoint=None)) is None


def test_the_tracker_is_written_as_the_standard_library_would_read_it() -> None:
    values = [
        {"text": 'vélo électrique / 2 € \u2028 "cité"', "confidence": 0.1 + 0.2, "ts": 1764691200.123456},
        {"big": 2**70, "small": -(2**63), "none": None, "flags": [True, False], "nested": {"a": [1.5e-300]}},
    ]
    for value in values:
        assert json.loads(dumps(value)) == value
