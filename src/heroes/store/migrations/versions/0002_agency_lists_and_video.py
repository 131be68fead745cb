"""agency lists and video

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hash_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hash_entries_list_id"))
        batch_op.create_index(
            batch_op.f("ix_hash_entries_list_id_algorithm"), ["list_id", "algorithm"], unique=False
        )
        batch_op.add_column(sa.Column("record", sa.Text(), nullable=True))
        batch_op.alter_column(
            "category", existing_type=sa.String(length=64), type_=sa.Text(), existing_nullable=True
        )
        batch_op.add_column(sa.Column("media_size", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("series", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("tags", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("victim_identified", sa.Boolean(), nullable=True))
        batch_op.alter_column(
            "value", existing_type=sa.VARCHAR(length=64), type_=sa.Text(), existing_nullable=False
        )

    with op.batch_alter_table("hash_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("format", sa.String(length=20), server_default="text", nullable=False))
        batch_op.add_column(
            sa.Column("category_scheme", sa.String(length=20), server_default="none", nullable=False)
        )
        batch_op.add_column(sa.Column("storage", sa.Text(), nullable=True))

    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("vpdq", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_column("vpdq")

    with op.batch_alter_table("hash_lists", schema=None) as batch_op:
        batch_op.drop_column("storage")
        batch_op.drop_column("category_scheme")
        batch_op.drop_column("format")

    with op.batch_alter_table("hash_entries", schema=None) as batch_op:
        batch_op.alter_column(
            "value", existing_type=sa.Text(), type_=sa.VARCHAR(length=64), existing_nullable=False
        )
        batch_op.drop_index(batch_op.f("ix_hash_entries_list_id_algorithm"))
        batch_op.create_index(batch_op.f("ix_hash_entries_list_id"), ["list_id"], unique=False)
        batch_op.alter_column(
            "category", existing_type=sa.Text(), type_=sa.String(length=64), existing_nullable=True
        )
        batch_op.drop_column("victim_identified")
        batch_op.drop_column("tags")
        batch_op.drop_column("series")
        batch_op.drop_column("media_size")
        batch_op.drop_column("record")
