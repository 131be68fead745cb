"""Accounts of the review app: users, case memberships, sessions and API tokens.

Why here: the store is the only code that touches the database, and every change to who may see
what is evidence-relevant, so it lands in the global audit chain in the same transaction. Secrets
never reach the database: passwords arrive as Argon2id hashes and sessions and tokens as SHA-256
digests of random values (``heroes.accounts`` makes both), so a copy of the database lets nobody
log in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, select, update
from sqlalchemy.exc import IntegrityError as SAIntegrityError

from heroes.errors import AlreadyExists, InvalidInput, NotFound
from heroes.evidence import Case, Role, User
from heroes.store import schema as t

if TYPE_CHECKING:
    from heroes.store.casestore import CaseStore

__all__ = ["AccountStore"]

GLOBAL = "global"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _user(row: Any) -> User:
    return User(
        row.id, row.name, Role(row.role), bool(row.disabled), bool(row.must_change_password),
        bool(row.blur_thumbnails),
    )  # fmt: skip


class AccountStore:
    """Users, memberships, sessions and tokens, behind the case store's transactions and audit."""

    def __init__(self, store: CaseStore) -> None:
        self._store = store

    # -- users -----------------------------------------------------------------------------------

    def add_user(
        self, name: str, role: Role, password_hash: str, actor: str, must_change: bool = True
    ) -> User:
        """A new account (audited in the global chain; the hash is never written to the trail)."""
        if not name.strip() or len(name) > 200 or any(c.isspace() for c in name):
            raise InvalidInput("a user name is 1 to 200 characters without spaces")
        try:
            with self._store._tx() as conn:
                conn.execute(
                    t.users.insert().values(
                        name=name, password_hash=password_hash, role=role.value, disabled=False,
                        must_change_password=must_change, blur_thumbnails=True, created_at=_now(),
                    )
                )  # fmt: skip
                self._store._audit(conn, GLOBAL, actor, "user.add", name, {"role": role.value})
        except SAIntegrityError:
            raise AlreadyExists(f"user {name!r} already exists") from None
        return self.user(name)

    def user(self, name: str) -> User:
        """The account of that name."""
        with self._store.engine.connect() as conn:
            row = conn.execute(select(t.users).where(t.users.c.name == name)).first()
        if row is None:
            raise NotFound(f"no user named {name!r}")
        return _user(row)

    def users(self) -> list[User]:
        """Every account, by name."""
        with self._store.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(t.users).order_by(t.users.c.name))]

    def password_hash(self, name: str) -> tuple[User, str] | None:
        """The account and its stored hash, for a login check; None when there is no such user."""
        with self._store.engine.connect() as conn:
            row = conn.execute(select(t.users).where(t.users.c.name == name)).first()
        return None if row is None else (_user(row), str(row.password_hash))

    def set_password(self, name: str, password_hash: str, actor: str, must_change: bool = False) -> None:
        """Replace a password; every session of the user ends (audited)."""
        with self._store._tx() as conn:
            found = conn.execute(
                update(t.users)
                .where(t.users.c.name == name)
                .values(password_hash=password_hash, must_change_password=must_change)
                .returning(t.users.c.id)
            ).first()
            if found is None:
                raise NotFound(f"no user named {name!r}")
            conn.execute(delete(t.sessions).where(t.sessions.c.user_id == found.id))
            self._store._audit(conn, GLOBAL, actor, "user.passwd", name, {"must_change": must_change})

    def set_disabled(self, name: str, disabled: bool, actor: str) -> None:
        """Disable (or re-enable) an account; a disabled account's sessions and tokens stop working."""
        with self._store._tx() as conn:
            found = conn.execute(
                update(t.users)
                .where(t.users.c.name == name)
                .values(disabled=disabled)
                .returning(t.users.c.id)
            ).first()
            if found is None:
                raise NotFound(f"no user named {name!r}")
            if disabled:
                conn.execute(delete(t.sessions).where(t.sessions.c.user_id == found.id))
            self._store._audit(conn, GLOBAL, actor, "user.disable" if disabled else "user.enable", name, {})

    def set_blur(self, user: User, blur: bool) -> User:
        """The user's own wellbeing setting (audited)."""
        with self._store._tx() as conn:
            conn.execute(update(t.users).where(t.users.c.id == user.id).values(blur_thumbnails=blur))
            self._store._audit(conn, GLOBAL, user.name, "user.setting", user.name, {"blur_thumbnails": blur})
        return self.user(user.name)

    # -- memberships -----------------------------------------------------------------------------

    def grant(self, name: str, case: Case, actor: str) -> None:
        """Make a user a member of a case (audited in the case's chain)."""
        user = self.user(name)
        with self._store._tx() as conn:
            conn.execute(
                self._store._insert(t.memberships)
                .values(user_id=user.id, case_id=case.id)
                .on_conflict_do_nothing(index_elements=["user_id", "case_id"])
            )
            self._store._audit(
                conn, f"case:{case.name}", actor, "member.grant", name, {"role": user.role.value}
            )

    def revoke(self, name: str, case: Case, actor: str) -> None:
        """End a user's membership of a case (audited in the case's chain)."""
        user = self.user(name)
        with self._store._tx() as conn:
            conn.execute(
                delete(t.memberships).where(
                    and_(t.memberships.c.user_id == user.id, t.memberships.c.case_id == case.id)
                )
            )
            self._store._audit(conn, f"case:{case.name}", actor, "member.revoke", name, {})

    def case_ids(self, user: User) -> set[int]:
        """The cases a user may open: all for an admin, else those they are a member of."""
        with self._store.engine.connect() as conn:
            if user.role is Role.ADMIN:
                return {r.id for r in conn.execute(select(t.cases.c.id))}
            query = select(t.memberships.c.case_id).where(t.memberships.c.user_id == user.id)
            return {r.case_id for r in conn.execute(query)}

    def members(self, case: Case) -> list[str]:
        """Names of the members of a case."""
        query = (
            select(t.users.c.name)
            .join(t.memberships, t.memberships.c.user_id == t.users.c.id)
            .where(t.memberships.c.case_id == case.id)
            .order_by(t.users.c.name)
        )
        with self._store.engine.connect() as conn:
            return [r.name for r in conn.execute(query)]

    # -- sessions and tokens ----------------------------------------------------------------------

    def open_session(self, user: User, digest: str, csrf: str, expires_at: datetime) -> None:
        """Remember a login (by the digest of its secret) and its CSRF token; audited."""
        with self._store._tx() as conn:
            conn.execute(
                t.sessions.insert().values(
                    digest=digest, user_id=user.id, csrf=csrf, created_at=_now(), expires_at=expires_at
                )
            )
            self._store._audit(conn, GLOBAL, user.name, "session.open", user.name, {})

    def session(self, digest: str) -> tuple[User, str] | None:
        """The user and CSRF token of a live session of an enabled account, else None."""
        query = (
            select(t.sessions, t.users)
            .join(t.users, t.users.c.id == t.sessions.c.user_id)
            .where(t.sessions.c.digest == digest)
        )
        with self._store.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.disabled or _aware(row.expires_at) <= _now():
            return None
        return _user(row), str(row.csrf)

    def close_session(self, digest: str, user: User) -> None:
        """Log out (audited)."""
        with self._store._tx() as conn:
            conn.execute(delete(t.sessions).where(t.sessions.c.digest == digest))
            self._store._audit(conn, GLOBAL, user.name, "session.close", user.name, {})

    def add_token(self, user: User, name: str, digest: str, actor: str) -> int:
        """An API token for scripts, stored as the digest of its secret (audited)."""
        with self._store._tx() as conn:
            result = conn.execute(
                t.api_tokens.insert().values(
                    digest=digest, user_id=user.id, name=name, created_at=_now(), revoked=False
                )
            )
            self._store._audit(conn, GLOBAL, actor, "token.add", user.name, {"name": name})
            key = result.inserted_primary_key
            return int(key[0]) if key else 0

    def token_user(self, digest: str) -> User | None:
        """The enabled account a live token belongs to, else None."""
        query = (
            select(t.users)
            .join(t.api_tokens, t.api_tokens.c.user_id == t.users.c.id)
            .where(and_(t.api_tokens.c.digest == digest, t.api_tokens.c.revoked.is_(False)))
        )
        with self._store.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None or row.disabled else _user(row)

    def tokens(self, user: User) -> list[tuple[int, str, datetime, bool]]:
        """A user's tokens: id, name, creation time, revoked."""
        query = select(t.api_tokens).where(t.api_tokens.c.user_id == user.id).order_by(t.api_tokens.c.id)
        with self._store.engine.connect() as conn:
            return [(r.id, r.name, _aware(r.created_at), bool(r.revoked)) for r in conn.execute(query)]

    def revoke_tokens(self, user: User, ids: Sequence[int], actor: str) -> None:
        """Stop tokens working (audited)."""
        with self._store._tx() as conn:
            conn.execute(
                update(t.api_tokens)
                .where(and_(t.api_tokens.c.user_id == user.id, t.api_tokens.c.id.in_(list(ids))))
                .values(revoked=True)
            )
            self._store._audit(conn, GLOBAL, actor, "token.revoke", user.name, {"ids": sorted(ids)})
