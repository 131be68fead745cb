"""Scans on a real Dask cluster (a LocalCluster of 2 worker processes on loopback): same records as a
local scan, the hashing really ran on the cluster's workers, and only the coordinator wrote."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from heroes.config import Settings
from heroes.errors import ExternalError
from heroes.store import CaseStore
from heroes.triage import run, scan

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as local:
        yield local


def _records(store: CaseStore, case: str) -> list[tuple[str, str | None, str | None, str | None]]:
    items = store.items(store.case(case), "tester")
    return sorted((i.path.rsplit("/device/", 1)[1], i.sha256, i.pdq, i.mime) for i in items)


def test_dask_scan_records_what_a_local_scan_records(
    tmp_path: Path,
    make_image: Callable[..., Path],
    sqlite_store: CaseStore,
    settings: Settings,
    cluster: distributed.LocalCluster,
) -> None:
    device = tmp_path / "device"
    for n in range(10):
        make_image(f"photos/{n}.jpg", n, folder=device)
    (device / "notes.txt").write_text("shopping list: bread, milk\n")
    (device / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    settings = dataclasses.replace(settings, batch_size=4)

    local = scan(sqlite_store, settings, "local", device, actor="tester")
    remote = scan(sqlite_store, settings, "remote", device, actor="tester", dask=cluster.scheduler_address)

    assert (remote.files_hashed, remote.errors) == (local.files_hashed, local.errors) == (12, 1)
    assert _records(sqlite_store, "remote") == _records(sqlite_store, "local")
    # The scheduler runs in this process: 12 files in tasks of 4 ran there as "cluster_task" tasks.
    ran = cluster.scheduler.task_prefixes["cluster_task"].state_counts
    assert ran["memory"] == 3, ran  # each finished task held its result once
    assert sqlite_store.verify_audit("case:remote").events > 0


def test_unreachable_scheduler_is_an_external_error(
    tmp_path: Path, sqlite_store: CaseStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(run, "DASK_CONNECT_SECONDS", 1)
    (tmp_path / "device").mkdir()
    (tmp_path / "device" / "a.txt").write_text("a")
    with pytest.raises(ExternalError, match="cannot reach the Dask scheduler"):
        scan(sqlite_store, settings, "x", tmp_path / "device", actor="t", dask="tcp://127.0.0.1:9")


def test_dask_scan_of_a_disk_image_opens_it_on_the_workers(
    shared_data: Path, sqlite_store: CaseStore, settings: Settings, cluster: distributed.LocalCluster
) -> None:
    image = shared_data / "disk_images" / "synthetic" / "mbr_fat.E01"
    local = scan(sqlite_store, settings, "img-local", image, actor="tester")
    remote = scan(sqlite_store, settings, "img-remote", image, actor="tester", dask=cluster.scheduler_address)
    assert remote.files_hashed == local.files_hashed > 0 and remote.errors == local.errors

    def records(case: str) -> list[tuple[str, str | None, bool]]:
        return sorted((i.path, i.sha256, i.deleted) for i in sqlite_store.items(sqlite_store.case(case), "t"))

    assert records("img-remote") == records("img-local")
