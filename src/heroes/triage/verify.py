"""Re-checking evidence sources against the hashes recorded when they were first scanned.

Why: an investigator must be able to show that the image analysed is the image acquired, and
that it has not changed since. ``heroes scan`` records each disk image's acquisition hashes in
the case's audit trail (the ``scan.start`` event); this module recomputes them and says, per
image, whether they still agree. The check itself is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from heroes.evidence import Case
from heroes.store import CaseStore, case_chain
from heroes.triage.image import acquisition_hashes

__all__ = ["SourceCheck", "verify_sources"]


@dataclass(frozen=True, slots=True)
class SourceCheck:
    """One disk image of a case: the hashes recorded at ingest and now."""

    root: str
    recorded_md5: str
    recorded_sha1: str
    md5: str | None
    sha1: str | None
    error: str | None = None

    @property
    def unchanged(self) -> bool:
        """True when both hashes still agree with the ones recorded at ingest."""
        return self.error is None and (self.md5, self.sha1) == (self.recorded_md5, self.recorded_sha1)


def verify_sources(store: CaseStore, case: Case, actor: str) -> list[SourceCheck]:
    """Recompute the acquisition hashes of every disk image scanned into the case (first record wins)."""
    recorded: dict[str, dict[str, str]] = {}
    for event in store.audit_events(case_chain(case.name)):
        acquisition = event.details.get("acquisition") if event.action == "scan.start" else None
        if acquisition and event.target not in recorded:
            recorded[event.target] = acquisition
    checks: list[SourceCheck] = []
    for root, first in recorded.items():
        try:
            now = acquisition_hashes(root)
            checks.append(SourceCheck(root, first["md5"], first["sha1"], now["md5"], now["sha1"]))
        except (OSError, ValueError) as exc:
            checks.append(
                SourceCheck(root, first["md5"], first["sha1"], None, None, f"cannot be read: {exc}")
            )
    store.log_event(
        case,
        actor,
        "sources.verify",
        case.name,
        {c.root: {"unchanged": c.unchanged, "md5": c.md5, "sha1": c.sha1, "error": c.error} for c in checks},
    )
    return checks
