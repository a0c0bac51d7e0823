"""``POST /api/chat``: the residents' (and the console's) way to Rasa's REST channel.

The proxy validates the request, decides agent mode from the console session alone, lets an
``/intent`` payload through only when the assistant offered it as a button in this
conversation (bot/core/payloads.py), and signs the buttons of the replies it returns. While the
assistant is paused (bot/web/maintenance.py), residents get the maintenance message and Rasa
is not called; the console's agent mode keeps working.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from aiohttp import web

from bot.core.payloads import CHANNEL_SECRET_HEADER, as_plain_text, button_signature, is_intent_payload, offered_button
from bot.french.text import well_formed
from bot.web.auth import is_agent_request
from bot.web.common import (
    BUTTON_KEY,
    MAX_MESSAGE_CHARS,
    RASA,
    RASA_HTTP,
    RASA_TIMEOUT_SECONDS,
    SETTINGS,
    json_error,
    json_object,
)
from bot.web.maintenance import maintenance_replies
from bot.web.routing import RasaError, RasaUnavailable

logger = logging.getLogger(__name__)

SENDER = re.compile(r"[A-Za-z0-9_-]{8,80}")


def sign_buttons(replies: list[Any], key: bytes, conversation: str) -> None:
    """Give each ``/intent`` button of the replies the signature a click must send back."""
    for reply in replies:
        buttons = reply.get("buttons") if isinstance(reply, dict) else None
        for button in buttons if isinstance(buttons, list) else []:
            payload = button.get("payload") if isinstance(button, dict) else None
            if isinstance(payload, str) and is_intent_payload(payload):
                button["signature"] = button_signature(key, conversation, payload)


async def chat(request: web.Request) -> web.StreamResponse:
    data = await json_object(request)
    if isinstance(data, web.Response):
        return data
    settings = request.app[SETTINGS]
    sender, message = data.get("sender"), data.get("message")
    if not isinstance(sender, str) or not SENDER.fullmatch(sender):
        return json_error(400, "invalid_sender")
    if not isinstance(message, str) or not message.strip():
        return json_error(400, "empty_message")
    if len(message) > MAX_MESSAGE_CHARS:
        return json_error(413, "message_too_long", limit=MAX_MESSAGE_CHARS)
    agent = is_agent_request(request)
    if not agent:
        paused = await maintenance_replies(request)
        if paused is not None:
            return web.json_response(paused)
    # Separate conversations: a resident's sender id never continues an agent's.
    conversation = f"{'agent' if agent else 'web'}-{sender}"
    text = well_formed(message).strip()
    if is_intent_payload(text) and not offered_button(
        request.app[BUTTON_KEY], conversation, text, data.get("button_signature")
    ):
        text = as_plain_text(text)
        if not text:
            return json_error(400, "empty_message")
    body = {"sender": conversation, "message": text, "metadata": {"agent": True} if agent else {}}
    headers = {CHANNEL_SECRET_HEADER: settings.channel_secret} if settings.channel_secret else {}
    try:
        # Every message of a conversation goes to the same Rasa instance (routing.py). With the
        # secret, Rasa trusts the message's id: sent again after its instance broke off, it is
        # still handled once.
        replies = await request.app[RASA].post(
            request.app[RASA_HTTP],
            conversation,
            body,
            headers,
            timeout=RASA_TIMEOUT_SECONDS,
            message_id=uuid.uuid4().hex if settings.channel_secret else None,
        )
    except RasaUnavailable as error:
        logger.error("Rasa unavailable: %s", error)
        return json_error(503, "rasa_unreachable")
    except RasaError as error:
        logger.error("%s", error)
        return json_error(502, "rasa_error")
    # Rasa's REST channel always answers something (at worst its apology): an empty list means
    # the turn was cut short, and the resident must not be left with silence.
    if not isinstance(replies, list) or not replies:
        logger.error("Rasa answered %r", replies)
        return json_error(502, "rasa_error")
    sign_buttons(replies, request.app[BUTTON_KEY], conversation)
    return web.json_response(replies)
