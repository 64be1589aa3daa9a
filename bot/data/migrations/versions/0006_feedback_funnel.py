"""ratings of the service, and the application funnel (issue 12 item 6)

Revision ID: 0006
Revises: 0005
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
        "ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer(),
            sa.ForeignKey("applications.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("occasion", sa.String(length=16), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("skipped", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("application_id", "occasion"),
    )
    op.create_index("ix_ratings_application_id", "ratings", ["application_id"])
    op.create_table(
        "funnel_visitors",
        sa.Column("user_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("journey", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "funnel_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("journey", sa.String(length=32), nullable=True),
        sa.Column("milestone", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.UniqueConstraint("journey", "milestone"),
    )
    op.create_index("ix_funnel_events_day", "funnel_events", ["day"])


def downgrade() -> None:
    op.drop_index("ix_funnel_events_day", table_name="funnel_events")
    op.drop_table("funnel_events")
    op.drop_table("funnel_visitors")
    op.drop_index("ix_ratings_application_id", table_name="ratings")
    op.drop_table("ratings")
