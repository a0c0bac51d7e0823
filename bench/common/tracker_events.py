"""Rows of Rasa's ``events`` table, shaped as its SQLTrackerStore writes them.

Used by the report's tests (small fixtures with known counts) and its speed benchmark (a
million events): the ``data`` column holds the event as JSON, and a bot answer carries the
project's payload ``{"topic", "sources", "commune"}`` under ``data.custom``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import create_engine

from bot.stores.events import EVENTS

_METADATA = {"model_id": "bench", "assistant_id": "agglo-assistant"}


def _row(sender: str, type_name: str, timestamp: float, event: dict[str, Any], **columns: str | None) -> dict[str, Any]:
    event = {"event": type_name, "timestamp": timestamp, "metadata": _METADATA, **event}
    return {
        "sender_id": sender,
        "type_name": type_name,
        "timestamp": timestamp,
        "intent_name": columns.get("intent_name"),
        "action_name": columns.get("action_name"),
        "data": json.dumps(event),
    }


def session_start(sender: str, timestamp: float) -> list[dict[str, Any]]:
    return [
        action(sender, timestamp, "action_session_start"),
        _row(sender, "session_started", timestamp, {}),
        action(sender, timestamp, "action_listen"),
    ]


def action(sender: str, timestamp: float, name: str) -> dict[str, Any]:
    event = {"name": name, "policy": "RulePolicy", "confidence": 1.0, "action_text": None, "hide_rule_turn": False}
    return _row(sender, "action", timestamp, event, action_name=name)


def user(sender: str, timestamp: float, text: str, intent: str) -> dict[str, Any]:
    parse_data = {
        "intent": {"name": intent, "confidence": 0.97},
        "entities": [],
        "text": text,
        "message_id": f"{sender}-{timestamp}",
        "metadata": {},
        "intent_ranking": [{"name": intent, "confidence": 0.97}],
    }
    event = {"text": text, "parse_data": parse_data, "input_channel": "rest", "message_id": f"{sender}-{timestamp}"}
    return _row(sender, "user", timestamp, event, intent_name=intent)


def bot(
    sender: str, timestamp: float, text: str, topic: str | None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A bot message; ``extra``: more keys of its payload (``emergency``, ``offer_callback``)."""
    custom: dict[str, Any] | None = (
        None if topic is None else {"topic": topic, "sources": [], "commune": None, **(extra or {})}
    )
    data = {"elements": None, "quick_replies": None, "buttons": None, "attachment": None, "image": None}
    return _row(sender, "bot", timestamp, {"text": text, "data": {**data, "custom": custom}})


def slot(sender: str, timestamp: float, name: str, value: Any) -> dict[str, Any]:
    return _row(sender, "slot", timestamp, {"name": name, "value": value}, action_name=name)


def turn(sender: str, timestamp: float, text: str, intent: str, topic: str) -> list[dict[str, Any]]:
    """One exchange as the assistant stores it: the message, the action, its answer, slots."""
    return [
        user(sender, timestamp, text, intent),
        _row(sender, "user_featurization", timestamp, {"use_text_for_featurization": False}),
        action(sender, timestamp + 0.01, "action_repondre_sujet"),
        bot(sender, timestamp + 0.02, f"Réponse sur {topic}.", topic),
        slot(sender, timestamp + 0.02, "topic", topic),
        slot(sender, timestamp + 0.02, "commune", None),
        action(sender, timestamp + 0.03, "action_listen"),
    ]


def write_events(url: str, rows: Iterable[dict[str, Any]], batch: int = 50_000) -> int:
    """Append rows to the events table (created if missing); return how many were written."""
    engine = create_engine(url, future=True)
    EVENTS.metadata.create_all(engine)
    written = 0
    pending: list[dict[str, Any]] = []
    try:
        with engine.begin() as connection:
            for row in rows:
                pending.append(row)
                if len(pending) >= batch:
                    connection.execute(EVENTS.insert(), pending)
                    written += len(pending)
                    pending.clear()
            if pending:
                connection.execute(EVENTS.insert(), pending)
                written += len(pending)
    finally:
        engine.dispose()
    return written
