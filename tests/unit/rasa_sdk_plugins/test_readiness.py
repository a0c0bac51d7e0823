"""The action server's readiness plugin: found by rasa_sdk, ready once the snapshot is loaded."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic
from sanic.log import access_logger

import actions.common
import rasa_sdk_plugins
from bot.core.services import Services
from bot.settings import Settings


@pytest.fixture()
def shared(services: Services) -> Iterator[Services]:
    actions.common._services = services
    yield services
    actions.common.reset_services()


def test_rasa_sdk_finds_the_plugin_and_it_adds_the_readiness_route() -> None:
    app = create_app("actions")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    assert "/ready" in {route.uri for route in app._future_routes}
    assert any(listener.event == "before_server_start" for listener in app._future_listeners)


async def test_the_plugin_takes_off_the_cors_middleware_and_the_discarded_access_log(
    monkeypatch: pytest.MonkeyPatch, shared: Services
) -> None:
    monkeypatch.setattr(Sanic, "test_mode", True)  # another app named "rasa_sdk"
    app = create_app("actions")
    access_logger.setLevel(logging.ERROR)  # as Rasa sets it (LOG_LEVEL_LIBRARIES)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    assert len(app._future_listeners) == 1  # the CORS extension's, installing its middleware at start
    await app._startup()
    await app._server_event("init", "before", asyncio.get_running_loop())  # what Sanic runs before serving
    assert not app.request_middleware and not app.response_middleware and not app._future_middleware
    assert app.config.ACCESS_LOG is False


async def test_ready_once_the_knowledge_base_snapshot_is_loaded(shared: Services) -> None:
    readiness = rasa_sdk_plugins.Readiness()
    assert not readiness.loaded
    assert await readiness.load()
    assert readiness.loaded


async def test_not_ready_while_the_knowledge_base_cannot_be_read(tmp_path: Path) -> None:
    missing = Settings(var_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'missing.sqlite3'}")
    actions.common._services = Services(missing)
    try:
        readiness = rasa_sdk_plugins.Readiness()
        assert not await readiness.load()
        assert not readiness.loaded
    finally:
        actions.common.reset_services()
