"""Drop the ``aids`` table: built on every knowledge-base build and read by nothing.

The headline aids' facts live in ``facts`` like every topic's; what an aid's field says is
always read from there (bot/core/answers.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_AID_TEXT_COLUMNS = ("what", "eligibility", "amount", "how_to_apply", "documents", "contact", "period")


def upgrade() -> None:
    op.drop_table("aids")


def downgrade() -> None:
    op.create_table(
        "aids",
        sa.Column("topic_slug", sa.String(64), sa.ForeignKey("topics.slug"), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("amount_min_eur", sa.Integer),
        sa.Column("amount_max_eur", sa.Integer),
        *(sa.Column(name, sa.Text) for name in _AID_TEXT_COLUMNS),
    )
