"""The knowledge base and the feedback table, as they were before migrations existed.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("verified_on", sa.Date, nullable=False),
        sa.UniqueConstraint("url", "title"),
    )
    op.create_table(
        "topics",
        sa.Column("slug", sa.String(64), primary_key=True),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("plan_section", sa.String(200)),
        sa.Column("title", sa.String(200)),
        sa.Column("intro", sa.Text),
        sa.Column("keywords", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "communes",
        sa.Column("insee", sa.String(5), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("postal_code", sa.String(5)),
        sa.Column("department", sa.String(3), nullable=False),
        sa.Column("is_member", sa.Boolean, nullable=False),
    )
    op.create_index("ix_communes_is_member", "communes", ["is_member"])
    op.create_table(
        "facts",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("topic_slug", sa.String(64), sa.ForeignKey("topics.slug"), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("applies_to", sa.String(300), nullable=False),
        sa.Column("confidence", sa.String(8), nullable=False),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id"), nullable=False),
        sa.Column("commune_insee", sa.String(5), sa.ForeignKey("communes.insee")),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_facts_topic_slug", "facts", ["topic_slug"])
    op.create_table(
        "unknowns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("topic_slug", sa.String(64), sa.ForeignKey("topics.slug"), nullable=False),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_index("ix_unknowns_topic_slug", "unknowns", ["topic_slug"])
    op.create_table(
        "topic_contacts",
        sa.Column("topic_slug", sa.String(64), sa.ForeignKey("topics.slug"), primary_key=True),
        sa.Column("fact_id", sa.String(80), sa.ForeignKey("facts.id"), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "aids",
        sa.Column("topic_slug", sa.String(64), sa.ForeignKey("topics.slug"), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("amount_min_eur", sa.Integer),
        sa.Column("amount_max_eur", sa.Integer),
        *(sa.Column(name, sa.Text) for name in _AID_TEXT_COLUMNS),
    )
    op.create_table(
        "commune_aliases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("insee", sa.String(5), sa.ForeignKey("communes.insee"), nullable=False),
        sa.Column("alias", sa.String(120), nullable=False),
        sa.Column("alias_key", sa.String(120), nullable=False),
        sa.UniqueConstraint("alias_key"),
    )
    op.create_table(
        "commune_rules",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("topic_slug", sa.String(64), sa.ForeignKey("topics.slug"), nullable=False),
        sa.Column("insee", sa.String(5), sa.ForeignKey("communes.insee"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("since", sa.Date),
        sa.Column("perimeter", sa.String(16), nullable=False),
        sa.Column("fact_id", sa.String(80), sa.ForeignKey("facts.id"), nullable=False),
    )
    op.create_index("ix_commune_rules_insee", "commune_rules", ["insee"])
    op.create_table(
        "messages",
        sa.Column("key", sa.String(120), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "french_words",
        sa.Column("word", sa.String(80), primary_key=True),
        sa.Column("stop_word", sa.Boolean, nullable=False),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("rating", sa.String(4), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("topic", sa.String(64)),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
    )
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
    op.create_index("ix_feedback_topic", "feedback", ["topic"])


_AID_TEXT_COLUMNS = ("what", "eligibility", "amount", "how_to_apply", "documents", "contact", "period")


def downgrade() -> None:
    for table in (
        "feedback",
        "french_words",
        "messages",
        "commune_rules",
        "commune_aliases",
        "aids",
        "topic_contacts",
        "unknowns",
        "facts",
        "communes",
        "topics",
        "sources",
    ):
        op.drop_table(table)
