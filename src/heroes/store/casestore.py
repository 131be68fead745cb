"""CaseStore: the only code that reads or writes the database.

Why one writer: every change of evidence, and every read of it, must land in the
hash-chained audit trail *in the same transaction*, so there is never a result without
its audit record or a record of something that did not happen. Each public method that
touches evidence therefore takes ``actor=`` and appends an :class:`AuditEvent`.

The audit trail is a set of chains: one per case (``case:NAME``) and one ``global`` chain
for things that belong to no case (hash-list imports). Each event carries the SHA-256 of
its predecessor; ``audit_heads`` remembers the last sequence number and digest of each
chain, so removing events from the end is detected as well as editing, inserting,
deleting or reordering them in the middle.

SQLite is the embedded default (WAL, ``BEGIN IMMEDIATE`` so concurrent writers queue
instead of failing); PostgreSQL is used when ``database_url`` says so. Both run the same
Alembic migrations and the same test-suite.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    column,
    create_engine,
    event,
    func,
    literal_column,
    or_,
    select,
    table,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError as SAIntegrityError
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from heroes.config import Settings
from heroes.errors import AlreadyExists, AuditChainBroken, InvalidInput, NotFound, StoreUnavailable
from heroes.evidence import (
    GENESIS_HASH,
    Algorithm,
    Artifact,
    AuditEvent,
    Case,
    CategoryScheme,
    Decision,
    FileHashes,
    Finding,
    HashEntry,
    HashList,
    Item,
    ListRole,
    Malformed,
    Match,
    audit_digest,
)
from heroes.store import schema as t
from heroes.store.accounts import AccountStore

__all__ = [
    "GLOBAL_CHAIN",
    "AuditReport",
    "CaseStore",
    "ImportResult",
    "MatchableItem",
    "NewMatch",
    "ReviewRow",
    "SearchQuery",
    "case_chain",
    "parse_bbox",
    "path_key",
    "snippet",
]

GLOBAL_CHAIN = "global"
_INSERT_CHUNK = 5000
# Per-file context that plug-ins and the scan workflow put into FileHashes.values, stored as columns.
_CONTEXT_FIELDS = (
    "extension_mismatch",
    "owner_app",
    "camera_make",
    "camera_model",
    "camera_serial",
    "captured_at",
    "gps_latitude",
    "gps_longitude",
    "atime",
    "ctime",
    "btime",
)
MALFORMED_KEPT = 1000
"""Malformed records returned in full by an import; the rest are only counted."""
_MIGRATIONS = Path(__file__).parent / "migrations"


def path_key(raw_path: bytes) -> str:
    """Fixed-length key for a path of any length or encoding (index-friendly on every database)."""
    return hashlib.sha256(raw_path).hexdigest()


def _new_id(result: Any) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise StoreUnavailable("the database did not return the id of a new row")
    return int(key[0])


def _text(value: str | None) -> str | None:
    """Text any database accepts: PostgreSQL refuses NUL characters, which hostile lists contain."""
    return None if value is None else value.replace("\x00", "\\x00")


TEXT_CHUNK_CHARS = 200_000
"""Searchable text is stored in chunks of this size: PostgreSQL's tsvector holds at most 1 MB."""

_FTS = table("item_text_fts", column("rowid"), column("body"), column("rank"))
"""SQLite's FTS5 index over item_text (migration 0006); not part of the metadata on purpose."""

_TOKEN = re.compile(r"[^\W_]+")


def _search_body(r: FileHashes, artifacts: Sequence[Artifact]) -> str:
    """What full-text search sees of an item: its name and metadata, its text, its messages and visits."""
    parts = [str(r.values["text"])] if r.values.get("text") else []  # content first: snippets show it
    for a in artifacts:
        parts.append(" ".join(v for v in (a.text, a.url, a.sender, a.recipient, a.app) if v))
    parts += [r.path.replace("/", " / "), r.mime or ""]
    parts += [str(r.values[k]) for k in ("owner_app", "camera_make", "camera_model", "camera_serial")
              if r.values.get(k)]  # fmt: skip
    return "\n".join(parts).replace("\x00", " ")


def snippet(body: str, tokens: Sequence[str], width: int = 60) -> str | None:
    """The words around the first place where a searched token begins a word, on one line."""
    for token in tokens:
        found = re.search(rf"(?<![^\W_]){re.escape(token)}", body, re.IGNORECASE)
        if found:  # the window stays within the line (text, a message, the path) that holds the word
            line_start = body.rfind("\n", 0, found.start()) + 1
            line_end = body.find("\n", found.end())
            line_end = len(body) if line_end == -1 else line_end
            start, end = max(line_start, found.start() - width), min(line_end, found.end() + width)
            text = " ".join(body[start:end].split())
            return ("…" if start > line_start else "") + text + ("…" if end < line_end else "")
    return None


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def case_chain(name: str) -> str:
    """Audit chain name of a case."""
    return f"case:{name}"


@dataclass(frozen=True, slots=True)
class ImportResult:
    """A hash list as stored, with the lines that could not be imported."""

    hash_list: HashList
    malformed: list[Malformed]


@dataclass(frozen=True, slots=True)
class AuditReport:
    """A verified chain: how many events and the digest of the last one."""

    chain: str
    events: int
    head: str


