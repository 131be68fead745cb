"""The ``heroes`` command as a user meets it, through click's CliRunner."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image, ImageOps

from heroes.cli import cli
from heroes.hashing import hash_image
from heroes.report import DISCLAIMER


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Result]:
    runner = CliRunner()
    home = tmp_path / "home"

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, ["--home", str(home), "--workers", "1", "--actor", "tester", *args])

    return invoke


@pytest.fixture
def device(tmp_path: Path, make_image: Callable[..., Path]) -> tuple[Path, Path]:
    original = make_image("orig.png", 21, "PNG")
    folder = tmp_path / "device"
    make_image("copy-flipped.png", 21, "PNG", ImageOps.mirror, folder=folder)
    make_image("other.jpg", 99, folder=folder)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    pdq = hash_image(original.read_bytes(), __import__("heroes.config").config.Settings(), dihedral=False)[
        "pdq"
    ]
    lst = tmp_path / "list.csv"
    lst.write_text(f"pdq,category,label\n{pdq},1,series-x\nnot-hex,1,broken line\n")
    return folder, lst


def test_hash_json_has_the_documented_fields(run: Callable[..., Result], device: tuple[Path, Path]) -> None:
    folder, _ = device
    result = run("hash", "--json", str(folder))
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 3
    for record in records:
        assert {"path", "size", "md5", "sha1", "sha256", "pdq", "pdq_quality", "mime"} <= set(record)
    broken = next(r for r in records if r["path"].endswith("broken.jpg"))
    assert "error" in broken and broken["sha256"]
    flipped = next(r for r in records if r["path"].endswith("copy-flipped.png"))
    assert flipped["md5"] == hashlib.md5((folder / "copy-flipped.png").read_bytes()).hexdigest()
    assert flipped["mime"] == "image/png" and flipped["pdq_quality"] >= 50


def test_import_reports_bad_lines_then_scan_report_and_audit(
    run: Callable[..., Result], device: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, lst = device
    imported = run("hashlist", "import", str(lst), "--name", "series")
    assert imported.exit_code == 0
    assert "Imported 1 entries" in imported.stdout and "line 3:" in imported.output
    listed = run("hashlist", "list")
    assert "series" in listed.stdout and "known-bad" in listed.stdout

    scanned = run("scan", str(folder), "--case", "op", "--json")
    assert scanned.exit_code == 0, scanned.output
    matches = [json.loads(line) for line in scanned.stdout.splitlines()]
    assert matches == [
        {
            "path": str((folder / "copy-flipped.png").resolve()),
            "list": "series",
            "role": "known-bad",
            "label": "series-x",
            "category": "1",
            "algorithm": "pdq",
            "distance": matches[0]["distance"],
            "variant": "flip-left-right",
        }
    ]
    assert matches[0]["distance"] <= 31

    html = tmp_path / "r.html"
    reported = run("report", "op", "--output", str(html))
    assert reported.exit_code == 0, reported.output
    page = html.read_text()
    assert DISCLAIMER in page and "series-x" in page and "broken.jpg" in page
    thumb = page.split('src="data:image/jpeg;base64,', 1)[1].split('"', 1)[0]
    image = Image.open(io.BytesIO(base64.b64decode(thumb)))
    assert image.mode == "L", "thumbnails are greyscale by default"
    clear_csv = tmp_path / "r.csv"
    assert run("report", "op", "--format", "csv", "--output", str(clear_csv)).exit_code == 0
    assert "series-x" in clear_csv.read_text()

    verified = run("audit", "verify", "op")
    assert verified.exit_code == 0 and "OK" in verified.stdout
    shown = run("audit", "show", "op", "--json")
    actions = [json.loads(line)["action"] for line in shown.stdout.splitlines()]
    assert "scan.start" in actions and "report.write" in actions and "scan.finished" in actions
    assert "op" in run("case", "list").stdout

    with sqlite3.connect(tmp_path / "home" / "heroes.db") as conn:
        conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2 AND chain = 'case:op'")
    broken = run("audit", "verify", "op")
    assert broken.exit_code == 4 and "edited" in broken.output


def test_blurred_thumbnail_has_lost_its_detail(run: Callable[..., Result], tmp_path: Path) -> None:
    folder = tmp_path / "detailed"
    folder.mkdir()
    blocks = np.random.default_rng(0).integers(0, 255, (30, 40, 3), dtype=np.uint8)
    photo = folder / "blocks.png"
    Image.fromarray(np.kron(blocks, np.ones((8, 8, 1), dtype=np.uint8))).save(photo)
    lst = tmp_path / "md5.txt"
    lst.write_text(hashlib.md5(photo.read_bytes()).hexdigest() + "\n")
    run("hashlist", "import", str(lst), "--name", "series")
    run("scan", str(folder), "--case", "op")

    def thumbnail(mode: str) -> np.ndarray:
        out = tmp_path / f"{mode}.html"
        assert run("report", "op", "--output", str(out), "--thumbnails", mode).exit_code == 0
        data = out.read_text().split('src="data:image/jpeg;base64,', 1)[1].split('"', 1)[0]
        return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("L"), dtype=np.float32)

    def detail(pixels: np.ndarray) -> float:
        return float(np.abs(np.diff(pixels, axis=0)).mean() + np.abs(np.diff(pixels, axis=1)).mean())

    assert detail(thumbnail("blurred")) < detail(thumbnail("clear")) / 3
    out = tmp_path / "none.html"
    run("report", "op", "--output", str(out), "--thumbnails", "none")
    assert "data:image" not in out.read_text()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("report", "missing-case"), 2, "no case named"),
        (("audit", "verify", "missing-case"), 2, "no case named"),
        (("scan", "/definitely/not/here", "--case", "x"), 2, "does not exist"),
        (("hashlist", "import", "/no/list.csv", "--name", "x"), 2, "does not exist"),
        (("scan", ".", "--case", "x", "--hashlist", "nope"), 2, "no hash list named"),
    ],
)
def test_user_errors_are_one_line_with_exit_code_2(
    run: Callable[..., Result], args: tuple[str, ...], code: int, message: str
) -> None:
    result = run(*args)
    assert result.exit_code == code
    assert message in result.output and "Traceback" not in result.output


def test_ambiguous_plain_list_asks_for_the_algorithm(run: Callable[..., Result], tmp_path: Path) -> None:
    lst = tmp_path / "plain.txt"
    lst.write_text("ab" * 32 + "\n")
    result = run("hashlist", "import", str(lst), "--name", "p")
    assert result.exit_code == 2 and "--algorithm" in result.output
    assert run("hashlist", "import", str(lst), "--name", "p", "--algorithm", "pdq").exit_code == 0


def test_demo_runs_end_to_end_on_generated_images(run: Callable[..., Result], tmp_path: Path) -> None:
    result = run("demo", "--workdir", str(tmp_path / "demo"))
    assert result.exit_code == 0, result.output
    assert "every planted file gave the expected result" in result.output
    assert (tmp_path / "demo" / "home" / "reports" / "demo-case" / "report.html").is_file()


def test_names_that_look_like_markup_are_printed_as_they_are(
    run: Callable[..., Result], tmp_path: Path
) -> None:
    folder = tmp_path / "odd" / "["
    folder.mkdir(parents=True)
    (folder / "x] [bold]name.txt").write_text("x")  # the path reads ".../[/x] [bold]name.txt"
    result = run("hash", str(tmp_path / "odd"))
    assert result.exit_code == 0, result.output
    assert "[/x] [bold]name.txt" in result.stdout


def test_verify_notices_a_changed_disk_image(
    run: Callable[..., Result], shared_data: Path, tmp_path: Path
) -> None:
    import shutil

    image = tmp_path / "stick.raw"
    shutil.copyfile(shared_data / "disk_images" / "synthetic" / "mbr_fat.raw", image)
    assert run("scan", str(image), "--case", "usb").exit_code == 0
    ok = run("verify", "usb")
    assert ok.exit_code == 0 and "unchanged" in ok.stdout
    with image.open("r+b") as handle:  # somebody alters the evidence after ingest
        handle.seek(image.stat().st_size // 2)
        handle.write(b"\xff")
    changed = run("verify", "usb")
    assert changed.exit_code == 4 and "CHANGED" in changed.stdout and str(image) in changed.output
    actions = [
        json.loads(line)["action"] for line in run("audit", "show", "usb", "--json").stdout.splitlines()
    ]
    assert actions.count("sources.verify") == 2
    folder_case = run("verify", "missing-case")
    assert folder_case.exit_code == 2


def test_review_queue_lists_hits_then_their_context(
    run: Callable[..., Result], device: tuple[Path, Path]
) -> None:
    folder, lst = device
    run("hashlist", "import", str(lst), "--name", "series")
    assert run("scan", str(folder), "--case", "op").exit_code == 0
    result = run("review", "op", "--json")
    assert result.exit_code == 0, result.output
    queue = [json.loads(line) for line in result.stdout.splitlines()]
    assert (
        queue[0]["path"].endswith("copy-flipped.png")
        and queue[0]["reasons"][0] == "matches a known-bad hash list"
    )
    others = {Path(q["path"]).name: q["reasons"] for q in queue[1:]}
    assert others["other.jpg"] == ["in the same folder as 1 known-bad file"]
    actions = [
        json.loads(line)["action"] for line in run("audit", "show", "op", "--json").stdout.splitlines()
    ]
    assert "priorities.rank" in actions and "items.review" in actions


def test_timeline_csv(run: Callable[..., Result], device: tuple[Path, Path]) -> None:
    folder, _ = device
    assert run("scan", str(folder), "--case", "op").exit_code == 0
    result = run("timeline", "op", "--format", "csv")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[0] == "time,clock,event,path,detail" and len(lines) == 1 + 3 * 3
    )  # modified, accessed, entry changed
    events = [line.split(",")[2] for line in lines[1:]]
    assert sorted(set(events)) == ["entry changed", "file accessed", "file modified"]
    assert events.count("file modified") == 3
    assert run("timeline", "op", "--since", "2999-01-01").stdout.count("file modified") == 0


def test_scan_with_agency_terms(
    run: Callable[..., Result], device: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, _ = device
    terms = tmp_path / "terms.txt"
    terms.write_text("other; 3\n")
    assert run("scan", str(folder), "--case", "t", "--terms", str(terms)).exit_code == 0
    queue = [json.loads(line) for line in run("review", "t", "--json").stdout.splitlines()]
    assert [(Path(q["path"]).name, q["reasons"]) for q in queue] == [
        ("other.jpg", ["path has agency term 'other' (3)"])
    ]


def test_groups_lists_copies(
    run: Callable[..., Result], tmp_path: Path, make_image: Callable[..., Path]
) -> None:
    folder = tmp_path / "copies"
    first = make_image("a.png", 41, "PNG", folder=folder)
    (folder / "sent").mkdir()
    (folder / "sent" / "a-copy.png").write_bytes(first.read_bytes())
    make_image("small.jpg", 41, "JPEG", lambda im: im.resize((160, 120)), folder=folder)
    make_image("other.png", 42, "PNG", folder=folder)
    assert run("scan", str(folder), "--case", "g").exit_code == 0
    groups = [json.loads(line) for line in run("groups", "g", "--json").stdout.splitlines()]
    kinds = {g["kind"]: sorted(Path(p).name for p in g["paths"]) for g in groups}
    assert kinds == {"series": ["a-copy.png", "a.png", "small.jpg"], "duplicates": ["a-copy.png", "a.png"]}


def test_search_cli(run: Callable[..., Result], device: tuple[Path, Path]) -> None:
    folder, lst = device
    run("hashlist", "import", str(lst), "--name", "series")
    assert run("scan", str(folder), "--case", "op").exit_code == 0
    found = [
        json.loads(line) for line in run("search", "op", "--type", "image/", "--json").stdout.splitlines()
    ]
    assert Path(found[0]["path"]).name == "copy-flipped.png" and found[0]["priority"] >= 100
    assert {Path(f["path"]).name for f in found} == {"copy-flipped.png", "other.jpg", "broken.jpg"}
    listed = run("search", "op", "--list", "series", "--json").stdout.splitlines()
    assert [Path(json.loads(x)["path"]).name for x in listed] == ["copy-flipped.png"]
    bad = run("search", "op", "--bbox", "1,2,3")
    assert bad.exit_code == 2 and "four numbers" in bad.output


def test_report_overview_sections(
    run: Callable[..., Result], device: tuple[Path, Path], tmp_path: Path
) -> None:
    folder, lst = device
    run("hashlist", "import", str(lst), "--name", "series")
    assert run("scan", str(folder), "--case", "op").exit_code == 0
    out = tmp_path / "r.html"
    assert run("report", "op", "-o", str(out)).exit_code == 0
    page = out.read_text()
    for section in ('id="types"', 'id="hits"', 'id="queue"', "When files were last modified", 'id="days"'):
        assert section in page, section
    assert "in the same folder as 1 known-bad file" in page and "No photo carries a GPS position." in page
