"""Short replies to the assistant's own question: « oui », « non », « la 2e ».

The assistant's question is its latest message with buttons (which scheme, which commune,
which topic): « la 2e » picks the second button, « oui » the only one offered. Plain Python
over the tracker's events as Rasa stores them (``{"event": "bot", "data": {"buttons": …}}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.payloads import INTENT_PREFIX
from bot.french.text import fold

# « le premier », « la 2e », « le deuxième », « la dernière », « le 3 », « n°2 », « option 2 ».
_ORDINAL_WORDS = {
    "premier": 1,
    "premiere": 1,
    "1er": 1,
    "1ere": 1,
    "deuxieme": 2,
    "second": 2,
    "seconde": 2,
    "troisieme": 3,
    "quatrieme": 4,
    "cinquieme": 5,
}
_NUMBERED = re.compile(r"\b(\d)\s*(?:e|eme|ieme|er|ere|è|ème)?\b")
_LAST = re.compile(r"\bderni(?:er|ere)\b")
_PAYLOAD = re.compile(r"/(?P<intent>\w+)(?P<entities>\{.*\})?", re.DOTALL)


@dataclass(frozen=True)
class Payload:
    """A button's ``/intent{entities}`` payload, read back."""

    intent: str
    entities: dict[str, str]


def offered_buttons(events: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The buttons of the assistant's latest message that had any, since the resident's
    previous message (an older question no longer stands)."""
    seen_user = False
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return []
            seen_user = True
        elif kind == "bot":
            buttons = (event.get("data") or {}).get("buttons")
            if isinstance(buttons, list) and buttons:
                return [
                    {"title": str(button.get("title", "")), "payload": str(button.get("payload", ""))}
                    for button in buttons
                    if isinstance(button, dict)
                ]
    return []


def chosen_option(text: str, count: int) -> int | None:
    """The 0-based index of the option a reply picks among ``count``, or None."""
    folded = fold(text)
    if count == 0:
        return None
    if _LAST.search(folded):
        return count - 1
    for word in folded.split():
        if word in _ORDINAL_WORDS:
            index = _ORDINAL_WORDS[word] - 1
            return index if index < count else None
    number = _NUMBERED.search(folded)
    if number is not None:
        index = int(number.group(1)) - 1
        return index if 0 <= index < count else None
    return None


def read_payload(payload: str) -> Payload | None:
    """``/demander_conditions{"dispositif": "aide_velo"}`` → intent and entities; None for a
    plain-text button (a commune's name)."""
    if not payload.startswith(INTENT_PREFIX):
        return None
    match = _PAYLOAD.fullmatch(payload.strip())
    if match is None:
        return None
    entities: dict[str, str] = {}
    if match.group("entities"):
        try:
            decoded = json.loads(match.group("entities"))
        except json.JSONDecodeError:
            return None
        if isinstance(decoded, dict):
            entities = {str(name): str(value) for name, value in decoded.items()}
    return Payload(intent=match.group("intent"), entities=entities)
