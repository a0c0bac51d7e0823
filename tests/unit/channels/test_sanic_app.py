"""Rasa's and the action server's Sanic apps without the CORS middleware and the dropped access log."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from rasa.server import configure_cors
from sanic import Sanic
from sanic.log import access_logger

from channels.rest import AggloRestInput
from channels.sanic_app import lighten


async def test_the_cors_middleware_and_the_dropped_access_log_go(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Sanic, "test_mode", True)
    app = Sanic("rasa_like")
    configure_cors(app, None)  # as Rasa does, without --cors

    async def own(request: Any) -> None:
        return None

    app.register_middleware(own, "request")
    await app._startup()
    await app._server_event("init", "before", asyncio.get_running_loop())  # the extension installs its own
    assert len(app.request_middleware) == 2 and len(app.response_middleware) == 1
    access_logger.setLevel(logging.ERROR)  # as Rasa sets it (LOG_LEVEL_LIBRARIES)
    lighten(app)
    assert list(app.request_middleware) == [own] and not app.response_middleware
    assert app.config.ACCESS_LOG is False
    access_logger.setLevel(logging.INFO)
    lighten(app)
    assert app.config.ACCESS_LOG is True  # its lines would be written: kept


async def test_the_rest_channel_lightens_rasa_once_started() -> None:
    async def handler(message: Any) -> None:
        return None

    blueprint = AggloRestInput(secret="").blueprint(handler)
    started = [
        future.listener.__name__ for future in blueprint._future_listeners if future.event == "after_server_start"
    ]
    assert "lighten_app" in started
