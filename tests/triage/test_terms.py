"""Agency term lists: parsing, whole-word matching, and their place in the review ranking."""

from __future__ import annotations

from pathlib import Path

import pytest

from heroes.errors import InvalidInput, NotFound
from heroes.evidence import Item
from heroes.triage.context import WEIGHTS, rank_items
from heroes.triage.terms import TermList

DEMO = Path(__file__).resolve().parents[2] / "src" / "heroes" / "data" / "demo-terms.txt"


def test_demo_list_and_matching() -> None:
    terms = TermList.load(DEMO)
    assert ("beach day", 2.0) in terms.terms
    assert terms.matches("/e/Pictures/Beach_Day-2.jpg") == [("beach day", 2.0)]
    assert terms.matches("/e/holidays/x.jpg") == []  # whole words only
    assert terms.matches("/e/Holiday/sent/x.jpg") == [("holiday", 1.0), ("sent", 0.5)]


def test_bad_lists(tmp_path: Path) -> None:
    bad = tmp_path / "t.txt"
    bad.write_text("ok; 1\nbroken; lots\n")
    with pytest.raises(InvalidInput, match="line 2"):
        TermList.load(bad)
    with pytest.raises(NotFound):
        TermList.load(tmp_path / "missing.txt")


def test_terms_raise_priority_with_a_reason() -> None:
    item = Item(1, 1, "/e/Beach Day/x.jpg", 1, None, None, None, None, None, None, None, "/")
    (ranked,) = rank_items([item], set(), TermList.load(DEMO))
    assert ranked.priority == WEIGHTS["name_terms"] * 2.0
    assert ranked.reasons == ("path has agency term 'beach day' (2)",)
