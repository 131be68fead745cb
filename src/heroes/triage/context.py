"""File-context analysis: rank every item for review by what surrounds the known hits, and say why.

Why: a hash list only finds what is already known. What sits next to a known file — in the same
folder or archive, shot by the same camera, minutes apart, under a similar name, or looking
almost the same — is where new material usually is. Autopsy's image gallery orders folders by
hit count; here each item gets its own priority and the reasons behind it, in words, so a
reviewer (and a court) can see why it came first. A priority is a lead, never a verdict.

Pure function: items and the ids of known-bad hits in, a priority and reasons per item out.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from heroes.evidence import Case, Item, ListRole
from heroes.hashing.index import pack_hex
from heroes.hashing.mih import PdqMultiIndex
from heroes.store import CaseStore
from heroes.triage.names import NameModel
from heroes.triage.terms import TermList

__all__ = ["WEIGHTS", "Context", "rank_case", "rank_items"]

WEIGHTS = {
    "hit": 100.0,
    "near_duplicate": 40.0,
    "same_camera": 25.0,
    "same_archive": 20.0,
    "nearby_time": 15.0,
    "same_folder": 10.0,
    "similar_name": 8.0,
    "name_terms": 5.0,
    "name_model": 30.0,
}
"""Points per reason; documented in the README so a ranking can be explained."""

NEARBY_MINUTES = 30
NEAR_DUPLICATE_BITS = 31
# Copy markers at the end of a name: "x (2)", "x - Copy", "x_copy 3", "x-1" (one or two digits, so a
# camera counter such as IMG_0001 is kept: two photos of one camera are not "named alike").
_STEM = re.compile(r"(?:\s*\(\d+\)|[\s_-]*copy(?:\s*\d+)?|[\s_-]+\d{1,2})+$")


@dataclass(frozen=True, slots=True)
class Context:
    """An item's review priority and the reasons for it, most important first."""

    item_id: int
    priority: float
    reasons: tuple[str, ...]


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _archive(path: str) -> str | None:
    return path.rsplit("!/", 1)[0] if "!/" in path else None


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    stem = _STEM.sub("", name)
    return stem if len(stem) >= 3 else ""


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=None)  # camera clocks: compare wall-clock times as recorded


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def rank_items(
    items: Sequence[Item], hits: set[int], terms: TermList | None = None, names: NameModel | None = None
) -> list[Context]:
    """Priority and reasons for every item, highest priority first (ties: path order).

    ``terms`` (an agency's weighted file-name terms) add ``name_terms`` points per unit of weight;
    ``names`` (an agency's trained file-name model) adds ``name_model`` points times its score for
    names it scores at or above its threshold.
    """
    name_scores = names.scores([i.path for i in items]).tolist() if names else [0.0] * len(items)
    by_id = {i.id: i for i in items}
    hit_items = [by_id[h] for h in hits if h in by_id]
    folders = Counter(_folder(i.path) for i in hit_items)
    archives = Counter(a for i in hit_items if (a := _archive(i.path)) is not None)
    cameras = Counter(i.camera_serial for i in hit_items if i.camera_serial)
    stems = Counter(s for i in hit_items if (s := _stem(i.path)))
    hit_times = sorted(t for i in hit_items if (t := _time(i.captured_at)) is not None)

    near: dict[int, int] = defaultdict(int)
    hashed = [i for i in hit_items if i.pdq]
    if hashed:
        index = PdqMultiIndex.build(pack_hex([i.pdq or "" for i in hashed]))
        others = [i for i in items if i.pdq and i.id not in hits]
        if others:
            q_idx, _, _ = index.search(pack_hex([i.pdq or "" for i in others]), NEAR_DUPLICATE_BITS)
            for q in q_idx.tolist():
                near[others[q].id] += 1

    ranked: list[Context] = []
    for item, name_score in zip(items, name_scores, strict=True):
        score = 0.0
        reasons: list[str] = []
        if item.id in hits:
            score += WEIGHTS["hit"]
            reasons.append("matches a known-bad hash list")
        if near[item.id]:
            score += WEIGHTS["near_duplicate"]
            reasons.append(f"looks almost the same as {_plural(near[item.id], 'known-bad file')} (PDQ)")
        if item.camera_serial and (n := cameras[item.camera_serial] - (item.id in hits)) > 0:
            score += WEIGHTS["same_camera"]
            reasons.append(f"same camera serial as {_plural(n, 'known-bad photo')}")
        archive = _archive(item.path)
        if archive is not None and (n := archives[archive] - (item.id in hits)) > 0:
            score += WEIGHTS["same_archive"]
            reasons.append(f"in the same archive as {_plural(n, 'known-bad file')}")
        moment = _time(item.captured_at)
        if moment is not None and hit_times and item.id not in hits:
            close = [t for t in hit_times if abs((t - moment).total_seconds()) <= NEARBY_MINUTES * 60]
            if close:
                score += WEIGHTS["nearby_time"]
                reasons.append(
                    f"taken within {NEARBY_MINUTES} minutes of {_plural(len(close), 'known-bad photo')}"
                )
        if (n := folders[_folder(item.path)] - (item.id in hits)) > 0:
            score += WEIGHTS["same_folder"]
            reasons.append(f"in the same folder as {_plural(n, 'known-bad file')}")
        stem = _stem(item.path)
        if stem and (n := stems[stem] - (item.id in hits)) > 0:
            score += WEIGHTS["similar_name"]
            reasons.append(f"named like {_plural(n, 'known-bad file')} ('{stem}…')")
        found = terms.matches(item.path) if terms else []
        if found:
            score += WEIGHTS["name_terms"] * sum(w for _, w in found)
            listed = ", ".join(f"'{t}' ({w:g})" for t, w in found)
            reasons.append(f"path has agency term{'s' if len(found) > 1 else ''} {listed}")
        if names is not None and name_score >= names.threshold:
            score += WEIGHTS["name_model"] * name_score
            reasons.append(
                f"file name resembles names the agency's model learnt as relevant ({name_score:.2f})"
            )
        ranked.append(Context(item.id, score, tuple(reasons)))
    order = {i.id: n for n, i in enumerate(sorted(items, key=lambda i: i.path))}
    ranked.sort(key=lambda c: (-c.priority, order[c.item_id]))
    return ranked


def rank_case(
    store: CaseStore, case: Case, actor: str, terms: TermList | None = None, names: NameModel | None = None
) -> int:
    """Rank every item of a case by its context and store the result; returns how many got a priority."""
    items = store.items(case, actor, purpose="context")
    hits = {
        m.item_id for m in store.matches(case, actor, purpose="context") if m.list_role is ListRole.KNOWN_BAD
    }
    ranked = rank_items(items, hits, terms, names)
    store.replace_priorities(case, [(c.item_id, c.priority, c.reasons) for c in ranked], actor)
    return sum(1 for c in ranked if c.priority > 0)
