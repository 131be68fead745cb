"""End to end: a scan extracts document text and parses app databases, so `heroes search` finds words
inside documents and messages, the timeline holds the messages, and a broken database is a finding."""

from __future__ import annotations

from pathlib import Path

import docx

from heroes.config import Settings
from heroes.store import CaseStore, SearchQuery, case_chain
from heroes.triage import scan
from heroes.triage.timeline import build_timeline
from tests.triage.test_artifacts import chrome_db, sms_db
from tests.triage.test_text import _odf, _rezip


def _device(root: Path) -> Path:
    device = root / "device"
    (device / "docs").mkdir(parents=True)
    (device / "docs" / "notes.txt").write_text("Meeting with the landlord about the warehouse keys.\n")
    (device / "docs" / "page.html").write_text(
        "<html><head><title>Ferry timetable</title><script>var hidden = 'scriptword';</script></head>"
        "<body><p>Departures from the harbour every hour.</p></body></html>"
    )
    letter = docx.Document()
    letter.add_paragraph("Invoice 4471 for the warehouse rent, due in March.")
    letter.save(str(device / "docs" / "letter.docx"))
    odt = _odf("<office:text><text:p>Minutes of the allotment committee</text:p></office:text>")
    (device / "docs" / "minutes.odt").write_bytes(_rezip(odt))  # libmagic calls it application/zip
    phone = device / "phone" / "data"
    phone.mkdir(parents=True)
    (phone / "mmssms.db").write_bytes(sms_db(6))
    (phone / "renamed.bin").write_bytes(chrome_db(2))  # recognised by content, not by name
    (phone / "broken.db").write_bytes(sms_db(400)[:6000])  # cut short, as a careless copy would be
    return device


def test_scan_makes_documents_and_messages_searchable(
    tmp_path: Path, sqlite_store: CaseStore, settings: Settings
) -> None:
    device = _device(tmp_path)
    summary = scan(sqlite_store, settings, "docs", device, actor="tester")
    case = sqlite_store.case("docs")

    def found(words: str) -> list[str]:
        hits = sqlite_store.search(case, "tester", SearchQuery(text=words))
        return sorted(item.path.rsplit("/", 1)[1] for item, _, _ in hits)

    assert found("warehouse") == ["letter.docx", "notes.txt"]
    assert found("invoice 4471") == ["letter.docx"]
    assert found("allotment") == ["minutes.odt"]  # read as a document, not opened as an archive
    paths = [i.path for i in sqlite_store.items(case, "tester")]
    assert not [p for p in paths if "minutes.odt!/" in p]
    assert found("harbour") == found("ferry") == ["page.html"]
    assert found("scriptword") == []  # script code is not page text
    assert found("library") == ["mmssms.db", "renamed.bin"]  # a message and a page title
    assert found("timetable") == ["page.html", "renamed.bin"]  # a page title and a visited URL
    [(_, _, context)] = sqlite_store.search(case, "tester", SearchQuery(text="landlord"))
    assert context is not None and "landlord about the warehouse" in context

    artifacts = sqlite_store.artifacts(case, "tester")
    assert {(a.parser, a.kind) for a, _, _ in artifacts} >= {
        ("android-sms", "message"),
        ("chrome-history", "visit"),
    }
    assert sum(1 for a, _, p in artifacts if p.endswith("mmssms.db")) == 6
    events = build_timeline([], artifacts=artifacts)
    assert any(e.event == "Android SMS message received" and "library" in e.detail for e in events)
    assert any(e.event == "Chrome page visited" for e in events)

    broken = [f for f in sqlite_store.findings(case, "tester") if f.path and f.path.endswith("broken.db")]
    assert broken and all(f.plugin == "artifacts" for f in broken)
    assert any(f.kind == "error" and "truncated" in f.explanation for f in broken), broken
    assert summary.files_hashed == 7 and sqlite_store.verify_audit(case_chain("docs")).events > 0
