"""Table definitions of the case store (SQLAlchemy Core), the single source of truth for the schema.

Alembic migrations under ``migrations/`` create and evolve these tables; a test checks that
the migrated database and this metadata never drift apart.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false

__all__ = [
    "api_tokens",
    "artifacts",
    "audit_events",
    "audit_heads",
    "cases",
    "decisions",
    "findings",
    "hash_entries",
    "hash_lists",
    "item_context",
    "item_text",
    "items",
    "matches",
    "memberships",
    "metadata",
    "scans",
    "sessions",
    "users",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("description", Text, nullable=False, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

scans = Table(
    "scans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("root", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("files_seen", BigInteger, nullable=False, default=0),
    Column("files_hashed", BigInteger, nullable=False, default=0),
    Column("bytes_hashed", BigInteger, nullable=False, default=0),
    Column("errors", BigInteger, nullable=False, default=0),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("path_key", String(64), nullable=False),
    Column("raw_path", LargeBinary, nullable=False),
    Column("path", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("size", BigInteger, nullable=False, default=0),
    Column("mtime", Float),
    Column("mime", String(255)),
    Column("md5", String(32)),
    Column("sha1", String(40)),
    Column("sha256", String(64)),
    Column("pdq", String(64)),
    Column("pdq_quality", Integer),
    Column("pdq_dihedral", Text),
    Column("vpdq", Text),
    # Per-file context for triage (filled by the exif plug-in and the scan workflow).
    Column("deleted", Boolean, nullable=False, server_default=sa_false()),
    Column("extension_mismatch", Text),
    Column("owner_app", String(100)),
    Column("camera_make", Text),
    Column("camera_model", Text),
    Column("camera_serial", Text),
    Column("captured_at", String(40)),
    Column("gps_latitude", Float),
    Column("gps_longitude", Float),
    # File-system times beside mtime (MACB), as POSIX seconds; NULL where the source has none.
    Column("atime", Float),
    Column("ctime", Float),
    Column("btime", Float),
    Column("scan_id", Integer, ForeignKey("scans.id")),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("case_id", "path_key"),
    Index(None, "case_id", "md5"),
    Index(None, "case_id", "sha1"),
    Index(None, "case_id", "sha256"),
    Index(None, "case_id", "camera_serial"),
)

hash_lists = Table(
    "hash_lists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("source", Text, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("imported_by", String(200), nullable=False),
    Column("entry_count", BigInteger, nullable=False, default=0),
    Column("malformed_count", BigInteger, nullable=False, default=0),
    Column("pdq_threshold", Integer, nullable=False),
    Column("format", String(20), nullable=False, server_default="text"),
    Column("category_scheme", String(20), nullable=False, server_default="none"),
    # Folder of a compact list's sorted key files (heroes.hashing.exactset); NULL: entries are rows.
    Column("storage", Text),
)

hash_entries = Table(
    "hash_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", Integer, ForeignKey("hash_lists.id", ondelete="CASCADE"), nullable=False),
    Column("algorithm", String(16), nullable=False),
    # 64 hex digits for hashes, longer for structured/opaque signals (vPDQ frame lists, PhotoDNA).
    Column("value", Text, nullable=False),
    Column("category", Text),
    Column("label", Text),
    Column("record", Text),
    Column("media_size", BigInteger),
    Column("series", Text),
    Column("tags", Text),
    Column("victim_identified", Boolean),
    Index(None, "algorithm", "value"),
    # Reading one algorithm of one list (index builds, vPDQ signals) must not walk the whole list.
    Index(None, "list_id", "algorithm"),
)

matches = Table(
    "matches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("entry_id", Integer, ForeignKey("hash_entries.id", ondelete="CASCADE"), nullable=False),
    Column("list_id", Integer, ForeignKey("hash_lists.id", ondelete="CASCADE"), nullable=False),
    Column("algorithm", String(16), nullable=False),
    Column("distance", Integer, nullable=False),
    Column("variant", String(32), nullable=False, default="original"),
    Column("matched_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("item_id", "entry_id", "algorithm"),
)

findings = Table(
    "findings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id")),
    Column("scan_id", Integer, ForeignKey("scans.id")),
    Column("kind", String(20), nullable=False),
    Column("plugin", String(100), nullable=False),
    Column("plugin_version", String(100), nullable=False),
    Column("score", Float),
    Column("explanation", Text, nullable=False),
    Column("path", Text),
    Column("dedupe_key", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("case_id", "dedupe_key"),
)

item_context = Table(
    "item_context",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("priority", Float, nullable=False),
    Column("reasons", Text, nullable=False),
    Index(None, "case_id", "priority"),
)

# Searchable text of an item: its path and metadata, the text extracted from it (documents) and the
# messages and visits parsed from it (app databases), cut into chunks so that no row outgrows
# PostgreSQL's tsvector limit. Full-text indexes (SQLite FTS5 ``item_text_fts`` with triggers,
# PostgreSQL GIN over ``to_tsvector('simple', body)``) are created by migration 0006 per dialect.
item_text = Table(
    "item_text",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("chunk", Integer, nullable=False),
    Column("body", Text, nullable=False),
    UniqueConstraint("item_id", "chunk"),
)

# Messages and visits parsed from app databases in the evidence (heroes.triage.artifacts).
artifacts = Table(
    "artifacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("parser", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("app", String(100), nullable=False),
    Column("record", String(200), nullable=False),
    Column("time", Float),
    Column("text", Text, nullable=False),
    Column("sender", Text),
    Column("recipient", Text),
    Column("thread", Text),
    Column("direction", String(20)),
    Column("url", Text),
    Index(None, "case_id", "time"),
)

# Review decisions: one current categorisation per item (its history is in the audit trail).
decisions = Table(
    "decisions",
    metadata,
    Column("item_id", Integer, ForeignKey("items.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("category", String(40)),
    Column("tags", Text, nullable=False, default="[]"),
    Column("note", Text, nullable=False, default=""),
    Column("decided_by", String(200), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

# Accounts of the review app (heroes.accounts, heroes.web): Argon2id password hashes, per-case
# membership, sessions and API tokens stored only as SHA-256 digests of the secrets.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("disabled", Boolean, nullable=False, server_default=sa_false()),
    Column("must_change_password", Boolean, nullable=False, server_default=sa_false()),
    Column("blur_thumbnails", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

memberships = Table(
    "memberships",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked", Boolean, nullable=False, server_default=sa_false()),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chain", String(220), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("target", Text, nullable=False),
    Column("details", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("chain", "seq"),
)

audit_heads = Table(
    "audit_heads",
    metadata,
    Column("chain", String(220), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)
