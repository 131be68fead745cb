"""The scan workflow: walk a source, hash on all cores, match, and record through CaseStore.

Why this shape: hashing is a pure function of a file, so batches of paths go to a process
pool and only this coordinator writes to the store (SQLite stays safe; PostgreSQL serves
many). Each batch is committed with its audit event before the next is recorded, so a
scan killed at any moment loses at most the batches in flight; re-running it skips files
already hashed with the same size and mtime and re-matches them, so nothing is lost or
duplicated (items are unique per case and path, matches per item, entry and algorithm).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import BinaryIO, Protocol

from heroes.config import Settings
from heroes.errors import ExternalError, InvalidInput, NotFound
from heroes.evidence import FileHashes, Finding, ListRole, Match, ScanSummary
from heroes.hashing import Hasher, Matcher, hash_file
from heroes.hashing.reader import hash_stream, open_readonly
from heroes.plugins import hashers
from heroes.store import CaseStore
from heroes.triage.archives import SEPARATOR, ArchiveError, iter_members
from heroes.triage.context import rank_case
from heroes.triage.folder import Entry, Skipped, walk
from heroes.triage.image import ImageFile, ImageSource, acquisition_hashes, is_disk_image
from heroes.triage.metadata import extension_mismatch, owner_app
from heroes.triage.names import NameModel
from heroes.triage.terms import TermList
from heroes.triage.text import document_package

__all__ = [
    "ARCHIVE_MIMES",
    "IMAGE_SEPARATOR",
    "WORKER_DIED",
    "ScanObserver",
    "count_files",
    "hash_paths",
    "image_entries",
    "scan",
    "worker_pool",
]


class ScanObserver(Protocol):
    """Receives progress and matches as a scan goes (the CLI draws bars and prints JSON)."""

    def counted(self, files: int, size: int) -> None:
        """The source holds this many regular files and bytes."""

    def advanced(self, files: int, size: int) -> None:
        """This many more files and bytes are done."""

    def matched(self, match: Match) -> None:
        """A match was found for an item of this scan."""


class _Quiet:
    def counted(self, files: int, size: int) -> None:
        pass

    def advanced(self, files: int, size: int) -> None:
        pass

    def matched(self, match: Match) -> None:
        pass


# Files per pool task. A batch (the commit unit) is split into small tasks so every core stays
# busy even when a folder holds fewer files than workers x batch_size, or a few huge ones.
_TASK_FILES = 4

_worker_settings: Settings | None = None
_worker_hashers: tuple[Hasher, ...] | None = None


def _init_worker(settings: Settings) -> None:
    global _worker_settings, _worker_hashers
    _worker_settings = settings
    _worker_hashers = hashers()  # entry points are looked up once per process, not per task


def worker_pool(settings: Settings, workers: int | None = None) -> ProcessPoolExecutor:
    """Hashing processes started by a fork server: forking the coordinator itself is unsafe once it
    runs threads (progress display, database driver), and spawning re-imports everything per worker."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["heroes.triage.run"])
    return ProcessPoolExecutor(
        workers or settings.effective_workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(settings,),
    )


WORKER_DIED = (
    "the hashing process died on this file (a decoder or plug-in crash, or out of memory); "
    "only its path is recorded"
)


def _hash_alone(raw_path: bytes, settings: Settings, image: bytes | None) -> FileHashes:
    """Hash one file in a process of its own, so a file that kills its worker is found and named."""
    with worker_pool(settings, workers=1) as pool:
        try:
            return pool.submit(hash_paths, [raw_path], None, image).result()[0]
        except BrokenProcessPool:
            return FileHashes(raw_path, error=WORKER_DIED)


def _results(pending: _Pending, settings: Settings, image: bytes | None) -> tuple[list[FileHashes], bool]:
    """The batch's hashes; when a worker died, its tasks' files are hashed again one by one.

    On a Dask cluster a task whose worker died (``KilledWorker`` after the scheduler's retries) or
    that failed in transit is hashed again here, file by file, in a local process of its own.
    """
    results = list(pending.done)
    broken = False
    for future, paths in pending.futures:
        try:
            results += future.result()
        except BrokenProcessPool:
            broken = True
            results += [_hash_alone(path, settings, image) for path in paths]
        except Exception:  # a Dask task lost with its worker, or a transport failure
            results += [_hash_alone(path, settings, image) for path in paths]
    return results, broken


def _cluster_task(raw_paths: Sequence[bytes], settings: Settings, image: bytes | None) -> list[FileHashes]:
    """hash_paths on a Dask worker: the worker's process takes the scan's settings and looks its
    plug-ins up once, as a local pool worker does at start."""
    if _worker_settings is None:
        _init_worker(settings)
    return hash_paths(raw_paths, settings, image)


