"""The other pages: cases, dashboard, search, timeline, map, audit trail, settings, user administration,
and how errors look (a page for people, JSON for the API, never a traceback)."""

from __future__ import annotations

import re
import sqlite3

import pytest

from heroes.report import DISCLAIMER
from heroes.store import GLOBAL_CHAIN, case_chain
from heroes.web.state import BANNER
from tests.web.conftest import Web


def test_every_page_carries_the_banner_and_disclaimer(web: Web) -> None:
    client, _ = web.login("ivan")
    item_id = web.item_id("op", "exact.png")
    for url in (
        "/",
        "/cases/op",
        "/cases/op/review",
        f"/cases/op/items/{item_id}",
        "/cases/op/search?q=x",
        "/cases/op/timeline",
        "/cases/op/map",
        "/cases/op/audit",
        "/settings",
        "/settings/password",
        "/no/such/page",
    ):
        text = client.get(url).text
        assert BANNER in text and DISCLAIMER in text, url
    login = web.client().get("/login").text
    assert BANNER in login and 'id="login-form"' in login and 'id="username"' in login


def test_cases_and_dashboard_show_counts_scans_and_errors(web: Web) -> None:
    client, _ = web.login("ivan")
    home = client.get("/").text
    row = re.search(r'<tr data-case="op">.*?</tr>', home, re.S)
    assert row and '<td class="num">8</td>' in row.group(0)
    board = client.get("/cases/op").text
    assert 'data-items="8"' in board and 'data-matched="2"' in board and 'data-errors="1"' in board
    assert 'id="scans"' in board and 'data-status="finished"' in board and "<progress" in board
    assert 'id="errors"' in board and "broken.jpg" in board
    assert web.events(case_chain("op"), "findings.view")[-1]["actor"] == "ivan"
    for link in ("link-review", "link-search", "link-timeline", "link-map", "link-audit"):
        assert f'id="{link}"' in board


def test_search_finds_words_in_documents_with_a_snippet_and_is_audited(web: Web) -> None:
    client, _ = web.login("ivan")
    empty = client.get("/cases/op/search")
    assert (
        empty.status_code == 200 and 'id="search-q"' in empty.text and 'id="search-results"' not in empty.text
    )
    found = client.get("/cases/op/search", params={"q": "wareh"})
    assert found.status_code == 200
    hits = re.findall(r'class="search-hit" data-item-id="(\d+)"', found.text)
    assert hits == [str(web.item_id("op", "letter.txt"))]
    assert 'class="snippet"' in found.text and "warehouse" in found.text
    assert web.events(case_chain("op"), "items.search")[-1]["actor"] == "ivan"
    photos = client.get("/cases/op/search", params={"type": "image/", "has_gps": "1"}).text
    assert re.findall(r'class="search-hit" data-item-id="(\d+)"', photos) == [
        str(web.item_id("op", "gps.jpg"))
    ]
    listed = client.get("/cases/op/search", params={"list": "bad"}).text
    assert len(re.findall(r'class="search-hit"', listed)) == 2
    assert 'id="search-none"' in client.get("/cases/op/search", params={"q": "zebra"}).text
    for bad in ({"since": "yesterday"}, {"min_size": "big"}, {"bbox": "1,2,3"}, {"min_priority": "nan"}):
        assert client.get("/cases/op/search", params=bad).status_code == 400, bad


def test_timeline_lists_times_with_their_clock(web: Web) -> None:
    client, _ = web.login("ivan")
    page = client.get("/cases/op/timeline")
    assert page.status_code == 200 and 'id="timeline"' in page.text and "file modified" in page.text
    assert "letter.txt" in page.text and "UTC" in page.text
    assert web.events(case_chain("op"), "items.timeline")[-1]["actor"] == "ivan"
    assert web.events(case_chain("op"), "artifacts.timeline")[-1]["actor"] == "ivan"
    future = client.get("/cases/op/timeline", params={"since": "2999-01-01"}).text
    assert "0 events" in future
    assert client.get("/cases/op/timeline", params={"until": "not a time"}).status_code == 400


def test_map_is_an_offline_scatter_linking_to_items(web: Web) -> None:
    client, _ = web.login("ivan")
    page = client.get("/cases/op/map")
    gps = web.item_id("op", "gps.jpg")
    assert 'id="gps-map"' in page.text and f'href="/cases/op/items/{gps}" class="gps-point"' in page.text
    assert "http://" not in page.text.split('id="gps-map"')[1].split("</svg>")[0].replace(
        "http://www.w3.org/2000/svg", ""
    )
    assert "40.41708" in page.text
    other, _ = web.login("olga")
    assert 'id="gps-none"' in other.get("/cases/other/map").text


