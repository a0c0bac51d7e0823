"""Rasa's ``events`` table, declared once for the project's own readers and writers.

Rasa's SQL tracker store creates and writes it (rasa/core/tracker_store.py; the production
schema comes from migration 0003); the report, the purge and the benchmarks read it through
this declaration, so none of them needs to import Rasa.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table, Text

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
