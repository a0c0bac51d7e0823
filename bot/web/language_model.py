"""What the language model (a Rasa instance) makes of a message, without a turn: the editor's
preview answers a fact's questions as the live chat will (bot/editing/service.py)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from bot.core.payloads import CHANNEL_SECRET_HEADER
from bot.core.turns import Nlu
from bot.web.common import RASA, RASA_HTTP, SETTINGS
from bot.web.routing import PARSE_PATH, RasaError, RasaUnavailable

logger = logging.getLogger(__name__)

# A parse is fast: a preview does not wait long for an instance that is busy.
PARSE_TIMEOUT_SECONDS = 10.0


def nlu_of(parsed: Any) -> Nlu | None:
    """The language model's reading of a message, from the channel's parse (None if malformed)."""
    if not isinstance(parsed, dict) or not isinstance(parsed.get("intent"), str):
        return None
    entities = parsed.get("entities")
    if not isinstance(entities, dict):
        entities = {}
    confidence = parsed.get("confidence")
    return Nlu(
        intent=parsed["intent"],
        dispositif=entities.get("dispositif"),
        bike_type=entities.get("type_velo"),
        confidence=Nlu.confidence_of(confidence),
    )


async def parsed_messages(app: web.Application, messages: Sequence[str]) -> dict[str, Nlu]:
    """Each message with what the language model made of it; {} when no instance answered
    (the preview then reads the words alone, and says so)."""
    secret = app[SETTINGS].channel_secret
    if not secret or not messages:
        return {}
    result: dict[str, Nlu] = {}
    for message in messages:
        try:
            parsed = await app[RASA].post(
                app[RASA_HTTP],
                "editor-preview",
                {"message": message},
                {CHANNEL_SECRET_HEADER: secret},
                timeout=PARSE_TIMEOUT_SECONDS,
                path=PARSE_PATH,
            )
        except (RasaUnavailable, RasaError) as error:
            logger.warning("preview without the language model: %s", error)
            return {}
        nlu = nlu_of(parsed)
        if nlu is not None:
            result[message] = nlu
    return result
