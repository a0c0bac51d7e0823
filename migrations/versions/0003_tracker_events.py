"""Rasa's tracker-store table, created by the owner role, and the index its queries need.

Rasa's SQLTrackerStore creates ``events`` itself on start-up, which the application role may
not do: this revision creates it (Rasa 3.6's definition) unless it is already there, so an
existing tracker database is adopted as it is.

Every turn looks up the conversation's latest ``session_started`` (the highest timestamp of
that type for the sender) before reading its events; ``ix_events_sender_id_type_name_timestamp``
answers that from the index alone, however many events the table holds.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SESSION_START_INDEX = "ix_events_sender_id_type_name_timestamp"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("events"):
        op.create_table(
            "events",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("sender_id", sa.String(255), nullable=False),
            sa.Column("type_name", sa.String(255), nullable=False),
            sa.Column("timestamp", sa.Float),
            sa.Column("intent_name", sa.String(255)),
            sa.Column("action_name", sa.String(255)),
            sa.Column("data", sa.Text),
        )
        op.create_index("ix_events_sender_id", "events", ["sender_id"])
    existing = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("events")}
    if SESSION_START_INDEX not in existing:
        op.create_index(SESSION_START_INDEX, "events", ["sender_id", "type_name", "timestamp"])


def downgrade() -> None:
    # The table is Rasa's: only the index added here goes.
    op.drop_index(SESSION_START_INDEX, table_name="events")
