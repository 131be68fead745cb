"""Who is asking, and may they: sessions, API tokens, CSRF, the login limiter and case access rules.

Why it is all here: every route of the app goes through one of three dependencies —
:func:`page_principal` (HTML pages: a session cookie, else a redirect to the login page),
:func:`api_principal` (the REST API: a bearer token or a session cookie, else 401) and
:func:`password_principal` (the change-password page, the one page a user who must change their
password may see) — and then through :func:`open_case`, which applies case membership (a case the
user is not a member of is reported exactly like a case that does not exist) and the role rules of
:data:`ALLOWED`. Keeping these in one module is what lets a test walk every route and prove that
none of them skips a check.

Sessions are random 256-bit secrets in an HttpOnly, Secure, SameSite=Strict cookie; the store keeps
only their SHA-256 digest and a per-session CSRF token, which every state-changing request that a
cookie authenticates must echo (form field ``csrf_token`` or header ``X-CSRF-Token``). Bearer tokens
are not sent by browsers on their own, so token requests need no CSRF token. The login form has its
own CSRF defence (a double-submit cookie) and an in-memory sliding-window limiter per user name and
client address, so passwords cannot be guessed quickly.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from hmac import compare_digest
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from heroes.accounts import digest, new_secret
from heroes.errors import NotFound
from heroes.evidence import Case, Role, User
from heroes.web.state import web_state

__all__ = [
    "ALLOWED",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_COOKIE",
    "SESSION_COOKIE",
    "SESSION_LIFETIME",
    "Access",
    "LoginRequired",
    "PasswordChangeRequired",
    "Principal",
    "RateLimiter",
    "api_principal",
    "client_address",
    "open_case",
    "open_session",
    "page_principal",
    "password_principal",
    "require_admin",
]

SESSION_COOKIE = "heroes_session"
LOGIN_COOKIE = "heroes_login"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION_LIFETIME = timedelta(hours=8)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_CASE_NAME = 200


class Access(StrEnum):
    """What a route does with a case; :data:`ALLOWED` says which roles may do it."""

    OVERVIEW = "overview"
    """Counts, scans and the audit trail: no media, no item details."""
    MEDIA = "media"
    """Items, thumbnails, matches, the review grid, timeline and map."""
    SEARCH = "search"
    """Searching words and filters across a case."""
    DECIDE = "decide"
    """Recording a categorisation, tags or a note."""


ALLOWED: dict[Role, frozenset[Access]] = {
    Role.ADMIN: frozenset(Access),
    Role.INVESTIGATOR: frozenset(Access),
    Role.REVIEWER: frozenset({Access.OVERVIEW, Access.MEDIA, Access.SEARCH, Access.DECIDE}),
    Role.AUDITOR: frozenset({Access.OVERVIEW}),
}
"""Role rules within the cases a user is a member of (see heroes.evidence.Role)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The user behind a request, how they proved it, and the CSRF token their session expects."""

    user: User
    via: Literal["session", "token"]
    csrf: str = ""
    session: str | None = None
    """Digest of the session secret (to close it at logout)."""


class LoginRequired(Exception):
    """A page was asked for without a live session; the app answers with the login page."""


class PasswordChangeRequired(Exception):
    """The user must choose a new password before seeing anything else."""


class RateLimiter:
    """Failed logins per key in a sliding window, in memory (one process serves the app)."""

    def __init__(
        self, limit: int = 5, window: float = 300.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.get(key, deque())
        while found and found[0] <= now - self.window:
            found.popleft()
        return found

    def retry_after(self, key: str) -> float:
        """Seconds until another attempt is allowed (0 when it is allowed now)."""
        with self._lock:
            now = self._clock()
            recent = self._recent(key, now)
            if len(recent) < self.limit:
                return 0.0
            return max(1.0, recent[0] + self.window - now)

    def fail(self, key: str) -> None:
        """Count a failed attempt."""
        with self._lock:
            now = self._clock()
            if len(self._failures) > 10_000:  # forget idle keys so memory stays bounded
                for stale in [k for k, v in self._failures.items() if not v or v[-1] <= now - self.window]:
                    del self._failures[stale]
            recent = self._recent(key, now)
            recent.append(now)
            self._failures[key] = recent

    def reset(self, key: str) -> None:
        """Forget failures after a successful login."""
        with self._lock:
            self._failures.pop(key, None)


def client_address(request: Request) -> str:
    """The peer address (the app is meant to be served on loopback or behind one TLS proxy)."""
    return request.client.host if request.client else "unknown"


def open_session(request: Request, user: User) -> tuple[str, str]:
    """Start a session for a user; the cookie secret and the session's CSRF token."""
    secret, csrf = new_secret(), new_secret()
    web_state(request).store.accounts.open_session(
        user, digest(secret), csrf, datetime.now(UTC) + SESSION_LIFETIME
    )
    return secret, csrf


