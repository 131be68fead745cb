"""The server-rendered pages of the review app (Jinja2 + htmx): login, cases, review grid, item, search,
timeline, map, audit trail, settings and user administration.

Why server-rendered: the pages work without a JavaScript build, under a strict Content-Security-Policy
(scripts only from ``/static``), and every view of evidence is one request that the store audits with
the reviewer's name. htmx only makes the review grid quicker (a decision is a small POST that updates
the tile's decision in place); the same forms also work as plain form posts. Each handler is a thin
adapter: check who may see what (:mod:`heroes.web.auth`), call the store with the user's name as
actor, render a template.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from hmac import compare_digest
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from heroes.accounts import authenticate, digest, hash_password, new_secret, one_time_password
from heroes.errors import AuditChainBroken, InvalidInput, NotFound
from heroes.evidence import Case, Decision, Role
from heroes.store import GLOBAL_CHAIN, SearchQuery, case_chain, parse_bbox
from heroes.triage.timeline import build_timeline
from heroes.web.auth import (
    ALLOWED,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    SESSION_LIFETIME,
    Access,
    Principal,
    client_address,
    open_case,
    open_session,
    page_principal,
    password_principal,
    require_admin,
)
from heroes.web.state import CATEGORIES, case_url, clean_text, render, score_conversation, web_state
from heroes.web.thumbnails import make_thumbnail

__all__ = ["REVIEW_PAGE", "router"]

REVIEW_PAGE = 60
SEARCH_PAGE = 50
TIMELINE_PAGE = 500
AUDIT_PAGE = 200
ERRORS_SHOWN = 20
_MAX_ID = 2**62

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Principal, Depends(page_principal)]
AnyViewer = Annotated[Principal, Depends(password_principal)]
CaseName = Annotated[str, Path()]
PathItemId = Annotated[int, Path(ge=1, le=_MAX_ID)]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def safe_next(value: str, default: str = "/") -> str:
    """A local path to go on to after a form (never another site)."""
    if (
        not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(c) < 32 for c in value)
    ):
        return default
    return value


def _session_cookie(response: Response, secret: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, secret, max_age=int(SESSION_LIFETIME.total_seconds()), path="/",
        secure=True, httponly=True, samesite="strict",
    )  # fmt: skip


# -- login, logout --------------------------------------------------------------------------------


def _login_page(
    request: Request, token: str, next_url: str, error: str = "", status: int = 200, retry_after: int = 0
) -> Response:
    response = render(
        request, "login.html", {"login_csrf": token, "next": next_url, "error": error, "title": "Log in"},
        status_code=status, headers={"Retry-After": str(retry_after)} if retry_after else None,
    )  # fmt: skip
    response.set_cookie(LOGIN_COOKIE, token, max_age=3600, path="/login", secure=True, httponly=True,
                        samesite="strict")  # fmt: skip
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """The login form, with a fresh double-submit CSRF token (unless one is already set)."""
    accounts = web_state(request).store.accounts
    secret = request.cookies.get(SESSION_COOKIE)
    if secret and accounts.session(digest(secret)) is not None:
        return _redirect("/")
    token = request.cookies.get(LOGIN_COOKIE, "")
    if not (20 <= len(token) <= 100 and token.replace("-", "").replace("_", "").isalnum()):
        token = new_secret()
    return _login_page(request, token, safe_next(next))


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check a password, at most 5 failures per user name and address in 5 minutes (audited)."""
    state = web_state(request)
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not csrf_token or not compare_digest(cookie.encode(), csrf_token.encode()):
        raise HTTPException(403, "missing or wrong CSRF token: reload the login page and try again")
    name = clean_text(username.strip(), "user name", 200)
    address = client_address(request)
    key = f"{name.casefold()}|{address}"
    wait = state.limiter.retry_after(key)
    if wait:
        state.store.log_event(
            None, "anonymous", "login.fail", name, {"client": address, "reason": "rate limited"}
        )
        minutes = max(1, math.ceil(wait / 60))
        message = (
            "Too many failed logins for this user from this address. "
            f"Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        )
        return _login_page(request, cookie, safe_next(next), message, 429, math.ceil(wait))
    user = authenticate(state.store, name, password) if name and password else None
    if user is None:
        state.limiter.fail(key)
        state.store.log_event(
            None, "anonymous", "login.fail", name, {"client": address, "reason": "wrong name or password"}
        )
        return _login_page(request, cookie, safe_next(next), "Wrong user name or password.", 401)
    state.limiter.reset(key)
    state.store.log_event(None, user.name, "login.ok", user.name, {"client": address})
    secret, _ = open_session(request, user)
    response = _redirect("/settings/password" if user.must_change_password else safe_next(next))
    _session_cookie(response, secret)
    response.delete_cookie(LOGIN_COOKIE, path="/login", secure=True, httponly=True, samesite="strict")
    return response


@router.post("/logout")
def logout(request: Request, viewer: AnyViewer) -> Response:
    """End the session (audited) and forget the cookie."""
    if viewer.session is not None:
        web_state(request).store.accounts.close_session(viewer.session, viewer.user)
    response = _redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


# -- cases ------------------------------------------------------------------------------------------


@router.get("/")
def index(request: Request, viewer: Viewer) -> Response:
    """The cases the user may open, with their counts."""
    store = web_state(request).store
    allowed = store.accounts.case_ids(viewer.user)
    cases = [(c, store.case_counts(c)) for c in store.list_cases() if c.id in allowed]
    return render(request, "index.html", {"cases": cases, "title": "Cases"}, viewer)


def _case_links(viewer: Principal) -> dict[str, bool]:
    allowed = ALLOWED[viewer.user.role]
    return {"media": Access.MEDIA in allowed, "search": Access.SEARCH in allowed}


@router.get("/cases/{case:path}/review")
def review(
    request: Request,
    case: CaseName,
    viewer: Viewer,
    order: Literal["priority", "hits"] = "priority",
    page: PageNumber = 1,
    undecided: bool = False,
    hits: bool = False,
) -> Response:
    """The review grid: 60 items per page, blurred thumbnails, reasons, hits and decisions (audited)."""
    store = web_state(request).store
    found = open_case(request, viewer.user, case, Access.MEDIA)
    total, rows = store.review_page(
        found, viewer.user.name, order=order, only_hits=hits, undecided=undecided,
        limit=REVIEW_PAGE, offset=(page - 1) * REVIEW_PAGE,
    )  # fmt: skip
    pages = max(1, math.ceil(total / REVIEW_PAGE))
    query = {"order": order, **({"undecided": "1"} if undecided else {}), **({"hits": "1"} if hits else {})}
    base = case_url(found.name, "review")
    here = f"{base}?{urlencode({**query, 'page': page})}"

    def link(number: int) -> str:
        return f"{base}?{urlencode({**query, 'page': number})}"

    return render(
        request, "review.html",
        {"case": found, "rows": rows, "total": total, "page": page, "pages": pages, "order": order,
         "undecided": undecided, "hits": hits, "link": link, "here": here,
         "blur": viewer.user.blur_thumbnails, "title": f"Review · {found.name}",
         "links": _case_links(viewer)},
        viewer,
    )  # fmt: skip


_KEEP = "keep"


@dataclass(frozen=True, slots=True)
class _Change:
    """What a decision form asks for: a category (or keep/clear), tags to add or set, a note."""

    category: str | None
    keep_category: bool
    tags: tuple[str, ...]
    note: str | None
    replace: bool


def _change(category: str, tags: str, note: str, mode: str) -> _Change:
    codes = {code for code, _ in CATEGORIES}
    if category not in codes | {"", _KEEP, "none"}:
        raise InvalidInput(f"category must be one of {', '.join(sorted(codes))}, 'none' or empty")
    if mode not in ("merge", "replace"):
        raise InvalidInput("mode must be 'merge' or 'replace'")
    labels = tuple(sorted({t.strip() for t in clean_text(tags, "tags", 2000).split(",") if t.strip()}))
    if any(len(t) > 100 for t in labels) or len(labels) > 50:
        raise InvalidInput("at most 50 tags of at most 100 characters each")
    text = clean_text(note, "note", 4000).strip()
    return _Change(
        category=category if category in codes else None,
        keep_category=category in ("", _KEEP) and mode == "merge",
        tags=labels,
        note=text if (text or mode == "replace") else None,
        replace=mode == "replace",
    )


def _apply(request: Request, case: Case, actor: str, ids: list[int], change: _Change) -> dict[int, Decision]:
    """Record a change for each item, keeping what the form leaves out; items of other cases refused."""
    store = web_state(request).store
    current = store.decisions(case, ids)
    groups: dict[tuple[str | None, tuple[str, ...], str], list[int]] = defaultdict(list)
    for n in ids:
        old = current.get(n)
        category = (old.category if old else None) if change.keep_category else change.category
        tags = (
            change.tags if change.replace else tuple(sorted(set(old.tags if old else ()) | set(change.tags)))
        )
        note = change.note if change.note is not None else (old.note if old else "")
        groups[(category, tags, note)].append(n)
    if len(groups) > 1:  # several writes: check every id first, so none is half-done
        known = {i.id for i in store.items(case, actor, item_ids=ids, purpose="decide")}
        if missing := [n for n in ids if n not in known]:
            raise NotFound(f"no item {missing[0]} in case {case.name!r}")
    for (category, tags, note), members in groups.items():
        store.record_decisions(case, members, actor, category=category, tags=tags, note=note)
    return store.decisions(case, ids)


@router.post("/cases/{case:path}/decisions")
def decide(
    request: Request,
    case: CaseName,
    viewer: Viewer,
    item_ids: Annotated[list[int], Form(max_length=1000)],
    category: Annotated[str, Form(max_length=10)] = "",
    tags: Annotated[str, Form(max_length=2000)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    mode: Annotated[str, Form(max_length=10)] = "merge",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Categorise, tag or annotate items (one or many); htmx gets the updated decisions back."""
    found = open_case(request, viewer.user, case, Access.DECIDE)
    ids = sorted(set(item_ids))
    if not ids or any(not 1 <= n <= _MAX_ID for n in ids):
        raise InvalidInput("item_ids: give the ids of items of this case")
    decided = _apply(request, found, viewer.user.name, ids, _change(category, tags, note, mode))
    if request.headers.get("HX-Request"):
        return render(
            request, "decision_result.html", {"case": found, "ids": ids, "decided": decided}, viewer
        )
    default = case_url(found.name, "items", ids[0]) if len(ids) == 1 else case_url(found.name, "review")
    return _redirect(safe_next(next, default))


@router.get("/cases/{case:path}/items/{item_id}/thumbnail")
def item_thumbnail(
    request: Request,
    case: CaseName,
    item_id: PathItemId,
    viewer: Viewer,
    clear: Annotated[int | None, Query(ge=0, le=1)] = None,
) -> Response:
    """A thumbnail made from the evidence: blurred unless asked clear (or the user turned blur off)."""
    state = web_state(request)
    found = open_case(request, viewer.user, case, Access.MEDIA)
    items = state.store.items(found, viewer.user.name, item_ids=[item_id], purpose="thumbnail")
    if not items:
        raise NotFound(f"no item {item_id} in case {found.name!r}")
    show_clear = bool(clear) if clear is not None else not viewer.user.blur_thumbnails
    thumb = make_thumbnail(state.settings, found, items[0], show_clear)
    details: dict[str, Any] = {"clear": show_clear, "item": item_id}
    if not thumb.preview:
        details["placeholder"] = True
    state.store.log_event(found, viewer.user.name, "thumbnail.view", items[0].path, details)
    return Response(thumb.content, media_type=thumb.media_type, headers={"Cache-Control": "no-store"})


@router.get("/cases/{case:path}/items/{item_id}")
def item_page(request: Request, case: CaseName, item_id: PathItemId, viewer: Viewer) -> Response:
    """Everything recorded about one item, its matches, neighbours and decision (audited views)."""
    store = web_state(request).store
    found = open_case(request, viewer.user, case, Access.MEDIA)
    items = store.items(found, viewer.user.name, item_ids=[item_id], purpose="view")
    if not items:
        raise NotFound(f"no item {item_id} in case {found.name!r}")
    item = items[0]
    matches = store.matches(
        found, viewer.user.name, include_known_good=True, purpose="item", item_ids=[item_id]
    )
    neighbours = store.neighbours(found, item, viewer.user.name)
    decision = store.decisions(found, [item_id]).get(item_id)
    priority, reasons = store.priorities(found, [item_id]).get(item_id, (0.0, ()))
    raw = item.raw_path.decode("utf-8", "backslashreplace")
    return render(
        request, "item.html",
        {"case": found, "item": item, "matches": matches, "neighbours": neighbours, "decision": decision,
         "priority": priority, "reasons": reasons,
         "raw_path": raw if raw != item.path else "", "blur": viewer.user.blur_thumbnails,
         "title": f"Item {item.id} · {found.name}", "links": _case_links(viewer)},
        viewer,
    )  # fmt: skip


def _number(text: str, field: str, kind: type[int] | type[float]) -> Any:
    if not text.strip():
        return None
    try:
        value = kind(text.strip())
    except ValueError:
        raise InvalidInput(f"{field}: not a number") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{field}: not a finite number")
    if not -_MAX_ID <= value <= _MAX_ID:
        raise InvalidInput(f"{field}: out of range")
    return value


def parse_time(text: str, field: str) -> datetime | None:
    """An ISO 8601 date or time from a form; UTC when it names no zone."""
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"{field}: give a date or time like 2024-05-01 or 2024-05-01T13:45") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/cases/{case:path}/search")
def search_page(
    request: Request,
    case: CaseName,
    viewer: Viewer,
    q: Annotated[str, Query(max_length=500)] = "",
    mime: Annotated[str, Query(alias="type", max_length=200)] = "",
    min_size: Annotated[str, Query(max_length=30)] = "",
    max_size: Annotated[str, Query(max_length=30)] = "",
    since: Annotated[str, Query(max_length=40)] = "",
    until: Annotated[str, Query(max_length=40)] = "",
    camera: Annotated[str, Query(max_length=200)] = "",
    has_gps: bool = False,
    bbox: Annotated[str, Query(max_length=200)] = "",
    deleted: Literal["", "yes", "no"] = "",
    list_name: Annotated[str, Query(alias="list", max_length=200)] = "",
    category: Annotated[str, Query(max_length=50)] = "",
    min_priority: Annotated[str, Query(max_length=30)] = "",
    page: PageNumber = 1,
) -> Response:
    """Words and filters across a case, the same engine as ``heroes search`` (audited)."""
    store = web_state(request).store
    found = open_case(request, viewer.user, case, Access.SEARCH)
    form = {"q": q, "type": mime, "min_size": min_size, "max_size": max_size, "since": since, "until": until,
            "camera": camera, "has_gps": "1" if has_gps else "", "bbox": bbox, "deleted": deleted,
            "list": list_name, "category": category, "min_priority": min_priority}  # fmt: skip
    query = SearchQuery(
        text=q, mime_prefix=mime.strip() or None, min_size=_number(min_size, "min size", int),
        max_size=_number(max_size, "max size", int), since=parse_time(since, "since"),
        until=parse_time(until, "until"), camera=camera.strip() or None, has_gps=has_gps,
        bbox=parse_bbox(bbox.strip() or None), deleted={"": None, "yes": True, "no": False}[deleted],
        list_name=list_name.strip() or None, category=category.strip() or None,
        min_priority=_number(min_priority, "min priority", float),
    )  # fmt: skip
    asked = any(v for v in form.values())
    hits = (
        store.search(found, viewer.user.name, query, SEARCH_PAGE, (page - 1) * SEARCH_PAGE) if asked else []
    )
    kept = {k: v for k, v in form.items() if v}
    base = case_url(found.name, "search")
    next_link = f"{base}?{urlencode({**kept, 'page': page + 1})}" if len(hits) == SEARCH_PAGE else ""
    previous_link = f"{base}?{urlencode({**kept, 'page': page - 1})}" if page > 1 else ""
    return render(
        request, "search.html",
        {"case": found, "form": form, "hits": hits, "asked": asked, "page": page, "next_link": next_link,
         "previous_link": previous_link, "title": f"Search · {found.name}", "links": _case_links(viewer)},
        viewer,
    )  # fmt: skip


@router.get("/cases/{case:path}/timeline")
def timeline(
    request: Request,
    case: CaseName,
    viewer: Viewer,
    since: Annotated[str, Query(max_length=40)] = "",
    until: Annotated[str, Query(max_length=40)] = "",
    page: PageNumber = 1,
) -> Response:
    """File-system, camera, message and visit times of a case, sorted, 500 per page (audited)."""
    store = web_state(request).store
    found = open_case(request, viewer.user, case, Access.MEDIA)
    low, high = parse_time(since, "since"), parse_time(until, "until")
    items = store.items(found, viewer.user.name, purpose="timeline")
    artifacts = store.artifacts(found, viewer.user.name, since=low, until=high, purpose="timeline")
    events = build_timeline(items, low, high, artifacts)
    pages = max(1, math.ceil(len(events) / TIMELINE_PAGE))
    shown = events[(page - 1) * TIMELINE_PAGE : page * TIMELINE_PAGE]
    kept = {k: v for k, v in {"since": since, "until": until}.items() if v}
    base = case_url(found.name, "timeline")
    return render(
        request, "timeline.html",
        {"case": found, "events": shown, "total": len(events), "page": page, "pages": pages,
         "since": since, "until": until, "link": lambda n: f"{base}?{urlencode({**kept, 'page': n})}",
         "title": f"Timeline · {found.name}", "links": _case_links(viewer)},
        viewer,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Point:
    """A GPS position placed on the scatter plot, linking to its item."""

    x: float
    y: float
    latitude: float
    longitude: float
    item_id: int
    path: str


_MAP_WIDTH, _MAP_HEIGHT, _MAP_PAD = 720, 420, 16
_MAP_POINTS = 20_000
"""Points drawn at most (highest review priority first): an SVG of more is unreadable and slow."""


def _points(located: list[tuple[float, float, int, str]]) -> list[_Point]:
    """Latitude up, longitude right, scaled to the box of the points (no map tiles, no network)."""
    if not located:
        return []
    lats, lons = [p[0] for p in located], [p[1] for p in located]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    span_lat, span_lon = max(north - south, 1e-6), max(east - west, 1e-6)
    inner_w, inner_h = _MAP_WIDTH - 2 * _MAP_PAD, _MAP_HEIGHT - 2 * _MAP_PAD
    return [
        _Point(round(_MAP_PAD + (lon - west) / span_lon * inner_w, 1),
               round(_MAP_HEIGHT - _MAP_PAD - (lat - south) / span_lat * inner_h, 1), lat, lon, n, path)
        for lat, lon, n, path in located
    ]  # fmt: skip


@router.get("/cases/{case:path}/map")
def gps_map(request: Request, case: CaseName, viewer: Viewer) -> Response:
    """Where photos were taken, as an offline scatter plot; each point links to its item (audited)."""
    store = web_state(request).store
    found = open_case(request, viewer.user, case, Access.MEDIA)
    with_gps = store.search(found, viewer.user.name, SearchQuery(has_gps=True), limit=_MAP_POINTS)
    located = [
        (i.gps_latitude, i.gps_longitude, i.id, i.path)
        for i, _, _ in with_gps
        if i.gps_latitude is not None and i.gps_longitude is not None
        and math.isfinite(i.gps_latitude) and math.isfinite(i.gps_longitude)
    ]  # fmt: skip
    return render(
        request, "map.html",
        {"case": found, "points": _points(located), "width": _MAP_WIDTH, "height": _MAP_HEIGHT,
         "title": f"Map · {found.name}", "links": _case_links(viewer)},
        viewer,
    )  # fmt: skip


def _audit_page(request: Request, viewer: Principal, case: Case | None, page: int) -> Response:
    store = web_state(request).store
    chain = case_chain(case.name) if case else GLOBAL_CHAIN
    problem: str | None = None
    try:
        report = store.verify_audit(chain)
        head = report.head
    except AuditChainBroken as exc:
        problem, head = str(exc), ""
    events = store.audit_events(chain)
    store.log_event(case, viewer.user.name, "audit.view", chain, {"verified": problem is None})
    newest = list(reversed(events))
    pages = max(1, math.ceil(len(newest) / AUDIT_PAGE))
    base = case_url(case.name, "audit") if case else "/admin/audit"
    return render(
        request, "audit.html",
        {"case": case, "chain": chain, "problem": problem, "head": head, "total": len(events),
         "events": newest[(page - 1) * AUDIT_PAGE : page * AUDIT_PAGE], "page": page, "pages": pages,
         "link": lambda n: f"{base}?page={n}", "title": f"Audit trail · {chain}",
         "links": _case_links(viewer)},
        viewer,
    )  # fmt: skip


@router.get("/cases/{case:path}/audit")
def case_audit(request: Request, case: CaseName, viewer: Viewer, page: PageNumber = 1) -> Response:
    """The case's hash-chained audit trail, newest first, and whether it verifies."""
    found = open_case(request, viewer.user, case, Access.OVERVIEW)
    return _audit_page(request, viewer, found, page)


@router.get("/cases/{case:path}")
def dashboard(request: Request, case: CaseName, viewer: Viewer) -> Response:
    """Counts, scans with their progress, and the first errors of a case."""
    store = web_state(request).store
    found = open_case(request, viewer.user, case, Access.OVERVIEW)
    links = _case_links(viewer)
    errors = store.findings(found, viewer.user.name, kind="error")[:ERRORS_SHOWN] if links["media"] else []
    return render(
        request, "dashboard.html",
        {"case": found, "counts": store.case_counts(found), "scans": store.scans(found), "errors": errors,
         "errors_shown": ERRORS_SHOWN, "links": links, "title": found.name},
        viewer,
    )  # fmt: skip


# -- settings ---------------------------------------------------------------------------------------


def _settings_page(request: Request, viewer: Principal, new_token: str = "", status: int = 200) -> Response:
    tokens = web_state(request).store.accounts.tokens(viewer.user)
    return render(
        request, "settings.html", {"tokens": tokens, "new_token": new_token, "title": "Settings"}, viewer,
        status_code=status,
    )  # fmt: skip


@router.get("/settings")
def settings_page(request: Request, viewer: Viewer) -> Response:
    """Blurring, password and API tokens of the logged-in user."""
    return _settings_page(request, viewer)


@router.post("/settings/blur")
def set_blur(request: Request, viewer: Viewer, blur: Annotated[str, Form(max_length=5)] = "0") -> Response:
    """Turn blurred thumbnails on or off for oneself (audited)."""
    web_state(request).store.accounts.set_blur(viewer.user, blur in ("1", "on", "true"))
    return _redirect("/settings")


@router.post("/settings/tokens")
def create_token(
    request: Request, viewer: Viewer, name: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    """A new API token; its secret is shown on this page once and never again (audited)."""
    label = clean_text(name.strip(), "token name", 100) or "api"
    secret = new_secret()
    web_state(request).store.accounts.add_token(viewer.user, label, digest(secret), viewer.user.name)
    return _settings_page(request, viewer, new_token=secret, status=201)


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, token_id: Annotated[int, Path(ge=1, le=_MAX_ID)], viewer: Viewer
) -> Response:
    """Stop one of one's own tokens working (audited)."""
    accounts = web_state(request).store.accounts
    if token_id not in {t[0] for t in accounts.tokens(viewer.user)}:
        raise NotFound(f"you have no API token {token_id}")
    accounts.revoke_tokens(viewer.user, [token_id], viewer.user.name)
    return _redirect("/settings")


@router.get("/settings/password")
def password_form(request: Request, viewer: AnyViewer) -> Response:
    """Choose a new password (the only page a user with a one-time password may see)."""
    return render(request, "password.html", {"error": "", "title": "Change password"}, viewer)


@router.post("/settings/password")
def change_password(
    request: Request,
    viewer: AnyViewer,
    current_password: Annotated[str, Form(max_length=1024)] = "",
    new_password: Annotated[str, Form(max_length=1024)] = "",
    new_password_again: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Check the current password, set the new one, and start a fresh session (all audited)."""
    state = web_state(request)
    key = f"{viewer.user.name.casefold()}|{client_address(request)}"

    def refuse(message: str, status: int = 400) -> Response:
        return render(request, "password.html", {"error": message, "title": "Change password"}, viewer,
                      status_code=status)  # fmt: skip

    if state.limiter.retry_after(key):
        return refuse("Too many wrong passwords. Try again in a few minutes.", 429)
    if authenticate(state.store, viewer.user.name, current_password) is None:
        state.limiter.fail(key)
        state.store.log_event(None, viewer.user.name, "passwd.fail", viewer.user.name, {})
        return refuse("The current password is wrong.", 403)
    if new_password != new_password_again:
        return refuse("The two new passwords differ.")
    if new_password == current_password:
        return refuse("Choose a password different from the current one.")
    try:
        hashed = hash_password(new_password)
    except InvalidInput as exc:
        return refuse(str(exc).capitalize() + ".")
    state.store.accounts.set_password(viewer.user.name, hashed, viewer.user.name, must_change=False)
    secret, _ = open_session(request, state.store.accounts.user(viewer.user.name))
    response = _redirect("/")
    _session_cookie(response, secret)
    return response


# -- administration -----------------------------------------------------------------------------------


def _users_page(request: Request, viewer: Principal, created: tuple[str, str] | None = None,
                status: int = 200) -> Response:  # fmt: skip
    store = web_state(request).store
    cases = store.list_cases()
    memberships: dict[str, list[str]] = defaultdict(list)
    for case in cases:
        for name in store.accounts.members(case):
            memberships[name].append(case.name)
    return render(
        request, "admin_users.html",
        {"users": store.accounts.users(), "cases": cases, "memberships": memberships, "roles": list(Role),
         "created": created, "title": "Users"},
        viewer, status_code=status,
    )  # fmt: skip


@router.get("/admin/users")
def users_page(request: Request, viewer: Viewer) -> Response:
    """Accounts, roles and case memberships (administrators)."""
    require_admin(viewer)
    return _users_page(request, viewer)


@router.post("/admin/users")
def add_user(
    request: Request,
    viewer: Viewer,
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A new account with a one-time password, shown once (audited)."""
    require_admin(viewer)
    if role not in {r.value for r in Role}:
        raise InvalidInput(f"role must be one of {', '.join(r.value for r in Role)}")
    password = one_time_password()
    user = web_state(request).store.accounts.add_user(
        clean_text(name.strip(), "user name", 200), Role(role), hash_password(password), viewer.user.name
    )
    return _users_page(request, viewer, created=(user.name, password), status=201)


@router.post("/admin/users/{name:path}/disable")
def disable_user(
    request: Request, name: Annotated[str, Path()], viewer: Viewer, disabled: Annotated[str, Form()] = "1"
) -> Response:
    """Disable (or, with disabled=0, re-enable) an account; its sessions and tokens stop (audited)."""
    require_admin(viewer)
    if name == viewer.user.name:
        raise InvalidInput("you cannot disable your own account")
    web_state(request).store.accounts.set_disabled(name, disabled != "0", viewer.user.name)
    return _redirect("/admin/users")


@router.post("/admin/users/{name:path}/password")
def reset_password(request: Request, name: Annotated[str, Path()], viewer: Viewer) -> Response:
    """Give an account a new one-time password, shown once; its sessions end (audited)."""
    require_admin(viewer)
    password = one_time_password()
    web_state(request).store.accounts.set_password(
        name, hash_password(password), viewer.user.name, must_change=True
    )
    return _users_page(request, viewer, created=(name, password))


@router.post("/admin/memberships")
def membership(
    request: Request,
    viewer: Viewer,
    user: Annotated[str, Form(max_length=200)] = "",
    case: Annotated[str, Form(max_length=200)] = "",
    action: Annotated[Literal["grant", "revoke"], Form()] = "grant",
) -> Response:
    """Make a user a member of a case, or end the membership (audited in the case's chain)."""
    require_admin(viewer)
    store = web_state(request).store
    found = store.case(clean_text(case, "case", 200))
    if action == "grant":
        store.accounts.grant(user, found, viewer.user.name)
    else:
        store.accounts.revoke(user, found, viewer.user.name)
    return _redirect("/admin/users")


@router.get("/admin/audit")
def global_audit(request: Request, viewer: Viewer, page: PageNumber = 1) -> Response:
    """The global audit chain: logins, accounts, tokens, hash lists (administrators)."""
    require_admin(viewer)
    return _audit_page(request, viewer, None, page)


# -- API documentation --------------------------------------------------------------------------------


@router.get("/api/docs")
def api_docs(request: Request) -> Response:
    """The REST API described from its OpenAPI schema, rendered here (no CDN, no inline script)."""
    schema = request.app.openapi()
    operations = [
        {"method": method.upper(), "path": path, "summary": op.get("summary", ""),
         "description": op.get("description", ""), "parameters": op.get("parameters", []),
         "body": bool(op.get("requestBody")), "responses": sorted(op.get("responses", {}))}
        for path, methods in schema.get("paths", {}).items()
        for method, op in methods.items()
    ]  # fmt: skip
    return render(request, "api_docs.html", {"operations": operations, "title": "API", "quote": quote})


_GROOMING_NOTICE = "Alerts are prompts for a calm conversation with the young person, never verdicts."


def _grooming_page(request: Request, viewer: Principal, **context: Any) -> Response:
    defaults: dict[str, Any] = {"results": [], "pasted": "", "sensitivity": "balanced", "excerpts": False,
                                "error": None, "notice": _GROOMING_NOTICE, "title": "Chat check"}  # fmt: skip
    return render(request, "grooming.html", {**defaults, **context}, viewer)


@router.get("/grooming")
def grooming_form(request: Request, viewer: Viewer) -> Response:
    """The chat check: paste an export, see the risk and the signs (nothing is kept)."""
    return _grooming_page(request, viewer)


@router.post("/grooming")
def grooming_check(
    request: Request,
    viewer: Viewer,
    export: Annotated[str, Form(max_length=5_000_000)] = "",
    sensitivity: Annotated[str, Form(max_length=10)] = "balanced",
    excerpts: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Score a pasted chat export in memory; audited without any message text."""
    from heroes.textrisk.chats import parse_export
    from heroes.textrisk.grooming import SENSITIVITY

    level = sensitivity if sensitivity in SENSITIVITY else "balanced"
    show = excerpts in ("1", "on", "true")
    try:
        conversations = parse_export(clean_text(export, "export", 5_000_000).encode(), "pasted chat")
    except InvalidInput as exc:
        return _grooming_page(request, viewer, error=str(exc), sensitivity=level, excerpts=show)
    results: list[dict[str, Any]] = []
    alerts = 0
    for conversation in conversations:
        messages = [(m.author, m.time, m.text) for m in conversation.messages]
        assessed = score_conversation(request, messages, level, show)
        last = assessed[-1] if assessed else None
        raised = [a.alert for a in assessed if a.alert is not None]
        alerts += len(raised)
        results.append({
            "id": conversation.id, "risk": last.risk if last else 0.0,
            "author": last.author if last else None, "alerts": raised,
            "signs": list(last.active) if last else [], "problems": conversation.problems[:5],
        })  # fmt: skip
    details = {"conversations": len(results), "alerts": alerts, "sensitivity": level}
    web_state(request).store.log_event(None, viewer.user.name, "grooming.score", "page", details)
    return _grooming_page(request, viewer, results=results, sensitivity=level, excerpts=show)
