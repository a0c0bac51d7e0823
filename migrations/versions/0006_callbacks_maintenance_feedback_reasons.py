"""Callback requests and their history, the maintenance switch, and the 👎's reason and facts.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(16), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("contact", sa.String(254), nullable=False),
        sa.Column("contact_kind", sa.String(8), nullable=False),
        sa.Column("contact_key", sa.String(64), nullable=False),
        sa.Column("commune_insee", sa.String(5)),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("topic", sa.String(64)),
        sa.Column("conversation", sa.String(90)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("taken_by", sa.String(80)),
        sa.Column("taken_at", sa.DateTime),
        sa.Column("done_by", sa.String(80)),
        sa.Column("done_at", sa.DateTime),
        sa.Column("updated_by", sa.String(80)),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    for column in ("created_at", "contact_key", "commune_insee", "conversation", "status"):
        op.create_index(f"ix_callback_requests_{column}", "callback_requests", [column])
    op.create_table(
        "callback_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("callback_requests.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("agent", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16)),
        sa.Column("text", sa.Text),
        sa.Column("change_id", sa.String(64), unique=True),
    )
    op.create_index("ix_callback_events_request_id", "callback_events", ["request_id"])
    op.create_table(
        "maintenance_switches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("switched_at", sa.DateTime, nullable=False),
        sa.Column("switched_by", sa.String(80), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("on", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text),
    )
    with op.batch_alter_table("feedback") as feedback:
        feedback.add_column(sa.Column("reason", sa.String(16)))
        feedback.add_column(sa.Column("facts", sa.JSON))
        feedback.create_index("ix_feedback_reason", ["reason"])


def downgrade() -> None:
    with op.batch_alter_table("feedback") as feedback:
        feedback.drop_index("ix_feedback_reason")
        feedback.drop_column("facts")
        feedback.drop_column("reason")
    op.drop_table("maintenance_switches")
    op.drop_table("callback_events")
    op.drop_table("callback_requests")
