"""Rasa's ``ix_events_sender_id`` goes: ``ix_events_sender_id_type_name_timestamp`` (0003) starts
with the same column and answers every query by sender (the tracker store's read, the report,
the console's view of a conversation, the purge) as well.

Every message inserts about seven and a half events, each kept in every index of ``events``: one
index less is that much less work for PostgreSQL per message. Rasa's store does not recreate it
(it creates the table's indexes only with the table).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SENDER_INDEX = "ix_events_sender_id"
SESSION_START_INDEX = "ix_events_sender_id_type_name_timestamp"


def _indexes() -> set[str]:
    return {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("events")}


def upgrade() -> None:
    existing = _indexes()
    # Only where the wider index stands in for it.
    if SENDER_INDEX in existing and SESSION_START_INDEX in existing:
        op.drop_index(SENDER_INDEX, table_name="events")


def downgrade() -> None:
    if SENDER_INDEX not in _indexes():
        op.create_index(SENDER_INDEX, "events", ["sender_id"])