def _identify(request: Request) -> Principal | None:
    """The principal of a request (bearer token first, then session cookie), cached per request."""
    if hasattr(request.state, "principal"):
        found: Principal | None = request.state.principal
        return found
    accounts = web_state(request).store.accounts
    principal: Principal | None = None
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        user = accounts.token_user(digest(credentials.strip())) if credentials.strip() else None
        if user is None:
            raise HTTPException(401, "the API token is unknown or revoked", {"WWW-Authenticate": "Bearer"})
        principal = Principal(user, "token")
    elif secret := request.cookies.get(SESSION_COOKIE):
        session_digest = digest(secret)
        found_session = accounts.session(session_digest)
        if found_session is not None:
            principal = Principal(found_session[0], "session", found_session[1], session_digest)
    request.state.principal = principal
    return principal


async def _require_csrf(request: Request, principal: Principal) -> None:
    """Refuse a state-changing request authenticated by cookie unless it echoes the session's token."""
    if request.method not in UNSAFE_METHODS or principal.via != "session":
        return
    sent: object = request.headers.get(CSRF_HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = (await request.form()).get(CSRF_FIELD)
    if not isinstance(sent, str) or not sent or not compare_digest(sent.encode(), principal.csrf.encode()):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")


async def page_principal(request: Request) -> Principal:
    """The logged-in user of an HTML page (else the login page), who need not change their password."""
    principal = await password_principal(request)
    if principal.user.must_change_password:
        raise PasswordChangeRequired()
    return principal


async def password_principal(request: Request) -> Principal:
    """The logged-in user of an HTML page, even one who must still change their password."""
    principal = await run_in_threadpool(_identify, request)
    if principal is None:
        raise LoginRequired()
    await _require_csrf(request, principal)
    return principal


_BEARER = HTTPBearer(auto_error=False, description="An API token made on the review app's settings page.")
_COOKIE = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="The browser session; state-changing requests also need the X-CSRF-Token header.",
)


async def api_principal(
    request: Request,
    _bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    _cookie: Annotated[str | None, Depends(_COOKIE)],
) -> Principal:
    """The user of an API request: a bearer token, or a session cookie with CSRF for writes."""
    principal = await run_in_threadpool(_identify, request)
    if principal is None:
        raise HTTPException(
            401, "log in or send 'Authorization: Bearer <token>'", {"WWW-Authenticate": "Bearer"}
        )
    await _require_csrf(request, principal)
    if principal.user.must_change_password:
        raise HTTPException(403, "change your password first (at /settings/password)")
    return principal


def require_admin(principal: Principal) -> None:
    """Only administrators manage accounts and memberships."""
    if principal.user.role is not Role.ADMIN:
        raise HTTPException(403, "only an administrator may do this")


def open_case(request: Request, user: User, name: str, access: Access) -> Case:
    """The case if the user is a member (admins: any) and the role allows ``access``; else 404 or 403."""
    # A case the user is not a member of raises the same NotFound as a case that does not exist, so the
    # app never tells anyone which cases exist; membership is checked before the role.
    store = web_state(request).store
    hidden = NotFound(f"no case named {name!r}")
    if not name or len(name) > _MAX_CASE_NAME or "\x00" in name:
        raise hidden
    try:
        case = store.case(name)
    except NotFound:
        raise hidden from None
    if case.id not in store.accounts.case_ids(user):
        raise hidden
    if access not in ALLOWED[user.role]:
        raise HTTPException(403, f"the {user.role.value} role may not open this part of a case")
    return case
