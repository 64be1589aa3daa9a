"""outbox: a fencing token per claim, unconfirmed requests, the retry window, why a row
gave up; applications: undelivered rows waiting for /requeue

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claims", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("unconfirmed", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("failure", sa.String(length=16), nullable=True))
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("undelivered", sa.Integer(), server_default="0", nullable=False)
        )
    # Rows that gave up before: a 403 stays "forbidden"; the others (silently dropped after
    # too many attempts, or a 400) can be sent again with /requeue.
    op.execute(
        "UPDATE outbox SET failure = CASE WHEN last_error LIKE '403%' THEN 'forbidden' "
        "WHEN last_error LIKE '400%' THEN 'rejected' ELSE 'expired' END "
        "WHERE status = 'undeliverable'"
    )
    op.execute("UPDATE outbox SET claims = attempts")


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("undelivered")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("failure")
        batch_op.drop_column("failing_since")
        batch_op.drop_column("unconfirmed")
        batch_op.drop_column("claims")
