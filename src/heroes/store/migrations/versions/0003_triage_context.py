"""triage context

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
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("extension_mismatch", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("owner_app", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("camera_make", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("camera_model", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("camera_serial", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("captured_at", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("gps_latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("gps_longitude", sa.Float(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_items_case_id_camera_serial"), ["case_id", "camera_serial"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_items_case_id_camera_serial"))
        batch_op.drop_column("gps_longitude")
        batch_op.drop_column("gps_latitude")
        batch_op.drop_column("captured_at")
        batch_op.drop_column("camera_serial")
        batch_op.drop_column("camera_model")
        batch_op.drop_column("camera_make")
        batch_op.drop_column("owner_app")
        batch_op.drop_column("extension_mismatch")
        batch_op.drop_column("deleted")
