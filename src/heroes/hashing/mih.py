"""Exact PDQ range search over tens of millions of hashes: multi-index hashing, compiled with numba.

Why: a linear scan reads every hash for every query, and faiss' ``IndexBinaryMultiHash`` is
no faster than that at ten million hashes. This module returns *every* entry within the
radius, with its distance, at thousands of queries per second (``bench/matching.py``: ten
million random hashes, distance 31, about 4,500 queries/s per core, 123 bytes per hash).

How (Norouzi, Punjani and Fleet, "Fast exact search in Hamming space with multi-index
hashing"):

* The 256 bits are cut into ``m`` contiguous slots of about log2(N) bits (ten million
  hashes: 11 slots, three of 24 bits and eight of 23). Each slot has a table in CSR form,
  built by a counting sort: ``offsets`` (2**bits + 1 uint32) and ``ids`` (N uint32, the entry
  ids grouped by slot value). At ten million that is 47 + 44 bytes per hash, plus the 32-byte
  hash. The slot count is the cheapest by the cost model below within 128 bytes per hash.
* Generalised pigeonhole: if every slot ``s`` differed from the query in more than ``r_s``
  bits, the distance would be at least ``sum(r_s + 1)``. So with ``sum(r_s + 1) >= radius + 1``
  every match lies, for some slot, in a bucket within ``r_s`` bit flips of the query's slot
  value (``r_s = -1`` skips a slot). A small knapsack picks the ``r_s`` for each radius with a
  cost model (probes plus expected candidates) and falls back to a compiled linear scan where
  that is cheaper (small indexes, large radii), so every radius is exact.
* A candidate is checked with four popcounts and reported only at the first probed slot whose
  bucket holds it (recomputed from the XOR it already has): no duplicates, no hash set. At
  radius 31 and ten million random hashes a query costs about 3,100 probes and 3,200
  candidates, against 272 probes and 41,500 candidates with 16 slots of 16 bits (six times
  slower here): the slot width must follow the size of the index.
* The kernel works in phases of independent loads (all buckets, then all ids, then all hashes),
  which keeps many cache misses in flight. Query chunks run on a thread pool (the kernels
  release the GIL). Kernels compile once and are cached under ``__pycache__``.

Real PDQ hashes are correlated (near-blank images, templates, series), so their buckets are
uneven and a query meets more candidates than with the benchmark's random hashes: results stay
exact, only slower. An index keeps (a copy of, if writable) its hashes. ``add`` uses the
logarithmic method: new hashes form a new part, and the last two parts are rebuilt as one while
the newer is at least half the older. A batch add costs a build of its own size plus amortised
O(log N) rebuild work per hash, and a search visits at most about log2(N) parts, so add in
batches; ``save`` merges into one part. A saved index is a directory of ``.npy`` files that
``load`` memory-maps: ten million hashes open at once and page in on demand. Kernels check
every bucket and id against the bounds, so a damaged file raises ``ValueError`` rather than
crashing the process.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["DESIGN_RADIUS", "PdqMultiIndex"]

DESIGN_RADIUS = 31
"""The radius the slot layout is tuned for (PDQ's recommended match threshold)."""

_FORMAT = "heroes-pdq-mih"
_VERSION = 1
_BITS = 256
_FILES = ("hashes.npy", "offsets.npy", "ids.npy")
_U64, _U32 = np.dtype(np.uint64), np.dtype(np.uint32)
_MEMORY_PER_HASH = 128  # bytes per hash, tables and hashes together, that the layout may use ...
_MEMORY_SLACK = 4 << 20  # ... plus a few MiB, so that small indexes are not forced to a linear scan
_MIN_SLOTS, _MAX_SLOTS = 10, 32  # slots of 26 down to 8 bits
_MAX_PROBES = 1 << 18  # bit-flip masks per slot a plan may use
# Cost model in units of one candidate check (a cache miss on its hash, four popcounts), measured
# at ten million hashes: about 30 ns a unit, 0.4 ns a hash of the linear scan.
_COST_PROBE = 1.5  # one bucket: a miss on offsets and one on ids
_COST_SCAN = 0.02  # one hash of a linear scan (sequential and vectorised)
_CHUNK = 128  # queries per kernel call
_GROW = 1 << 12  # first size of the growable buffers in the kernels

Strategy = Literal["auto", "index", "scan"]
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")
_Plans = list[tuple[float, tuple[int, ...]]]  # (cost, flips per slot so far) by pigeonhole count reached


# --- compiled kernels ----------------------------------------------------------------------------


@intrinsic
def _ctpop(typingctx: Any, value: Any) -> Any:
    """LLVM ctpop, one POPCNT instruction (numba has no popcount of its own)."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.ctpop(args[0])

    return types.int64(types.uint64), codegen


_popcount = cast("Callable[[np.uint64], int]", _ctpop)


@njit(inline="always")
def _bits(a0: np.uint64, a1: np.uint64, a2: np.uint64, a3: np.uint64, start: int, width: int) -> np.uint64:
    """Bits ``start .. start + width`` (most significant first) of a 256-bit value held as 4 words."""
    w = start >> 6
    end = (start & 63) + width
    hi = a0 if w == 0 else (a1 if w == 1 else (a2 if w == 2 else a3))
    mask = (np.uint64(1) << np.uint64(width)) - np.uint64(1)
    if end <= 64:
        return (hi >> np.uint64(64 - end)) & mask
    lo = a1 if w == 0 else (a2 if w == 1 else a3)
    spill = end - 64
    return ((hi << np.uint64(spill)) | (lo >> np.uint64(64 - spill))) & mask


@njit(inline="always")
def _push(out: np.ndarray, count: int, query: int, entry: int, distance: int) -> np.ndarray:
    """Store triple ``count`` in a growable int64 buffer (doubling); the buffer, maybe new."""
    if 3 * count + 3 > out.shape[0]:
        bigger = np.empty(2 * out.shape[0], dtype=np.int64)
        bigger[: out.shape[0]] = out
        out = bigger
    out[3 * count] = query
    out[3 * count + 1] = entry
    out[3 * count + 2] = distance
    return out


@njit(nogil=True, cache=True)
def _below(values: np.ndarray, m: int, limit: int, found: np.ndarray) -> int:
    """Positions in ``values[:m]`` of values at most ``limit``, written to ``found``; their count.

    A loop of its own: appending to the growable output inside the distance loop keeps LLVM
    from vectorising that loop (4 ns a hash instead of 0.4 ns).
    """
    k = 0
    for j in range(m):
        if values[j] <= limit:
            found[k] = j
            k += 1
    return k


@njit(nogil=True, cache=True)
def _build_slot(hashes: np.ndarray, start: int, width: int, offsets: np.ndarray, ids: np.ndarray) -> None:
    """Counting sort of the entry ids by the value of one slot (CSR: ``offsets`` and ``ids``)."""
    n = hashes.shape[0]
    size = 1 << width
    offsets[:] = 0
    for j in range(n):
        key = np.int64(_bits(hashes[j, 0], hashes[j, 1], hashes[j, 2], hashes[j, 3], start, width))
        offsets[key + 1] += 1
    for k in range(size):
        offsets[k + 1] += offsets[k]
    for j in range(n):  # offsets[key] is the write cursor of bucket key, ending at the next one's start
        key = np.int64(_bits(hashes[j, 0], hashes[j, 1], hashes[j, 2], hashes[j, 3], start, width))
        ids[offsets[key]] = j
        offsets[key] += 1
    for k in range(size, 0, -1):
        offsets[k] = offsets[k - 1]
    offsets[0] = 0


@njit(nogil=True, cache=True)
def _search_index(
    queries: np.ndarray,
    hashes: np.ndarray,
    offsets: np.ndarray,
    ids: np.ndarray,
    starts: np.ndarray,
    widths: np.ndarray,
    bases: np.ndarray,
    radii: np.ndarray,
    order: np.ndarray,
    masks: np.ndarray,
    mask_bounds: np.ndarray,
    radius: int,
) -> tuple[np.ndarray, int, int]:
    """Multi-index search of a chunk of queries: (triples, their count, 1 if a table is corrupt)."""
    n = hashes.shape[0]
    out = np.empty(3 * _GROW, dtype=np.int64)
    count = 0
    probes = mask_bounds[-1]
    bucket_lo = np.empty(probes, dtype=np.int64)  # per probe: its bucket, then its first position in ids
    bucket_hi = np.empty(probes, dtype=np.int64)
    found = np.empty(_GROW, dtype=np.int64)  # the candidate ids of one query
    slot_of = np.empty(_GROW, dtype=np.int64)  # the probe-order position of the slot that found each
    dist = np.empty(_GROW, dtype=np.int64)
    for qi in range(queries.shape[0]):
        q0, q1, q2, q3 = queries[qi, 0], queries[qi, 1], queries[qi, 2], queries[qi, 3]
        # Loops of independent loads (buckets, then ids, then hashes) keep many cache misses in flight:
        # 40% faster than following each bucket to its hashes at once.
        for t in range(order.shape[0]):
            s = order[t]
            key = _bits(q0, q1, q2, q3, starts[s], widths[s])
            for p in range(mask_bounds[t], mask_bounds[t + 1]):
                bucket_lo[p] = bases[s] + np.int64(key ^ masks[p])
        total = 0
        for p in range(probes):
            bucket = bucket_lo[p]
            lo = int(offsets[bucket])
            hi = int(offsets[bucket + 1])
            if hi > n or lo > hi:
                return out, count, 1
            bucket_lo[p] = lo
            bucket_hi[p] = hi
            total += hi - lo
        if total > found.shape[0]:
            found = np.empty(2 * total, dtype=np.int64)
            slot_of = np.empty(2 * total, dtype=np.int64)
            dist = np.empty(2 * total, dtype=np.int64)
        nc = 0
        for t in range(order.shape[0]):
            first_id = order[t] * n
            for p in range(mask_bounds[t], mask_bounds[t + 1]):
                for k in range(bucket_lo[p], bucket_hi[p]):
                    found[nc] = ids[first_id + k]
                    slot_of[nc] = t
                    nc += 1
        for k in range(nc):  # no branch here, so the loads overlap; ids are checked below
            j = min(found[k], n - 1)
            dist[k] = (
                _popcount(q0 ^ hashes[j, 0])
                + _popcount(q1 ^ hashes[j, 1])
                + _popcount(q2 ^ hashes[j, 2])
                + _popcount(q3 ^ hashes[j, 3])
            )
        for k in range(nc):
            if found[k] >= n:
                return out, count, 1
            if dist[k] <= radius:
                j = found[k]
                x0, x1, x2, x3 = q0 ^ hashes[j, 0], q1 ^ hashes[j, 1], q2 ^ hashes[j, 2], q3 ^ hashes[j, 3]
                first = True
                for u in range(slot_of[k]):  # report it at the first probed slot it lies in, only
                    su = order[u]
                    if _popcount(_bits(x0, x1, x2, x3, starts[su], widths[su])) <= radii[su]:
                        first = False
                        break
                if first:
                    out = _push(out, count, qi, j, dist[k])
                    count += 1
    return out, count, 0


@njit(nogil=True, cache=True)
def _search_scan(queries: np.ndarray, hashes: np.ndarray, radius: int) -> tuple[np.ndarray, int, int]:
    """Linear scan of a chunk of queries over blocks of hashes that stay in cache: (triples, count, 0)."""
    n = hashes.shape[0]
    out = np.empty(3 * _GROW, dtype=np.int64)
    count = 0
    block = 1024
    dist = np.empty(block, dtype=np.int64)
    found = np.empty(block, dtype=np.int64)
    c0 = np.empty(block, dtype=np.uint64)
    c1 = np.empty(block, dtype=np.uint64)
    c2 = np.empty(block, dtype=np.uint64)
    c3 = np.empty(block, dtype=np.uint64)
    for b0 in range(0, n, block):
        m = min(block, n - b0)
        for j in range(m):  # one column per word, so that the distance loop vectorises
            c0[j] = hashes[b0 + j, 0]
            c1[j] = hashes[b0 + j, 1]
            c2[j] = hashes[b0 + j, 2]
            c3[j] = hashes[b0 + j, 3]
        for qi in range(queries.shape[0]):
            q0, q1, q2, q3 = queries[qi, 0], queries[qi, 1], queries[qi, 2], queries[qi, 3]
            for j in range(m):
                dist[j] = (
                    _popcount(q0 ^ c0[j])
                    + _popcount(q1 ^ c1[j])
                    + _popcount(q2 ^ c2[j])
                    + _popcount(q3 ^ c3[j])
                )
            for k in range(_below(dist, m, radius, found)):
                out = _push(out, count, qi, b0 + found[k], dist[found[k]])
                count += 1
    return out, count, 0


# --- layout and plans ----------------------------------------------------------------------------


def _widths(slots: int) -> tuple[int, ...]:
    """``slots`` contiguous widths summing to 256, the wider ones first."""
    narrow, extra = divmod(_BITS, slots)
    return tuple(narrow + 1 if s < extra else narrow for s in range(slots))


def _table_sizes(widths: Sequence[int]) -> list[int]:
    """Entries of each slot's offsets array."""
    return [(1 << b) + 1 for b in widths]


@lru_cache(maxsize=4096)
def _probes(width: int, flips: int) -> int:
    """Buckets within ``flips`` bit flips of a ``width``-bit value."""
    return sum(math.comb(width, i) for i in range(flips + 1))


@lru_cache(maxsize=512)
def _plan(widths: tuple[int, ...], n: int, radius: int) -> tuple[float, tuple[int, ...]]:
    """(cost, flips per slot) of the cheapest exact probe plan (-1 skips a slot); cost inf if none.

    Exact when ``sum(flips + 1) >= radius + 1`` (generalised pigeonhole); a knapsack over the
    slots finds the cheapest such choice.
    """
    need = radius + 1
    best: _Plans = [(0.0, ()), *[(math.inf, ())] * need]
    for width in widths:
        per_probe = _COST_PROBE + n / (1 << width)
        options = [(-1, 0.0)]
        for flips in range(min(width, need)):
            if _probes(width, flips) > _MAX_PROBES:
                break
            options.append((flips, _probes(width, flips) * per_probe))
        nxt: _Plans = [(math.inf, ())] * (need + 1)
        for reached, (cost, chosen) in enumerate(best):
            if cost < math.inf:
                for flips, extra in options:
                    to = min(need, reached + flips + 1)
                    if cost + extra < nxt[to][0]:
                        nxt[to] = (cost + extra, (*chosen, flips))
        best = nxt
    return best[need]


def _choose_slots(n: int) -> int:
    """Slot count whose plan at ``DESIGN_RADIUS`` is cheapest within the memory budget (0: scan only)."""
    budget = _MEMORY_PER_HASH * n + _MEMORY_SLACK
    best_slots, best_cost = 0, _COST_SCAN * n
    for slots in range(_MIN_SLOTS, _MAX_SLOTS + 1):
        widths = _widths(slots)
        if 4 * sum(_table_sizes(widths)) + (4 * slots + 32) * n > budget:
            continue
        cost = _plan(widths, n, DESIGN_RADIUS)[0]
        if cost < best_cost:
            best_slots, best_cost = slots, cost
    return best_slots


@lru_cache(maxsize=64)
def _masks(width: int, flips: int) -> np.ndarray:
    """All ``width``-bit values with at most ``flips`` bits set, fewest first."""
    values = [0]
    for r in range(1, flips + 1):
        values += [sum(1 << b for b in bits) for bits in combinations(range(width), r)]
    masks = np.asarray(values, dtype=np.uint64)
    masks.flags.writeable = False
    return masks


def _readonly(array: np.ndarray) -> np.ndarray:
    """A C-contiguous read-only plain view: one compiled specialisation for memory and mapped arrays."""
    view = np.ascontiguousarray(array).view(np.ndarray)
    view.flags.writeable = False
    return view


def _check_words(array: object, what: str, keep: bool = False) -> np.ndarray:
    """``array`` as read-only (N, 4) native uint64, or ValueError; ``keep``: copied unless read-only.

    An index keeps its hashes, so it copies a writable array: changing it later would silently
    put the hashes out of step with the tables. Read-only input (a memory-mapped list) is shared.
    """
    if not isinstance(array, np.ndarray):
        raise ValueError(
            f"{what} must be a numpy array of shape (N, 4) and dtype uint64, not {type(array).__name__}"
        )
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{what} must have shape (N, 4), four 64-bit words per PDQ hash, not {array.shape}")
    if array.dtype.kind != "u" or array.dtype.itemsize != 8:
        raise ValueError(f"{what} must have dtype uint64 (as from pack_hex), not {array.dtype}")
    words = array.astype(np.uint64, copy=False)
    return _readonly(words.copy() if keep and words is array and array.flags.writeable else words)


def _run(function: Callable[[_Item], _Result], items: Sequence[_Item], threads: int) -> list[_Result]:
    """``function`` over ``items`` on up to ``threads`` threads (the kernels release the GIL)."""
    if threads <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(min(threads, len(items))) as pool:
        return list(pool.map(function, items))


def _default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# --- one static part -----------------------------------------------------------------------------


class _Part:
    """Hashes and their slot tables; entry ids are row numbers."""

    def __init__(
        self, hashes: np.ndarray, widths: tuple[int, ...], offsets: np.ndarray, ids: np.ndarray, origin: str
    ) -> None:
        self.hashes = _readonly(hashes)
        self.widths = widths
        self.offsets = _readonly(offsets)
        self.ids = _readonly(ids)
        self.origin = origin
        self.starts = np.cumsum((0, *widths[:-1]), dtype=np.int64)
        self.bases = np.cumsum((0, *_table_sizes(widths[:-1])), dtype=np.int64)
        self.width_array = np.asarray(widths, dtype=np.int64)

    def __len__(self) -> int:
        return int(self.hashes.shape[0])

    @property
    def nbytes(self) -> int:
        return int(self.hashes.nbytes + self.offsets.nbytes + self.ids.nbytes)

    @classmethod
    def build(cls, hashes: np.ndarray, slots: int | None, threads: int) -> _Part:
        n = int(hashes.shape[0])
        if n >= 1 << 32:
            raise ValueError(f"an index holds at most 2**32 - 1 hashes, not {n}")
        if slots is None:
            slots = _choose_slots(n)
        widths = _widths(slots) if slots and n else ()
        sizes = _table_sizes(widths)
        offsets = np.zeros(sum(sizes), dtype=np.uint32)
        ids = np.empty(len(widths) * n, dtype=np.uint32)
        part = cls(hashes, widths, offsets, ids, "memory")

        def fill(s: int) -> None:  # writes through the writable originals of the part's views
            lo = int(part.bases[s])
            _build_slot(
                part.hashes,
                int(part.starts[s]),
                widths[s],
                offsets[lo : lo + sizes[s]],
                ids[s * n : (s + 1) * n],
            )

        _run(fill, range(len(widths)), threads)
        return part

    def search(self, queries: np.ndarray, radius: int, strategy: Strategy, threads: int) -> np.ndarray:
        """(M, 3) int64 rows (query, entry, distance), grouped by query."""
        n = len(self)
        if not n or not queries.shape[0]:
            return np.zeros((0, 3), dtype=np.int64)
        plan: tuple[int, ...] | None = None
        if strategy != "scan" and self.widths and radius < _BITS:
            cost, flips = _plan(self.widths, n, radius)
            if cost < math.inf and (strategy == "index" or cost < _COST_SCAN * n):
                plan = flips
        kernel: Callable[[np.ndarray], tuple[np.ndarray, int, int]]
        if plan is None:

            def kernel(chunk: np.ndarray) -> tuple[np.ndarray, int, int]:
                return _search_scan(chunk, self.hashes, radius)

        else:
            radii = np.asarray(plan, dtype=np.int64)
            order = np.asarray([s for s, r in enumerate(plan) if r >= 0], dtype=np.int64)
            mask_parts = [_masks(self.widths[s], plan[s]) for s in order]
            masks = _readonly(np.concatenate(mask_parts))
            bounds = np.cumsum([0, *(len(m) for m in mask_parts)], dtype=np.int64)

            def kernel(chunk: np.ndarray) -> tuple[np.ndarray, int, int]:
                return _search_index(
                    chunk, self.hashes, self.offsets, self.ids, self.starts, self.width_array, self.bases,
                    radii, order, masks, bounds, radius,
                )  # fmt: skip

        firsts = range(0, queries.shape[0], _CHUNK)
        rows = []
        for first, (out, count, corrupt) in zip(
            firsts, _run(kernel, [queries[i : i + _CHUNK] for i in firsts], threads), strict=True
        ):
            if corrupt:
                raise ValueError(f"corrupt PDQ index ({self.origin}): a bucket or an id is out of range")
            got = out[: 3 * count].reshape(count, 3)
            got[:, 0] += first
            rows.append(got)
        return np.concatenate(rows)


# --- the index -----------------------------------------------------------------------------------


class PdqMultiIndex:
    """Every entry within a Hamming radius of each query, exactly, with its distance."""

    def __init__(self, parts: list[_Part], slots: int | None = None) -> None:
        self._parts = [p for p in parts if len(p)]
        self._slots = slots

    @classmethod
    def build(
        cls, hashes: np.ndarray, *, slots: int | None = None, threads: int | None = None
    ) -> PdqMultiIndex:
        """Index ``hashes``, (N, 4) uint64 as from ``pack_hex``; entry ``i`` gets id ``i``.

        ``slots`` fixes the number of slots (0: linear scan only, else 10 to 32); by default it
        follows N. ``threads`` defaults to the CPUs this process may use.
        """
        words = _check_words(hashes, "hashes", keep=True)
        if slots is not None and slots != 0 and not _MIN_SLOTS <= slots <= _MAX_SLOTS:
            raise ValueError(f"slots must be 0 or from {_MIN_SLOTS} to {_MAX_SLOTS}, not {slots}")
        return cls([_Part.build(words, slots, threads or _default_threads())], slots)

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    @property
    def nbytes(self) -> int:
        """Bytes of hashes and tables (memory-mapped ones included, though they page in lazily)."""
        return sum(p.nbytes for p in self._parts)

    @property
    def slots(self) -> tuple[int, ...]:
        """Number of slots of each part, oldest first (0: that part is scanned linearly)."""
        return tuple(len(p.widths) for p in self._parts)

    def add(self, hashes: np.ndarray, *, threads: int | None = None) -> None:
        """Append ``hashes`` with the next ids: a new part, merged while at least half the one before."""
        words = _check_words(hashes, "hashes", keep=True)
        if not words.shape[0]:
            return
        workers = threads or _default_threads()
        if len(self) + words.shape[0] >= 1 << 32:
            raise ValueError(f"an index holds at most 2**32 - 1 hashes, not {len(self) + words.shape[0]}")
        self._parts.append(_Part.build(words, self._slots, workers))
        while len(self._parts) >= 2 and 2 * len(self._parts[-1]) >= len(self._parts[-2]):
            newer, older = self._parts.pop(), self._parts.pop()
            self._parts.append(
                _Part.build(np.concatenate([older.hashes, newer.hashes]), self._slots, workers)
            )

    def search(
        self,
        queries: np.ndarray,
        radius: int | np.integer[Any],
        *,
        strategy: Strategy = "auto",
        threads: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query index, entry id, distance) of every pair within ``radius``, sorted by query, then id.

        int64, int64 and int32 arrays. ``strategy`` "index" uses the multi-index wherever a plan
        exists and "scan" the linear scan; both are exact, "auto" picks the cheaper.
        """
        words = _check_words(queries, "queries")
        if isinstance(radius, bool) or not isinstance(radius, int | np.integer) or radius < 0:
            raise ValueError(f"radius must be a non-negative integer, not {radius!r}")
        if strategy not in ("auto", "index", "scan"):
            raise ValueError(f"strategy must be 'auto', 'index' or 'scan', not {strategy!r}")
        workers = threads or _default_threads()
        rows, first = [np.zeros((0, 3), dtype=np.int64)], 0
        for part in self._parts:
            got = part.search(words, min(int(radius), _BITS), strategy, workers)
            got[:, 1] += first
            rows.append(got)
            first += len(part)
        every = np.concatenate(rows)
        every = every[np.lexsort((every[:, 1], every[:, 0]))]
        return every[:, 0].copy(), every[:, 1].copy(), every[:, 2].astype(np.int32)

    def compact(self, *, threads: int | None = None) -> None:
        """Merge all parts into one, as ``save`` writes it."""
        if len(self._parts) > 1:
            merged = np.concatenate([p.hashes for p in self._parts])
            self._parts = [_Part.build(merged, self._slots, threads or _default_threads())]

    def save(self, path: Path) -> None:
        """Write ``path``: a directory of ``.npy`` files and ``meta.json``, staged beside it, then renamed."""
        self.compact()
        path = Path(path)
        part = self._parts[0] if self._parts else _Part.build(np.zeros((0, 4), dtype=np.uint64), 0, 1)
        staging = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name, array in zip(_FILES, (part.hashes, part.offsets, part.ids), strict=True):
            np.save(staging / name, array)
        meta = {"format": _FORMAT, "version": _VERSION, "count": len(part), "widths": list(part.widths)}
        meta["slots"] = self._slots
        (staging / "meta.json").write_text(json.dumps(meta) + "\n")
        if path.exists():  # a mapped old index keeps its (unlinked) files until it is closed
            old = path.with_name(f"{path.name}.old-{os.getpid()}")
            path.replace(old)
            staging.replace(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.replace(path)

    @classmethod
    def load(cls, path: Path, mmap: bool = True) -> PdqMultiIndex:
        """Open a saved index; with ``mmap`` its arrays are memory-mapped and page in on demand."""
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"no saved PDQ index at {path}")
        meta_file = path / "meta.json"
        try:
            meta = json.loads(meta_file.read_text())
            if meta["format"] != _FORMAT or meta["version"] != _VERSION:
                raise ValueError(f"format {meta['format']!r} version {meta['version']!r}")
            n, widths, slots = int(meta["count"]), tuple(int(b) for b in meta["widths"]), meta["slots"]
            if n < 0 or widths not in ((), *(_widths(s) for s in range(_MIN_SLOTS, _MAX_SLOTS + 1))):
                raise ValueError(f"count {n} or slot widths {widths} out of range")
            if slots not in (None, 0, *range(_MIN_SLOTS, _MAX_SLOTS + 1)):
                raise ValueError(f"slots {slots!r}")
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ValueError(f"corrupt PDQ index file {meta_file}: {error}") from error
        sizes = _table_sizes(widths)
        hashes = _load_array(path / _FILES[0], _U64, (n, 4), mmap)
        offsets = _load_array(path / _FILES[1], _U32, (sum(sizes),), mmap)
        ids = _load_array(path / _FILES[2], _U32, (len(widths) * n,), mmap)
        part = _Part(hashes, widths, offsets, ids, str(path))
        for s, size in enumerate(sizes):
            base = int(part.bases[s])
            if offsets[base] != 0 or offsets[base + size - 1] != n:
                raise ValueError(f"corrupt PDQ index file {path / _FILES[1]}: slot {s} does not hold {n} ids")
        return cls([part], slots)


def _load_array(file: Path, dtype: np.dtype[Any], shape: tuple[int, ...], mmap: bool) -> np.ndarray:
    """One saved array, checked against the dtype and shape ``meta.json`` implies."""
    try:
        array: np.ndarray = np.load(file, mmap_mode="r" if mmap else None, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise ValueError(f"corrupt or truncated PDQ index file {file}: {error}") from error
    if array.dtype != dtype or array.shape != shape:
        raise ValueError(f"corrupt PDQ index file {file}: {array.dtype} {array.shape}, expected {shape}")
    return array
