"""Secrets of the review app's accounts: Argon2id passwords, session and API-token secrets.

Why its own module: the CLI (``heroes user ...``) and the web app both create and check accounts,
and neither should know how secrets are made. Passwords are hashed with Argon2id (argon2-cffi's
RFC 9106 low-memory profile); session and token secrets are 256-bit random strings given to the
user once and stored only as their SHA-256 digest (high-entropy secrets need no slow hash). A
password check always spends the Argon2 time, also for unknown users, so timing does not tell which
names exist.
"""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from heroes.errors import InvalidInput
from heroes.evidence import Role, User
from heroes.store import CaseStore

__all__ = [
    "MIN_PASSWORD",
    "authenticate",
    "digest",
    "ensure_first_admin",
    "hash_password",
    "new_secret",
    "one_time_password",
]

MIN_PASSWORD = 12
_HASHER = PasswordHasher()  # Argon2id, RFC 9106 low-memory parameters
_DUMMY = _HASHER.hash("not a real password, used to spend equal time on unknown users")


def hash_password(password: str) -> str:
    """An Argon2id hash of a password of acceptable length."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def new_secret() -> str:
    """A 256-bit random secret, URL-safe (session cookies, CSRF tokens, API tokens)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the store keeps of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def one_time_password() -> str:
    """A readable first password (to be changed at first login)."""
    return "-".join(secrets.token_hex(3) for _ in range(4))


def authenticate(store: CaseStore, name: str, password: str) -> User | None:
    """The enabled user with this name and password, else None (same time either way)."""
    found = store.accounts.password_hash(name)
    try:
        _HASHER.verify(found[1] if found else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if found is None or found[0].disabled:
        return None
    return found[0]


def ensure_first_admin(store: CaseStore, actor: str) -> str | None:
    """On a store without accounts, create ``admin`` with a one-time password and return it."""
    if store.accounts.users():
        return None
    password = one_time_password()
    store.accounts.add_user("admin", Role.ADMIN, hash_password(password), actor, must_change=True)
    return password
