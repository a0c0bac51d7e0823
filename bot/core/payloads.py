"""Rasa's ``/intent{entities}`` payloads: which ones a resident may send, and how the others travel.

Rasa reads a message that starts with ``/`` as an intent with entities, skipping the NLU: typed
by a resident, ``/permis_de_louer{"commune": "62119"}`` would set slots they never stated. The
web front signs every button payload the assistant offers, for the conversation it was offered
in (an HMAC of the conversation and the payload); a click sends the signature back, and any
other message starting with ``/`` goes to Rasa as plain text.
"""

from __future__ import annotations

import hashlib
import hmac
import re

INTENT_PREFIX = "/"
_LEADING_SLASHES = re.compile(r"^[\s/]+")
# The header by which the web front proves itself to the REST channel (channels/rest.py).
CHANNEL_SECRET_HEADER = "X-Agglo-Channel-Secret"  # noqa: S105 - a header name, not a secret
# In a trusted message's metadata: the message's id, and whether it is sent again after the
# instance that had it broke off (channels/rest.py answers it once: bot/web/routing.py).
DELIVERY_KEY = "agglo_delivery"


def is_intent_payload(text: str) -> bool:
    return text.lstrip().startswith(INTENT_PREFIX)


def as_plain_text(text: str) -> str:
    """The message without its leading slashes (and the spaces between them, « / /x »), so
    that Rasa's NLU reads it as words."""
    return _LEADING_SLASHES.sub("", text).strip()


def button_signature(key: bytes, conversation: str, payload: str) -> str:
    """The signature of a button the assistant offered in ``conversation``."""
    message = conversation.encode("utf-8") + b"\0" + payload.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def offered_button(key: bytes, conversation: str, payload: str, signature: object) -> bool:
    """True when ``signature`` is the one given with this payload in this conversation."""
    if not isinstance(signature, str):
        return False
    return hmac.compare_digest(button_signature(key, conversation, payload), signature)
