"""documents kept by the Department: content hash and path of each attachment

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("storage_path", sa.String(length=255), nullable=True))
        batch.create_index("ix_attachments_sha256", ["sha256"])


def downgrade() -> None:
    with op.batch_alter_table("attachments") as batch:
        batch.drop_index("ix_attachments_sha256")
        batch.drop_column("storage_path")
        batch.drop_column("sha256")
