"""Every route of the app, walked: nobody anonymous gets in, nobody sees a case they are not a member of
(and cannot tell it exists), auditors see no media, reviewers see every case page but no admin one,
admins see everything.

The routes come from the app itself, so a route added later without the checks fails these tests.
"""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from tests.web.conftest import Web, routes

PUBLIC = {"/login", "/openapi.json", "/api/docs", "/static"}
"""Routes anyone may load: the login form, the API description and the static files."""
AUDITOR_MAY = {
    "/cases/{case:path}",
    "/cases/{case:path}/audit",
    "/api/v1/cases/{case:path}",
    "/api/v1/cases/{case:path}/audit",
}
"""Case routes an auditor may open (counts, scans, audit trail); every other case route shows evidence."""
ADMIN_ONLY = ("/admin/", "/api/v1/users")


def _url(path: str, case: str, item: int) -> str:
    values = {"case": case, "item_id": str(item), "name": "rita", "token_id": "1"}
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], path)


def _call(client: TestClient, method: str, url: str, item: int, headers: dict[str, str]) -> httpx.Response:
    if method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    if url.startswith("/api/"):
        body = {"item_ids": [item], "category": 1, "name": "someone-new", "role": "reviewer"}
        return client.post(url, json=body, headers=headers, follow_redirects=False)
    form = {
        "item_ids": str(item),
        "category": "1",
        "name": "someone-new",
        "role": "reviewer",
        "user": "rita",
        "case": "op",
        "csrf_token": headers.get("X-CSRF-Token", ""),
    }
    return client.post(url, data=form, headers=headers, follow_redirects=False)


def _unnamed(text: str, case: str) -> str:
    return text.replace(f"'{case}'", "'X'").replace(f"&#39;{case}&#39;", "'X'")


def _walk(web: Web) -> list[tuple[str, str]]:
    found = [(path, method) for path, methods in routes(web.app) for method in sorted(methods - {"HEAD"})]
    assert len(found) > 30 and ("/cases/{case:path}/items/{item_id}/thumbnail", "GET") in found
    return found


def _headers(web: Web, name: str, api: bool) -> tuple[TestClient, dict[str, str]]:
    if api:
        return web.client(), web.token(name)
    client, csrf = web.login(name)
    return client, {"X-CSRF-Token": csrf}


def test_anonymous_requests_get_nothing_but_the_public_routes(web: Web) -> None:
    client = web.client()
    item = web.item_id("op", "exact.png")
    for path, method in _walk(web):
        if path in PUBLIC:
            continue
        answer = _call(client, method, _url(path, "op", item), item, {})
        if path.startswith("/api/"):
            assert answer.status_code == 401, (method, path, answer.status_code)
        else:
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["location"].startswith("/login"), path
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/openapi.json").status_code == 200 and client.get("/api/docs").status_code == 200
    assert web.store.decisions(web.store.case("op")) == {}


def test_a_case_of_which_one_is_not_a_member_looks_like_no_case(web: Web) -> None:
    item = web.item_id("op", "exact.png")
    for api in (False, True):
        client, headers = _headers(web, "olga", api)
        for path, method in _walk(web):
            if "{case" not in path:
                continue
            hidden = _call(client, method, _url(path, "op", item), item, headers)
            missing = _call(client, method, _url(path, "no-such-case", item), item, headers)
            assert hidden.status_code == missing.status_code == 404, (method, path, hidden.status_code)
            assert _unnamed(hidden.text, "op") == _unnamed(missing.text, "no-such-case"), path
            # An item of another case is not found through a case one is a member of either.
            if "{item_id}" in path or "decisions" in path:
                through = _call(client, method, _url(path, "other", item), item, headers)
                assert through.status_code == 404, (method, path, through.status_code)
    assert web.store.decisions(web.store.case("op")) == {}
    client, _ = web.login("olga")
    home = client.get("/")
    assert 'data-case="other"' in home.text and 'data-case="op"' not in home.text
    listed = web.client().get("/api/v1/cases", headers=web.token("olga")).json()
    assert [c["name"] for c in listed] == ["other"]


def test_auditors_see_counts_and_audit_trails_but_no_media(web: Web) -> None:
    item = web.item_id("op", "exact.png")
    for api in (False, True):
        client, headers = _headers(web, "audrey", api)
        for path, method in _walk(web):
            if "{case" not in path:
                continue
            answer = _call(client, method, _url(path, "op", item), item, headers)
            expected = 200 if path in AUDITOR_MAY and method == "GET" else 403
            assert answer.status_code == expected, (method, path, answer.status_code)
    client, _ = web.login("audrey")
    dashboard = client.get("/cases/op").text
    assert (
        'id="case-counts"' in dashboard
        and 'id="link-review"' not in dashboard
        and 'id="errors"' not in dashboard
    )
    assert "thumbnail" not in dashboard and not web.events("case:op", "thumbnail.view")


def test_reviewers_open_every_page_of_their_case(web: Web) -> None:
    item = web.item_id("op", "exact.png")
    for api in (False, True):
        client, headers = _headers(web, "rita", api)
        for path, method in _walk(web):
            if "{case" not in path or method != "GET":
                continue
            answer = _call(client, method, _url(path, "op", item), item, headers)
            assert answer.status_code == 200, (path, answer.status_code)


def test_only_admins_manage_accounts(web: Web) -> None:
    item = web.item_id("op", "exact.png")
    for api in (False, True):
        client, headers = _headers(web, "ivan", api)
        for path, method in _walk(web):
            if path.startswith(ADMIN_ONLY):
                answer = _call(client, method, _url(path, "op", item), item, headers)
                assert answer.status_code == 403, (method, path, answer.status_code)
    assert [u.name for u in web.store.accounts.users() if u.name == "someone-new"] == []


def test_admins_open_every_page_and_api_route(web: Web) -> None:
    item = web.item_id("op", "exact.png")
    for api in (False, True):
        client, headers = _headers(web, "root", api)
        for path, method in _walk(web):
            if method != "GET" or path in ("/static", "/login") or path.startswith("/api/") != api:
                continue
            answer = _call(client, method, _url(path, "op", item), item, headers)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
            if not api and path != "/openapi.json":
                assert "never verdicts" in answer.text or answer.headers["content-type"].startswith("image/")
