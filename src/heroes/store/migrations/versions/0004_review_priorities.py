"""review priorities

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
    op.create_table(
        "item_context",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_item_context_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_context_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_context")),
    )
    with op.batch_alter_table("item_context", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_context_case_id_priority"), ["case_id", "priority"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("item_context", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_context_case_id_priority"))

    op.drop_table("item_context")
