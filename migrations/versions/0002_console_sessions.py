"""Agents' console sessions, shared by every web front (only a hash of each token).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("agent", sa.String(80), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_agent_sessions_agent", "agent_sessions", ["agent"])
    op.create_index("ix_agent_sessions_expires_at", "agent_sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("agent_sessions")
