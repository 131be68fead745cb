"""The REST API (``/api/v1``): cases, items, matches, search, decisions, hash lists, users and audit.

Why pydantic models for every answer: the OpenAPI schema at ``/openapi.json`` is then complete, so
an agency's scripts (and schemathesis in the tests) can rely on it. The API is a thin adapter: it
applies the same membership and role rules as the pages (:func:`heroes.web.auth.open_case`), passes
the caller's name as the actor of every store call (the store audits every view), and turns bad
input into 4xx answers — never a 5xx.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from heroes.accounts import hash_password, one_time_password
from heroes.errors import AuditChainBroken, InvalidInput, NotFound
from heroes.evidence import Decision, Item, Match, Role, User
from heroes.store import SearchQuery, case_chain, parse_bbox
from heroes.store.casestore import ReviewRow
from heroes.web.auth import Access, Principal, api_principal, open_case, require_admin
from heroes.web.state import category_label, clean_text, score_conversation, web_state

__all__ = ["PER_PAGE", "router"]

PER_PAGE = 60
_MAX_ID = 2**62


def _safe(value: str) -> str:
    """Text the store can keep; a ValueError makes pydantic answer 422 like any other bad field."""
    try:
        return clean_text(value, "text", 10_000)
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


SafeText = Annotated[str, AfterValidator(_safe)]
ItemId = Annotated[int, Field(ge=1, le=_MAX_ID)]
CaseName = Annotated[str, Path(description="Case name (URL-escaped).")]
PathItemId = Annotated[int, Path(ge=1, le=_MAX_ID)]
Caller = Annotated[Principal, Depends(api_principal)]


class ErrorOut(BaseModel):
    """Why a request was refused."""

    detail: str


class CountsOut(BaseModel):
    """What a case holds."""

    items: int
    errors: int
    matched_items: int
    known_good_items: int


class CaseOut(BaseModel):
    """A case the caller may open, with its counts."""

    name: str
    description: str
    created_at: datetime
    counts: CountsOut


class ScanOut(BaseModel):
    """One scan of a case and how far it got."""

    model_config = ConfigDict(extra="ignore")

    id: int
    root: str
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    files_seen: int = 0
    files_hashed: int = 0
    bytes_hashed: int = 0
    errors: int = 0
    recorded: int = 0


class CaseDetail(CaseOut):
    """A case with its scans, newest first."""

    scans: list[ScanOut]


class ItemOut(BaseModel):
    """A file seen in the evidence (``path`` is printable; non-UTF-8 bytes appear as escapes)."""

    id: int
    path: str
    size: int
    mtime: datetime | None
    md5: str | None
    sha1: str | None
    sha256: str | None
    pdq: str | None
    pdq_quality: int | None
    mime: str | None
    source: str
    deleted: bool
    extension_mismatch: str | None
    owner_app: str | None
    camera_make: str | None
    camera_model: str | None
    camera_serial: str | None
    captured_at: str | None
    gps_latitude: float | None
    gps_longitude: float | None
    atime: float | None
    ctime: float | None
    btime: float | None

    @classmethod
    def of(cls, item: Item) -> ItemOut:
        """The API form of an item."""
        return cls(
            id=item.id, path=item.path, size=item.size, mtime=item.mtime, md5=item.md5, sha1=item.sha1,
            sha256=item.sha256, pdq=item.pdq, pdq_quality=item.pdq_quality, mime=item.mime,
            source=item.source, deleted=item.deleted, extension_mismatch=item.extension_mismatch,
            owner_app=item.owner_app, camera_make=item.camera_make, camera_model=item.camera_model,
            camera_serial=item.camera_serial, captured_at=item.captured_at,
            gps_latitude=item.gps_latitude, gps_longitude=item.gps_longitude, atime=item.atime,
            ctime=item.ctime, btime=item.btime,
        )  # fmt: skip


class DecisionOut(BaseModel):
    """A reviewer's categorisation of an item (a lead for the case, not a verdict)."""

    category: str | None
    category_label: str
    tags: list[str]
    note: str
    decided_by: str
    decided_at: datetime

    @classmethod
    def of(cls, decision: Decision | None) -> DecisionOut | None:
        """The API form of a decision, if any."""
        if decision is None:
            return None
        return cls(
            category=decision.category, category_label=category_label(decision.category),
            tags=list(decision.tags), note=decision.note, decided_by=decision.decided_by,
            decided_at=decision.decided_at,
        )  # fmt: skip


