"""The case store on SQLite and PostgreSQL: cases, lists, items, matches, and a tamper-evident audit trail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from heroes.errors import AlreadyExists, AuditChainBroken, NotFound
from heroes.evidence import Algorithm, Artifact, FileHashes, Finding, HashEntry, HashList, ListRole, Malformed
from heroes.store import GLOBAL_CHAIN, CaseStore, NewMatch, SearchQuery, case_chain
from heroes.store.schema import metadata

MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _file(path: bytes, md5: str = MD5, **extra: object) -> FileHashes:
    return FileHashes(
        path, size=10, mtime=1.5, mime="image/jpeg", values={"md5": md5, "sha256": "a" * 64, **extra}
    )


def _not_fulltext(name: str | None, kind: str, _parent: object) -> bool:
    # Full-text indexes are dialect-specific and created by migration 0006 alone, on purpose:
    # SQLite's FTS5 table (and its shadow tables), PostgreSQL's GIN index over to_tsvector.
    if kind == "table" and name is not None and name.startswith("item_text_fts"):
        return False
    return not (kind == "index" and name == "ix_item_text_tsv")


def test_migrations_match_the_schema(store: CaseStore) -> None:
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _not_fulltext})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_cases_are_unique_and_audited(store: CaseStore) -> None:
    case = store.create_case("op-1", "alice", "first")
    assert store.case("op-1") == case
    with pytest.raises(AlreadyExists):
        store.create_case("op-1", "bob")
    with pytest.raises(NotFound):
        store.case("nope")
    assert store.ensure_case("op-1", "bob").id == case.id
    events = store.audit_events(case_chain("op-1"))
    assert [(e.action, e.actor) for e in events] == [("case.create", "alice")]


def test_hash_list_import_counts_malformed_and_refuses_silent_overwrite(store: CaseStore) -> None:
    records = [
        HashEntry(Algorithm.MD5, MD5, "1", "x"),
        Malformed(3, "bad hex"),
        HashEntry(Algorithm.PDQ, "f" * 64),
    ]
    result = store.import_hash_list("bad", records, role=ListRole.KNOWN_BAD, source="t", actor="alice")
    assert (result.hash_list.entry_count, result.hash_list.malformed_count) == (2, 1)
    assert result.malformed == [Malformed(3, "bad hex")]
    with pytest.raises(AlreadyExists):
        store.import_hash_list("bad", [], role=ListRole.KNOWN_BAD, source="t", actor="alice")
    replaced = store.import_hash_list(
        "bad", records[:1], role=ListRole.KNOWN_BAD, source="t2", actor="a", replace=True
    )
    assert replaced.hash_list.entry_count == 1
    assert [h.name for h in store.hash_lists()] == ["bad"]
    assert list(store.list_entries(replaced.hash_list, "a")) == [HashEntry(Algorithm.MD5, MD5, "1", "x")]
    with pytest.raises(NotFound):
        store.hash_lists(["bad", "missing"])
    assert [e.action for e in store.audit_events(GLOBAL_CHAIN)] == [
        "hashlist.import",
        "hashlist.import",
        "hashlist.read",
    ]


def test_every_entry_field_survives_the_store(store: CaseStore) -> None:
    full = HashEntry(Algorithm.SHA1, "a" * 40, "2", "IMG_1.jpg", "17", 12345, "series x", ("t1", "t 2"), True)
    opaque = HashEntry(Algorithm.PHOTODNA, "Zm9v" * 100, record="17")
    video = HashEntry(Algorithm.VPDQ, "0,100," + "f" * 64 + ",0.0;" * 300, victim_identified=False)
    hl = store.import_hash_list(
        "v", [full, opaque, video], role=ListRole.KNOWN_BAD, source="t", actor="a"
    ).hash_list
    assert list(store.list_entries(hl, "a")) == [full, opaque, video]
    chunks = list(store.signals(hl, Algorithm.VPDQ))
    assert [[v for _, v in c] for c in chunks] == [[video.value]]


def test_recording_files_is_idempotent_and_exact_lookup_uses_the_index(store: CaseStore) -> None:
    case = store.create_case("c", "alice")
    hl = store.import_hash_list(
        "l", [HashEntry(Algorithm.MD5, MD5, "1", "lab")], role=ListRole.KNOWN_BAD, source="t", actor="a"
    ).hash_list
    scan_id = store.start_scan(case, "/evidence", "alice")
    paths = [b"/evidence/a.jpg", b"/evidence/\xff.jpg", b"/evidence/" + b"d/" * 2000 + b"deep.jpg"]
    first = store.record_files(case, scan_id, "/evidence", [_file(p) for p in paths], {}, "alice")
    again = store.record_files(case, scan_id, "/evidence", [_file(p) for p in paths], {}, "alice")
    assert first == again and len(first) == 3
    assert store.case_counts(case)["items"] == 3
    assert store.resume_state(case, paths)[paths[1]] == (first[paths[1]], 10, 1.5)
    items = store.items(case, "alice")
    assert sorted(bytes(i.raw_path) for i in items) == sorted(paths)
    assert any(i.path == "/evidence/\\xff.jpg" for i in items)

    hits = store.exact_entries([hl], Algorithm.MD5, [MD5, "0" * 32])
    assert [(list_id, value) for _, list_id, value in hits] == [(hl.id, MD5)]
    entry_id = hits[0][0]
    found = [NewMatch(first[p], entry_id, hl.id, Algorithm.MD5, 0) for p in paths]
    assert store.record_matches(case, found, "alice") == 3
    assert store.record_matches(case, found, "alice") == 0
    matches = store.matches(case, "bob")
    assert len(matches) == 3 and {m.label for m in matches} == {"lab"}


def test_known_good_hides_only_exact_matches_without_a_known_bad_one(store: CaseStore) -> None:
    case = store.create_case("c", "alice")
    other = "1" * 32
    pdq = "f" * 64
    bad = store.import_hash_list(
        "bad", [HashEntry(Algorithm.MD5, MD5)], role=ListRole.KNOWN_BAD, source="t", actor="a"
    ).hash_list
    good = store.import_hash_list(
        "good",
        [HashEntry(Algorithm.MD5, MD5), HashEntry(Algorithm.MD5, other), HashEntry(Algorithm.PDQ, pdq)],
        role=ListRole.KNOWN_GOOD,
        source="t",
        actor="a",
    ).hash_list
    scan_id = store.start_scan(case, "/e", "alice")
    files = [_file(b"/e/hit"), _file(b"/e/os-file", md5=other), _file(b"/e/near", md5="2" * 32)]
    ids = store.record_files(case, scan_id, "/e", files, {}, "alice")

    def entry(hash_list: HashList, algorithm: Algorithm, value: str) -> int:
        return next(e for e, _, v in store.exact_entries([hash_list], algorithm, [value]) if v == value)

    bad_md5, good_md5, good_other = (
        entry(bad, Algorithm.MD5, MD5),
        entry(good, Algorithm.MD5, MD5),
        entry(good, Algorithm.MD5, other),
    )
    good_pdq = entry(good, Algorithm.PDQ, pdq)
    store.record_matches(
        case,
        [
            NewMatch(ids[b"/e/hit"], bad_md5, bad.id, Algorithm.MD5, 0),
            NewMatch(ids[b"/e/hit"], good_md5, good.id, Algorithm.MD5, 0),  # also on a known-good list
            NewMatch(ids[b"/e/os-file"], good_other, good.id, Algorithm.MD5, 0),
            NewMatch(ids[b"/e/near"], good_pdq, good.id, Algorithm.PDQ, 12),  # perceptual only
        ],
        "alice",
    )
    visible = {m.path for m in store.matches(case, "alice")}
    assert visible == {"/e/hit", "/e/near"}, "a known-bad hit and a mere near-match must stay in review"
    assert store.case_counts(case) == {"items": 3, "errors": 0, "matched_items": 1, "known_good_items": 1}
    assert {m.list_role for m in store.matches(case, "alice", include_known_good=True)} == set(ListRole)


def test_error_findings_are_recorded_once(store: CaseStore) -> None:
    case = store.create_case("c", "alice")
    scan_id = store.start_scan(case, "/e", "alice")
    broken = FileHashes(b"/e/x.jpg", size=3, error="pdq: image could not be decoded", error_plugin="pdq")
    for _ in range(2):
        store.record_files(case, scan_id, "/e", [broken], {"pdq": "v1"}, "alice")
        store.record_findings(case, scan_id, [Finding("skipped", "folder", "1", "FIFO", "/e/pipe")], "alice")
    found = store.findings(case, "alice")
    assert sorted((f.kind, f.plugin, f.plugin_version) for f in found) == [
        ("error", "pdq", "v1"),
        ("skipped", "folder", "1"),
    ]
    assert store.case_counts(case)["errors"] == 1


def _tamper(store: CaseStore, sql: str) -> None:
    with store.engine.begin() as conn:
        conn.exec_driver_sql(sql)


def _chain(store: CaseStore) -> str:
    case = store.create_case("c", "alice")
    for n in range(4):
        store.log_event(case, "alice", "note", f"t{n}", {"n": n})
    chain = case_chain("c")
    assert store.verify_audit(chain).events == 5
    return chain


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3", "edited"),
        ("UPDATE audit_events SET details = '{\"n\": 9}' WHERE seq = 2", "edited"),
        ("DELETE FROM audit_events WHERE seq = 3", "sequence"),
        ("DELETE FROM audit_events WHERE seq = 5", "removed from the end"),
        ("UPDATE audit_events SET seq = seq + 100 WHERE seq = 2", "sequence"),
    ],
)
def test_audit_verify_detects_tampering(store: CaseStore, sql: str, message: str) -> None:
    chain = _chain(store)
    _tamper(store, sql)
    with pytest.raises(AuditChainBroken, match=message):
        store.verify_audit(chain)


def test_audit_verify_detects_reordering(store: CaseStore) -> None:
    chain = _chain(store)
    # swap the content of events 2 and 3 while keeping ids and sequence numbers in place
    _tamper(store, "UPDATE audit_events SET target = 'swap' WHERE seq = 2")
    _tamper(store, "UPDATE audit_events SET target = 't0' WHERE seq = 3")
    _tamper(store, "UPDATE audit_events SET target = 't1' WHERE target = 'swap'")
    with pytest.raises(AuditChainBroken):
        store.verify_audit(chain)


def test_every_evidence_read_is_audited(store: CaseStore) -> None:
    case = store.create_case("c", "alice")
    before = len(store.audit_events(case_chain("c")))
    store.items(case, "bob")
    store.matches(case, "carol")
    store.findings(case, "dave")
    actors = [e.actor for e in store.audit_events(case_chain("c"))[before:]]
    assert actors == ["bob", "carol", "dave"]
    store.verify_audit(case_chain("c"))


def test_changed_content_drops_stale_matches_and_keeps_the_old_hash_on_record(store: CaseStore) -> None:
    case = store.create_case("c", "alice")
    hl = store.import_hash_list(
        "l", [HashEntry(Algorithm.MD5, MD5)], role=ListRole.KNOWN_BAD, source="t", actor="a"
    )
    scan_id = store.start_scan(case, "/e", "alice")
    ids = store.record_files(case, scan_id, "/e", [_file(b"/e/a")], {}, "alice")
    entry = store.exact_entries([hl.hash_list], Algorithm.MD5, [MD5])[0][0]
    store.record_matches(case, [NewMatch(ids[b"/e/a"], entry, hl.hash_list.id, Algorithm.MD5, 0)], "alice")
    changed = FileHashes(b"/e/a", size=11, mtime=2.0, values={"md5": "3" * 32, "sha256": "b" * 64})
    store.record_files(case, scan_id, "/e", [changed], {}, "alice")
    assert store.matches(case, "alice") == []
    warnings = store.findings(case, "alice", kind="warning")
    assert len(warnings) == 1 and "a" * 64 in warnings[0].explanation and "b" * 64 in warnings[0].explanation
    recorded = [e for e in store.audit_events(case_chain("c")) if e.action == "items.record"][-1]
    assert recorded.details["changed"] == {str(ids[b"/e/a"]): "a" * 64}
    store.verify_audit(case_chain("c"))


def test_hostile_list_text_is_stored_and_bad_lines_are_counted_not_hoarded(store: CaseStore) -> None:
    from heroes.store.casestore import MALFORMED_KEPT

    records: list[HashEntry | Malformed] = [Malformed(n, "bad") for n in range(MALFORMED_KEPT + 5)]
    records.append(HashEntry(Algorithm.MD5, MD5, "c" * 300, "nul\x00label", "r" * 500))
    result = store.import_hash_list("h", records, role=ListRole.KNOWN_BAD, source="t", actor="a")
    assert result.hash_list.malformed_count == MALFORMED_KEPT + 5 and len(result.malformed) == MALFORMED_KEPT
    (entry,) = store.list_entries(result.hash_list, "a")
    assert entry.label == "nul\\x00label" and entry.category == "c" * 300 and entry.record == "r" * 500


def test_search_filters_on_both_databases(store: CaseStore) -> None:
    from heroes.store import SearchQuery

    case = store.create_case("s", "alice")
    hl = store.import_hash_list(
        "l", [HashEntry(Algorithm.MD5, MD5, "1", "x")], role=ListRole.KNOWN_BAD, source="t", actor="a"
    ).hash_list
    scan_id = store.start_scan(case, "/e", "alice")
    files = [
        FileHashes(
            b"/e/WhatsApp/IMG_1.jpg", size=100, mtime=1_700_000_000.0, mime="image/jpeg",
            values={"md5": MD5, "sha256": "a" * 64, "camera_serial": "SN-9", "gps_latitude": 52.5,
                    "gps_longitude": 13.4, "owner_app": "WhatsApp"},
        ),
        FileHashes(b"/e/docs/notes.txt", size=5, mtime=1.6e9, mime="text/plain", values={"md5": "1" * 32}),
        FileHashes(b"/e/old/gone.jpg", size=7, mime="image/jpeg", values={"md5": "2" * 32, "deleted": True}),
    ]  # fmt: skip
    ids = store.record_files(case, scan_id, "/e", files, {}, "alice")
    entry = store.exact_entries([hl], Algorithm.MD5, [MD5])[0][0]
    store.record_matches(
        case, [NewMatch(ids[b"/e/WhatsApp/IMG_1.jpg"], entry, hl.id, Algorithm.MD5, 0)], "alice"
    )
    store.replace_priorities(case, [(ids[b"/e/WhatsApp/IMG_1.jpg"], 100.0, ["hit"])], "alice")

    def names(**query: object) -> list[str]:
        return [i.path.rsplit("/", 1)[1] for i, _, _ in store.search(case, "bob", SearchQuery(**query))]  # type: ignore[arg-type]

    assert names(text="whatsapp img") == ["IMG_1.jpg"]
    assert names(mime_prefix="image/") == ["IMG_1.jpg", "gone.jpg"]  # priority first
    assert names(min_size=6, max_size=50) == ["gone.jpg"]
    assert (
        names(camera="sn-9")
        == names(has_gps=True)
        == names(list_name="l")
        == names(category="1")
        == ["IMG_1.jpg"]
    )
    assert names(bbox=(52.0, 13.0, 53.0, 14.0)) == ["IMG_1.jpg"] and names(bbox=(0.0, 0.0, 1.0, 1.0)) == []
    assert names(deleted=True) == ["gone.jpg"]
    assert names(since=datetime(2023, 1, 1, tzinfo=UTC)) == ["IMG_1.jpg"]
    assert names(min_priority=50.0) == ["IMG_1.jpg"]
    assert [e.actor for e in store.audit_events(case_chain("s"))].count(
        "bob"
    ) == 12  # every search is audited


def test_full_text_search_over_documents_and_messages_on_both_databases(store: CaseStore) -> None:
    case = store.create_case("ft", "alice")
    scan_id = store.start_scan(case, "/e", "alice")
    chat = Artifact(
        "whatsapp", "message", "WhatsApp", "messages:7", datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
        "Meet me at the Café Central library at five", "34600111222@s.whatsapp.net", None, "t1", "received",
    )  # fmt: skip
    long_text = "filler " * 40_000 + "needle-in-the-third-chunk"  # beyond one stored chunk
    files = [
        FileHashes(b"/e/a/report.pdf", size=9, mime="application/pdf",
                   values={"sha256": "1" * 64, "text": "Quarterly invoice for the warehouse rent"}),
        FileHashes(b"/e/b/msgstore.db", size=9, mime="application/vnd.sqlite3",
                   values={"sha256": "2" * 64, "artifacts": [chat]}),
        FileHashes(b"/e/c/big.txt", size=9, mime="text/plain",
                   values={"sha256": "3" * 64, "text": long_text}),
        FileHashes(b"/e/c/other.txt", size=9, mime="text/plain",
                   values={"sha256": "4" * 64, "text": "invoice invoice invoice warehouse"}),
    ]  # fmt: skip
    ids = store.record_files(case, scan_id, "/e", files, {}, "alice")

    def found(text: str) -> list[tuple[str, str | None]]:
        return [
            (i.path.rsplit("/", 1)[1], s) for i, _, s in store.search(case, "bob", SearchQuery(text=text))
        ]

    invoices = found("invoice warehouse")
    assert {name for name, _ in invoices} == {"report.pdf", "other.txt"}
    assert invoices[0][0] == "other.txt"  # more occurrences rank higher at equal priority
    assert found("invo") and found("INVOICE")[0][1] is not None  # word prefixes, any case
    assert found("library five")[0][0] == "msgstore.db"
    assert "Café Central library" in (found("central")[0][1] or "")
    assert found("34600111222") and found("whatsapp")[0][0] == "msgstore.db"
    assert found("needle-in-the-third-chunk")[0][0] == "big.txt"
    assert found("invoice library") == []  # every word must match the same item
    assert found("nothing-like-this") == []
    # re-recording replaces text and artifacts, never duplicates them
    store.record_files(case, scan_id, "/e", files[1:2], {}, "alice")
    assert len(store.artifacts(case, "bob")) == 1
    changed = FileHashes(b"/e/a/report.pdf", size=9, mime="application/pdf",
                         values={"sha256": "5" * 64, "text": "a different letter"})  # fmt: skip
    store.record_files(case, scan_id, "/e", [changed], {}, "alice")
    assert {name for name, _ in found("invoice")} == {"other.txt"}
    [(artifact, item_id, path)] = store.artifacts(case, "carol", since=datetime(2024, 1, 1, tzinfo=UTC))
    assert (artifact, item_id, path) == (chat, ids[b"/e/b/msgstore.db"], "/e/b/msgstore.db")
    assert store.artifacts(case, "carol", until=datetime(2024, 1, 1, tzinfo=UTC)) == []
    assert "artifacts.view" in [e.action for e in store.audit_events(case_chain("ft")) if e.actor == "carol"]


def test_hostile_text_is_searchable_on_both_databases(store: CaseStore) -> None:
    case = store.create_case("nul", "alice")
    scan_id = store.start_scan(case, "/e", "alice")
    odd = Artifact("x", "message", "App", "t:1", None, "nul\x00byte and 'quotes\" AND OR NEAR(", "\x00")
    files = [FileHashes(b"/e/x.db", size=1, values={"text": "tab\tnul\x00here", "artifacts": [odd]})]
    store.record_files(case, scan_id, "/e", files, {}, "alice")
    for words in ("here", 'quotes"', "NEAR(", "AND", "-", "*", "'"):
        store.search(case, "bob", SearchQuery(text=words))  # no syntax error on either engine
    assert [i.path for i, _, _ in store.search(case, "bob", SearchQuery(text="quotes"))] == ["/e/x.db"]
