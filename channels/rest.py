"""Rasa's REST channel, plus an apology when a turn produced no answer at all.

Rasa logs a failed custom action (action server down or crashed) and carries on, so the
resident would get an empty reply. This channel notices the empty reply and sends the
``utter_erreur_technique`` response of domain.yml instead: an apology and the Agglo's contact.

Creating the channel also makes Rasa check the action server's answers with a validator built
once (channels/action_validation.py), the largest single cost of a turn otherwise; and once the
server has started (the model loaded), the memory freed while loading goes back to the system
(channels/memory.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.utils.io import read_yaml_file

from channels import action_validation, memory

DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain.yml"
APOLOGY_RESPONSE = "utter_erreur_technique"


def _apology_text(domain_file: Path = DOMAIN_FILE) -> str:
    domain = read_yaml_file(domain_file)
    return str(domain["responses"][APOLOGY_RESPONSE][0]["text"])


class AggloRestInput(RestInput):
    """``POST /webhooks/rest/webhook``, never silent."""

    def __init__(self) -> None:
        super().__init__()
        self.apology = _apology_text()
        action_validation.install()

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> AggloRestInput:
        return cls()

    async def _answer_or_apologise(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        message: UserMessage,
        collector: CollectingOutputChannel,
    ) -> None:
        await on_new_message(message)
        if not collector.messages:
            await collector.send_text_message(message.sender_id, self.apology)
            await collector.send_custom_json(message.sender_id, {"topic": "contact", "sources": [], "commune": None})

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Any:
        async def guarded(message: UserMessage) -> None:
            collector = message.output_channel
            # Only the plain collector: the streaming variant sends its messages as they come.
            if type(collector) is CollectingOutputChannel:
                await self._answer_or_apologise(on_new_message, message, collector)
            else:
                await on_new_message(message)

        async def release_memory(app: Any, loop: Any) -> None:
            # The model is loaded before the server starts: what loading freed can go back.
            memory.release_freed_memory()

        blueprint = super().blueprint(guarded)
        blueprint.listener(release_memory, "after_server_start")
        return blueprint
