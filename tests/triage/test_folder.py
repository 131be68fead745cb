"""Walking a device folder: never leaving it, never blocking, never losing a name."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from heroes.triage import Entry, Skipped, walk
from heroes.triage import folder as folder_module


def _walk(root: Path) -> tuple[list[bytes], list[Skipped]]:
    found = list(walk(bytes(root)))
    return [e.raw_path for e in found if isinstance(e, Entry)], [e for e in found if isinstance(e, Skipped)]


def test_symlinks_fifos_are_skipped_with_reasons(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("examiner's own file")
    root = tmp_path / "device"
    root.mkdir()
    (root / "a.txt").write_text("a")
    (root / "to-outside").symlink_to(outside)
    (root / "file-link").symlink_to(outside / "secret.txt")
    os.mkfifo(root / "pipe")
    files, skipped = _walk(root)
    assert files == [bytes(root / "a.txt")]
    reasons = {s.path.rsplit("/", 1)[1]: s.reason for s in skipped}
    assert "symbolic link" in reasons["to-outside"] and "symbolic link" in reasons["file-link"]
    assert "FIFO" in reasons["pipe"]


def test_very_deep_tree_does_not_recurse(tmp_path: Path) -> None:
    depth = 1500  # deeper than Python's recursion limit
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            child = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = child
        leaf = os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(leaf, b"deep")
        os.close(leaf)
    finally:
        os.close(fd)
    try:
        files, skipped = _walk(tmp_path)
        assert not skipped
        assert len(files) == 1 and files[0].endswith(b"/d" * depth + b"/leaf.txt")
    finally:  # shutil.rmtree (pytest's clean-up) recurses too, so remove the tree with rm
        subprocess.run(["rm", "-rf", str(tmp_path / "d")], check=True)


def test_names_that_are_not_utf8_are_kept_exactly(tmp_path: Path) -> None:
    raw = bytes(tmp_path) + b"/\xff\xfe-dir"
    os.mkdir(raw)
    with open(raw + b"/caf\xe9.jpg", "wb") as handle:
        handle.write(b"x")
    files, _ = _walk(tmp_path)
    assert files == [raw + b"/caf\xe9.jpg"]


def test_unlistable_directory_is_reported_and_the_walk_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "locked").mkdir()
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "f.txt").write_text("f")
    real = folder_module._open_directory

    def refuse(path: bytes) -> int:
        if path.endswith(b"/locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(folder_module, "_open_directory", refuse)
    files, skipped = _walk(tmp_path)
    assert files == [bytes(tmp_path / "open" / "f.txt")]
    assert [s.reason for s in skipped] == ["cannot list directory: Permission denied"]


def test_order_is_stable(tmp_path: Path) -> None:
    for name in ("b", "a", "c"):
        (tmp_path / name).write_text(name)
    assert _walk(tmp_path)[0] == [bytes(tmp_path / n) for n in ("a", "b", "c")]


def test_walking_leaves_directory_access_times_alone(tmp_path: Path) -> None:
    inner = tmp_path / "evidence" / "inner"
    inner.mkdir(parents=True)
    (inner / "f.txt").write_text("f")
    for folder in (tmp_path / "evidence", inner):
        os.utime(folder, (1_000_000_000, 1_000_000_000))
    files, _ = _walk(tmp_path / "evidence")
    assert len(files) == 1
    for folder in (tmp_path / "evidence", inner):
        assert folder.stat().st_atime == 1_000_000_000, folder
