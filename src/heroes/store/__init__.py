"""The case store: the only package that talks to the database."""

from heroes.store.casestore import (
    GLOBAL_CHAIN,
    AuditReport,
    CaseStore,
    ImportResult,
    MatchableItem,
    NewMatch,
    SearchQuery,
    case_chain,
    parse_bbox,
    path_key,
)

__all__ = [
    "GLOBAL_CHAIN",
    "AuditReport",
    "CaseStore",
    "ImportResult",
    "MatchableItem",
    "NewMatch",
    "SearchQuery",
    "case_chain",
    "parse_bbox",
    "path_key",
]
