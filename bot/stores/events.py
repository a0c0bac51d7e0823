"""Rasa's ``events`` table, declared once for the project's own readers and writers.

Rasa's SQL tracker store creates and writes it (rasa/core/tracker_store.py; the production
schema comes from migration 0003); the report, the purge, the console's view of a callback
request's conversation and the benchmarks read it through this declaration, so none of them
needs to import Rasa.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text, create_engine, inspect, select

EVENTS_TIMESTAMP_INDEX = "ix_events_timestamp"

EVENTS = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
# What the retention purge filters on (created by the tracker store, or migration 0004).
EVENTS_TIMESTAMP = Index(EVENTS_TIMESTAMP_INDEX, EVENTS.c.timestamp)


@dataclass(frozen=True)
class Turn:
    """One message of a conversation: the resident's (masked) or the assistant's."""

    role: str  # "user" or "bot"
    text: str
    timestamp: float


def conversation_turns(url: str, sender_id: str, mask_text: Callable[[str], str], limit: int = 500) -> list[Turn]:
    """The messages of one conversation, oldest first, what the resident typed masked again
    (conversations stored before masking existed are masked too). Empty when the tracker store
    or the conversation is not there (any more: purged)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not Path(url[len(prefix) :]).exists():
        return []  # connecting would create an empty file
    engine = create_engine(url, future=True)
    query = (
        select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
        .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(("user", "bot")))
        .order_by(EVENTS.c.id)
        .limit(limit)
    )
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(EVENTS.name):
                return []
            rows = connection.execute(query).all()
    finally:
        engine.dispose()
    turns = []
    for type_name, timestamp, data in rows:
        text = json.loads(data or "{}").get("text") or ""
        if text:
            turns.append(Turn(type_name, mask_text(text) if type_name == "user" else text, float(timestamp or 0)))
    return turns
