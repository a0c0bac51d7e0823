"""Once Rasa's server has started, the memory freed while loading the model goes back to the system."""

from __future__ import annotations

from typing import Any

from channels import action_validation, memory
from channels.rest import AggloRestInput


def test_release_freed_memory_on_linux() -> None:
    assert memory.release_freed_memory() is True


def test_the_rest_channel_releases_memory_after_the_server_started() -> None:
    async def on_new_message(message: Any) -> None:
        return None

    try:
        blueprint = AggloRestInput().blueprint(on_new_message)
    finally:
        action_validation.uninstall()
    started = [
        listener.listener.__name__ for listener in blueprint._future_listeners if listener.event == "after_server_start"
    ]
    assert "release_memory" in started
