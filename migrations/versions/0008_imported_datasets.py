"""Official datasets imported at the build (bot/kb/sources/), and the facts' new columns.

- ``imported_datasets``: each imported dataset's copy, date of last update and what was read,
  compared by the next build to show what changed.
- ``facts.told_when_ended``: a fact still told once its period ended, as past.
- ``facts.variant``: the case a fact is specific to (a bike type).
- ``facts.imported_from``: the dataset a fact was imported from (read-only in the editor).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facts") as facts:
        facts.add_column(sa.Column("told_when_ended", sa.Boolean, nullable=False, server_default=sa.false()))
        facts.add_column(sa.Column("variant", sa.String(32)))
        facts.add_column(sa.Column("imported_from", sa.String(300)))
    op.create_table(
        "imported_datasets",
        sa.Column("dataset", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("topic_slug", sa.String(64), sa.ForeignKey("topics.slug"), nullable=False),
        sa.Column("origin", sa.Text, nullable=False),
        sa.Column("last_update", sa.Date, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("imported_datasets")
    with op.batch_alter_table("facts") as facts:
        facts.drop_column("imported_from")
        facts.drop_column("variant")
        facts.drop_column("told_when_ended")