def test_audit_page_shows_the_chain_verified_and_red_when_altered(web: Web) -> None:
    client, _ = web.login("audrey")
    page = client.get("/cases/op/audit")
    assert page.status_code == 200
    assert 'id="audit-status" class="audit-status verified" data-verified="true"' in page.text
    assert 'data-action="case.create"' in page.text and 'id="audit-events"' in page.text
    assert web.events(case_chain("op"), "audit.view")[-1]["actor"] == "audrey"
    database = web.settings.home / "heroes.db"
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE chain = 'case:op' AND seq = 1")
    broken = client.get("/cases/op/audit")
    assert broken.status_code == 200
    assert 'class="audit-status broken" data-verified="false"' in broken.text and "edited" in broken.text
    api = web.client().get("/api/v1/cases/op/audit", headers=web.token("audrey")).json()
    assert api["verified"] is False and "edited" in api["problem"]


def test_admins_add_users_grant_cases_disable_and_reset(web: Web) -> None:
    client, csrf = web.login("root")
    page = client.get("/admin/users")
    assert page.status_code == 200 and 'data-user="rita"' in page.text
    made = client.post("/admin/users", data={"csrf_token": csrf, "name": "sam", "role": "reviewer"})
    assert made.status_code == 201
    password = re.search(r'id="new-password">([^<]+)<', made.text)
    assert password and web.store.accounts.user("sam").must_change_password
    assert (
        client.post("/admin/users", data={"csrf_token": csrf, "name": "sam", "role": "reviewer"}).status_code
        == 409
    )
    assert (
        client.post("/admin/users", data={"csrf_token": csrf, "name": "x y", "role": "reviewer"}).status_code
        == 400
    )
    assert (
        client.post("/admin/users", data={"csrf_token": csrf, "name": "z", "role": "king"}).status_code == 400
    )
    granted = client.post(
        "/admin/memberships",
        data={"csrf_token": csrf, "user": "sam", "case": "op", "action": "grant"},
        follow_redirects=False,
    )
    assert granted.status_code == 303 and web.store.accounts.members(web.store.case("op")).count("sam") == 1
    assert web.events(case_chain("op"), "member.grant")[-1]["actor"] == "root"
    client.post(
        "/admin/memberships", data={"csrf_token": csrf, "user": "sam", "case": "op", "action": "revoke"}
    )
    assert "sam" not in web.store.accounts.members(web.store.case("op"))
    assert (
        client.post(
            "/admin/memberships", data={"csrf_token": csrf, "user": "sam", "case": "nope"}
        ).status_code
        == 404
    )
    client.post("/admin/users/rita/disable", data={"csrf_token": csrf, "disabled": "1"})
    assert web.store.accounts.user("rita").disabled
    assert client.post("/admin/users/root/disable", data={"csrf_token": csrf}).status_code == 400
    reset = client.post("/admin/users/ivan/password", data={"csrf_token": csrf})
    assert reset.status_code == 200 and 'id="new-password"' in reset.text
    assert web.store.accounts.user("ivan").must_change_password
    audit = client.get("/admin/audit")
    assert audit.status_code == 200 and 'data-action="user.add"' in audit.text
    assert [e["actor"] for e in web.events(GLOBAL_CHAIN, "user.disable")] == ["root"]


def test_errors_are_pages_for_people_and_json_for_the_api(web: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = web.login("ivan")
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and 'id="error"' in missing.text
    assert client.get("/api/v1/nothing").json() == {"detail": "Not Found"}
    assert client.get("/api/v1/cases/nope").json() == {"detail": "no case named 'nope'"}
    assert client.get("/api/v1/cases/op/items?page=0").status_code == 422

    def explode(*args: object, **kwargs: object) -> dict[str, int]:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(web.store, "case_counts", explode)
    quiet = web.client(raise_server_exceptions=False)
    quiet.cookies.update(client.cookies)
    for url in ("/cases/op", "/api/v1/cases/op"):
        answer = quiet.get(url)
        assert answer.status_code == 500, url
        assert "secret internals" not in answer.text and "Traceback" not in answer.text
        assert answer.headers["x-frame-options"] == "DENY"


def test_a_case_name_with_a_slash_still_opens(web: Web) -> None:
    web.store.create_case("2024/17", "root")
    client, _ = web.login("root")
    home = client.get("/").text
    assert 'href="/cases/2024%2F17"' in home
    board = client.get("/cases/2024%2F17")
    assert board.status_code == 200 and "Case 2024/17" in board.text
    assert client.get("/cases/2024%2F17/audit").status_code == 200
    assert client.get("/api/v1/cases/2024%2F17", headers=web.token("root")).json()["name"] == "2024/17"


def test_item_page_shows_priority_reasons_and_neighbours(web: Web) -> None:
    client, _ = web.login("ivan")
    hit = client.get(f"/cases/op/items/{web.item_id('op', 'exact.png')}").text
    assert 'id="item-priority" data-priority="' in hit and "matches a known-bad hash list" in hit
    assert 'id="item-neighbours"' in hit and 'data-kind="same folder"' in hit