DASK_CONNECT_SECONDS = 10
"""How long to keep trying to reach a Dask scheduler before saying it cannot be reached."""


def _dask_pool(address: str) -> tuple[Executor, int, Callable[[], None]]:
    """An executor over the Dask cluster at ``address``, its number of worker threads, and a closer.

    Workers must see the evidence at the same path as the coordinator (a shared, read-only mount);
    they only hash and return records, the coordinator alone writes to the store.
    """
    from distributed import Client

    try:
        client = Client(address, timeout=f"{DASK_CONNECT_SECONDS}s", set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise ExternalError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    threads = sum(client.nthreads().values())  # type: ignore[no-untyped-call]
    if threads < 1:
        client.close()  # type: ignore[no-untyped-call]
        raise ExternalError(f"the Dask cluster at {address} has no workers")
    executor: Executor = client.get_executor(pure=False)  # type: ignore[no-untyped-call]
    return executor, threads, client.close


IMAGE_SEPARATOR = b"!/"
"""Between a disk image's path and a path inside it, in item paths: ``/cases/phone.E01!/p1/DCIM/1.jpg``."""

# Per worker process (and thread, as a Dask worker may run several): each disk image is opened once
# and its files indexed by path (an EWF handle is not shared; re-walking per task would cost more
# than hashing).
_open_images = threading.local()


def _image_index(image: bytes) -> dict[str, ImageFile]:
    opened: dict[bytes, tuple[ImageSource, dict[str, ImageFile]]] = _open_images.__dict__.setdefault("by", {})
    if image not in opened:
        source = ImageSource(image)
        opened[image] = (source, {r.path: r for r in source.walk() if isinstance(r, ImageFile)})
    return opened[image][1]


def _inner(raw_path: bytes, image: bytes) -> str:
    return raw_path[len(image) + len(IMAGE_SEPARATOR) :].decode("utf-8", "surrogateescape")


def _reopen(raw_path: bytes) -> BinaryIO:
    return os.fdopen(open_readonly(raw_path), "rb")


ARCHIVE_MIMES = frozenset(
    {"application/zip", "application/x-tar", "application/gzip", "application/x-gzip", "application/x-bzip2",
     "application/x-xz"}
)  # fmt: skip
"""Containers whose members become items of their own (office documents are zips too, but stay whole)."""


def _archive_members(
    container: FileHashes, opener: Callable[[], BinaryIO], settings: Settings, plugins: Sequence[Hasher]
) -> list[FileHashes]:
    """Hash every member of an archive in memory, as items named ``archive!/member``."""
    found: list[FileHashes] = []
    prefix = container.path + SEPARATOR

    def raw(display: str) -> bytes:
        inner = display[len(prefix) :] if display.startswith(prefix) else ""
        base = container.raw_path + IMAGE_SEPARATOR
        return base + inner.encode("utf-8", "surrogateescape") if inner else container.raw_path

    try:
        with opener() as handle:
            for member in iter_members(handle, container.mime, container_path=container.path):
                if isinstance(member, ArchiveError):
                    at = f" at byte {member.offset}" if member.offset is not None else ""
                    found.append(
                        FileHashes(
                            raw(member.path), error=f"archive: {member.message}{at}", error_plugin="archive"
                        )
                    )
                elif member.kind != "file" or member.data is None:
                    target = f" -> {member.link_target}" if member.link_target else ""
                    found.append(
                        FileHashes(raw(member.path), error=f"archive: {member.kind} member{target}; not read",
                                   error_plugin="archive")
                    )  # fmt: skip
                else:
                    notes = tuple(f"archive member name: {flag}" for flag in member.flags)
                    found.append(
                        hash_stream(
                            raw(member.path),
                            io.BytesIO(member.data).read,
                            settings,
                            plugins,
                            size=member.size,
                            mtime=member.mtime.timestamp() if member.mtime else None,
                            warnings=notes,
                        )
                    )
    except OSError as exc:
        found.append(FileHashes(container.raw_path + IMAGE_SEPARATOR, error=f"archive: cannot be read: {exc}",
                                error_plugin="archive"))  # fmt: skip
    return found


def _is_archive(result: FileHashes, opener: Callable[[], BinaryIO] | None) -> bool:
    """Whether to open a file's members as items: archives yes, but not Office or OpenDocument files
    that libmagic calls plain zip (they are documents, and their text is extracted instead)."""
    if result.mime not in ARCHIVE_MIMES or result.error or opener is None:
        return False
    if result.mime == "application/zip":
        with opener() as handle:
            return not document_package(handle.read(1024))
    return True


def _hash_in_image(
    raw_path: bytes, image: bytes, settings: Settings, plugins: Sequence[Hasher]
) -> FileHashes:
    inner = _inner(raw_path, image)
    record = _image_index(image).get(inner)
    if record is None:
        return FileHashes(raw_path, error="no longer found in the image")
    warnings = (
        ("deleted file, still listed by the file system: content may be partly overwritten",)
        if record.deleted
        else ()
    )
    try:
        with record.open() as handle:
            result = hash_stream(
                raw_path,
                handle.read,
                settings,
                plugins,
                size=record.size,
                mtime=record.modified.timestamp() if record.modified else None,
                reopen=record.open,
                warnings=warnings,
            )
    except OSError as exc:
        result = FileHashes(raw_path, error=f"cannot read inside the image: {exc}", warnings=warnings)
    result.values["deleted"] = record.deleted
    for key, moment in (("atime", record.accessed), ("ctime", record.changed), ("btime", record.born)):
        result.values[key] = moment.timestamp() if moment else None
    return result


def hash_paths(
    raw_paths: Sequence[bytes], settings: Settings | None = None, image: bytes | None = None
) -> list[FileHashes]:
    """Hash a batch of files (of a folder, or inside ``image``) with every registered hasher."""
    settings = settings or _worker_settings or Settings()
    plugins = _worker_hashers or hashers()
    results: list[FileHashes] = []
    for path in raw_paths:
        if image is not None:
            result = _hash_in_image(path, image, settings, plugins)
            opener = _image_index(image)[_inner(path, image)].open if result.mime in ARCHIVE_MIMES else None
        else:
            result = hash_file(path, settings, plugins)
            opener = partial(_reopen, path)
        results.append(result)
        if _is_archive(result, opener):
            assert opener is not None
            results += _archive_members(result, opener, settings, plugins)
    for result in results:  # context the path gives away: a lying extension, the app a folder belongs to
        result.values["extension_mismatch"] = extension_mismatch(result.raw_path, result.mime)
        result.values["owner_app"] = owner_app(result.path)
    return results


def image_entries(image: bytes) -> Iterator[Entry | Skipped]:
    """The files of a disk image as scan entries, and what could not be read in it."""
    with ImageSource(image) as source:
        for record in source.walk():
            raw = image + IMAGE_SEPARATOR + record.path.encode("utf-8", "surrogateescape")
            if isinstance(record, ImageFile):
                yield Entry(raw, record.size, record.modified.timestamp() if record.modified else 0.0)
            else:
                yield Skipped(raw, record.reason)


def _entries(root: bytes, image: bool) -> Iterator[Entry | Skipped]:
    return image_entries(root) if image else walk(root)


def count_files(root: bytes, image: bool = False) -> tuple[int, int]:
    """Regular files and bytes under root (a cheap metadata walk, for progress totals)."""
    files = size = 0
    for entry in _entries(root, image):
        if isinstance(entry, Entry):
            files += 1
            size += entry.size
    return files, size


def _batches(entries: Iterable[Entry | Skipped], size: int) -> Iterator[list[Entry | Skipped]]:
    batch: list[Entry | Skipped] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class _Pending:
    futures: list[tuple[Future[list[FileHashes]], list[bytes]]]
    done: list[FileHashes]
    resumed: dict[bytes, int]
    resumed_bytes: int
    skipped: list[Skipped]


@dataclass
class _Totals:
    files_seen: int = 0
    files_hashed: int = 0
    files_resumed: int = 0
    bytes_hashed: int = 0
    errors: int = 0
    skipped: int = 0
    matches: int = 0
    hidden: int = 0


def scan(
    store: CaseStore,
    settings: Settings,
    case_name: str,
    root: str | bytes | os.PathLike[str],
    *,
    actor: str,
    list_names: Sequence[str] | None = None,
    observer: ScanObserver | None = None,
    dask: str | None = None,
) -> ScanSummary:
    """Scan a folder or disk image into a case and match it against hash lists (all lists when none
    are named), hashing on local processes or, with ``dask`` (``tcp://HOST:PORT``), on a Dask cluster."""
    observer = observer or _Quiet()
    raw_root = os.fsencode(root)
    if not os.path.exists(raw_root):
        raise NotFound(f"{os.fsdecode(raw_root)} does not exist")
    raw_root = os.path.realpath(raw_root)
    image = not os.path.isdir(raw_root)
    if image and not is_disk_image(raw_root):
        raise InvalidInput(
            f"{os.fsdecode(raw_root)} is neither a folder nor a disk image heroes can open "
            "(raw, split raw, E01, VMDK, QCOW2, VHD, ISO-9660)"
        )
    source = raw_root.decode("utf-8", "backslashreplace")

    lists = store.hash_lists(list_names) if list_names else store.hash_lists()
    case = store.ensure_case(case_name, actor)
    matcher = Matcher(store, lists, settings.pdq_min_quality, settings.home)
    versions = {h.name: h.version for h in hashers()}

    try:
        observer.counted(*count_files(raw_root, image))
        acquisition = dict(acquisition_hashes(raw_root)) if image else None
    except ValueError as exc:
        raise InvalidInput(f"{source}: {exc}") from None
    image_path = raw_root if image else None
    scan_id = store.start_scan(case, source, actor, {"acquisition": acquisition} if acquisition else None)
    totals = _Totals()
    started = time.monotonic()
    workers = settings.effective_workers
    close_cluster: Callable[[], None] | None = None
    pool: Executor | None
    if dask:
        pool, workers, close_cluster = _dask_pool(dask)
    else:
        pool = worker_pool(settings) if workers > 1 else None
    task = partial(_cluster_task, settings=settings) if dask else partial(hash_paths, settings=None)
    queue: deque[_Pending] = deque()

    def finish(pending: _Pending) -> None:
        nonlocal pool
        results, broken = _results(pending, settings, image_path)
        if broken and pool is not None and close_cluster is None:  # tasks queued on the dead pool too
            pool.shutdown(wait=False, cancel_futures=True)
            pool = worker_pool(settings)
        by_path = store.record_files(case, scan_id, source, results, versions, actor)
        if pending.skipped:
            store.record_findings(
                case,
                scan_id,
                [Finding("skipped", "folder", "1", s.reason, s.path) for s in pending.skipped],
                actor,
            )
        item_ids = list(by_path.values()) + list(pending.resumed.values())
        store.record_matches(case, matcher.match(store.matchable_items(case, item_ids)), actor)
        batch_matches = store.matches(
            case, actor, include_known_good=True, purpose="scan-output", item_ids=item_ids
        )
        for match in batch_matches:
            observer.matched(match)
        totals.files_hashed += len(results)
        totals.files_resumed += len(pending.resumed)
        totals.bytes_hashed += sum(r.size for r in results)
        totals.errors += sum(1 for r in results if r.error)
        totals.skipped += len(pending.skipped)
        totals.matches += sum(1 for m in batch_matches if m.list_role is ListRole.KNOWN_BAD)
        totals.hidden += sum(1 for m in batch_matches if m.list_role is ListRole.KNOWN_GOOD)
        observer.advanced(
            len(results) + len(pending.resumed), sum(r.size for r in results) + pending.resumed_bytes
        )

    status = "interrupted"
    try:
        for batch in _batches(_entries(raw_root, image), settings.batch_size):
            entries = [e for e in batch if isinstance(e, Entry)]
            skipped = [e for e in batch if isinstance(e, Skipped)]
            totals.files_seen += len(entries)
            known = store.resume_state(case, [e.raw_path for e in entries])
            resumed: dict[bytes, int] = {}
            todo: list[bytes] = []
            resumed_bytes = 0
            for e in entries:
                prior = known.get(e.raw_path)
                if prior is not None and prior[1] == e.size and prior[2] == e.mtime:
                    resumed[e.raw_path] = prior[0]
                    resumed_bytes += e.size
                else:
                    todo.append(e.raw_path)
            if pool is not None:
                chunks = [todo[i : i + _TASK_FILES] for i in range(0, len(todo), _TASK_FILES)]
                futures = [(pool.submit(task, chunk, image=image_path), chunk) for chunk in chunks]
                queue.append(_Pending(futures, [], resumed, resumed_bytes, skipped))
                while sum(len(p.futures) for p in queue) > workers * 4 and len(queue) > 1:
                    finish(queue.popleft())
            else:
                finish(_Pending([], hash_paths(todo, settings, image_path), resumed, resumed_bytes, skipped))
        while queue:
            finish(queue.popleft())
        terms = TermList.load(Path(settings.terms_file)) if settings.terms_file else None
        names = NameModel.load(Path(settings.name_model_file)) if settings.name_model_file else None
        rank_case(store, case, actor, terms, names)  # context ranking needs the whole case
        status = "finished"
    finally:
        if close_cluster is not None:
            close_cluster()
        elif pool is not None:
            pool.shutdown(wait=status == "finished", cancel_futures=True)
        summary = {
            "files_seen": totals.files_seen,
            "files_hashed": totals.files_hashed,
            "files_resumed": totals.files_resumed,
            "bytes_hashed": totals.bytes_hashed,
            "errors": totals.errors,
            "skipped": totals.skipped,
            "matches": totals.matches,
            "known_good_matches": totals.hidden,
        }
        store.finish_scan(case, scan_id, status, summary, actor)
    return ScanSummary(
        case=case.name,
        root=source,
        files_seen=totals.files_seen,
        files_hashed=totals.files_hashed,
        files_resumed=totals.files_resumed,
        bytes_hashed=totals.bytes_hashed,
        errors=totals.errors,
        skipped=totals.skipped,
        matches=totals.matches,
        hidden=totals.hidden,
        seconds=time.monotonic() - started,
    )
