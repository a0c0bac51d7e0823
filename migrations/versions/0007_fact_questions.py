"""Facts list the questions they answer, in residents' words (``facts.questions``).

The assistant chooses the fact for a question like them; editors change them in the console,
with no retraining (bot/core/selection.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facts") as batch:
        batch.add_column(sa.Column("questions", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("facts") as batch:
        batch.drop_column("questions")
