"""File-context ranking: every reason can fire, in words, and unrelated items stay at zero."""

from __future__ import annotations

from heroes.evidence import Item
from heroes.triage.context import WEIGHTS, rank_items


def _item(n: int, path: str, **extra: object) -> Item:
    return Item(n, 1, path, 10, None, None, None, None, extra.pop("pdq", None), None, None, "/", **extra)  # type: ignore[arg-type]


def test_reasons_and_order() -> None:
    hit_pdq = "f" * 64
    near_pdq = "f" * 60 + "0000"  # 16 bits away
    items = [
        _item(1, "/e/DCIM/IMG_0001.jpg", pdq=hit_pdq, camera_serial="SN1", captured_at="2024-05-06T07:00:00"),
        _item(2, "/e/DCIM/IMG_0002.jpg", camera_serial="SN1", captured_at="2024-05-06T07:20:00"),
        _item(3, "/e/other/copy.png", pdq=near_pdq),
        _item(4, "/e/chats.zip!/x/a.jpg"),
        _item(5, "/e/chats.zip!/x/b.jpg"),
        _item(6, "/e/docs/IMG_0001 (2).jpg"),
        _item(7, "/e/docs/unrelated.txt", captured_at="2024-05-06T09:00:00"),
    ]
    ranked = {c.item_id: c for c in rank_items(items, {1, 4})}
    assert ranked[1].priority == WEIGHTS["hit"] and ranked[1].reasons[0] == "matches a known-bad hash list"
    assert ranked[2].priority == WEIGHTS["same_camera"] + WEIGHTS["nearby_time"] + WEIGHTS["same_folder"]
    assert "same camera serial as 1 known-bad photo" in ranked[2].reasons
    assert ranked[3].reasons == ("looks almost the same as 1 known-bad file (PDQ)",)
    assert "in the same archive as 1 known-bad file" in ranked[5].reasons
    assert ranked[6].reasons == ("named like 1 known-bad file ('img_0001…')",)
    assert ranked[7].priority == 0 and ranked[7].reasons == ()
    order = [c.item_id for c in rank_items(items, {1, 4})]
    assert order[:2] == [1, 4] and order[-1] == 7


def test_no_hits_no_priorities() -> None:
    items = [_item(1, "/a/x.jpg", camera_serial="S"), _item(2, "/a/y.jpg", camera_serial="S")]
    assert all(c.priority == 0 for c in rank_items(items, set()))