@dataclass(frozen=True, slots=True)
class MatchableItem:
    """The hashes of an item that matching needs."""

    item_id: int
    md5: str | None
    sha1: str | None
    sha256: str | None
    pdq_quality: int | None
    pdq_variants: tuple[str, ...]
    vpdq: str | None = None


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """What ``heroes search`` filters by; every given condition must hold."""

    text: str = ""
    mime_prefix: str | None = None
    min_size: int | None = None
    max_size: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    camera: str | None = None
    has_gps: bool = False
    bbox: tuple[float, float, float, float] | None = None
    """south, west, north, east in decimal degrees."""
    deleted: bool | None = None
    list_name: str | None = None
    category: str | None = None
    min_priority: float | None = None


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """A GPS box given as 'south,west,north,east' in decimal degrees (CLI, pages and API alike)."""
    if not text:
        return None
    try:
        south, west, north, east = (float(v) for v in text.split(","))
    except ValueError:
        raise InvalidInput("bbox takes four numbers: south,west,north,east (decimal degrees)") from None
    if not (-90 <= south <= north <= 90 and -180 <= west <= 180 and -180 <= east <= 180):
        raise InvalidInput("bbox: south ≤ north within ±90, west and east within ±180")
    return south, west, north, east


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One line of the review grid: an item, why it ranks where it does, and what was decided."""

    item: Item
    priority: float
    reasons: tuple[str, ...]
    hits: int
    """Known-bad matches of the item."""
    decision: Decision | None


@dataclass(frozen=True, slots=True)
class NewMatch:
    """A match found by the matcher, to be recorded."""

    item_id: int
    entry_id: int
    list_id: int
    algorithm: Algorithm
    distance: int
    variant: str = "original"


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Connection) -> None:
            # Writers queue on the write lock up front (no deadlock-prone lock upgrades); readers take a
            # plain deferred transaction, so under WAL a long read never blocks a writer.
            writing = connection.get_execution_options().get("heroes_write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in ("psycopg2", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, pool_pre_ping=True)


class CaseStore:
    """Cases, items, hash lists, matches, findings and the audit trail, behind one API."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.accounts = AccountStore(self)
        """Users, memberships, sessions and API tokens of the review app."""

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings) -> CaseStore:
        """Connect to the configured database and bring its schema up to date."""
        return cls.from_url(settings.effective_database_url)

    @classmethod
    def from_url(cls, url: str) -> CaseStore:
        """Connect to a database URL and migrate it."""
        try:
            store = cls(_engine(url))
            store.migrate()
        except OperationalError as exc:
            raise StoreUnavailable(f"cannot open the case store at {make_url(url)!r}: {exc.orig}") from None
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"case store at {make_url(url)!r} failed: {exc}") from None
        return store

    def migrate(self) -> None:
        """Apply every pending Alembic migration."""
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self._tx() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    @property
    def location(self) -> str:
        """Where the data lives, with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def _tx(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(heroes_write=True) as connection, connection.begin():
            yield connection

    def _insert(self, table: Any) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    # -- audit -----------------------------------------------------------------------------

    def _audit(
        self,
        conn: Connection,
        chain: str,
        actor: str,
        action: str,
        target: str,
        details: dict[str, Any] | None = None,
    ) -> AuditEvent:
        # Make sure the head row exists, so the FOR UPDATE below always has a row to lock: two
        # first writers of a new chain would otherwise both start at sequence 1.
        conn.execute(
            self._insert(t.audit_heads)
            .values(chain=chain, seq=0, hash=GENESIS_HASH)
            .on_conflict_do_nothing(index_elements=["chain"])
        )
        head = conn.execute(
            select(t.audit_heads.c.seq, t.audit_heads.c.hash)
            .where(t.audit_heads.c.chain == chain)
            .with_for_update()
        ).first()
        assert head is not None  # inserted just above
        seq, prev = head.seq + 1, head.hash
        at = _now()
        body = json.loads(json.dumps(details or {}, ensure_ascii=True, default=str))
        digest = audit_digest(prev, chain, seq, at, actor, action, target, body)
        conn.execute(
            t.audit_events.insert().values(
                chain=chain,
                seq=seq,
                at=at.isoformat(timespec="microseconds"),
                actor=actor,
                action=action,
                target=target,
                details=json.dumps(body, ensure_ascii=True, sort_keys=True),
                prev_hash=prev,
                hash=digest,
            )
        )
        conn.execute(update(t.audit_heads).where(t.audit_heads.c.chain == chain).values(seq=seq, hash=digest))
        return AuditEvent(chain, seq, at, actor, action, target, body, prev, digest)

    def audit_events(self, chain: str) -> list[AuditEvent]:
        """Every event of a chain in sequence order, as stored (not verified)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.audit_events).where(t.audit_events.c.chain == chain).order_by(t.audit_events.c.seq)
            ).all()
        return [
            AuditEvent(
                r.chain,
                r.seq,
                datetime.fromisoformat(r.at),
                r.actor,
                r.action,
                r.target,
                json.loads(r.details),
                r.prev_hash,
                r.hash,
            )
            for r in rows
        ]

    def verify_audit(self, chain: str) -> AuditReport:
        """Recompute a chain; raise AuditChainBroken naming the first bad event."""
        problems: list[str] = []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.audit_events).where(t.audit_events.c.chain == chain).order_by(t.audit_events.c.id)
            ).all()
            head = conn.execute(select(t.audit_heads).where(t.audit_heads.c.chain == chain)).first()
        prev, expected_seq = GENESIS_HASH, 1
        for r in rows:
            where = f"event #{r.seq} ({r.action} by {r.actor} at {r.at})"
            if r.seq != expected_seq:
                problems.append(
                    f"{where}: expected sequence number {expected_seq} "
                    "(events deleted, inserted or reordered)"
                )
            if r.prev_hash != prev:
                problems.append(f"{where}: does not link to the event before it")
            try:
                digest = audit_digest(
                    r.prev_hash,
                    r.chain,
                    r.seq,
                    datetime.fromisoformat(r.at),
                    r.actor,
                    r.action,
                    r.target,
                    json.loads(r.details),
                )
            except (ValueError, TypeError) as exc:
                problems.append(f"{where}: unreadable ({exc})")
                digest = ""
            if digest != r.hash:
                problems.append(f"{where}: content does not match its digest (edited)")
            if problems:
                break
            prev, expected_seq = r.hash, r.seq + 1
        if not problems:
            last_seq, last_hash = (rows[-1].seq, rows[-1].hash) if rows else (0, GENESIS_HASH)
            if head is None and rows:
                problems.append("the chain's head record is missing")
            elif head is not None and (head.seq != last_seq or head.hash != last_hash):
                problems.append(
                    f"the chain ends at event #{last_seq} but its head says #{head.seq} "
                    "(events removed from the end)"
                )
        if problems:
            raise AuditChainBroken(f"audit chain {chain!r} is broken: " + "; ".join(problems))
        return AuditReport(chain, len(rows), prev)

    # -- cases -----------------------------------------------------------------------------

    def create_case(self, name: str, actor: str, description: str = "") -> Case:
        """A new, empty case."""
        if not name.strip() or len(name) > 200:
            raise InvalidInput("a case name must be 1 to 200 characters")
        created = _now()
        try:
            with self._tx() as conn:
                case_id = _new_id(
                    conn.execute(
                        t.cases.insert().values(name=name, description=description, created_at=created)
                    )
                )
                self._audit(conn, case_chain(name), actor, "case.create", name, {"description": description})
        except SAIntegrityError:
            raise AlreadyExists(f"case {name!r} already exists") from None
        return Case(int(case_id), name, created, description)

    def case(self, name: str) -> Case:
        """The case of that name."""
        with self.engine.connect() as conn:
            row = conn.execute(select(t.cases).where(t.cases.c.name == name)).first()
        if row is None:
            raise NotFound(f"no case named {name!r} (see 'heroes case list')")
        return Case(row.id, row.name, _utc(row.created_at) or _now(), row.description)

    def ensure_case(self, name: str, actor: str) -> Case:
        """The case of that name, created if new."""
        try:
            return self.case(name)
        except NotFound:
            try:
                return self.create_case(name, actor)
            except AlreadyExists:  # created meanwhile by another process
                return self.case(name)

    def list_cases(self) -> list[Case]:
        """All cases, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(t.cases).order_by(t.cases.c.id)).all()
        return [Case(r.id, r.name, _utc(r.created_at) or _now(), r.description) for r in rows]

    def case_counts(self, case: Case) -> dict[str, int]:
        """Items, errors, matched items and hidden (known-good) items of a case."""
        with self.engine.connect() as conn:
            n_items = conn.scalar(
                select(func.count()).select_from(t.items).where(t.items.c.case_id == case.id)
            )
            n_errors = conn.scalar(
                select(func.count())
                .select_from(t.findings)
                .where(and_(t.findings.c.case_id == case.id, t.findings.c.kind == "error"))
            )
            bad, good = self._matched_item_ids(conn, case)
        return {
            "items": int(n_items or 0),
            "errors": int(n_errors or 0),
            "matched_items": len(bad - good),
            "known_good_items": len(good),
        }

    def scans(self, case: Case) -> list[dict[str, Any]]:
        """The case's scans, newest first, with the items each has recorded so far (progress)."""
        recorded = (
            select(t.items.c.scan_id, func.count().label("recorded"))
            .where(t.items.c.case_id == case.id)
            .group_by(t.items.c.scan_id)
            .subquery()
        )
        query = (
            select(t.scans, func.coalesce(recorded.c.recorded, 0).label("recorded"))
            .outerjoin(recorded, recorded.c.scan_id == t.scans.c.id)
            .where(t.scans.c.case_id == case.id)
            .order_by(t.scans.c.id.desc())
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            {k: (_utc(v) if isinstance(v, datetime) else v) for k, v in row.items() if k != "case_id"}
            for row in rows
        ]

    def neighbours(self, case: Case, item: Item, actor: str, limit: int = 20) -> dict[str, list[Item]]:
        """Items beside one item: same folder, same camera serial, and near-duplicates (PDQ within 31
        bits); audited as a view."""
        i = t.items
        folder = item.path.rsplit("/", 1)[0] + "/" if "/" in item.path else ""
        ids: dict[str, list[int]] = {"same folder": [], "same camera": [], "near-duplicates": []}
        with self.engine.connect() as conn:
            if folder:
                rows = conn.execute(
                    select(i.c.id, i.c.path)
                    .where(and_(i.c.case_id == case.id, i.c.path.startswith(folder, autoescape=True),
                                i.c.id != item.id))
                    .order_by(i.c.path)
                    .limit(limit * 20)
                ).all()  # fmt: skip
                ids["same folder"] = [r.id for r in rows if "/" not in r.path[len(folder) :]][:limit]
            if item.camera_serial:
                ids["same camera"] = list(conn.scalars(
                    select(i.c.id).where(and_(i.c.case_id == case.id, i.c.camera_serial == item.camera_serial,
                                              i.c.id != item.id)).order_by(i.c.path).limit(limit)
                ))  # fmt: skip
            if item.pdq and (item.pdq_quality or 0) >= 50:
                rows = conn.execute(
                    select(i.c.id, i.c.pdq).where(and_(i.c.case_id == case.id, i.c.pdq.is_not(None),
                                                       i.c.id != item.id))
                ).all()  # fmt: skip
                mine = int(item.pdq, 16)
                close = sorted(((mine ^ int(r.pdq, 16)).bit_count(), r.id) for r in rows)
                ids["near-duplicates"] = [n for d, n in close if d <= 31][:limit]
        wanted = sorted({n for group in ids.values() for n in group})
        found = (
            {x.id: x for x in self.items(case, actor, item_ids=wanted, purpose="neighbours")}
            if wanted
            else {}
        )
        return {kind: [found[n] for n in group if n in found] for kind, group in ids.items()}

    # -- hash lists ------------------------------------------------------------------------

    def _drop_list(self, conn: Connection, name: str, replace: bool) -> bool:
        """Remove an existing list of that name (its entries and matches) when replacing; True if one was."""
        existing = conn.execute(select(t.hash_lists.c.id).where(t.hash_lists.c.name == name)).first()
        if existing is None:
            return False
        if not replace:
            raise AlreadyExists(f"hash list {name!r} already exists; pass --replace to re-import it")
        conn.execute(t.matches.delete().where(t.matches.c.list_id == existing.id))
        conn.execute(t.hash_entries.delete().where(t.hash_entries.c.list_id == existing.id))
        conn.execute(t.hash_lists.delete().where(t.hash_lists.c.id == existing.id))
        return True

    def _insert_list(
        self,
        conn: Connection,
        name: str,
        role: ListRole,
        source: str,
        imported: datetime,
        actor: str,
        *,
        pdq_threshold: int,
        list_format: str,
        scheme: CategoryScheme,
        storage: str | None = None,
        entry_count: int = 0,
        malformed_count: int = 0,
    ) -> int:
        """The hash_lists row of a new list (entries are added by the caller)."""
        return _new_id(
            conn.execute(
                t.hash_lists.insert().values(
                    name=name,
                    role=role.value,
                    source=source,
                    imported_at=imported,
                    imported_by=actor,
                    pdq_threshold=pdq_threshold,
                    format=list_format,
                    category_scheme=scheme.value,
                    storage=storage,
                    entry_count=entry_count,
                    malformed_count=malformed_count,
                )
            )
        )

    def import_hash_list(
        self,
        name: str,
        records: Iterable[HashEntry | Malformed],
        *,
        role: ListRole,
        source: str,
        actor: str,
        pdq_threshold: int = 31,
        replace: bool = False,
        list_format: str = "text",
        scheme: CategoryScheme = CategoryScheme.NONE,
    ) -> ImportResult:
        """Store a list's entries in one transaction; malformed records are counted and returned."""
        malformed: list[Malformed] = []
        malformed_count = 0
        count = 0
        with self._tx() as conn:
            replaced = self._drop_list(conn, name, replace)
            imported = _now()
            list_id = self._insert_list(
                conn,
                name,
                role,
                source,
                imported,
                actor,
                pdq_threshold=pdq_threshold,
                list_format=list_format,
                scheme=scheme,
            )
            batch: list[dict[str, Any]] = []
            for record in records:
                if isinstance(record, Malformed):
                    malformed_count += 1
                    if len(malformed) < MALFORMED_KEPT:  # a hostile list may have millions of bad lines
                        malformed.append(record)
                    continue
                batch.append(
                    {
                        "list_id": list_id,
                        "algorithm": record.algorithm.value,
                        "value": _text(record.value),
                        "category": _text(record.category),
                        "label": _text(record.label),
                        "record": _text(record.record),
                        "media_size": record.media_size,
                        "series": _text(record.series),
                        "tags": _text(json.dumps(list(record.tags), ensure_ascii=False))
                        if record.tags
                        else None,
                        "victim_identified": record.victim_identified,
                    }
                )
                if len(batch) >= _INSERT_CHUNK:
                    conn.execute(t.hash_entries.insert(), batch)
                    count += len(batch)
                    batch = []
            if batch:
                conn.execute(t.hash_entries.insert(), batch)
                count += len(batch)
            conn.execute(
                update(t.hash_lists)
                .where(t.hash_lists.c.id == list_id)
                .values(entry_count=count, malformed_count=malformed_count)
            )
            self._audit(
                conn,
                GLOBAL_CHAIN,
                actor,
                "hashlist.import",
                name,
                {
                    "role": role.value,
                    "source": source,
                    "entries": count,
                    "malformed": malformed_count,
                    "replaced": replaced,
                    "pdq_threshold": pdq_threshold,
                    "format": list_format,
                    "category_scheme": scheme.value,
                },
            )
        hash_list = HashList(
            int(list_id),
            name,
            role,
            source,
            imported,
            count,
            malformed_count,
            pdq_threshold,
            list_format,
            scheme,
        )
        return ImportResult(hash_list, malformed)

    def register_compact_list(
        self,
        name: str,
        *,
        counts: dict[Algorithm, int],
        malformed: int,
        storage: str,
        role: ListRole,
        source: str,
        actor: str,
        list_format: str,
        replace: bool = False,
    ) -> HashList:
        """Record a list whose hashes live in compact key files; one stand-in entry per algorithm
        gives its matches something to point at."""
        total = sum(counts.values())
        with self._tx() as conn:
            replaced = self._drop_list(conn, name, replace)
            imported = _now()
            list_id = self._insert_list(
                conn,
                name,
                role,
                source,
                imported,
                actor,
                pdq_threshold=0,
                list_format=list_format,
                scheme=CategoryScheme.NONE,
                storage=storage,
                entry_count=total,
                malformed_count=malformed,
            )
            conn.execute(
                t.hash_entries.insert(),
                [
                    {
                        "list_id": list_id,
                        "algorithm": a.value,
                        "value": "*",
                        "label": f"any {a.value} of {name}",
                    }
                    for a in counts
                ],
            )
            self._audit(
                conn,
                GLOBAL_CHAIN,
                actor,
                "hashlist.import",
                name,
                {
                    "role": role.value,
                    "source": source,
                    "entries": total,
                    "malformed": malformed,
                    "replaced": replaced,
                    "format": list_format,
                    "storage": storage,
                    "distinct": {a.value: n for a, n in counts.items()},
                },
            )
        return HashList(
            list_id,
            name,
            role,
            source,
            imported,
            total,
            malformed,
            0,
            list_format,
            CategoryScheme.NONE,
            storage,
        )

    def stand_in_entries(self, hash_list: HashList) -> dict[Algorithm, int]:
        """Entry id standing for 'any hash of this algorithm' in a compact list."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.hash_entries.c.id, t.hash_entries.c.algorithm).where(
                    and_(t.hash_entries.c.list_id == hash_list.id, t.hash_entries.c.value == "*")
                )
            ).all()
        return {Algorithm(r.algorithm): r.id for r in rows}

    def hash_lists(self, names: Sequence[str] | None = None) -> list[HashList]:
        """Lists by name (all when names is None); an unknown name is an error."""
        query = select(t.hash_lists).order_by(t.hash_lists.c.id)
        if names is not None:
            query = query.where(t.hash_lists.c.name.in_(list(names)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        found = [
            HashList(
                r.id,
                r.name,
                ListRole(r.role),
                r.source,
                _utc(r.imported_at) or _now(),
                r.entry_count,
                r.malformed_count,
                r.pdq_threshold,
                r.format,
                CategoryScheme(r.category_scheme),
                r.storage,
            )
            for r in rows
        ]
        if names is not None:
            missing = sorted(set(names) - {h.name for h in found})
            if missing:
                raise NotFound(
                    f"no hash list named {', '.join(map(repr, missing))} (see 'heroes hashlist list')"
                )
        return found

    def list_entries(self, hash_list: HashList, actor: str) -> Iterator[HashEntry]:
        """Every entry of a list in import order, streamed (for export); the export is audited."""
        with self._tx() as conn:
            self._audit(
                conn, GLOBAL_CHAIN, actor, "hashlist.read", hash_list.name, {"entries": hash_list.entry_count}
            )
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=_INSERT_CHUNK).execute(
                select(t.hash_entries)
                .where(t.hash_entries.c.list_id == hash_list.id)
                .order_by(t.hash_entries.c.id)
            )
            for r in result:
                yield HashEntry(
                    Algorithm(r.algorithm),
                    r.value,
                    r.category,
                    r.label,
                    r.record,
                    r.media_size,
                    r.series,
                    tuple(json.loads(r.tags)) if r.tags else (),
                    r.victim_identified,
                )

    def signals(self, hash_list: HashList, algorithm: Algorithm) -> Iterator[list[tuple[int, str]]]:
        """(entry id, value) of one algorithm in a list, in id order and in chunks, for building indexes."""
        with self.engine.connect() as conn:
            result = conn.execution_options(yield_per=50_000).execute(
                select(t.hash_entries.c.id, t.hash_entries.c.value)
                .where(
                    and_(
                        t.hash_entries.c.list_id == hash_list.id,
                        t.hash_entries.c.algorithm == algorithm.value,
                    )
                )
                .order_by(t.hash_entries.c.id)
            )
            for chunk in result.partitions():
                yield [(r.id, r.value) for r in chunk]

    def exact_entries(
        self, lists: Sequence[HashList], algorithm: Algorithm, values: Iterable[str]
    ) -> list[tuple[int, int, str]]:
        """(entry id, list id, value) of entries equal to any of the values, through the store's index."""
        wanted = sorted(set(values))
        if not wanted or not lists:
            return []
        found: list[tuple[int, int, str]] = []
        list_ids = {h.id for h in lists}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                # Filter lists here, not in SQL: given "list_id IN (...)", SQLite's planner may walk a
                # whole list through the list_id index instead of probing the (algorithm, value) one.
                rows = conn.execute(
                    select(t.hash_entries.c.id, t.hash_entries.c.list_id, t.hash_entries.c.value).where(
                        and_(
                            t.hash_entries.c.algorithm == algorithm.value,
                            t.hash_entries.c.value.in_(wanted[start : start + 500]),
                        )
                    )
                ).all()
                found += [(r.id, r.list_id, r.value) for r in rows if r.list_id in list_ids]
        return found

    # -- scans -----------------------------------------------------------------------------

    def start_scan(self, case: Case, root: str, actor: str, details: dict[str, Any] | None = None) -> int:
        """Record the start of a scan (with e.g. a disk image's acquisition hashes); earlier scans of
        the same root left 'running' were interrupted."""
        with self._tx() as conn:
            conn.execute(
                update(t.scans)
                .where(
                    and_(t.scans.c.case_id == case.id, t.scans.c.root == root, t.scans.c.status == "running")
                )
                .values(status="interrupted")
            )
            scan_id = _new_id(
                conn.execute(
                    t.scans.insert().values(case_id=case.id, root=root, status="running", started_at=_now())
                )
            )
            self._audit(
                conn, case_chain(case.name), actor, "scan.start", root, {"scan": scan_id, **(details or {})}
            )
        return int(scan_id)

    def finish_scan(self, case: Case, scan_id: int, status: str, totals: dict[str, int], actor: str) -> None:
        """Record how a scan ended and its totals."""
        with self._tx() as conn:
            conn.execute(
                update(t.scans)
                .where(t.scans.c.id == scan_id)
                .values(
                    status=status,
                    finished_at=_now(),
                    files_seen=totals.get("files_seen", 0),
                    files_hashed=totals.get("files_hashed", 0),
                    bytes_hashed=totals.get("bytes_hashed", 0),
                    errors=totals.get("errors", 0),
                )
            )
            self._audit(conn, case_chain(case.name), actor, f"scan.{status}", str(scan_id), dict(totals))

    def resume_state(
        self, case: Case, raw_paths: Sequence[bytes]
    ) -> dict[bytes, tuple[int, int, float | None]]:
        """Item id, size and mtime of already hashed items among these paths, so a re-run can skip them."""
        keys = {path_key(p): p for p in raw_paths}
        if not keys:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.items.c.path_key, t.items.c.id, t.items.c.size, t.items.c.mtime).where(
                    and_(
                        t.items.c.case_id == case.id,
                        t.items.c.path_key.in_(list(keys)),
                        t.items.c.status == "hashed",
                    )
                )
            ).all()
        return {keys[r.path_key]: (r.id, r.size, r.mtime) for r in rows}

    def record_files(
        self,
        case: Case,
        scan_id: int,
        source: str,
        results: Sequence[FileHashes],
        plugin_versions: dict[str, str],
        actor: str,
    ) -> dict[bytes, int]:
        """Upsert items for hashed files, add error findings, audit the batch; returns item ids by path."""
        if not results:
            return {}
        now = _now()
        rows = []
        for r in results:
            variants = r.values.get("pdq_dihedral")
            rows.append(
                {
                    "case_id": case.id,
                    "path_key": path_key(r.raw_path),
                    "raw_path": r.raw_path,
                    "path": r.path,
                    "source": source,
                    "status": "error" if r.error and not r.values.get("sha256") else "hashed",
                    "size": r.size,
                    "mtime": r.mtime,
                    "mime": r.mime,
                    "md5": r.values.get("md5"),
                    "sha1": r.values.get("sha1"),
                    "sha256": r.values.get("sha256"),
                    "pdq": r.values.get("pdq"),
                    "pdq_quality": r.values.get("pdq_quality"),
                    "pdq_dihedral": ",".join(variants) if variants else None,
                    "vpdq": r.values.get("vpdq"),
                    "deleted": bool(r.values.get("deleted", False)),
                    **{key: r.values.get(key) for key in _CONTEXT_FIELDS},
                    "scan_id": scan_id,
                    "recorded_at": now,
                }
            )
        stmt = self._insert(t.items)
        stmt = stmt.on_conflict_do_update(
            index_elements=["case_id", "path_key"],
            set_={
                c: getattr(stmt.excluded, c)
                for c in (
                    "status",
                    "size",
                    "mtime",
                    "mime",
                    "md5",
                    "sha1",
                    "sha256",
                    "pdq",
                    "pdq_quality",
                    "pdq_dihedral",
                    "vpdq",
                    "deleted",
                    *_CONTEXT_FIELDS,
                    "scan_id",
                    "recorded_at",
                    "source",
                )
            },
        )
        digest = hashlib.sha256()
        for r in sorted(results, key=lambda r: r.raw_path):
            digest.update(f"{path_key(r.raw_path)}:{r.values.get('sha256')}:{r.values.get('pdq')}\n".encode())
        with self._tx() as conn:
            before = {
                r.path_key: (r.id, r.sha256)
                for r in conn.execute(
                    select(t.items.c.path_key, t.items.c.id, t.items.c.sha256).where(
                        and_(
                            t.items.c.case_id == case.id,
                            t.items.c.status == "hashed",
                            t.items.c.path_key.in_([row["path_key"] for row in rows]),
                        )
                    )
                )
            }
            conn.execute(stmt, rows)
            ids = {
                r.path_key: r.id
                for r in conn.execute(
                    select(t.items.c.path_key, t.items.c.id).where(
                        and_(
                            t.items.c.case_id == case.id,
                            t.items.c.path_key.in_([row["path_key"] for row in rows]),
                        )
                    )
                )
            }
            by_path = {r.raw_path: ids[path_key(r.raw_path)] for r in results}
            self._replace_text_and_artifacts(conn, case, results, by_path)
            notes: list[Finding] = []
            for r in results:
                if r.error:
                    version = plugin_versions.get(r.error_plugin, "1")
                    notes.append(
                        Finding("error", r.error_plugin, version, r.error, r.path, by_path[r.raw_path])
                    )
                notes += [
                    Finding("warning", "reader", "1", w, r.path, by_path[r.raw_path]) for w in r.warnings
                ]
                notes += [  # what a plug-in read with a caveat, or could not read, beside the hashes
                    Finding(
                        kind, plugin, plugin_versions.get(plugin, "1"), message, r.path, by_path[r.raw_path]
                    )
                    for kind, plugin, message in r.values.get("notes", ())
                ]
            # A file whose content changed since it was recorded: its old matches no longer hold.
            # The old hashes stay on record in a finding and in this batch's audit event.
            changed: dict[int, str] = {}
            for row in rows:
                old = before.get(row["path_key"])
                if old is not None and old[1] != row["sha256"]:
                    changed[old[0]] = str(old[1])
                    notes.append(
                        Finding(
                            "warning",
                            "reader",
                            "1",
                            f"content changed since it was recorded: sha256 {old[1]} "
                            f"is now {row['sha256']!s}; matches of the earlier content were removed",
                            str(row["path"]),
                            old[0],
                        )
                    )
            if changed:
                conn.execute(t.matches.delete().where(t.matches.c.item_id.in_(list(changed))))
            self._add_findings(conn, case, scan_id, notes)
            self._audit(
                conn,
                case_chain(case.name),
                actor,
                "items.record",
                f"scan:{scan_id}",
                {
                    "changed": {str(i): h for i, h in sorted(changed.items())},
                    "items": len(rows),
                    "errors": sum(1 for r in results if r.error),
                    "bytes": sum(r.size for r in results),
                    "digest": digest.hexdigest(),
                },
            )
        return by_path

    def _replace_text_and_artifacts(
        self, conn: Connection, case: Case, results: Sequence[FileHashes], by_path: dict[bytes, int]
    ) -> None:
        """Searchable text and parsed artifacts of freshly hashed items, replacing an earlier scan's."""
        ids = list(by_path.values())
        conn.execute(t.item_text.delete().where(t.item_text.c.item_id.in_(ids)))
        conn.execute(t.artifacts.delete().where(t.artifacts.c.item_id.in_(ids)))
        texts: list[dict[str, Any]] = []
        found: list[dict[str, Any]] = []
        for r in results:
            item_id = by_path[r.raw_path]
            parsed: list[Artifact] = list(r.values.get("artifacts") or ())
            body = _search_body(r, parsed)
            texts += [
                {
                    "item_id": item_id,
                    "case_id": case.id,
                    "chunk": n,
                    "body": body[start : start + TEXT_CHUNK_CHARS],
                }
                for n, start in enumerate(range(0, len(body), TEXT_CHUNK_CHARS))
            ]
            found += [
                {
                    "case_id": case.id,
                    "item_id": item_id,
                    "parser": a.parser,
                    "kind": a.kind,
                    "app": a.app,
                    "record": _text(a.record[:200]),
                    "time": a.time.timestamp() if a.time else None,
                    "text": _text(a.text),
                    "sender": _text(a.sender),
                    "recipient": _text(a.recipient),
                    "thread": _text(a.thread),
                    "direction": a.direction,
                    "url": _text(a.url),
                }
                for a in parsed
            ]
        for rows, target in ((texts, t.item_text), (found, t.artifacts)):
            for start in range(0, len(rows), _INSERT_CHUNK):
                conn.execute(target.insert(), rows[start : start + _INSERT_CHUNK])

    def artifacts(
        self,
        case: Case,
        actor: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        purpose: str = "view",
    ) -> list[tuple[Artifact, int, str]]:
        """Messages and visits parsed from the case's app databases, by time, with their item's id and
        path (audited as a view of evidence)."""
        a = t.artifacts
        query = (
            select(a, t.items.c.path)
            .join(t.items, t.items.c.id == a.c.item_id)
            .where(a.c.case_id == case.id)
            .order_by(a.c.time, a.c.id)
        )
        if since is not None:
            query = query.where(a.c.time >= _utc(since).timestamp())  # type: ignore[union-attr]
        if until is not None:
            query = query.where(a.c.time <= _utc(until).timestamp())  # type: ignore[union-attr]
        with self._tx() as conn:
            rows = conn.execute(query).all()
            self._audit(
                conn,
                case_chain(case.name),
                actor,
                f"artifacts.{purpose}",
                case.name,
                {"artifacts": len(rows)},
            )
        return [
            (
                Artifact(
                    r.parser,
                    r.kind,
                    r.app,
                    r.record,
                    datetime.fromtimestamp(r.time, UTC) if r.time is not None else None,
                    r.text,
                    r.sender,
                    r.recipient,
                    r.thread,
                    r.direction,
                    r.url,
                ),
                r.item_id,
                r.path,
            )
            for r in rows
        ]

    def record_findings(self, case: Case, scan_id: int | None, notes: Sequence[Finding], actor: str) -> None:
        """Findings without an item (unreadable directories, skipped entries), audited."""
        if not notes:
            return
        with self._tx() as conn:
            self._add_findings(conn, case, scan_id, notes)
            self._audit(
                conn,
                case_chain(case.name),
                actor,
                "findings.record",
                f"scan:{scan_id}",
                {"findings": len(notes), "kinds": sorted({n.kind for n in notes})},
            )

    def _add_findings(
        self, conn: Connection, case: Case, scan_id: int | None, notes: Sequence[Finding]
    ) -> None:
        if not notes:
            return
        now = _now()
        rows = [
            {
                "case_id": case.id,
                "item_id": n.item_id,
                "scan_id": scan_id,
                "kind": n.kind,
                "plugin": n.plugin,
                "plugin_version": n.plugin_version,
                "score": n.score,
                "explanation": n.explanation,
                "path": n.path,
                "dedupe_key": hashlib.sha256(
                    json.dumps([n.path, n.kind, n.plugin, n.explanation], ensure_ascii=True).encode()
                ).hexdigest(),
                "created_at": now,
            }
            for n in notes
        ]
        conn.execute(
            self._insert(t.findings).on_conflict_do_nothing(index_elements=["case_id", "dedupe_key"]), rows
        )

    def matchable_items(self, case: Case, item_ids: Sequence[int]) -> list[MatchableItem]:
        """Hashes of the given items for the matcher."""
        if not item_ids:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    t.items.c.id,
                    t.items.c.md5,
                    t.items.c.sha1,
                    t.items.c.sha256,
                    t.items.c.pdq_quality,
                    t.items.c.pdq_dihedral,
                    t.items.c.vpdq,
                ).where(and_(t.items.c.case_id == case.id, t.items.c.id.in_(list(item_ids))))
            ).all()
        return [
            MatchableItem(
                r.id,
                r.md5,
                r.sha1,
                r.sha256,
                r.pdq_quality,
                tuple(r.pdq_dihedral.split(",")) if r.pdq_dihedral else (),
                r.vpdq,
            )
            for r in rows
        ]

    def record_matches(self, case: Case, found: Sequence[NewMatch], actor: str) -> int:
        """Store new matches (existing ones are kept as they are); returns how many were new."""
        if not found:
            return 0
        now = _now()
        rows = [
            {
                "case_id": case.id,
                "item_id": m.item_id,
                "entry_id": m.entry_id,
                "list_id": m.list_id,
                "algorithm": m.algorithm.value,
                "distance": m.distance,
                "variant": m.variant,
                "matched_at": now,
            }
            for m in found
        ]
        stmt = (
            self._insert(t.matches)
            .on_conflict_do_nothing(index_elements=["item_id", "entry_id", "algorithm"])
            .returning(t.matches.c.id)
        )
        with self._tx() as conn:
            new = len(conn.execute(stmt, rows).all())  # rows actually inserted, whatever others do
            if new:
                self._audit(
                    conn,
                    case_chain(case.name),
                    actor,
                    "matches.record",
                    case.name,
                    {
                        "new": new,
                        "items": sorted({m.item_id for m in found}),
                        "lists": sorted({m.list_id for m in found}),
                    },
                )
        return new

    # -- reading evidence (audited) ---------------------------------------------------------

    def _matched_item_ids(
        self, conn: Connection, case: Case, item_ids: Sequence[int] | None = None
    ) -> tuple[set[int], set[int]]:
        """(items matching a known-bad list, items hidden as known-good).

        Only an *exact* known-good match hides an item, and never one that also matches a
        known-bad list: known-good lists are not clean, and a perceptual near-match to one must
        not take a real hit out of review.
        """
        query = (
            select(t.matches.c.item_id, t.matches.c.algorithm, t.hash_lists.c.role)
            .join(t.hash_lists, t.hash_lists.c.id == t.matches.c.list_id)
            .where(t.matches.c.case_id == case.id)
        )
        if item_ids is not None:
            query = query.where(t.matches.c.item_id.in_(list(item_ids)))
        rows = conn.execute(query).all()
        exact = {a.value for a in (Algorithm.MD5, Algorithm.SHA1, Algorithm.SHA256)}
        bad = {r.item_id for r in rows if r.role == ListRole.KNOWN_BAD.value}
        good = {r.item_id for r in rows if r.role == ListRole.KNOWN_GOOD.value and r.algorithm in exact}
        return bad, good - bad

    def matches(
        self,
        case: Case,
        actor: str,
        include_known_good: bool = False,
        purpose: str = "view",
        item_ids: Sequence[int] | None = None,
    ) -> list[Match]:
        """Matches of a case (or of some items); items on a known-good list are hidden unless asked for."""
        query = (
            select(
                t.matches.c.item_id,
                t.items.c.path,
                t.hash_lists.c.name.label("list_name"),
                t.hash_lists.c.role,
                t.matches.c.entry_id,
                t.matches.c.algorithm,
                t.matches.c.distance,
                t.hash_entries.c.value,
                t.hash_entries.c.label,
                t.hash_entries.c.category,
                t.matches.c.variant,
            )
            .join(t.items, t.items.c.id == t.matches.c.item_id)
            .join(t.hash_lists, t.hash_lists.c.id == t.matches.c.list_id)
            .join(t.hash_entries, t.hash_entries.c.id == t.matches.c.entry_id)
            .where(t.matches.c.case_id == case.id)
            .order_by(t.items.c.path, t.matches.c.distance, t.hash_lists.c.name)
        )
        if item_ids is not None:
            query = query.where(t.matches.c.item_id.in_(list(item_ids)))
        with self._tx() as conn:
            rows = conn.execute(query).all()
            _, good = self._matched_item_ids(conn, case, item_ids)
            found = [
                Match(
                    r.item_id,
                    r.path,
                    r.list_name,
                    ListRole(r.role),
                    r.entry_id,
                    Algorithm(r.algorithm),
                    r.distance,
                    r.value,
                    r.label,
                    r.category,
                    r.variant,
                )
                for r in rows
                if include_known_good or (r.item_id not in good)
            ]
            self._audit(
                conn,
                case_chain(case.name),
                actor,
                f"matches.{purpose}",
                case.name,
                {"matches": len(found), "include_known_good": include_known_good},
            )
        return found

    def items(
        self, case: Case, actor: str, item_ids: Sequence[int] | None = None, purpose: str = "view"
    ) -> list[Item]:
        """Items of a case (or the given ones), audited as a view of evidence."""
        query = select(t.items).where(t.items.c.case_id == case.id).order_by(t.items.c.path)
        if item_ids is not None:
            query = query.where(t.items.c.id.in_(list(item_ids)))
        with self._tx() as conn:
            rows = conn.execute(query).all()
            self._audit(
                conn,
                case_chain(case.name),
                actor,
                f"items.{purpose}",
                case.name,
                {"items": len(rows), "ids": sorted(r.id for r in rows) if item_ids is not None else "all"},
            )
        return [
            Item(
                r.id,
                r.case_id,
                r.path,
                r.size,
                datetime.fromtimestamp(r.mtime, UTC) if r.mtime is not None else None,
                r.md5,
                r.sha1,
                r.sha256,
                r.pdq,
                r.pdq_quality,
                r.mime,
                r.source,
                bytes(r.raw_path),
                bool(r.deleted),
                *(getattr(r, key) for key in _CONTEXT_FIELDS),
            )
            for r in rows
        ]

    def replace_priorities(
        self, case: Case, ranked: Sequence[tuple[int, float, Sequence[str]]], actor: str
    ) -> None:
        """Store the review priority and reasons of every item of a case (replacing the last ranking)."""
        with self._tx() as conn:
            conn.execute(t.item_context.delete().where(t.item_context.c.case_id == case.id))
            rows = [
                {"item_id": i, "case_id": case.id, "priority": p, "reasons": json.dumps(list(r))}
                for i, p, r in ranked
            ]
            for start in range(0, len(rows), _INSERT_CHUNK):
                conn.execute(t.item_context.insert(), rows[start : start + _INSERT_CHUNK])
            self._audit(
                conn,
                case_chain(case.name),
                actor,
                "priorities.rank",
                case.name,
                {"items": len(rows), "prioritised": sum(1 for _, p, _ in ranked if p > 0)},
            )

    def priorities(self, case: Case, item_ids: Sequence[int]) -> dict[int, tuple[float, tuple[str, ...]]]:
        """Review priority and reasons of the given items (from the last ranking)."""
        query = select(t.item_context).where(
            and_(t.item_context.c.case_id == case.id, t.item_context.c.item_id.in_(list(item_ids)))
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {r.item_id: (float(r.priority), tuple(json.loads(r.reasons))) for r in rows}

    def review_queue(self, case: Case, actor: str, limit: int = 50) -> list[tuple[Item, float, list[str]]]:
        """Items with a priority above zero, highest first, with their reasons (audited as a view)."""
        rows_query = (
            select(t.item_context.c.item_id, t.item_context.c.priority, t.item_context.c.reasons)
            .join(t.items, t.items.c.id == t.item_context.c.item_id)
            .where(and_(t.item_context.c.case_id == case.id, t.item_context.c.priority > 0))
            .order_by(t.item_context.c.priority.desc(), t.items.c.path)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            ranked = conn.execute(rows_query).all()
        items = {
            i.id: i for i in self.items(case, actor, item_ids=[r.item_id for r in ranked], purpose="review")
        }
        return [(items[r.item_id], r.priority, json.loads(r.reasons)) for r in ranked]

    def _fulltext(self, tokens: Sequence[str]) -> tuple[Any, Any]:
        """Item ids whose searchable text holds every token (as a word prefix), and a relevance
        subquery (item_id, rel; higher is better), on SQLite FTS5 or PostgreSQL full-text search."""
        it = t.item_text
        if self.dialect == "sqlite":
            expression = " AND ".join(f'"{token}"*' for token in tokens)
            hit = _FTS.c.body.op("MATCH")(expression)
            relevance = (
                select(it.c.item_id, (-func.min(_FTS.c.rank)).label("rel"))
                .select_from(_FTS.join(it, it.c.id == _FTS.c.rowid))
                .where(hit)
                .group_by(it.c.item_id)
            )
        else:
            vector = func.to_tsvector(literal_column("'simple'"), it.c.body)
            wanted = func.to_tsquery(literal_column("'simple'"), " & ".join(f"{token}:*" for token in tokens))
            hit = vector.op("@@")(wanted)
            relevance = (
                select(it.c.item_id, func.max(func.ts_rank(vector, wanted)).label("rel"))
                .where(hit)
                .group_by(it.c.item_id)
            )
        return relevance.subquery(), relevance.with_only_columns(it.c.item_id)

    def search(
        self, case: Case, actor: str, query: SearchQuery, limit: int = 50, offset: int = 0
    ) -> list[tuple[Item, float, str | None]]:
        """Items matching every given condition, by review priority, then text relevance, then path,
        with a snippet of the text around the words (audited as a view).

        Each word matches when it is part of the path, type, camera or app, or when every letter-and-digit
        run of it begins a word of the item's full text (extracted document text, messages, visits).
        The same query runs on SQLite (FTS5) and PostgreSQL (tsvector, 'simple' configuration).
        """
        i, ctx = t.items, t.item_context
        conditions: list[Any] = [i.c.case_id == case.id]
        searched = (i.c.path, i.c.mime, i.c.camera_make, i.c.camera_model, i.c.camera_serial, i.c.owner_app)
        all_tokens: list[str] = []
        for word in query.text.lower().split():
            pattern = f"%{word}%"
            like = or_(*(func.lower(func.coalesce(c, "")).like(pattern) for c in searched))
            tokens = _TOKEN.findall(word)
            all_tokens += tokens
            if tokens:
                _, ids = self._fulltext(tokens)
                like = or_(like, i.c.id.in_(ids))
            conditions.append(like)
        if query.mime_prefix:
            conditions.append(i.c.mime.like(f"{query.mime_prefix}%"))
        if query.min_size is not None:
            conditions.append(i.c.size >= query.min_size)
        if query.max_size is not None:
            conditions.append(i.c.size <= query.max_size)
        if query.since is not None:
            conditions.append(i.c.mtime >= (_utc(query.since) or query.since).timestamp())  # naive = UTC
        if query.until is not None:
            conditions.append(i.c.mtime <= (_utc(query.until) or query.until).timestamp())
        if query.camera:
            camera = f"%{query.camera.lower()}%"
            conditions.append(or_(*(func.lower(func.coalesce(c, "")).like(camera) for c in (
                i.c.camera_make, i.c.camera_model, i.c.camera_serial))))  # fmt: skip
        if query.has_gps:
            conditions.append(i.c.gps_latitude.is_not(None))
        if query.bbox is not None:
            south, west, north, east = query.bbox
            conditions += [i.c.gps_latitude.between(south, north), i.c.gps_longitude.between(west, east)]
        if query.deleted is not None:
            conditions.append(i.c.deleted.is_(query.deleted))
        if query.list_name or query.category:
            hit = (
                select(t.matches.c.item_id)
                .join(t.hash_lists, t.hash_lists.c.id == t.matches.c.list_id)
                .join(t.hash_entries, t.hash_entries.c.id == t.matches.c.entry_id)
            )
            if query.list_name:
                hit = hit.where(t.hash_lists.c.name == query.list_name)
            if query.category:
                hit = hit.where(t.hash_entries.c.category == query.category)
            conditions.append(i.c.id.in_(hit))
        priority = func.coalesce(ctx.c.priority, 0.0)
        if query.min_priority is not None:
            conditions.append(priority >= query.min_priority)
        joined = i.outerjoin(ctx, ctx.c.item_id == i.c.id)
        order: list[Any] = [priority.desc()]
        if all_tokens:
            relevance, _ = self._fulltext(all_tokens)
            joined = joined.outerjoin(relevance, relevance.c.item_id == i.c.id)
            order.append(func.coalesce(relevance.c.rel, 0.0).desc())
        statement = (
            select(i.c.id, priority.label("priority"))
            .select_from(joined)
            .where(and_(*conditions))
            .order_by(*order, i.c.path)
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(statement).all()
            bodies: dict[int, list[str]] = {}
            if all_tokens and rows:
                for r in conn.execute(
                    select(t.item_text.c.item_id, t.item_text.c.body)
                    .where(t.item_text.c.item_id.in_([r.id for r in rows]))
                    .order_by(t.item_text.c.item_id, t.item_text.c.chunk)
                ):
                    bodies.setdefault(r.item_id, []).append(r.body)
        found = {
            item.id: item for item in self.items(case, actor, item_ids=[r.id for r in rows], purpose="search")
        }
        return [
            (found[r.id], float(r.priority), snippet("".join(bodies.get(r.id, ())), all_tokens)) for r in rows
        ]

    def review_page(
        self,
        case: Case,
        actor: str,
        *,
        order: str = "priority",
        only_hits: bool = False,
        undecided: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[int, list[ReviewRow]]:
        """One page of the review grid (``order`` 'priority' or 'hits'), with the total count; audited
        as a view of the items shown.

        Pages must come fast at 100,000 items (bench/web_grid.py): when every item of the case has been
        ranked, a page is read straight off the (case, priority) index of item_context and the known-bad
        items (few) are put first for the 'hits' order, so no request sorts the whole case.
        """
        ctx = t.item_context
        with self.engine.connect() as conn:
            hit_rows = conn.execute(
                select(t.matches.c.item_id, func.count().label("hits"))
                .join(t.hash_lists, t.hash_lists.c.id == t.matches.c.list_id)
                .where(and_(t.matches.c.case_id == case.id, t.hash_lists.c.role == ListRole.KNOWN_BAD.value))
                .group_by(t.matches.c.item_id)
            ).all()
            hits = {r.item_id: int(r.hits) for r in hit_rows}
            n_items = int(
                conn.scalar(select(func.count()).select_from(t.items).where(t.items.c.case_id == case.id))
                or 0
            )
            n_ranked = int(
                conn.scalar(select(func.count()).select_from(ctx).where(ctx.c.case_id == case.id)) or 0
            )
            if n_ranked == n_items:
                page, total = self._ranked_page(conn, case, hits, order, only_hits, undecided, limit, offset)
            else:  # a scan stopped before ranking: items without a priority count as 0
                page, total = self._unranked_page(
                    conn, case, hits, order, only_hits, undecided, limit, offset
                )
        details = self.priorities(case, page)
        items = {item.id: item for item in self.items(case, actor, item_ids=page, purpose="review-grid")}
        decided = self.decisions(case, page)
        return total, [
            ReviewRow(items[n], *details.get(n, (0.0, ())), hits.get(n, 0), decided.get(n))
            for n in page
            if n in items
        ]

    def _ranked_page(
        self, conn: Connection, case: Case, hits: dict[int, int], order: str, only_hits: bool,
        undecided: bool, limit: int, offset: int,
    ) -> tuple[list[int], int]:  # fmt: skip
        ctx, d = t.item_context, t.decisions
        conditions: list[Any] = [ctx.c.case_id == case.id]
        if undecided:
            conditions.append(ctx.c.item_id.not_in(select(d.c.item_id).where(d.c.case_id == case.id)))
        by_priority = (ctx.c.priority.desc(), ctx.c.item_id.desc())
        hit_ids = list(hits)
        if only_hits or order == "hits":
            priority_of = {
                r.item_id: float(r.priority)
                for r in conn.execute(
                    select(ctx.c.item_id, ctx.c.priority).where(and_(*conditions, ctx.c.item_id.in_(hit_ids)))
                )
            }
            ranked_hits = list(priority_of)
            ranked_hits.sort(key=lambda n: (-hits[n], -priority_of[n], -n))
            if only_hits:
                return ranked_hits[offset : offset + limit], len(ranked_hits)
            first = ranked_hits[offset : offset + limit]
            rest_offset = max(0, offset - len(ranked_hits))
            rest: list[int] = []
            if len(first) < limit:
                rest = list(conn.scalars(
                    select(ctx.c.item_id).where(and_(*conditions, ctx.c.item_id.not_in(hit_ids)))
                    .order_by(*by_priority).limit(limit - len(first)).offset(rest_offset)
                ))  # fmt: skip
            total = int(conn.scalar(select(func.count()).select_from(ctx).where(and_(*conditions))) or 0)
            return first + rest, total
        page = list(conn.scalars(select(ctx.c.item_id).where(and_(*conditions)).order_by(*by_priority)
                                 .limit(limit).offset(offset)))  # fmt: skip
        total = int(conn.scalar(select(func.count()).select_from(ctx).where(and_(*conditions))) or 0)
        return page, total

    def _unranked_page(
        self, conn: Connection, case: Case, hits: dict[int, int], order: str, only_hits: bool,
        undecided: bool, limit: int, offset: int,
    ) -> tuple[list[int], int]:  # fmt: skip
        i, ctx, d = t.items, t.item_context, t.decisions
        priority = func.coalesce(ctx.c.priority, 0.0)
        conditions: list[Any] = [i.c.case_id == case.id]
        if only_hits:
            conditions.append(i.c.id.in_(list(hits)))
        if undecided:
            conditions.append(i.c.id.not_in(select(d.c.item_id).where(d.c.case_id == case.id)))
        joined = i.outerjoin(ctx, ctx.c.item_id == i.c.id)
        rows = list(
            conn.execute(
                select(i.c.id, priority.label("priority")).select_from(joined).where(and_(*conditions))
            )
        )
        if order == "hits" or only_hits:
            rows.sort(key=lambda r: (-hits.get(r.id, 0), -r.priority, -r.id))
        else:
            rows.sort(key=lambda r: (-r.priority, -r.id))
        return [r.id for r in rows[offset : offset + limit]], len(rows)

    def record_decisions(
        self,
        case: Case,
        item_ids: Sequence[int],
        actor: str,
        *,
        category: str | None,
        tags: Sequence[str] = (),
        note: str = "",
    ) -> int:
        """Categorise items of the case (replacing an earlier decision); audited with the old and new
        values so the trail holds every decision. Ids of other cases are refused."""
        wanted = sorted(set(item_ids))
        with self._tx() as conn:
            found = {
                r.id
                for r in conn.execute(select(t.items.c.id).where(and_(t.items.c.case_id == case.id,
                                                                      t.items.c.id.in_(wanted))))
            }  # fmt: skip
            if missing := [n for n in wanted if n not in found]:
                raise NotFound(f"no item {missing[0]} in case {case.name!r}")
            before = {
                r.item_id: r.category
                for r in conn.execute(select(t.decisions).where(t.decisions.c.item_id.in_(wanted)))
            }
            labels = json.dumps(sorted(set(tags)))
            rows = [
                {"item_id": n, "case_id": case.id, "category": category, "tags": labels,
                 "note": _text(note) or "", "decided_by": actor, "decided_at": _now()}
                for n in wanted
            ]  # fmt: skip
            stmt = self._insert(t.decisions)
            stmt = stmt.on_conflict_do_update(
                index_elements=["item_id"],
                set_={
                    c: getattr(stmt.excluded, c)
                    for c in ("category", "tags", "note", "decided_by", "decided_at")
                },
            )
            if rows:
                conn.execute(stmt, rows)
            self._audit(
                conn, case_chain(case.name), actor, "decision.record", case.name,
                {"items": wanted, "category": category, "tags": sorted(set(tags)), "note": note,
                 "before": {str(k): v for k, v in sorted(before.items())}},
            )  # fmt: skip
        return len(wanted)

    def decisions(self, case: Case, item_ids: Sequence[int] | None = None) -> dict[int, Decision]:
        """Current decisions of the case (or of the given items)."""
        query = select(t.decisions).where(t.decisions.c.case_id == case.id)
        if item_ids is not None:
            query = query.where(t.decisions.c.item_id.in_(list(item_ids)))
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {
            r.item_id: Decision(r.item_id, r.category, tuple(json.loads(r.tags)), r.note, r.decided_by,
                                _utc(r.decided_at) or _now())
            for r in rows
        }  # fmt: skip

    def findings(self, case: Case, actor: str, kind: str | None = None) -> list[Finding]:
        """Findings of a case (errors included), audited."""
        query = select(t.findings).where(t.findings.c.case_id == case.id).order_by(t.findings.c.id)
        if kind is not None:
            query = query.where(t.findings.c.kind == kind)
        with self._tx() as conn:
            rows = conn.execute(query).all()
            self._audit(
                conn, case_chain(case.name), actor, "findings.view", case.name, {"findings": len(rows)}
            )
        return [
            Finding(r.kind, r.plugin, r.plugin_version, r.explanation, r.path, r.item_id, r.score)
            for r in rows
        ]

    def log_event(
        self, case: Case | None, actor: str, action: str, target: str, details: dict[str, Any]
    ) -> AuditEvent:
        """Audit something that happened outside the store (a report written, a file exported)."""
        with self._tx() as conn:
            return self._audit(
                conn, case_chain(case.name) if case else GLOBAL_CHAIN, actor, action, target, details
            )
