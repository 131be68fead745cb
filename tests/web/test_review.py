"""The review grid, thumbnails (blurred by default, cached only when blurred, every serving audited) and
decisions (one by one with htmx, in bulk, on the item page), each audited with the reviewer's name."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from heroes.store import case_chain
from heroes.web.thumbnails import cache_path
from tests.web.conftest import Web


def _sharpness(image: Image.Image) -> float:
    """Variance of the Laplacian, the usual focus measure: a blurred picture has little fine detail."""
    p = np.asarray(image.convert("L"), dtype=np.float32)
    laplacian = p[1:-1, :-2] + p[1:-1, 2:] + p[:-2, 1:-1] + p[2:, 1:-1] - 4 * p[1:-1, 1:-1]
    return float(laplacian.var())


def test_the_grid_shows_tiles_with_priority_reasons_hits_and_blurred_thumbnails(web: Web) -> None:
    client, csrf = web.login("rita")
    page = client.get("/cases/op/review")
    assert page.status_code == 200
    exact = web.item_id("op", "exact.png")
    tile = re.search(rf'<article class="tile" id="tile-{exact}".*?</article>', page.text, re.S)
    assert tile
    text = tile.group(0)
    assert "exact.png" in text and "priority 1" in text and "2 hits" in text
    assert "matches a known-bad hash list" in text
    assert f'src="/cases/op/items/{exact}/thumbnail?clear=0"' in text and 'class="thumb blurred"' in text
    assert f'data-clear-src="/cases/op/items/{exact}/thumbnail?clear=1"' in text
    assert text.count('class="cat"') == 5 and 'class="select"' in text
    assert f'hx-headers=\'{{"X-CSRF-Token": "{csrf}"}}\'' in page.text
    assert page.text.index(f'id="tile-{exact}"') < page.text.index("letter.txt")  # hits first
    assert 'id="bulk-form"' in page.text and "abuse material (CAM)" in page.text
    grid = web.events(case_chain("op"), "items.review-grid")[-1]
    assert grid["actor"] == "rita" and exact in grid["details"]["ids"]  # type: ignore[index]
    assert 'id="pager"' in page.text and "page 1 of 1" in page.text
    only_hits = client.get("/cases/op/review?hits=1&order=hits")
    assert only_hits.text.count('class="tile"') == 2
    assert client.get("/cases/op/review?page=0").status_code == 400
    assert client.get("/cases/op/review?order=sideways").status_code == 400


def test_thumbnails_are_blurred_by_default_and_clear_only_when_asked(web: Web) -> None:
    client, _ = web.login("rita")
    item_id = web.item_id("op", "other/0.jpg")
    blurred = client.get(f"/cases/op/items/{item_id}/thumbnail")
    assert blurred.status_code == 200 and blurred.headers["content-type"] == "image/jpeg"
    assert blurred.headers["cache-control"] == "no-store"
    soft = Image.open(io.BytesIO(blurred.content))
    assert soft.mode == "L" and max(soft.size) <= 160
    clear = client.get(f"/cases/op/items/{item_id}/thumbnail?clear=1")
    sharp = Image.open(io.BytesIO(clear.content))
    assert sharp.mode == "RGB"
    assert _sharpness(soft) < 0.2 * _sharpness(sharp)
    assert client.get(f"/cases/op/items/{item_id}/thumbnail?clear=0").content == blurred.content

    case = web.store.case("op")
    item = web.store.items(case, "tester", item_ids=[item_id])[0]
    cached = cache_path(web.settings, case, item)
    assert cached is not None and cached.is_file() and cached.read_bytes() == blurred.content
    assert cached.parent == web.settings.home / "cases" / "op" / "thumbnails"
    assert cached.name == f"{item_id}-{item.sha256[:16]}.jpg"  # type: ignore[index]
    assert [p.name for p in cached.parent.iterdir()] == [cached.name]  # the clear one was never written

    served = web.events(case_chain("op"), "thumbnail.view")
    assert [(e["actor"], e["details"]) for e in served] == [
        ("rita", {"clear": False, "item": item_id}),
        ("rita", {"clear": True, "item": item_id}),
        ("rita", {"clear": False, "item": item_id}),
    ]
    assert all(e["target"] == item.path for e in served)
    assert client.get(f"/cases/op/items/{item_id}/thumbnail?clear=2").status_code == 400


def test_turning_blur_off_shows_clear_thumbnails_by_default(web: Web) -> None:
    client, csrf = web.login("ivan")
    assert client.post("/settings/blur", data={"csrf_token": csrf, "blur": "0"}).status_code == 200
    assert not web.store.accounts.user("ivan").blur_thumbnails
    assert 'data-blur="false"' in client.get("/settings").text
    item_id = web.item_id("op", "other/1.jpg")
    shown = client.get(f"/cases/op/items/{item_id}/thumbnail")
    assert Image.open(io.BytesIO(shown.content)).mode == "RGB"
    assert 'class="thumb"' in client.get("/cases/op/review").text
    assert web.events(case_chain("op"), "thumbnail.view")[-1]["details"] == {"clear": True, "item": item_id}
    assert web.events("global", "user.setting")[-1]["actor"] == "ivan"


def test_things_that_are_not_pictures_get_a_neutral_placeholder(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = web.login("ivan")
    for suffix in ("letter.txt", "broken.jpg"):
        answer = client.get(f"/cases/op/items/{web.item_id('op', suffix)}/thumbnail")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("image/svg+xml")
        assert b"no preview" in answer.content
    assert web.events(case_chain("op"), "thumbnail.view")[-1]["details"]["placeholder"] is True  # type: ignore[index]

    def unreadable(raw_path: bytes, limit: int) -> bytes:
        raise OSError("gone")

    monkeypatch.setattr("heroes.web.thumbnails.read_item", unreadable)
    answer = client.get(f"/cases/op/items/{web.item_id('op', 'other/2.jpg')}/thumbnail?clear=1")
    assert answer.status_code == 200 and b"no preview" in answer.content
    assert client.get("/cases/op/items/999999/thumbnail").status_code == 404


def test_a_decision_with_htmx_updates_the_tile_and_is_audited(web: Web) -> None:
    client, csrf = web.login("rita")
    item_id = web.item_id("op", "exact.png")
    answer = client.post(
        "/cases/op/decisions",
        data={"item_ids": str(item_id), "category": "1"},
        headers={"X-CSRF-Token": csrf, "HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert f'id="decision-{item_id}"' in answer.text and 'hx-swap-oob="true"' in answer.text
    assert "abuse material (CAM)" in answer.text and "Recorded for 1 item" in answer.text
    decision = web.store.decisions(web.store.case("op"))[item_id]
    assert decision.category == "1" and decision.decided_by == "rita"
    event = web.events(case_chain("op"), "decision.record")[-1]
    assert event["actor"] == "rita" and event["details"]["items"] == [item_id]  # type: ignore[index]
    grid = client.get("/cases/op/review").text
    assert re.search(rf'id="decision-{item_id}"\s+data-category="1"', grid)
    undecided = client.get("/cases/op/review?undecided=1").text
    assert f'id="tile-{item_id}"' not in undecided


def test_bulk_decisions_apply_to_every_selected_item_and_keep_what_is_not_asked(web: Web) -> None:
    client, csrf = web.login("ivan")
    ids = [web.item_id("op", f"other/{n}.jpg") for n in range(3)]
    form = {
        "csrf_token": csrf,
        "item_ids": [str(i) for i in ids],
        "category": "0",
        "tags": "holiday, beach",
        "note": "family photos",
        "next": "/cases/op/review?page=1",
    }
    answer = client.post("/cases/op/decisions", data=form, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/cases/op/review?page=1"
    decided = web.store.decisions(web.store.case("op"))
    assert all(decided[i].category == "0" and decided[i].tags == ("beach", "holiday") for i in ids)
    # Adding a tag to two of them keeps their category and note.
    client.post(
        "/cases/op/decisions",
        data={"csrf_token": csrf, "item_ids": [str(i) for i in ids[:2]], "category": "keep", "tags": "seen"},
    )
    decided = web.store.decisions(web.store.case("op"))
    assert decided[ids[0]].tags == ("beach", "holiday", "seen") and decided[ids[0]].category == "0"
    assert decided[ids[0]].note == "family photos" and decided[ids[2]].tags == ("beach", "holiday")
    assert all(e["actor"] == "ivan" for e in web.events(case_chain("op"), "decision.record"))
    # Bad input is refused, and nothing is half-done when one id belongs to another case.
    stranger = web.item_id("other", "a.jpg")
    refused = client.post(
        "/cases/op/decisions",
        data={"csrf_token": csrf, "item_ids": [str(ids[0]), str(stranger)], "category": "4"},
    )
    assert refused.status_code == 404
    assert web.store.decisions(web.store.case("op"))[ids[0]].category == "0"
    assert (
        client.post(
            "/cases/op/decisions", data={"csrf_token": csrf, "item_ids": str(ids[0]), "category": "9"}
        ).status_code
        == 400
    )
    assert client.post("/cases/op/decisions", data={"csrf_token": csrf, "category": "1"}).status_code == 400
    assert client.post("/cases/op/decisions", data={"csrf_token": csrf, "item_ids": "x"}).status_code == 400


def test_the_item_page_shows_metadata_hashes_matches_neighbours_and_a_decision_form(web: Web) -> None:
    client, csrf = web.login("ivan")
    item_id = web.item_id("op", "exact.png")
    page = client.get(f"/cases/op/items/{item_id}")
    assert page.status_code == 200
    item = web.store.items(web.store.case("op"), "tester", item_ids=[item_id])[0]
    for expected in (
        item.md5,
        item.sha1,
        item.sha256,
        item.pdq,
        "series-1",
        "known-bad",
        'id="decision-form"',
        'id="item-neighbours"',
        "flipped.png",
        "thumbnail?clear=0",
        "image/png",
    ):
        assert expected and expected in page.text, expected
    viewed = [e for e in web.events(case_chain("op"), "items.view") if e["actor"] == "ivan"][-1]
    assert viewed["details"]["ids"] == [item_id]  # type: ignore[index]
    assert web.events(case_chain("op"), "matches.item")[-1]["actor"] == "ivan"
    saved = client.post(
        "/cases/op/decisions",
        follow_redirects=False,
        data={
            "csrf_token": csrf,
            "item_ids": str(item_id),
            "mode": "replace",
            "category": "2",
            "tags": "a, b",
            "note": "look again",
            "next": f"/cases/op/items/{item_id}",
        },
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/cases/op/items/{item_id}"
    after = client.get(f"/cases/op/items/{item_id}").text
    assert "exploitive or age difficult" in after and "look again" in after
    client.post(
        "/cases/op/decisions",
        data={
            "csrf_token": csrf,
            "item_ids": str(item_id),
            "mode": "replace",
            "category": "none",
            "tags": "",
            "note": "",
        },
    )
    cleared = web.store.decisions(web.store.case("op"))[item_id]
    assert cleared.category is None and cleared.tags == () and cleared.note == ""
    assert client.get("/cases/op/items/999999").status_code == 404
    assert client.get("/cases/op/items/0").status_code == 400
