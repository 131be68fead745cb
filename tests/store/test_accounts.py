"""Accounts, memberships, sessions, tokens and review decisions on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from heroes.accounts import authenticate, digest, ensure_first_admin, hash_password, new_secret
from heroes.errors import AlreadyExists, InvalidInput, NotFound
from heroes.evidence import Algorithm, FileHashes, HashEntry, ListRole, Role
from heroes.store import GLOBAL_CHAIN, CaseStore, NewMatch, case_chain


def test_users_passwords_and_first_admin(store: CaseStore) -> None:
    first = ensure_first_admin(store, "setup")
    assert first and ensure_first_admin(store, "setup") is None
    admin = authenticate(store, "admin", first)
    assert admin is not None and admin.role is Role.ADMIN and admin.must_change_password
    assert authenticate(store, "admin", "wrong password!") is None
    assert authenticate(store, "nobody", first) is None
    bob = store.accounts.add_user("bob", Role.REVIEWER, hash_password("correct horse battery"), "admin")
    with pytest.raises(AlreadyExists):
        store.accounts.add_user("bob", Role.REVIEWER, hash_password("correct horse battery"), "admin")
    with pytest.raises(InvalidInput):
        store.accounts.add_user("has space", Role.REVIEWER, "x", "admin")
    with pytest.raises(InvalidInput, match="at least 12"):
        hash_password("short")
    store.accounts.set_password("bob", hash_password("a new long password"), "admin")
    assert authenticate(store, "bob", "correct horse battery") is None
    assert authenticate(store, "bob", "a new long password") == store.accounts.user("bob")
    store.accounts.set_disabled("bob", True, "admin")
    assert authenticate(store, "bob", "a new long password") is None
    assert store.accounts.set_blur(bob, False).blur_thumbnails is False
    actions = [e.action for e in store.audit_events(GLOBAL_CHAIN)]
    assert actions[:2] == ["user.add", "user.add"] and "user.passwd" in actions and "user.disable" in actions
    assert not any("argon2" in str(e.details) for e in store.audit_events(GLOBAL_CHAIN))
    with pytest.raises(NotFound):
        store.accounts.set_password("ghost", "x", "admin")


def test_memberships_sessions_and_tokens(store: CaseStore) -> None:
    case = store.create_case("op", "admin")
    other = store.create_case("other", "admin")
    alice = store.accounts.add_user("alice", Role.INVESTIGATOR, hash_password("alice's long secret"), "admin")
    root = store.accounts.add_user("root", Role.ADMIN, hash_password("root's long secret!"), "admin")
    assert store.accounts.case_ids(alice) == set()
    store.accounts.grant("alice", case, "admin")
    store.accounts.grant("alice", case, "admin")  # idempotent
    assert store.accounts.case_ids(alice) == {case.id} and store.accounts.members(case) == ["alice"]
    assert store.accounts.case_ids(root) == {case.id, other.id}
    assert [e.action for e in store.audit_events(case_chain("op"))][-1] == "member.grant"

    secret = new_secret()
    store.accounts.open_session(alice, digest(secret), "csrf-1", datetime.now(UTC) + timedelta(hours=1))
    assert store.accounts.session(digest(secret)) == (alice, "csrf-1")
    assert store.accounts.session(secret) is None  # only the digest opens it
    old = new_secret()
    store.accounts.open_session(alice, digest(old), "csrf-2", datetime.now(UTC) - timedelta(seconds=1))
    assert store.accounts.session(digest(old)) is None  # expired
    token = new_secret()
    token_id = store.accounts.add_token(alice, "script", digest(token), "alice")
    assert store.accounts.token_user(digest(token)) == alice
    store.accounts.revoke_tokens(alice, [token_id], "alice")
    assert store.accounts.token_user(digest(token)) is None
    store.accounts.set_disabled("alice", True, "root")
    assert store.accounts.session(digest(secret)) is None
    store.accounts.revoke("alice", case, "root")
    assert store.accounts.members(case) == []


def test_decisions_and_the_review_page(store: CaseStore) -> None:
    case = store.create_case("d", "admin")
    other = store.create_case("e", "admin")
    scan_id = store.start_scan(case, "/e", "admin")
    files = [
        FileHashes(f"/e/{n:03d}.jpg".encode(), size=n, values={"sha256": f"{n:064x}"}) for n in range(30)
    ]
    ids = store.record_files(case, scan_id, "/e", files, {}, "admin")
    ranked = [(ids[f.raw_path], float(n % 7), ["reason"] if n % 7 else []) for n, f in enumerate(files)]
    store.replace_priorities(case, ranked, "admin")
    total, page = store.review_page(case, "bob", limit=10)
    assert total == 30 and len(page) == 10
    assert [r.priority for r in page] == sorted((r.priority for r in page), reverse=True) and page[
        0
    ].priority == 6
    first = [r.item.id for r in page[:2]]
    assert (
        store.record_decisions(case, first, "bob", category="1", tags=["series-a", "series-a"], note="n") == 2
    )
    _, again = store.review_page(case, "bob", limit=10)
    assert again[0].decision is not None and again[0].decision.category == "1"
    assert again[0].decision.tags == ("series-a",) and again[0].decision.decided_by == "bob"
    total_undecided, _ = store.review_page(case, "bob", undecided=True)
    assert total_undecided == 28
    store.record_decisions(case, first[:1], "carol", category="0")
    assert store.decisions(case)[first[0]].category == "0"
    event = [e for e in store.audit_events(case_chain("d")) if e.action == "decision.record"][-1]
    assert event.actor == "carol" and event.details["before"] == {str(first[0]): "1"}
    with pytest.raises(NotFound):
        store.record_decisions(other, first, "bob", category="1")  # items of another case
    _, page2 = store.review_page(case, "bob", limit=10, offset=10)
    assert not {r.item.id for r in page2} & {r.item.id for r in page}
    assert "items.review-grid" in [e.action for e in store.audit_events(case_chain("d"))]


def test_scans_progress_and_neighbours(store: CaseStore) -> None:
    case = store.create_case("n", "admin")
    scan_id = store.start_scan(case, "/e", "admin")
    near = "f" * 63 + "0"  # one bit from "f" * 64
    files = [
        FileHashes(b"/e/a/1.jpg", values={"sha256": "1" * 64, "pdq": "f" * 64, "pdq_quality": 90,
                                          "camera_serial": "SN1"}),
        FileHashes(b"/e/a/2.jpg", values={"sha256": "2" * 64, "pdq": near, "pdq_quality": 90}),
        FileHashes(b"/e/a/sub/3.jpg", values={"sha256": "3" * 64, "camera_serial": "SN1"}),
        FileHashes(b"/e/b/4.jpg", values={"sha256": "4" * 64, "pdq": "0" * 64, "pdq_quality": 90}),
    ]  # fmt: skip
    ids = store.record_files(case, scan_id, "/e", files, {}, "admin")
    [running] = store.scans(case)
    assert (running["status"], running["recorded"]) == ("running", 4)
    store.finish_scan(case, scan_id, "finished", {"files_seen": 4}, "admin")
    assert store.scans(case)[0]["status"] == "finished"
    [one] = store.items(case, "bob", item_ids=[ids[b"/e/a/1.jpg"]])
    around = {kind: [i.path for i in items] for kind, items in store.neighbours(case, one, "bob").items()}
    assert around == {"same folder": ["/e/a/2.jpg"], "same camera": ["/e/a/sub/3.jpg"],
                      "near-duplicates": ["/e/a/2.jpg"]}  # fmt: skip


@pytest.mark.parametrize("ranked", [True, False])
def test_review_page_orders_by_hits_and_priority_ranked_or_not(store: CaseStore, ranked: bool) -> None:
    case = store.create_case("h", "admin")
    listed = store.import_hash_list(
        "l", [HashEntry(Algorithm.MD5, "a" * 32, "1"), HashEntry(Algorithm.SHA256, "b" * 64, "1")],
        role=ListRole.KNOWN_BAD, source="t", actor="admin",
    ).hash_list  # fmt: skip
    scan_id = store.start_scan(case, "/e", "admin")
    files = [FileHashes(f"/e/{n}.jpg".encode(), values={"sha256": f"{n:064x}"}) for n in range(12)]
    ids = [store.record_files(case, scan_id, "/e", [f], {}, "admin")[f.raw_path] for f in files]
    entries = {v: e for e, _, v in store.exact_entries([listed], Algorithm.MD5, ["a" * 32])}
    entries |= {v: e for e, _, v in store.exact_entries([listed], Algorithm.SHA256, ["b" * 64])}
    found = [
        NewMatch(ids[3], entries["a" * 32], listed.id, Algorithm.MD5, 0),
        NewMatch(ids[3], entries["b" * 64], listed.id, Algorithm.SHA256, 0),
        NewMatch(ids[7], entries["a" * 32], listed.id, Algorithm.MD5, 0),
    ]
    store.record_matches(case, found, "admin")
    if ranked:
        store.replace_priorities(case, [(n, float(k), []) for k, n in enumerate(ids)], "admin")
    by_hits = [r.item.id for r in store.review_page(case, "bob", order="hits", limit=4)[1]]
    assert by_hits[:2] == [ids[3], ids[7]]  # two hits, then one
    assert by_hits[2:] == [ids[11], ids[10]]  # then by priority (unranked: all 0, newest id first)
    total, rest = store.review_page(case, "bob", order="hits", limit=4, offset=4)
    assert total == 12 and [r.item.id for r in rest] == [ids[9], ids[8], ids[6], ids[5]]
    total, only = store.review_page(case, "bob", only_hits=True)
    assert total == 2 and [r.hits for r in only] == [2, 1]
    pages = [r.item.id for k in range(3) for r in store.review_page(case, "bob", limit=5, offset=5 * k)[1]]
    assert sorted(pages) == sorted(ids) and len(pages) == 12  # every item exactly once across pages