class ReviewRowOut(BaseModel):
    """One item of the review queue with why it ranks where it does."""

    item: ItemOut
    priority: float
    reasons: list[str]
    hits: int
    decision: DecisionOut | None

    @classmethod
    def of(cls, row: ReviewRow) -> ReviewRowOut:
        """The API form of a review row."""
        return cls(
            item=ItemOut.of(row.item), priority=row.priority, reasons=list(row.reasons), hits=row.hits,
            decision=DecisionOut.of(row.decision),
        )  # fmt: skip


class ItemPage(BaseModel):
    """One page of the review queue."""

    total: int
    page: int
    per_page: int
    rows: list[ReviewRowOut]


class MatchOut(BaseModel):
    """An item equal or near to an entry of a hash list."""

    item_id: int
    path: str
    list_name: str
    list_role: str
    entry_id: int
    algorithm: str
    distance: int
    value: str
    label: str | None
    category: str | None
    variant: str
    how: str

    @classmethod
    def of(cls, match: Match) -> MatchOut:
        """The API form of a match."""
        return cls(
            item_id=match.item_id, path=match.path, list_name=match.list_name,
            list_role=match.list_role.value, entry_id=match.entry_id, algorithm=match.algorithm.value,
            distance=match.distance, value=match.value, label=match.label, category=match.category,
            variant=match.variant, how=match.how,
        )  # fmt: skip


class ItemDetail(BaseModel):
    """An item with its matches (known-good ones included) and its current decision."""

    item: ItemOut
    decision: DecisionOut | None
    matches: list[MatchOut]


class SearchHitOut(BaseModel):
    """An item found by a search, with its review priority and the text around the words."""

    item: ItemOut
    priority: float
    snippet: str | None


