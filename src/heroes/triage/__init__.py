"""Seized-device triage: read-only evidence sources and the scan workflow."""

from heroes.triage.folder import Entry, Skipped, walk
from heroes.triage.run import ScanObserver, scan

__all__ = ["Entry", "ScanObserver", "Skipped", "scan", "walk"]
