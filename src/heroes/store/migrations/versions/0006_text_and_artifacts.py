"""searchable text and app artifacts

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

# SQLite: an external-content FTS5 index over item_text, kept in step by triggers (the pattern of
# SQLite's FTS5 documentation), so rows are written once and the index never drifts from them.
_SQLITE_FTS = (
    "CREATE VIRTUAL TABLE item_text_fts USING fts5(body, content='item_text', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER item_text_ai AFTER INSERT ON item_text BEGIN "
    "INSERT INTO item_text_fts(rowid, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER item_text_ad AFTER DELETE ON item_text BEGIN "
    "INSERT INTO item_text_fts(item_text_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
    "CREATE TRIGGER item_text_au AFTER UPDATE ON item_text BEGIN "
    "INSERT INTO item_text_fts(item_text_fts, rowid, body) VALUES ('delete', old.id, old.body); "
    "INSERT INTO item_text_fts(rowid, body) VALUES (new.id, new.body); END",
)


def upgrade() -> None:
    op.create_table(
        "item_text",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_item_text_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_text_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_text")),
        sa.UniqueConstraint("item_id", "chunk", name=op.f("uq_item_text_item_id_chunk")),
    )
    op.create_index(op.f("ix_item_text_item_id"), "item_text", ["item_id"], unique=False)
    op.create_index(op.f("ix_item_text_case_id"), "item_text", ["case_id"], unique=False)
    op.create_table(
        "artifacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("parser", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("app", sa.String(length=100), nullable=False),
        sa.Column("record", sa.String(length=200), nullable=False),
        sa.Column("time", sa.Float(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sender", sa.Text(), nullable=True),
        sa.Column("recipient", sa.Text(), nullable=True),
        sa.Column("thread", sa.Text(), nullable=True),
        sa.Column("direction", sa.String(length=20), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_artifacts_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_artifacts_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_artifacts")),
    )
    op.create_index(op.f("ix_artifacts_item_id"), "artifacts", ["item_id"], unique=False)
    op.create_index(op.f("ix_artifacts_case_id_time"), "artifacts", ["case_id", "time"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute("CREATE INDEX ix_item_text_tsv ON item_text USING gin (to_tsvector('simple', body))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("item_text_ai", "item_text_ad", "item_text_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS item_text_fts")
    op.drop_table("artifacts")
    op.drop_table("item_text")