class DecisionIn(BaseModel):
    """Categorise items of the case (replacing earlier decisions of those items)."""

    item_ids: list[ItemId] = Field(min_length=1, max_length=10_000)
    category: int | None = Field(
        None, ge=0, le=4, description="Project VIC (US): 0 not pertinent … 4 comparison; null for none."
    )
    tags: list[Annotated[SafeText, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
    note: Annotated[SafeText, Field(max_length=4000)] = ""


class DecisionResult(BaseModel):
    """How many items were categorised."""

    recorded: int
    category: str | None


class HashListOut(BaseModel):
    """An imported hash list (its entries are not listed here)."""

    name: str
    role: str
    source: str
    imported_at: datetime
    entry_count: int
    malformed_count: int
    pdq_threshold: int
    format: str
    category_scheme: str


class UserOut(BaseModel):
    """An account of the review app."""

    name: str
    role: Role
    disabled: bool
    must_change_password: bool
    blur_thumbnails: bool

    @classmethod
    def of(cls, user: User) -> UserOut:
        """The API form of a user."""
        return cls(
            name=user.name, role=user.role, disabled=user.disabled,
            must_change_password=user.must_change_password, blur_thumbnails=user.blur_thumbnails,
        )  # fmt: skip


class UserIn(BaseModel):
    """A new account; it gets a one-time password to change at first login."""

    name: Annotated[SafeText, Field(min_length=1, max_length=200)]
    role: Role
    cases: list[Annotated[SafeText, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=100
    )


class UserCreated(BaseModel):
    """The new account and its one-time password (shown only in this answer)."""

    user: UserOut
    one_time_password: str


class AuditEventOut(BaseModel):
    """One event of a hash-chained audit trail."""

    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditOut(BaseModel):
    """A case's audit chain: whether it verifies, and a slice of its events in sequence order."""

    chain: str
    verified: bool
    problem: str | None
    total: int
    events: list[AuditEventOut]


_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Bad input"},
    401: {"model": ErrorOut, "description": "Not logged in, or an unknown or revoked token"},
    403: {"model": ErrorOut, "description": "The role may not do this, or a missing CSRF token"},
    404: {"model": ErrorOut, "description": "No such case (or not a member), item or user"},
}

router = APIRouter(prefix="/api/v1", responses=_ERRORS)


def _case_out(request: Request, name: str, caller: Principal) -> tuple[CaseOut, list[ScanOut]]:
    store = web_state(request).store
    case = open_case(request, caller.user, name, Access.OVERVIEW)
    counts = CountsOut(**store.case_counts(case))
    scans = [ScanOut(**row) for row in store.scans(case)]
    return CaseOut(
        name=case.name, description=case.description, created_at=case.created_at, counts=counts
    ), scans


@router.get("/me", tags=["accounts"], summary="The caller's account")
def me(caller: Caller) -> UserOut:
    """Who the token or session belongs to."""
    return UserOut.of(caller.user)


@router.get("/cases", tags=["cases"], summary="Cases the caller may open, with counts")
def list_cases(request: Request, caller: Caller) -> list[CaseOut]:
    """Every case the caller is a member of (administrators: every case)."""
    store = web_state(request).store
    allowed = store.accounts.case_ids(caller.user)
    return [_case_out(request, c.name, caller)[0] for c in store.list_cases() if c.id in allowed]


@router.get("/cases/{case:path}/items/{item_id}", tags=["items"], summary="One item with its matches")
def get_item(request: Request, case: CaseName, item_id: PathItemId, caller: Caller) -> ItemDetail:
    """An item's metadata and hashes, its matches and its decision (audited as a view)."""
    store = web_state(request).store
    found_case = open_case(request, caller.user, case, Access.MEDIA)
    items = store.items(found_case, caller.user.name, item_ids=[item_id], purpose="api-item")
    if not items:
        raise NotFound(f"no item {item_id} in case {case!r}")
    matches = store.matches(
        found_case, caller.user.name, include_known_good=True, purpose="api-item", item_ids=[item_id]
    )
    decision = store.decisions(found_case, [item_id]).get(item_id)
    return ItemDetail(
        item=ItemOut.of(items[0]),
        decision=DecisionOut.of(decision),
        matches=[MatchOut.of(m) for m in matches],
    )


@router.get("/cases/{case:path}/items", tags=["items"], summary="One page of the review queue")
def list_items(
    request: Request,
    case: CaseName,
    caller: Caller,
    order: Literal["priority", "hits"] = "priority",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = PER_PAGE,
    undecided: bool = False,
    only_hits: bool = False,
) -> ItemPage:
    """Items by review priority (or by hit count), with reasons, hits and decisions (audited)."""
    store = web_state(request).store
    found_case = open_case(request, caller.user, case, Access.MEDIA)
    total, rows = store.review_page(
        found_case, caller.user.name, order=order, only_hits=only_hits, undecided=undecided,
        limit=per_page, offset=(page - 1) * per_page,
    )  # fmt: skip
    return ItemPage(total=total, page=page, per_page=per_page, rows=[ReviewRowOut.of(r) for r in rows])


@router.get("/cases/{case:path}/matches", tags=["items"], summary="Matches of a case against hash lists")
def list_matches(
    request: Request,
    case: CaseName,
    caller: Caller,
    include_known_good: bool = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[MatchOut]:
    """Matches by path; items on a known-good list are left out unless asked for (audited)."""
    store = web_state(request).store
    found_case = open_case(request, caller.user, case, Access.MEDIA)
    found = store.matches(found_case, caller.user.name, include_known_good=include_known_good, purpose="api")
    return [MatchOut.of(m) for m in found[offset : offset + limit]]


@router.get("/cases/{case:path}/search", tags=["search"], summary="Search a case (as `heroes search`)")
def search(
    request: Request,
    case: CaseName,
    caller: Caller,
    q: Annotated[str, Query(max_length=500, description="Words; each must be found.")] = "",
    mime: Annotated[
        str | None, Query(alias="type", max_length=200, description="MIME type or prefix")
    ] = None,
    min_size: Annotated[int | None, Query(ge=0, le=_MAX_ID)] = None,
    max_size: Annotated[int | None, Query(ge=0, le=_MAX_ID)] = None,
    since: Annotated[datetime | None, Query(description="Modified at or after (UTC if no zone)")] = None,
    until: Annotated[datetime | None, Query(description="Modified at or before (UTC if no zone)")] = None,
    camera: Annotated[str | None, Query(max_length=200)] = None,
    has_gps: bool = False,
    bbox: Annotated[str | None, Query(max_length=200, description="south,west,north,east")] = None,
    deleted: bool | None = None,
    list_name: Annotated[str | None, Query(alias="list", max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=50)] = None,
    min_priority: Annotated[float | None, Query(allow_inf_nan=False, ge=-1e12, le=1e12)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> list[SearchHitOut]:
    """Items matching every word and filter, by review priority then text relevance (audited)."""
    store = web_state(request).store
    found_case = open_case(request, caller.user, case, Access.SEARCH)
    query = SearchQuery(
        text=q, mime_prefix=mime or None, min_size=min_size, max_size=max_size, since=since,
        until=until, camera=camera or None, has_gps=has_gps, bbox=parse_bbox(bbox), deleted=deleted,
        list_name=list_name or None, category=category or None, min_priority=min_priority,
    )  # fmt: skip
    hits = store.search(found_case, caller.user.name, query, limit, offset)
    return [SearchHitOut(item=ItemOut.of(i), priority=p, snippet=s) for i, p, s in hits]


@router.post("/cases/{case:path}/decisions", tags=["decisions"], summary="Categorise items (bulk)")
def decide(request: Request, case: CaseName, body: DecisionIn, caller: Caller) -> DecisionResult:
    """Record one category, tags and note for every item given (audited with the old values)."""
    store = web_state(request).store
    found_case = open_case(request, caller.user, case, Access.DECIDE)
    category = None if body.category is None else str(body.category)
    tags = sorted({t.strip() for t in body.tags if t.strip()})
    recorded = store.record_decisions(
        found_case, body.item_ids, caller.user.name, category=category, tags=tags, note=body.note
    )
    return DecisionResult(recorded=recorded, category=category)


@router.get(
    "/cases/{case:path}/audit", tags=["audit"], summary="A case's audit trail and whether it verifies"
)
def audit(
    request: Request,
    case: CaseName,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> AuditOut:
    """Events in sequence order (a slice) and the result of recomputing the whole chain."""
    store = web_state(request).store
    found_case = open_case(request, caller.user, case, Access.OVERVIEW)
    chain = case_chain(found_case.name)
    problem: str | None = None
    try:
        store.verify_audit(chain)
    except AuditChainBroken as exc:
        problem = str(exc)
    events = store.audit_events(chain)
    store.log_event(
        found_case, caller.user.name, "audit.view", chain, {"verified": problem is None, "via": "api"}
    )
    return AuditOut(
        chain=chain, verified=problem is None, problem=problem, total=len(events),
        events=[
            AuditEventOut(seq=e.seq, at=e.at, actor=e.actor, action=e.action, target=e.target,
                          details=e.details, prev_hash=e.prev_hash, hash=e.hash)
            for e in events[offset : offset + limit]
        ],
    )  # fmt: skip


@router.get("/cases/{case:path}", tags=["cases"], summary="A case with counts and scans")
def get_case(request: Request, case: CaseName, caller: Caller) -> CaseDetail:
    """Counts and scan progress of one case (no media; auditors may read it)."""
    found, scans = _case_out(request, case, caller)
    return CaseDetail(**found.model_dump(), scans=scans)


@router.get("/hashlists", tags=["hash lists"], summary="Imported hash lists")
def hash_lists(request: Request, caller: Caller) -> list[HashListOut]:
    """Names, roles, sizes and provenance of the hash lists (not their entries)."""
    del caller  # any logged-in user may see which lists exist
    return [
        HashListOut(
            name=h.name,
            role=h.role.value,
            source=h.source,
            imported_at=h.imported_at,
            entry_count=h.entry_count,
            malformed_count=h.malformed_count,
            pdq_threshold=h.pdq_threshold,
            format=h.format,
            category_scheme=h.category_scheme.value,
        )
        for h in web_state(request).store.hash_lists()
    ]


@router.get("/users", tags=["accounts"], summary="Accounts (administrators)")
def list_users(request: Request, caller: Caller) -> list[UserOut]:
    """Every account of the review app."""
    require_admin(caller)
    return [UserOut.of(u) for u in web_state(request).store.accounts.users()]


@router.post(
    "/users",
    tags=["accounts"],
    summary="Create an account (administrators)",
    status_code=201,
    responses={409: {"model": ErrorOut, "description": "The name is taken"}},
)
def create_user(request: Request, body: UserIn, caller: Caller) -> UserCreated:
    """A new account with a one-time password, made a member of the cases named (all audited)."""
    require_admin(caller)
    store = web_state(request).store
    cases = [store.case(name) for name in dict.fromkeys(body.cases)]
    password = one_time_password()
    user = store.accounts.add_user(body.name, body.role, hash_password(password), caller.user.name)
    for found in cases:
        store.accounts.grant(user.name, found, caller.user.name)
    return UserCreated(user=UserOut.of(user), one_time_password=password)


# -- prevention: the anti-grooming engine ----------------------------------------------------------


class ChatMessageIn(BaseModel):
    """One message of a conversation, in order."""

    author: Annotated[SafeText, Field(min_length=1, max_length=200)]
    text: Annotated[SafeText, Field(max_length=4000)]


class GroomingIn(BaseModel):
    """A conversation to score; nothing of it is stored or logged."""

    messages: list[ChatMessageIn] = Field(min_length=1, max_length=5000)
    sensitivity: Literal["low", "balanced", "high"] = "balanced"
    excerpts: bool = Field(False, description="Include up to 80 characters of each triggering message.")


class GroomingAlertOut(BaseModel):
    """A prompt for a human conversation: why, from whom, how sure."""

    message_index: int
    risk: float
    author: str
    indicators: list[str]
    reason: str


class GroomingSignOut(BaseModel):
    """An indicator seen, who showed it and where."""

    indicator: str
    name: str
    stage: str
    author: str
    message_index: int
    score: float
    excerpt: str | None


class GroomingOut(BaseModel):
    """Risk after each message, the alerts raised, and the signs behind them."""

    risk: float
    author: str | None
    risks: list[float]
    alerts: list[GroomingAlertOut]
    signs: list[GroomingSignOut]
    notice: str


@router.post("/grooming/score", tags=["prevention"], summary="Score a conversation for signs of grooming")
def grooming_score(request: Request, body: GroomingIn, caller: Caller) -> GroomingOut:
    """Feed the messages through the anti-grooming engine; audited without any message text."""
    messages = [(m.author, None, m.text) for m in body.messages]
    assessed = score_conversation(request, messages, body.sensitivity, body.excerpts)
    last = assessed[-1]
    alerts = [
        GroomingAlertOut(message_index=a.alert.message_index, risk=a.alert.risk, author=a.alert.author,
                         indicators=list(a.alert.indicators), reason=a.alert.reason)
        for a in assessed if a.alert is not None
    ]  # fmt: skip
    web_state(request).store.log_event(
        None, caller.user.name, "grooming.score", "api",
        {"messages": len(body.messages), "alerts": len(alerts), "sensitivity": body.sensitivity},
    )  # fmt: skip
    return GroomingOut(
        risk=last.risk, author=last.author, risks=[round(a.risk, 4) for a in assessed], alerts=alerts,
        signs=[GroomingSignOut(indicator=s.indicator, name=s.name, stage=s.stage, author=s.author,
                               message_index=s.message_index, score=s.score, excerpt=s.excerpt)
               for s in last.active],
        notice="Alerts are prompts for a calm human conversation, never verdicts.",
    )  # fmt: skip
