"""The knowledge base's version row, fact periods, orientation entries, and the purge's index.

- ``kb_version``: the one row naming the published content, which the running servers poll to
  pick up a new build within seconds (bot/kb/queries.py).
- ``facts.valid_from`` / ``facts.valid_until``: machine-readable periods (an ended fact is never
  presented as current).
- ``orientations``: questions for another body, from kb/orientation.yml.
- ``ix_events_timestamp``: the retention purge deletes tracker events by timestamp
  (bot/stores/retention.py); the application role may not create it, so it comes from here.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

EVENTS_TIMESTAMP_INDEX = "ix_events_timestamp"


def upgrade() -> None:
    op.create_table(
        "kb_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("words_version", sa.String(64), nullable=False),
        sa.Column("built_at", sa.DateTime, nullable=False),
    )
    with op.batch_alter_table("facts") as facts:
        facts.add_column(sa.Column("valid_from", sa.Date))
        facts.add_column(sa.Column("valid_until", sa.Date))
    op.create_table(
        "orientations",
        sa.Column("fact_id", sa.String(80), sa.ForeignKey("facts.id"), primary_key=True),
        sa.Column("keywords", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    existing = {index["name"] for index in sa.inspect(op.get_bind()).get_indexes("events")}
    if EVENTS_TIMESTAMP_INDEX not in existing:
        op.create_index(EVENTS_TIMESTAMP_INDEX, "events", ["timestamp"])


def downgrade() -> None:
    op.drop_index(EVENTS_TIMESTAMP_INDEX, table_name="events")
    op.drop_table("orientations")
    with op.batch_alter_table("facts") as facts:
        facts.drop_column("valid_until")
        facts.drop_column("valid_from")
    op.drop_table("kb_version")
